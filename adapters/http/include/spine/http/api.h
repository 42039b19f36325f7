// Spine's HTTP API (docs/api.md, docs/openapi.yaml): commands, queries over
// the read models, raw history, and operations endpoints, behind bearer
// tokens and roles.
//
// Contract: every call but /healthz needs a live token; the role decides
// what may be run and seen (access.h) and cost prices and supplier terms are
// masked for roles that may not see them. Every refusal is problem+json with
// a stable code, the field and the rule, and appends nothing. Every query
// answers with the log position it reflects ("position"), honours
// min_position= (waits, bounded) and as_of= (a position or an RFC 3339 time).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "spine/commands/command_handler.h"
#include "spine/domain/time_zone.h"
#include "spine/eventstore/event_store.h"
#include "spine/http/server.h"
#include "spine/http/tokens.h"
#include "spine/projections/runner.h"

namespace spine::http {

struct ApiOptions {
  std::chrono::milliseconds max_position_wait{5'000};  // min_position= waits at most this
  std::size_t max_page = 1'000;                        // limit= at most (events, streams, timelines)
  std::uint64_t ready_max_lag = 10'000;                // /readyz: projections within this many events
  domain::TimeZone time_zone;                          // local days of KPI dates (shop.toml's time_zone)
  // Occurred-At (admin: imports, loads) must lie within this window around now.
  std::chrono::hours occurred_at_max_past{24 * 3653};  // 10 years
  std::chrono::hours occurred_at_max_future{24};
  // GET /v1/stock/{sku}: reuse a rendered answer while the stock model has not
  // moved (false: render every time; `spine bench http` measures both).
  bool reuse_rendered_stock = true;
  // Prometheus text appended to /metrics (relay, store, commands: from serve).
  std::function<std::string()> extra_metrics;
};

class Api final : public HttpService {
 public:
  Api(store::EventStore& store, commands::CommandHandler& handler, projections::ProjectionRunner& runner,
      TokenStore& tokens, ApiOptions options = {});
  ~Api() override;

  HttpResponse handle(const HttpRequest& request) override;
  bool blocks(const HttpRequest& request) const override;

  // The API's own metrics (requests, latencies, projections) in Prometheus text.
  std::string metrics_text() const;

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// The OpenAPI document served at /v1/openapi.yaml (docs/openapi.yaml).
std::string_view openapi_yaml();

}  // namespace spine::http
