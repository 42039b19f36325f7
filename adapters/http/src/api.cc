#include <prometheus/text_serializer.h>

#include <chrono>
#include <set>

#include "api_internal.h"
#include "spine/http/problem.h"

namespace spine::http {

namespace {

const std::set<std::string, std::less<>> kConflicts = {
    "wrong_expected_version", "insufficient_stock", "invalid_transition", "product_exists", "sku_exists",
    "order_exists", "supplier_exists", "warehouse_exists", "transfer_exists", "return_exists",
    "refund_exists", "already_listed", "already_forwarded", "already_shipped", "product_delisted",
    "report_out_of_order"};
const std::set<std::string, std::less<>> kBadInput = {
    "invalid_json", "unknown_field", "invalid_type", "out_of_range", "invalid_enum", "too_many", "too_deep",
    "bad_target", "invalid_parameter", "unknown_parameter", "invalid_argument", "invalid_command_id",
    "invalid_header", "position_out_of_range", "as_of_unsupported", "duplicate_field", "time_out_of_window"};
const std::set<std::string, std::less<>> kUnavailable = {"io_error", "no_space", "store_closed", "read_only",
                                                          "not_caught_up", "corruption"};

}  // namespace

std::size_t count_headers(const HttpRequest& request, std::string_view name) {
  std::size_t count = 0;
  for (const auto& header : request.headers) count += header.first == name ? 1 : 0;
  return count;
}

int status_for(const Error& error) {
  if (kBadInput.contains(error.code)) return 400;
  if (error.code == "body_too_large") return 413;
  if (error.code == "unknown_command" || error.code == "not_found") return 404;
  if (kConflicts.contains(error.code)) return 409;
  if (kUnavailable.contains(error.code)) return 503;
  return 422;  // a rule of the domain
}

Api::Impl::Impl(store::EventStore& store, commands::CommandHandler& handler, projections::ProjectionRunner& runner,
                TokenStore& tokens, ApiOptions options)
    : store_(store),
      handler_(handler),
      runner_(runner),
      tokens_(tokens),
      options_(std::move(options)),
      registry_(std::make_shared<prometheus::Registry>()) {
  requests_ = &prometheus::BuildCounter()
                   .Name("spine_http_requests_total")
                   .Help("HTTP requests answered, by route template and status")
                   .Register(*registry_);
  latency_ = &prometheus::BuildHistogram()
                  .Name("spine_http_request_duration_seconds")
                  .Help("Time from a complete request to its answer, by route template")
                  .Register(*registry_);
  projection_position_ = &prometheus::BuildGauge()
                              .Name("spine_projection_position")
                              .Help("Last log position applied by each read model")
                              .Register(*registry_);
  projection_lag_ = &prometheus::BuildGauge()
                         .Name("spine_projection_lag_events")
                         .Help("Log head minus each read model's position")
                         .Register(*registry_);
  projection_failed_ = &prometheus::BuildGauge()
                            .Name("spine_projection_failed")
                            .Help("1 when a read model stopped on a failing event")
                            .Register(*registry_);
}

namespace {

// "Bearer" in any case (RFC 9110 section 11.1: the scheme is case-insensitive).
bool starts_with_bearer(std::string_view header) {
  constexpr std::string_view kBearer = "bearer ";
  if (header.size() <= kBearer.size()) return false;
  for (std::size_t i = 0; i < kBearer.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) != kBearer[i]) return false;
  }
  return true;
}

}  // namespace

Result<Principal> Api::Impl::authenticate(const HttpRequest& request) {
  const std::string_view header = request.header("authorization");
  if (header.empty()) return Error{"unauthenticated", "authorization", "send 'Authorization: Bearer <token>'"};
  if (!starts_with_bearer(header)) {
    return Error{"unauthenticated", "authorization", "only bearer tokens are accepted"};
  }
  std::string_view secret = header.substr(7);
  while (!secret.empty() && secret.front() == ' ') secret.remove_prefix(1);
  auto principal = tokens_.authenticate(secret);
  if (!principal) return principal.error();
  if (!principal->has_value()) {
    return Error{"unauthenticated", "authorization", "unknown or revoked token"};
  }
  return **principal;
}

HttpResponse Api::Impl::handle(const HttpRequest& request) {
  const auto started = std::chrono::steady_clock::now();
  HttpResponse response;
  std::string route = "unmatched";
  auto target = internal::parse_target(request.target);
  if (!target) {
    response = problem(400, target.error());
  } else if (target->segments.size() == 1 && target->segments[0] == "healthz") {
    route = "/healthz";
    response.body = R"({"status":"ok"})";
  } else if (count_headers(request, "authorization") > 1) {
    response = problem(400, "invalid_header", "authorization", "send one Authorization header, not several");
  } else {
    auto principal = authenticate(request);
    if (!principal) {
      const bool unauthenticated = principal.error().code == "unauthenticated";
      response = problem(unauthenticated ? 401 : 503, principal.error());
      if (unauthenticated) response.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"spine\"");
    } else {
      Call call{request, std::move(*target), std::move(*principal)};
      response = route_call(call);
      if (!sees_costs(call.principal.role)) mask_problem(response);
      response.authenticated = true;
      route = call.route;
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  count_request(route, response.status, seconds);
  return response;
}

// A refusal is rendered per role like every answer: its figures lose the masked names.
void Api::Impl::mask_problem(HttpResponse& response) {
  // Only a refusal that names figures has anything to mask: the others are not parsed again.
  if (response.content_type != "application/problem+json" || response.body.find("\"figures\"") == std::string::npos) {
    return;
  }
  Json body = Json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.contains("figures")) return;
  mask_costs(body);
  response.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
}

void Api::Impl::count_request(const std::string& route, int status, double seconds) {
  const std::pair<std::string, int> key{route, status};
  RequestMetrics metrics{};
  bool cached = false;
  {
    std::shared_lock lock(metric_cache_mutex_);
    if (auto it = metric_cache_.find(key); it != metric_cache_.end()) {
      metrics = it->second;
      cached = true;
    }
  }
  if (!cached) {
    std::unique_lock lock(metric_cache_mutex_);
    metrics.requests = &requests_->Add({{"route", route}, {"status", std::to_string(status)}});
    metrics.latency = &latency_->Add({{"route", route}}, prometheus::Histogram::BucketBoundaries{
                                                             0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                             0.5, 1, 2.5, 5});
    metric_cache_.emplace(key, metrics);
  }
  metrics.requests->Increment();
  metrics.latency->Observe(seconds);
}

HttpResponse Api::Impl::route_call(Call& call) {
  const auto& s = call.target.segments;
  const std::string& method = call.request.method;
  if (s.size() == 1 && (s[0] == "readyz" || s[0] == "metrics")) {
    call.route = "/" + s[0];
    if (method != "GET") return problem(405, "method_not_allowed", "method", "use GET");
    return operations_endpoint(call, s[0]);
  }
  if (s.size() == 2 && s[0] == "v1" && s[1] == "openapi.yaml") {
    call.route = "/v1/openapi.yaml";
    if (method != "GET") return problem(405, "method_not_allowed", "method", "use GET");
    return operations_endpoint(call, s[1]);
  }
  if (s.size() == 3 && s[0] == "v1" && s[1] == "commands") {
    call.route = "/v1/commands/{name}";
    if (method != "POST") {
      HttpResponse refused = problem(405, "method_not_allowed", "method", "commands are POSTed");
      refused.headers.emplace_back("Allow", "POST");
      return refused;
    }
    return run_command(call, s[2]);
  }
  return route_query(call);
}

HttpResponse Api::Impl::operations_endpoint(Call& call, const std::string& which) {
  if (!may_query(call.principal.role, Query::kOperations)) {
    return problem(403, "forbidden", "role", std::string(role_name(call.principal.role)) + " may not read " + which);
  }
  HttpResponse response;
  if (which == "metrics") {
    response.content_type = "text/plain; version=0.0.4";
    response.body = metrics_text();
    return response;
  }
  if (which == "openapi.yaml") {
    response.content_type = "application/yaml";
    response.body = std::string(openapi_yaml());
    return response;
  }
  // readyz: the store answers and every read model is running and close to the head.
  Json projections = Json::array();
  bool ready = store_.read_at(std::max<std::uint64_t>(1, store_.head().position)).ok() || store_.head().position == 0;
  for (const projections::ProjectionStatus& status : runner_.status()) {
    const bool fine = !status.failed && status.lag <= options_.ready_max_lag;
    ready = ready && fine;
    projections.push_back({{"name", status.name}, {"position", status.position}, {"lag", status.lag},
                           {"failed", status.failed}, {"error", status.error}});
  }
  response.status = ready ? 200 : 503;
  response.body = Json{{"ready", ready}, {"head", store_.head().position}, {"projections", projections}}.dump();
  return response;
}

std::string Api::Impl::metrics_text() const {
  for (const projections::ProjectionStatus& status : runner_.status()) {
    projection_position_->Add({{"projection", status.name}}).Set(static_cast<double>(status.position));
    projection_lag_->Add({{"projection", status.name}}).Set(static_cast<double>(status.lag));
    projection_failed_->Add({{"projection", status.name}}).Set(status.failed ? 1 : 0);
  }
  std::string text = prometheus::TextSerializer().Serialize(registry_->Collect());
  if (options_.extra_metrics) text += options_.extra_metrics();
  return text;
}

Result<ReadPoint> Api::Impl::read_point(const Call& call, std::initializer_list<std::string_view> allowed) const {
  for (const auto& [name, value] : call.target.parameters) {
    if (name == "min_position" || name == "as_of") continue;
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      return Error{"unknown_parameter", name, "this query does not take '" + name + "'"};
    }
  }
  ReadPoint point;
  const std::uint64_t head = store_.head().position;
  if (auto it = call.target.parameters.find("min_position"); it != call.target.parameters.end()) {
    auto position = internal::parse_unsigned(it->second);
    if (!position) return Error{"invalid_parameter", "min_position", "must be a log position (an unsigned integer)"};
    if (*position > head) {
      return Error{"position_out_of_range", "min_position", "the log's head is " + std::to_string(head)};
    }
    point.min_position = *position;
  }
  if (auto it = call.target.parameters.find("as_of"); it != call.target.parameters.end()) {
    if (auto position = internal::parse_unsigned(it->second)) {
      if (*position > head) return Error{"position_out_of_range", "as_of", "the log's head is " + std::to_string(head)};
      point.as_of = *position;
    } else if (auto time = internal::parse_rfc3339(it->second)) {
      auto position_at = projections::position_at_time(store_, *time);
      if (!position_at) return position_at.error();
      point.as_of = *position_at;
    } else {
      return Error{"invalid_parameter", "as_of", "must be a log position or an RFC 3339 time (2025-10-01T20:00:00+08:00)"};
    }
  }
  return point;
}

Status Api::Impl::wait_for_store(const ReadPoint& point) const {
  if (point.min_position == 0) return ok_status();
  if (store_.wait_for_position(point.min_position, options_.max_position_wait) < point.min_position) {
    return Error{"not_caught_up", "min_position", "the store has not reached it yet; retry"};
  }
  return ok_status();
}

Status Api::Impl::wait_for_model(std::string_view name, std::uint64_t position, std::string_view field) const {
  if (position == 0 || runner_.wait_for(position, options_.max_position_wait, name) >= position) return ok_status();
  return Error{"not_caught_up", std::string(field), std::string(name) + " has not applied it yet; retry"};
}

HttpResponse Api::Impl::answer(const Call& call, Json data, std::uint64_t position) const {
  if (!sees_costs(call.principal.role)) mask_costs(data);
  HttpResponse response;
  response.headers.emplace_back("Spine-Position", std::to_string(position));
  // {"data":...,"position":P}, as nlohmann would print it (keys sorted), without copying `data`
  // into a wrapper object first.
  response.body = "{\"data\":" + data.dump(-1, ' ', false, Json::error_handler_t::replace) +
                  ",\"position\":" + std::to_string(position) + "}";
  return response;
}

Result<std::uint64_t> Api::Impl::page_limit(const Call& call) const {
  auto it = call.target.parameters.find("limit");
  if (it == call.target.parameters.end()) return std::min<std::uint64_t>(100, options_.max_page);
  auto limit = internal::parse_unsigned(it->second);
  if (!limit || *limit == 0 || *limit > options_.max_page) {
    return Error{"invalid_parameter", "limit", "must be from 1 to " + std::to_string(options_.max_page)};
  }
  return *limit;
}

Api::Api(store::EventStore& store, commands::CommandHandler& handler, projections::ProjectionRunner& runner,
         TokenStore& tokens, ApiOptions options)
    : impl_(std::make_unique<Impl>(store, handler, runner, tokens, std::move(options))) {}

Api::~Api() = default;

HttpResponse Api::handle(const HttpRequest& request) { return impl_->handle(request); }

bool Api::blocks(const HttpRequest& request) const {
  // Commands wait for fsync; min_position waits for the read models; as_of replays.
  return request.method != "GET" || request.target.find("min_position=") != std::string::npos ||
         request.target.find("as_of=") != std::string::npos;
}

std::string Api::metrics_text() const { return impl_->metrics_text(); }

}  // namespace spine::http
