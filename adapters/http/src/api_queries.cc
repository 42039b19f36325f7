// The read endpoints of the API: projections, orders and raw history.
#include "api_internal.h"
#include "spine/commands/command_handler.h"
#include "spine/domain/state.h"
#include "spine/domain/streams.h"
#include "spine/http/problem.h"
#include "spine/projections/alerts.h"
#include "spine/projections/kpis.h"
#include "spine/projections/prices.h"
#include "spine/projections/record_json.h"
#include "spine/projections/stock.h"
#include "spine/projections/suppliers.h"
#include "spine/projections/timelines.h"

namespace spine::http {

namespace {

HttpResponse forbidden(const Call& call, std::string_view what) {
  return problem(403, "forbidden", "role",
                 std::string(role_name(call.principal.role)) + " may not read " + std::string(what));
}

HttpResponse refused(const Error& error) { return problem(status_for(error), error); }

HttpResponse not_found(std::string field, std::string what) {
  return problem(404, "not_found", std::move(field), std::move(what) + " is not known");
}

Json order_json(const domain::OrderState& order) {
  Json lines = Json::array();
  for (const domain::OrderLineState& line : order.lines) {
    Json allocations = Json::object();
    for (const auto& [warehouse, quantity] : line.warehouse_allocations) allocations[warehouse] = quantity;
    lines.push_back({{"sku_id", line.sku_id}, {"product_id", line.product_id}, {"category", line.category},
                     {"quantity", line.quantity}, {"unit_price", line.unit_price}, {"discount", line.discount},
                     {"cost_price", line.cost_price}, {"warehouses", allocations},
                     {"supplier_id", line.supplier_id}, {"supplier_quantity", line.supplier_quantity}});
  }
  Json returns = Json::object();
  for (const auto& [return_id, state] : order.returns) {
    static constexpr const char* kStatus[] = {"requested", "approved", "rejected", "received"};
    Json returned = Json::object();
    for (const auto& [sku, quantity] : state.lines) returned[sku] = quantity;
    returns[return_id] = {{"status", kStatus[static_cast<int>(state.status)]}, {"lines", returned},
                          {"shipping_cost", state.shipping_cost}, {"shop_share", state.shop_share},
                          {"supplier_share", state.supplier_share}};
  }
  return {{"order_id", order.order_id},
          {"status", std::string(domain::order_status_name(order.status))},
          {"customer_id", order.customer_id},
          {"region", order.region},
          {"channel", std::string(shop::EnumNameChannel(static_cast<shop::Channel>(order.channel)))},
          {"lines", lines},
          {"total", order.total},
          {"paid", order.paid},
          {"refunded", order.refunded},
          {"refund_due", order.refund_due()},
          {"payment_failures", order.payment_failures},
          {"sources", order.sources},
          {"shipped_sources", order.shipped_sources},
          {"forwarded_suppliers", order.forwarded_suppliers},
          {"acknowledged_suppliers", order.acknowledged_suppliers},
          {"returns", returns},
          {"refund_ids", order.refund_ids}};
}

}  // namespace

template <typename Model>
Result<std::pair<Json, std::uint64_t>> Api::Impl::query_model(
    std::string_view name, const ReadPoint& point, const std::function<Result<Json>(const Model&)>& query) const {
  if (point.as_of) {
    auto copy = runner_.as_of(name, *point.as_of);
    if (!copy) return copy.error();
    auto answer = query(dynamic_cast<const Model&>(**copy));
    if (!answer) return answer.error();
    return std::pair{std::move(*answer), *point.as_of};
  }
  if (Status waited = wait_for_model(name, point.min_position, "min_position"); !waited) return waited.error();
  std::optional<Result<Json>> answer;
  std::uint64_t position = 0;
  Status read = runner_.read(name, [&](const projections::Projection& projection, std::uint64_t at) {
    answer = query(dynamic_cast<const Model&>(projection));
    position = at;
  });
  if (!read) return read.error();
  if (!answer->ok()) return answer->error();
  return std::pair{std::move(answer->value()), position};
}

HttpResponse Api::Impl::route_query(Call& call) {
  const auto& s = call.target.segments;
  if (s.empty() || s[0] != "v1" || s.size() < 2) return problem(404, "no_route", "path", "no such endpoint");
  const std::string& family = s[1];
  struct Match {
    bool found = false;
    Query query = Query::kOperations;
  };
  Match match;
  auto is = [&](std::size_t size, std::string_view last = {}) {
    return s.size() == size && (last.empty() || s.back() == last);
  };
  if (family == "stock" && (is(2) || is(3))) {
    call.route = is(2) ? "/v1/stock" : "/v1/stock/{sku}";
    match = {true, Query::kStock};
  } else if (family == "orders" && is(3)) {
    call.route = "/v1/orders/{id}";
    match = {true, Query::kOrder};
  } else if (family == "orders" && is(4, "timeline")) {
    call.route = "/v1/orders/{id}/timeline";
    match = {true, Query::kOrderTimeline};
  } else if (family == "skus" && is(4, "timeline")) {
    call.route = "/v1/skus/{sku}/timeline";
    match = {true, Query::kSkuTimeline};
  } else if (family == "skus" && is(4, "prices")) {
    call.route = "/v1/skus/{sku}/prices";
    match = {true, Query::kSkuPrices};
  } else if (family == "actors" && is(4, "timeline")) {
    call.route = "/v1/actors/{id}/timeline";
    match = {true, Query::kActorTimeline};
  } else if (family == "kpis" && is(2)) {
    call.route = "/v1/kpis";
    match = {true, Query::kKpis};
  } else if (family == "suppliers" && is(4, "performance")) {
    call.route = "/v1/suppliers/{id}/performance";
    match = {true, Query::kSupplierPerformance};
  } else if (family == "suppliers" && is(4, "timeline")) {
    call.route = "/v1/suppliers/{id}/timeline";
    match = {true, Query::kSupplierTimeline};
  } else if (family == "alerts" && is(2)) {
    call.route = "/v1/alerts";
    match = {true, Query::kAlerts};
  } else if ((family == "streams" && is(3)) || (family == "events" && is(2))) {
    call.route = family == "streams" ? "/v1/streams/{id}" : "/v1/events";
    match = {true, Query::kRawHistory};
  }
  if (!match.found) return problem(404, "no_route", "path", "no such endpoint");
  if (call.request.method != "GET") {
    HttpResponse response = problem(405, "method_not_allowed", "method", "queries are GET");
    response.headers.emplace_back("Allow", "GET");
    return response;
  }
  if (!may_query(call.principal.role, match.query)) return forbidden(call, call.route);
  // A supplier reads only its own forwards.
  if (call.principal.role == Role::kSupplier && s[2] != call.principal.name) {
    return problem(403, "forbidden", "id", "a supplier reads only its own data");
  }
  switch (match.query) {
    case Query::kStock: return stock(call);
    case Query::kOrder: return order(call, s[2]);
    case Query::kOrderTimeline: return timeline(call, static_cast<int>(projections::TimelineKind::kOrder), s[2]);
    case Query::kSkuTimeline: return timeline(call, static_cast<int>(projections::TimelineKind::kSku), s[2]);
    case Query::kActorTimeline: return timeline(call, static_cast<int>(projections::TimelineKind::kActor), s[2]);
    case Query::kSupplierTimeline:
      return timeline(call, static_cast<int>(projections::TimelineKind::kSupplier), s[2]);
    case Query::kSkuPrices: return prices(call, s[2]);
    case Query::kKpis: return kpis(call);
    case Query::kSupplierPerformance: return supplier_performance(call, s[2]);
    case Query::kAlerts: return alerts(call);
    case Query::kRawHistory: return family == "streams" ? stream(call, s[2]) : events(call);
    case Query::kOperations: break;
  }
  return problem(404, "no_route", "path", "no such endpoint");
}

HttpResponse Api::Impl::stock(Call& call) {
  auto point = read_point(call, {"status", "listed"});
  if (!point) return refused(point.error());
  const bool one = call.target.segments.size() == 3;
  auto listed = projections::StockProjection::Listed::kOnSale;
  if (auto it = call.target.parameters.find("listed"); it != call.target.parameters.end()) {
    if (one) return refused(Error{"unknown_parameter", "listed", "listed= filters the list, not one SKU"});
    if (it->second == "false") {
      listed = projections::StockProjection::Listed::kDelisted;
    } else if (it->second == "any") {
      listed = projections::StockProjection::Listed::kAny;
    } else if (it->second != "true") {
      return refused(Error{"invalid_parameter", "listed", "must be true, false or any"});
    }
  }
  std::string status;
  if (auto it = call.target.parameters.find("status"); it != call.target.parameters.end()) {
    if (one) return refused(Error{"unknown_parameter", "status", "status= filters the list, not one SKU"});
    status = it->second;
    if (status != "ok" && status != "low" && status != "out") {
      return refused(Error{"invalid_parameter", "status", "must be ok, low or out"});
    }
  }
  const std::string sku = one ? call.target.segments[2] : "";
  if (one && !point->as_of) {
    if (Status waited = wait_for_model("stock", point->min_position, "min_position"); !waited) return refused(waited.error());
    std::optional<HttpResponse> current = current_stock_answer(call, sku);
    if (!current) return not_found("sku", "SKU '" + sku + "'");
    return std::move(*current);
  }
  auto result = query_model<projections::StockProjection>(
      "stock", *point, [&](const projections::StockProjection& model) -> Result<Json> {
        return one ? model.sku(sku) : model.list(status, listed);
      });
  if (!result) return refused(result.error());
  if (result->first.is_null()) return not_found("sku", "SKU '" + sku + "'");
  return answer(call, std::move(result->first), result->second);
}

std::optional<HttpResponse> Api::Impl::current_stock_answer(const Call& call, const std::string& sku) {
  const std::string key = (sees_costs(call.principal.role) ? "c:" : "m:") + sku;
  std::optional<HttpResponse> response;
  Status read = runner_.read("stock", [&](const projections::Projection& projection, std::uint64_t at) {
    if (options_.reuse_rendered_stock) {
      std::shared_lock lock(rendered_mutex_);
      if (auto it = rendered_.find(key); it != rendered_.end() && it->second.position == at) {
        response.emplace();
        response->headers.emplace_back("Spine-Position", std::to_string(at));
        response->body = it->second.body;
        return;
      }
    }
    Json data = dynamic_cast<const projections::StockProjection&>(projection).sku(sku);
    if (data.is_null()) return;
    response = answer(call, std::move(data), at);
    if (!options_.reuse_rendered_stock) return;
    std::unique_lock lock(rendered_mutex_);
    if (rendered_.size() >= kMaxRenderedAnswers) rendered_.clear();
    rendered_[key] = RenderedAnswer{at, response->body};
  });
  if (!read) return problem(status_for(read.error()), read.error());
  return response;
}

HttpResponse Api::Impl::order(Call& call, const std::string& order_id) {
  auto point = read_point(call, {});
  if (!point) return refused(point.error());
  if (Status waited = wait_for_store(*point); !waited) return refused(waited.error());
  const std::uint64_t position = point->as_of.value_or(store_.head().position);
  auto folded = commands::fold_stream(store_, domain::order_stream(order_id), domain::StreamState{}, position);
  if (!folded) return refused(folded.error());
  const auto* order = std::get_if<domain::OrderState>(&folded->state);
  if (order == nullptr || !order->exists) return not_found("id", "order '" + order_id + "'");
  Json data = order_json(*order);
  data["version"] = folded->version;
  return answer(call, std::move(data), position);
}

HttpResponse Api::Impl::timeline(Call& call, int kind, const std::string& id) {
  auto point = read_point(call, {"after", "limit"});
  if (!point) return refused(point.error());
  auto limit = page_limit(call);
  if (!limit) return refused(limit.error());
  projections::TimelineQuery query;
  query.kind = static_cast<projections::TimelineKind>(kind);
  query.id = id;
  query.limit = *limit;
  if (auto it = call.target.parameters.find("after"); it != call.target.parameters.end()) {
    auto after = internal::parse_unsigned(it->second);
    if (!after) return refused(Error{"invalid_parameter", "after", "must be a log position"});
    query.after_position = *after;
  }
  std::uint64_t position = 0;
  if (point->as_of) {
    query.until_position = *point->as_of;
    position = *point->as_of;
    // The index must hold everything up to as_of before it is read.
    if (Status waited = wait_for_model("timelines", position, "as_of"); !waited) return refused(waited.error());
  } else {
    if (Status waited = wait_for_model("timelines", point->min_position, "min_position"); !waited) {
      return refused(waited.error());
    }
    for (const projections::ProjectionStatus& status : runner_.status()) {
      if (status.name == "timelines") position = status.position;
    }
    query.until_position = position;  // a stable answer: nothing past the position it claims
  }
  if (query.until_position == 0) return answer(call, Json{{"entries", Json::array()}, {"next_after", nullptr}}, 0);
  auto entries = projections::read_timeline(runner_, query);
  if (!entries) return refused(entries.error());
  return answer(call, std::move(*entries), position);
}

HttpResponse Api::Impl::prices(Call& call, const std::string& sku) {
  auto point = read_point(call, {"offer"});
  if (!point) return refused(point.error());
  // A proposed promotion price in fen, the same bounds as a list price.
  constexpr std::uint64_t kMaxOffer = 1'000'000'000'000;
  std::optional<std::int64_t> offer;
  if (auto it = call.target.parameters.find("offer"); it != call.target.parameters.end()) {
    auto value = internal::parse_unsigned(it->second);
    if (!value || *value == 0 || *value > kMaxOffer) {
      return refused(Error{"invalid_parameter", "offer", "must be a price in fen from 1 to " + std::to_string(kMaxOffer)});
    }
    offer = static_cast<std::int64_t>(*value);
  }
  auto result = query_model<projections::PriceProjection>(
      "prices", *point,
      [&](const projections::PriceProjection& model) -> Result<Json> { return model.history(sku, offer); });
  if (!result) return refused(result.error());
  if (result->first.is_null()) return not_found("sku", "SKU '" + sku + "'");
  return answer(call, std::move(result->first), result->second);
}

HttpResponse Api::Impl::kpis(Call& call) {
  auto point = read_point(call, {"from", "to", "granularity", "by"});
  if (!point) return refused(point.error());
  projections::KpiQuery query;
  const auto& p = call.target.parameters;
  for (const char* field : {"from", "to"}) {
    auto it = p.find(field);
    if (it == p.end()) return refused(Error{"invalid_parameter", field, "required: an RFC 3339 time or a local day (2025-10-01)"});
    auto at = internal::parse_rfc3339(it->second);
    if (!at) at = internal::parse_local_day(it->second, options_.time_zone);
    if (!at) return refused(Error{"invalid_parameter", field, "must be an RFC 3339 time or a local day (2025-10-01)"});
    (std::string_view(field) == "from" ? query.from_us : query.to_us) = *at;
  }
  if (auto it = p.find("granularity"); it != p.end()) query.granularity = it->second;
  if (auto it = p.find("by"); it != p.end()) query.by = it->second;
  auto result = query_model<projections::KpiProjection>(
      "kpis", *point, [&](const projections::KpiProjection& model) { return model.query(query); });
  if (!result) {
    Error error = result.error();
    if (error.code == "invalid_argument") error.code = "invalid_parameter";
    return refused(error);
  }
  return answer(call, std::move(result->first), result->second);
}

HttpResponse Api::Impl::supplier_performance(Call& call, const std::string& supplier_id) {
  auto point = read_point(call, {});
  if (!point) return refused(point.error());
  auto result = query_model<projections::SupplierProjection>(
      "suppliers", *point,
      [&](const projections::SupplierProjection& model) -> Result<Json> { return model.performance(supplier_id); });
  if (!result) return refused(result.error());
  if (result->first.is_null()) return not_found("id", "supplier '" + supplier_id + "'");
  return answer(call, std::move(result->first), result->second);
}

HttpResponse Api::Impl::alerts(Call& call) {
  auto point = read_point(call, {"active", "kind"});
  if (!point) return refused(point.error());
  bool active_only = false;
  std::string kind;
  if (auto it = call.target.parameters.find("active"); it != call.target.parameters.end()) {
    if (it->second != "true" && it->second != "false") {
      return refused(Error{"invalid_parameter", "active", "must be true or false"});
    }
    active_only = it->second == "true";
  }
  if (auto it = call.target.parameters.find("kind"); it != call.target.parameters.end()) kind = it->second;
  auto result = query_model<projections::AlertProjection>(
      "alerts", *point,
      [&](const projections::AlertProjection& model) -> Result<Json> { return model.list(active_only, kind); });
  if (!result) return refused(result.error());
  return answer(call, std::move(result->first), result->second);
}

HttpResponse Api::Impl::stream(Call& call, const std::string& stream_id) {
  auto point = read_point(call, {"from_version", "limit", "direction"});
  if (!point) return refused(point.error());
  auto limit = page_limit(call);
  if (!limit) return refused(limit.error());
  if (Status waited = wait_for_store(*point); !waited) return refused(waited.error());
  const auto& p = call.target.parameters;
  store::Direction direction = store::Direction::kForward;
  if (auto it = p.find("direction"); it != p.end()) {
    if (it->second != "forward" && it->second != "backward") {
      return refused(Error{"invalid_parameter", "direction", "must be forward or backward"});
    }
    if (it->second == "backward") direction = store::Direction::kBackward;
  }
  std::uint64_t from = direction == store::Direction::kForward ? 1 : UINT64_MAX;
  if (auto it = p.find("from_version"); it != p.end()) {
    auto version = internal::parse_unsigned(it->second);
    if (!version) return refused(Error{"invalid_parameter", "from_version", "must be a stream version"});
    from = *version;
  }
  const std::uint64_t position = point->as_of.value_or(store_.head().position);
  auto records = store_.read_stream(stream_id, from, direction, *limit);
  if (!records) return refused(records.error());
  Json list = Json::array();
  std::optional<std::uint64_t> next;
  for (const store::RecordView& record : *records) {
    if (record.position() > position) continue;  // written after the point asked for
    list.push_back(projections::record_json(record));
    next = direction == store::Direction::kForward ? record.stream_version() + 1 : record.stream_version() - 1;
  }
  Json data = {{"stream", stream_id}, {"records", std::move(list)}};
  data["next_from_version"] = records->size() == *limit && next && *next > 0 ? Json(*next) : Json(nullptr);
  return answer(call, std::move(data), position);
}

HttpResponse Api::Impl::events(Call& call) {
  auto point = read_point(call, {"from", "limit"});
  if (!point) return refused(point.error());
  auto limit = page_limit(call);
  if (!limit) return refused(limit.error());
  if (Status waited = wait_for_store(*point); !waited) return refused(waited.error());
  std::uint64_t from = 1;
  if (auto it = call.target.parameters.find("from"); it != call.target.parameters.end()) {
    auto parsed = internal::parse_unsigned(it->second);
    if (!parsed || *parsed == 0) return refused(Error{"invalid_parameter", "from", "must be a position from 1"});
    from = *parsed;
  }
  const std::uint64_t position = point->as_of.value_or(store_.head().position);
  Json list = Json::array();
  std::uint64_t last = 0;
  if (from <= position) {
    const std::size_t count = static_cast<std::size_t>(std::min<std::uint64_t>(*limit, position - from + 1));
    auto records = store_.read_all(from, count);
    if (!records) return refused(records.error());
    for (const store::RecordView& record : *records) {
      list.push_back(projections::record_json(record));
      last = record.position();
    }
  }
  Json data = {{"records", std::move(list)}};
  data["next_from"] = last != 0 && last < position ? Json(last + 1) : Json(nullptr);
  return answer(call, std::move(data), position);
}

}  // namespace spine::http
