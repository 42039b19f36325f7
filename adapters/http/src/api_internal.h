// The Api's implementation, shared by its source files (internal).
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <nlohmann/json.hpp>
#include <map>
#include <optional>
#include <shared_mutex>
#include <unordered_map>

#include "spine/http/api.h"
#include "target.h"

namespace spine::http {

using Json = nlohmann::json;

// One request on its way through the API.
struct Call {
  const HttpRequest& request;
  internal::Target target;
  Principal principal;
  std::string route = "unmatched";  // the route template, the metrics label
};

// Where a query reads: the current state (after waiting for min_position) or as of a position.
struct ReadPoint {
  std::optional<std::uint64_t> as_of;
  std::uint64_t min_position = 0;
};

// The HTTP status of a refusal or failure, from its stable code.
int status_for(const Error& error);
// How many headers named `name` (lower case) the request has.
std::size_t count_headers(const HttpRequest& request, std::string_view name);

class Api::Impl {
 public:
  Impl(store::EventStore& store, commands::CommandHandler& handler, projections::ProjectionRunner& runner,
       TokenStore& tokens, ApiOptions options);

  HttpResponse handle(const HttpRequest& request);
  std::string metrics_text() const;

  // api_commands.cc
  HttpResponse run_command(Call& call, const std::string& name);
  Result<std::int64_t> occurred_at(std::string_view text) const;

  // api_queries.cc
  HttpResponse route_query(Call& call);

 private:
  Result<Principal> authenticate(const HttpRequest& request);
  HttpResponse route_call(Call& call);
  static void mask_problem(HttpResponse& response);
  HttpResponse operations_endpoint(Call& call, const std::string& which);

  // Validates the query's parameters (`allowed` plus min_position and as_of)
  // and turns min_position and as_of into a ReadPoint.
  Result<ReadPoint> read_point(const Call& call, std::initializer_list<std::string_view> allowed) const;
  // Waits for min_position in the store (raw history and orders).
  Status wait_for_store(const ReadPoint& point) const;
  // Waits until projection `name` has applied `position`; error not_caught_up naming `field`.
  Status wait_for_model(std::string_view name, std::uint64_t position, std::string_view field) const;
  // Runs `query` on projection `name` at `point`; returns its answer and position.
  template <typename Model>
  Result<std::pair<Json, std::uint64_t>> query_model(std::string_view name, const ReadPoint& point,
                                                     const std::function<Result<Json>(const Model&)>& query) const;
  HttpResponse answer(const Call& call, Json data, std::uint64_t position) const;
  // GET /v1/stock/{sku} at the model's current position: the rendered answer
  // is kept per (SKU, masking) and reused while the stock model has not moved
  // (any new record re-renders it once). nullopt: the SKU is not known.
  std::optional<HttpResponse> current_stock_answer(const Call& call, const std::string& sku);
  Result<std::uint64_t> page_limit(const Call& call) const;

  HttpResponse stock(Call& call);
  HttpResponse order(Call& call, const std::string& order_id);
  HttpResponse timeline(Call& call, int kind, const std::string& id);
  HttpResponse prices(Call& call, const std::string& sku);
  HttpResponse kpis(Call& call);
  HttpResponse supplier_performance(Call& call, const std::string& supplier_id);
  HttpResponse alerts(Call& call);
  HttpResponse stream(Call& call, const std::string& stream_id);
  HttpResponse events(Call& call);

  friend class Api;

 public:
  store::EventStore& store_;
  commands::CommandHandler& handler_;
  projections::ProjectionRunner& runner_;
  TokenStore& tokens_;
  ApiOptions options_;

  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* requests_;
  prometheus::Family<prometheus::Histogram>* latency_;
  prometheus::Family<prometheus::Gauge>* projection_position_;
  prometheus::Family<prometheus::Gauge>* projection_lag_;
  prometheus::Family<prometheus::Gauge>* projection_failed_;

  // Records one request in the metrics. The children of each (route, status)
  // are looked up in the families once and kept here, so a request takes no
  // family mutex and builds no label map (readers share the lock).
  void count_request(const std::string& route, int status, double seconds);
  struct RequestMetrics {
    prometheus::Counter* requests;
    prometheus::Histogram* latency;
  };
  struct RenderedAnswer {
    std::uint64_t position = 0;
    std::string body;
  };
  static constexpr std::size_t kMaxRenderedAnswers = 4096;  // cleared when full
  std::shared_mutex rendered_mutex_;
  std::unordered_map<std::string, RenderedAnswer> rendered_;  // "<m|c>:<sku>" (masked or not)

  std::shared_mutex metric_cache_mutex_;
  std::map<std::pair<std::string, int>, RequestMetrics> metric_cache_;  // bounded: routes x statuses
};

}  // namespace spine::http
