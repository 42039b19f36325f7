// decide for returns and refunds, and for spend and traffic records.
#include <set>

#include "decide_internal.h"
#include "spine/domain/rules.h"

namespace spine::domain::detail {

namespace {

Result<const OrderState*> existing_order(const std::string& order_id, const Context& ctx) {
  if (Status s = check_id(order_id, "order_id"); !s) return s.error();
  const OrderState& order = ctx.loaded.order(order_id);
  if (!order.exists) return refuse("unknown_order", "order_id", "order '" + order_id + "' does not exist");
  return &order;
}

Result<const ReturnState*> existing_return(const OrderState& order, const std::string& return_id) {
  if (Status s = check_id(return_id, "return_id"); !s) return s.error();
  auto it = order.returns.find(return_id);
  if (it == order.returns.end()) {
    return refuse("unknown_return", "return_id", "order '" + order.order_id + "' has no return '" + return_id + "'");
  }
  return &it->second;
}

std::string_view return_status_name(ReturnStatus status) {
  switch (status) {
    case ReturnStatus::kRequested: return "requested";
    case ReturnStatus::kApproved: return "approved";
    case ReturnStatus::kRejected: return "rejected";
    case ReturnStatus::kReceived: return "received";
  }
  return "unknown";
}

Error return_transition(const std::string& return_id, ReturnStatus status, std::string_view needs) {
  return refuse("invalid_transition", "return_id",
                "return '" + return_id + "' is " + std::string(return_status_name(status)) + "; this needs " + std::string(needs));
}

std::vector<std::unique_ptr<shop::LineQuantityT>> copy_lines(const std::vector<std::pair<std::string, std::int64_t>>& lines) {
  std::vector<std::unique_ptr<shop::LineQuantityT>> out;
  for (const auto& [sku, quantity] : lines) {
    auto l = std::make_unique<shop::LineQuantityT>();
    l->sku_id = sku;
    l->quantity = static_cast<std::int32_t>(quantity);
    out.push_back(std::move(l));
  }
  return out;
}

// A no-reason return (7天無理由) is asked within `no_reason_return_days` of
// delivery; an order delivered before the log recorded when is not judged.
Status check_no_reason_window(const OrderState& o, shop::ReturnReason reason, const Context& ctx) {
  if (reason != shop::ReturnReason::NoReason7Day || o.delivered_at_us == 0) return ok_status();
  constexpr std::int64_t kMicrosPerDay = 86'400'000'000LL;
  const std::int64_t days = ctx.config.rules.no_reason_return_days;
  if (ctx.now_us <= o.delivered_at_us + days * kMicrosPerDay) return ok_status();
  return refuse("return_window_closed", "reason",
                "a no-reason return must be asked within " + std::to_string(days) + " days of delivery; order '" +
                    o.order_id + "' was delivered " + std::to_string((ctx.now_us - o.delivered_at_us) / kMicrosPerDay) +
                    " days ago");
}

Result<Decision> request_return(const shop::RequestReturnT& c, const Context& ctx) {
  Result<const OrderState*> order = existing_order(c.order_id, ctx);
  if (!order) return order.error();
  const OrderState& o = **order;
  if (Status s = check_id(c.return_id, "return_id"); !s) return s.error();
  if (o.status != OrderStatus::kDelivered) {
    return refuse("invalid_transition", "order_id",
                  "order '" + o.order_id + "' is " + std::string(order_status_name(o.status)) + "; a return needs a delivered order");
  }
  if (o.returns.contains(c.return_id)) return refuse("return_exists", "return_id", "return '" + c.return_id + "' already exists");
  if (c.reason < shop::ReturnReason::MIN || c.reason > shop::ReturnReason::MAX) {
    return refuse("invalid_reason", "reason", "reason must be SizeMismatch, QualityProblem, DamagedInTransit, NotAsDescribed or NoReason7Day");
  }
  if (Status s = check_no_reason_window(o, c.reason, ctx); !s) return s.error();
  if (c.lines.empty()) return refuse("required", "lines", "a return needs at least one line");
  std::set<std::string> seen;
  for (std::size_t i = 0; i < c.lines.size(); ++i) {
    const std::string at = "lines[" + std::to_string(i) + "]";
    const shop::LineQuantityT* line = c.lines[i].get();
    if (line == nullptr) return refuse("required", at, at + " is empty");
    if (Status s = check_id(line->sku_id, at + ".sku_id"); !s) return s.error();
    if (!seen.insert(line->sku_id).second) return refuse("duplicate_line", at + ".sku_id", "SKU '" + line->sku_id + "' appears twice");
    const OrderLineState* ordered = o.find_line(line->sku_id);
    if (ordered == nullptr) return refuse("unknown_line", at + ".sku_id", "order '" + o.order_id + "' has no line for SKU '" + line->sku_id + "'");
    if (Status s = check_quantity(line->quantity, at + ".quantity", ordered->quantity); !s) return s.error();
    const std::int64_t returnable = ordered->quantity - o.returned_quantity(line->sku_id);
    if (line->quantity > returnable) {
      return refuse("return_exceeds_delivered", at + ".quantity",
                    std::to_string(returnable) + " unit(s) of SKU '" + line->sku_id + "' can still be returned; asked " +
                        std::to_string(line->quantity));
    }
  }
  Decision decision;
  shop::ReturnRequestedT requested;
  requested.order_id = c.order_id;
  requested.return_id = c.return_id;
  requested.reason = c.reason;
  for (const auto& line : c.lines) requested.lines.push_back(std::make_unique<shop::LineQuantityT>(*line));
  emit(decision, order_stream(c.order_id), std::move(requested));
  return decision;
}

__extension__ typedef __int128 Wide;  // products of fen amounts and basis points

// Splits the return shipping cost: the part for each returned line is its
// share of the returned value; a dropshipped line's part is split by its
// supplier's agreed ratio, the rest is the shop's. Integer fen, rounded down
// for the supplier.
std::int64_t supplier_share_of(std::int64_t shipping_cost, const OrderState& order, const ReturnState& r,
                               const Context& ctx) {
  Wide total_value = 0;
  for (const auto& [sku, quantity] : r.lines) {
    if (const OrderLineState* line = order.find_line(sku)) total_value += static_cast<Wide>(line->unit_price) * quantity;
  }
  if (total_value == 0) return 0;
  Wide supplier = 0;
  for (const auto& [sku, quantity] : r.lines) {
    const OrderLineState* line = order.find_line(sku);
    if (line == nullptr || line->supplier_id.empty() || line->supplier_quantity == 0) continue;
    // Units that came from the supplier, in proportion to the line's routing.
    const Wide line_value = static_cast<Wide>(line->unit_price) * quantity * line->supplier_quantity / line->quantity;
    const SupplierState& terms = ctx.loaded.supplier(line->supplier_id);
    supplier += static_cast<Wide>(shipping_cost) * line_value * terms.return_cost_share_bp / (total_value * 10000);
  }
  return static_cast<std::int64_t>(supplier);
}

Result<Decision> approve_return(const shop::ApproveReturnT& c, const Context& ctx) {
  Result<const OrderState*> order = existing_order(c.order_id, ctx);
  if (!order) return order.error();
  Result<const ReturnState*> r = existing_return(**order, c.return_id);
  if (!r) return r.error();
  if ((*r)->status != ReturnStatus::kRequested) return return_transition(c.return_id, (*r)->status, "a requested return");
  if (Status s = check_amount(c.shipping_cost, "shipping_cost", true); !s) return s.error();
  Decision decision;
  shop::ReturnApprovedT approved;
  approved.order_id = c.order_id;
  approved.return_id = c.return_id;
  approved.shipping_cost = c.shipping_cost;
  approved.supplier_share = supplier_share_of(c.shipping_cost, **order, **r, ctx);
  approved.shop_share = c.shipping_cost - approved.supplier_share;
  emit(decision, order_stream(c.order_id), std::move(approved));
  return decision;
}

Result<Decision> reject_return(const shop::RejectReturnT& c, const Context& ctx) {
  Result<const OrderState*> order = existing_order(c.order_id, ctx);
  if (!order) return order.error();
  Result<const ReturnState*> r = existing_return(**order, c.return_id);
  if (!r) return r.error();
  if ((*r)->status != ReturnStatus::kRequested) return return_transition(c.return_id, (*r)->status, "a requested return");
  if (Status s = check_text(c.reason, "reason", 1024, true); !s) return s.error();
  Decision decision;
  shop::ReturnRejectedT rejected;
  rejected.order_id = c.order_id;
  rejected.return_id = c.return_id;
  rejected.reason = c.reason;
  emit(decision, order_stream(c.order_id), std::move(rejected));
  return decision;
}

Result<Decision> receive_return(const shop::ReceiveReturnT& c, const Context& ctx) {
  Result<const OrderState*> order = existing_order(c.order_id, ctx);
  if (!order) return order.error();
  Result<const ReturnState*> r = existing_return(**order, c.return_id);
  if (!r) return r.error();
  if ((*r)->status != ReturnStatus::kApproved) return return_transition(c.return_id, (*r)->status, "an approved return");
  if (Status s = check_id(c.warehouse_id, "warehouse_id"); !s) return s.error();
  const WarehouseState& warehouse = ctx.loaded.warehouse(c.warehouse_id);
  if (!warehouse.exists) return refuse("unknown_warehouse", "warehouse_id", "warehouse '" + c.warehouse_id + "' is not registered");
  if (c.condition < shop::ReturnCondition::MIN || c.condition > shop::ReturnCondition::MAX) {
    return refuse("invalid_condition", "condition", "condition must be Resellable or Damaged");
  }
  Decision decision;
  shop::ReturnReceivedT received;
  received.order_id = c.order_id;
  received.return_id = c.return_id;
  received.warehouse_id = c.warehouse_id;
  received.condition = c.condition;
  received.lines = copy_lines((*r)->lines);
  emit(decision, order_stream(c.order_id), std::move(received));
  if (c.condition == shop::ReturnCondition::Resellable) {  // damaged units are written off
    for (const auto& [sku, quantity] : (*r)->lines) {
      shop::StockRestockedT restocked;
      restocked.order_id = c.order_id;
      restocked.return_id = c.return_id;
      restocked.sku_id = sku;
      restocked.warehouse_id = c.warehouse_id;
      restocked.region = warehouse.region;
      restocked.quantity = static_cast<std::int32_t>(quantity);
      emit(decision, stock_stream(sku), std::move(restocked));
    }
  }
  return decision;
}

Result<Decision> issue_refund(const shop::IssueRefundT& c, const Context& ctx) {
  Result<const OrderState*> order = existing_order(c.order_id, ctx);
  if (!order) return order.error();
  const OrderState& o = **order;
  if (Status s = check_id(c.refund_id, "refund_id"); !s) return s.error();
  if (o.refund_ids.contains(c.refund_id)) return refuse("refund_exists", "refund_id", "refund '" + c.refund_id + "' already exists");
  if (o.paid == 0) return refuse("not_paid", "order_id", "order '" + o.order_id + "' has not been paid; there is nothing to refund");
  if (Status s = check_amount(c.amount, "amount", false); !s) return s.error();
  if (o.refunded + c.amount > o.paid) {
    Error error = refuse("refund_exceeds_paid", "amount",
                         "paid " + std::to_string(o.paid) + " fen, refunded " + std::to_string(o.refunded) +
                             " fen; at most " + std::to_string(o.paid - o.refunded) + " fen more can be refunded");
    error.details.push_back({o.order_id, c.amount, o.paid - o.refunded});
    return error;
  }
  if (!c.return_id.empty()) {
    Result<const ReturnState*> r = existing_return(o, c.return_id);
    if (!r) return r.error();
    if ((*r)->status != ReturnStatus::kApproved && (*r)->status != ReturnStatus::kReceived) {
      return return_transition(c.return_id, (*r)->status, "an approved or received return");
    }
  }
  if (Status s = check_text(c.reason, "reason", 1024, false); !s) return s.error();
  Decision decision;
  shop::RefundIssuedT refund;
  refund.order_id = c.order_id;
  refund.refund_id = c.refund_id;
  refund.return_id = c.return_id;
  refund.amount = c.amount;
  refund.reason = c.reason;
  emit(decision, order_stream(c.order_id), std::move(refund));
  return decision;
}

bool valid_day(const std::string& day) {
  if (day.size() != 10 || day[4] != '-' || day[7] != '-') return false;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (day[i] < '0' || day[i] > '9') return false;
  }
  const int year = std::stoi(day.substr(0, 4)), month = std::stoi(day.substr(5, 2)), d = std::stoi(day.substr(8, 2));
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (year < 2000 || month < 1 || month > 12 || d < 1 || d > kDays[month - 1]) return false;
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return !(month == 2 && d == 29 && !leap);
}

Result<Decision> record_spend(const shop::RecordSpendT& c, const Context& ctx) {
  if (c.channel < shop::Channel::MIN || c.channel > shop::Channel::MAX) return refuse("invalid_channel", "channel", "unknown sales channel");
  if (!c.sku_id.empty()) {
    if (Status s = check_listed_sku(c.sku_id, ctx); !s) return s.error();
  }
  if (!valid_day(c.day)) return refuse("invalid_day", "day", "day must be a calendar date YYYY-MM-DD");
  if (c.kind < shop::SpendKind::MIN || c.kind > shop::SpendKind::MAX) return refuse("invalid_kind", "kind", "kind must be Ads, Promotion or LivestreamFee");
  if (Status s = check_amount(c.amount, "amount", false); !s) return s.error();
  Decision decision;
  shop::SpendRecordedT spend;
  spend.channel = c.channel;
  spend.sku_id = c.sku_id;
  spend.day = c.day;
  spend.kind = c.kind;
  spend.amount = c.amount;
  emit(decision, marketing_stream(shop::EnumNameChannel(c.channel)), std::move(spend));
  return decision;
}

Result<Decision> record_traffic(const shop::RecordTrafficT& c, const Context& ctx) {
  if (c.channel < shop::Channel::MIN || c.channel > shop::Channel::MAX) return refuse("invalid_channel", "channel", "unknown sales channel");
  if (Status s = check_listed_sku(c.sku_id, ctx); !s) return s.error();
  if (c.period_start <= 0 || c.period_end <= c.period_start) {
    return refuse("invalid_period", "period_end", "the period needs 0 < period_start < period_end (UTC microseconds)");
  }
  const std::pair<const char*, std::int64_t> counts[] = {{"impressions", c.impressions}, {"clicks", c.clicks},
                                                         {"visitors", c.visitors},       {"page_views", c.page_views},
                                                         {"add_to_carts", c.add_to_carts}};
  for (const auto& [name, value] : counts) {
    if (value < 0 || value > 1'000'000'000'000) return refuse("invalid_count", name, std::string(name) + " must be 0 to 10^12");
  }
  if (c.clicks > c.impressions) return refuse("funnel_inconsistent", "clicks", "clicks may not exceed impressions");
  if (c.visitors > c.page_views) return refuse("funnel_inconsistent", "visitors", "visitors (UV) may not exceed page views (PV)");
  Decision decision;
  shop::TrafficRecordedT traffic;
  traffic.channel = c.channel;
  traffic.sku_id = c.sku_id;
  traffic.period_start = c.period_start;
  traffic.period_end = c.period_end;
  traffic.impressions = c.impressions;
  traffic.clicks = c.clicks;
  traffic.visitors = c.visitors;
  traffic.page_views = c.page_views;
  traffic.add_to_carts = c.add_to_carts;
  emit(decision, marketing_stream(shop::EnumNameChannel(c.channel)), std::move(traffic));
  return decision;
}

}  // namespace

Result<Decision> decide_returns(const shop::CommandBodyUnion& command, const Context& ctx) {
  using shop::CommandBody;
  switch (command.type) {
    case CommandBody::RequestReturn: return request_return(*command.AsRequestReturn(), ctx);
    case CommandBody::ApproveReturn: return approve_return(*command.AsApproveReturn(), ctx);
    case CommandBody::RejectReturn: return reject_return(*command.AsRejectReturn(), ctx);
    case CommandBody::ReceiveReturn: return receive_return(*command.AsReceiveReturn(), ctx);
    case CommandBody::IssueRefund: return issue_refund(*command.AsIssueRefund(), ctx);
    case CommandBody::RecordSpend: return record_spend(*command.AsRecordSpend(), ctx);
    case CommandBody::RecordTraffic: return record_traffic(*command.AsRecordTraffic(), ctx);
    default: break;
  }
  return refuse("unknown_command", "command", "not a returns, spend or traffic command");
}

}  // namespace spine::domain::detail
