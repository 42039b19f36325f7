#include "spine/projections/read_models.h"

#include "spine/projections/alerts.h"
#include "spine/projections/kpis.h"
#include "spine/projections/prices.h"
#include "spine/projections/stock.h"
#include "spine/projections/suppliers.h"
#include "spine/projections/timelines.h"

namespace spine::projections {

std::vector<std::unique_ptr<Projection>> make_read_models(const domain::Config& config) {
  std::vector<std::unique_ptr<Projection>> out;
  out.push_back(std::make_unique<StockProjection>(config));
  out.push_back(std::make_unique<TimelineProjection>());
  out.push_back(std::make_unique<KpiProjection>(config));
  out.push_back(std::make_unique<PriceProjection>(config));
  out.push_back(std::make_unique<SupplierProjection>(config));
  out.push_back(std::make_unique<AlertProjection>(config));
  return out;
}

std::vector<std::string> read_model_names() { return {"stock", "timelines", "kpis", "prices", "suppliers", "alerts"}; }

}  // namespace spine::projections
