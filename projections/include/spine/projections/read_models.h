// The read models of domain.md §2 and the factory that builds them all.
// Each is a Projection (projection.h) run by the ProjectionRunner; their
// query methods return JSON values (the HTTP API and `spine replay` print
// them as they are). Definitions of every figure: docs/projections.md.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "spine/domain/config.h"
#include "spine/projections/projection.h"

namespace spine::projections {

// The read models over `config` (its time_zone cuts their local days).
// Names, in this order: stock, timelines, kpis, prices, suppliers, alerts.
std::vector<std::unique_ptr<Projection>> make_read_models(const domain::Config& config);
std::vector<std::string> read_model_names();

}  // namespace spine::projections
