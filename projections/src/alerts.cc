#include "spine/projections/alerts.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "calendar.h"
#include "roi_window.h"
#include "rows.h"
#include "supplier_terms.h"
#include "stock_book.h"

namespace spine::projections {

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Alert, kind, subject, detail, price, cost, raised_at_us, cleared_at_us,
                                   raised_position, cleared_position)

namespace internal {
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(ForwardTally, shipped, shipped_in_time, overdue_open)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(ReturnTally, returned, written_off)
void append_json(JsonText& out, const ReturnTally& tally) {
  out.begin_object();
  out.key("returned"), out.value(tally.returned);
  out.key("written_off"), out.value(tally.written_off);
  out.end_object();
}
void append_json(JsonText& out, const ForwardTally& tally) {
  out.begin_object();
  out.key("overdue_open"), out.value(tally.overdue_open);
  out.key("shipped"), out.value(tally.shipped);
  out.key("shipped_in_time"), out.value(tally.shipped_in_time);
  out.end_object();
}
// The rows without a DOM (rows.h, row_text): members sorted by name.
void append_json(JsonText& out, const Alert& alert) {
  out.begin_object();
  out.key("cleared_at_us"), out.value(alert.cleared_at_us);
  out.key("cleared_position"), out.value(alert.cleared_position);
  out.key("cost"), out.value(alert.cost);
  out.key("detail"), out.value(std::string_view(alert.detail));
  out.key("kind"), out.value(std::string_view(alert.kind));
  out.key("price"), out.value(alert.price);
  out.key("raised_at_us"), out.value(alert.raised_at_us);
  out.key("raised_position"), out.value(alert.raised_position);
  out.key("subject"), out.value(std::string_view(alert.subject));
  out.end_object();
}
}  // namespace internal

namespace {

constexpr std::int64_t kMicrosPerMinute = 60'000'000;

}  // namespace

AlertProjection::AlertProjection(const domain::Config& config)
    : config_(config),
      book_(std::make_unique<internal::StockBook>(internal::Calendar{config.time_zone}, config)),
      alerts_(std::make_unique<internal::TrackedTable<Alert>>()),
      active_(std::make_unique<internal::TrackedTable<std::string>>()),
      deadlines_(std::make_unique<internal::TrackedTable<std::int64_t>>()),
      actor_changes_(std::make_unique<internal::TrackedTable<std::vector<std::pair<std::string, std::int64_t>>>>()),
      roi_(std::make_unique<internal::TrackedTable<internal::RoiWindow>>()),
      orders_(std::make_unique<internal::TrackedTable<internal::OrderLines>>()),
      forwards_(std::make_unique<internal::TrackedTable<std::int64_t>>()),
      ship_rates_(std::make_unique<internal::TrackedTable<internal::ForwardTally>>()),
      return_losses_(std::make_unique<internal::TrackedTable<internal::ReturnTally>>()),
      unshipped_(std::make_unique<internal::TrackedTable<std::vector<std::string>>>()),
      ladders_(std::make_unique<internal::TrackedTable<std::vector<std::pair<std::string, std::int64_t>>>>()) {}

AlertProjection::~AlertProjection() = default;

std::unique_ptr<Projection> AlertProjection::fresh() const { return std::make_unique<AlertProjection>(config_); }

const std::string& AlertProjection::alert_id(std::string_view kind, std::string_view subject) {
  id_.assign(kind).append("/").append(subject);
  return id_;
}

bool AlertProjection::active(std::string_view kind, std::string_view subject) {
  return active_->contains(alert_id(kind, subject));
}

void AlertProjection::raise(std::string_view kind, std::string_view subject, std::int64_t at_us,
                            std::uint64_t position, std::string detail, std::int64_t price, std::int64_t cost) {
  const std::string& id = alert_id(kind, subject);
  if (active_->contains(id)) return;
  std::string key = id + "/" + internal::position_key(position);
  Alert& alert = alerts_->write(key);
  alert = Alert{};
  alert.kind = kind;
  alert.subject = subject;
  alert.detail = std::move(detail);
  alert.price = price;
  alert.cost = cost;
  alert.raised_at_us = at_us;
  alert.raised_position = position;
  active_->write(id) = std::move(key);
}

void AlertProjection::clear(std::string_view kind, std::string_view subject, std::int64_t at_us,
                            std::uint64_t position) {
  const std::string& id = alert_id(kind, subject);
  const std::string* key = active_->find(id);
  if (key == nullptr) return;
  Alert& alert = alerts_->write(*key);
  alert.cleared_at_us = std::max(at_us, alert.raised_at_us);
  alert.cleared_position = position;
  active_->erase(id);
}

void AlertProjection::arm(std::string_view kind, std::string_view subject, std::int64_t deadline_us) {
  disarm(kind, subject);
  const std::string& id = alert_id(kind, subject);
  deadlines_->write(id) = deadline_us;
  due_.emplace(deadline_us, id);
}

void AlertProjection::disarm(std::string_view kind, std::string_view subject) {
  const std::string& id = alert_id(kind, subject);
  const std::int64_t* deadline = deadlines_->find(id);
  if (deadline == nullptr) return;
  due_.erase({*deadline, id});
  deadlines_->erase(id);
}

std::vector<domain::Deadline> AlertProjection::due_deadlines(std::int64_t now_us, std::size_t limit) const {
  std::vector<domain::Deadline> due;
  for (const auto& [deadline, id] : due_) {
    if (deadline > now_us || due.size() >= limit) break;
    const std::size_t slash = id.find('/');
    due.push_back({id.substr(0, slash), id.substr(slash + 1), deadline});
  }
  return due;
}

// A deadline fell due: raises its alert (or, for a bulk price change, clears
// it), at the deadline's time. Acts only on the deadline armed now: one met
// (the forward shipped) or re-armed (a newer report) was disarmed.
void AlertProjection::deadline_passed(const shop::DeadlinePassedT& e, std::uint64_t position) {
  const std::int64_t* armed = deadlines_->find(alert_id(e.kind, e.subject));
  if (armed == nullptr || *armed != e.due_at) return;
  disarm(e.kind, e.subject);
  if (e.kind == domain::kBulkPriceChangeWindow) {
    clear(e.kind, e.subject, e.due_at, position);
    actor_changes_->erase(e.subject);
  } else if (e.kind == domain::kSupplierNotShipped) {
    raise(e.kind, e.subject, e.due_at, position, "not shipped within the agreed hours of the forward");
    forward_overdue(e.subject, e.due_at, position);
  } else if (e.kind == domain::kOwnNotShipped) {
    raise(e.kind, e.subject, e.due_at, position,
          "not shipped within " + std::to_string(config_.rules.own_ship_within_hours) + " hours of payment");
  } else if (e.kind == domain::kStaleSupplierStock) {
    const internal::SkuLevels* levels = book_->find(e.subject);
    if (levels != nullptr && !book_->listed(*levels)) return;  // not on sale: its feed may rest
    const bool never = levels == nullptr || levels->stock.supplier_reported_at_us == 0;
    raise(e.kind, e.subject, e.due_at, position,
          never ? "no supplier stock report since the SKU was listed"
                : "no supplier stock report for over " + std::to_string(config_.rules.supplier_stale_minutes) +
                      " minutes");
  }
}

void AlertProjection::check_stock(const std::string& sku, const EventContext& context) {
  const internal::SkuLevels* levels = book_->find(sku);
  if (levels == nullptr || !levels->stock.exists) return;
  const internal::StockFigures f = book_->figures(*levels, clock_us_);
  if (!f.listed || f.status == "ok") {  // a delisted SKU raises no stock alert
    clear("low_stock", sku, context.occurred_at_us(), context.position());
  } else if (!active("low_stock", sku)) {  // the detail is built only for a new alert
    raise("low_stock", sku, context.occurred_at_us(), context.position(),
          f.status + ": sellable " + std::to_string(f.sellable()) + " below threshold " + std::to_string(f.alert_threshold));
  }
}

namespace {
// `subject` is "order:supplier".
std::string supplier_of(const std::string& subject) { return subject.substr(subject.rfind(':') + 1); }
}  // namespace

void AlertProjection::check_ship_rate(const std::string& supplier, std::int64_t at_us, std::uint64_t position) {
  const internal::ForwardTally* tally = ship_rates_->find(supplier);
  if (tally == nullptr || tally->meets(config_.rules.min_supplier_ship_rate)) {
    clear("supplier_ship_rate_below_target", supplier, at_us, position);
    return;
  }
  if (active("supplier_ship_rate_below_target", supplier)) return;
  raise("supplier_ship_rate_below_target", supplier, at_us, position,
        std::to_string(tally->shipped_in_time) + " of " + std::to_string(tally->due()) +
            " due forwards shipped within the agreed hours, below " +
            std::to_string(static_cast<int>(config_.rules.min_supplier_ship_rate * 100 + 0.5)) + " %");
}

// A forward still open past its deadline now counts as due, and late.
void AlertProjection::forward_overdue(const std::string& subject, std::int64_t at_us, std::uint64_t position) {
  if (!forwards_->contains(subject)) return;
  const std::string supplier = supplier_of(subject);
  ++ship_rates_->write(supplier).overdue_open;
  check_ship_rate(supplier, at_us, position);
}

// A forward shipped: in time when within the agreed hours of the forward.
void AlertProjection::forward_shipped(const std::string& subject, std::int64_t at_us, std::uint64_t position) {
  const std::int64_t* forwarded_at = forwards_->find(subject);
  if (forwarded_at == nullptr) return;  // shipped without a forward: nothing to time
  const std::string supplier = supplier_of(subject);
  internal::ForwardTally& tally = ship_rates_->write(supplier);
  if (active("supplier_not_shipped", subject)) --tally.overdue_open;
  ++tally.shipped;
  if (internal::shipped_in_time(at_us - *forwarded_at, book_->ship_within_hours(supplier))) ++tally.shipped_in_time;
  forwards_->erase(subject);
  check_ship_rate(supplier, at_us, position);
}

// Returned units of dropship SKUs count for their supplier; those received
// damaged are written off.
void AlertProjection::return_received(const shop::ReturnReceivedT& e, std::int64_t at_us, std::uint64_t position) {
  std::set<std::string> suppliers;
  for (const auto& line : e.lines) {
    const internal::SkuLevels* levels = book_->find(line->sku_id);
    if (levels == nullptr || levels->stock.supplier_id.empty()) continue;
    internal::ReturnTally& tally = return_losses_->write(levels->stock.supplier_id);
    tally.returned += line->quantity;
    if (e.condition == shop::ReturnCondition::Damaged) tally.written_off += line->quantity;
    suppliers.insert(levels->stock.supplier_id);
  }
  for (const std::string& supplier : suppliers) {
    const internal::ReturnTally& tally = *return_losses_->find(supplier);
    if (tally.within(config_.rules.max_return_loss_rate)) {
      clear("supplier_return_loss_above_limit", supplier, at_us, position);
    } else if (!active("supplier_return_loss_above_limit", supplier)) {
      raise("supplier_return_loss_above_limit", supplier, at_us, position,
            std::to_string(tally.written_off) + " of " + std::to_string(tally.returned) +
                " returned units written off, above " +
                std::to_string(static_cast<int>(config_.rules.max_return_loss_rate * 100 + 0.5)) + " %");
    }
  }
}

// Keeps `actor`'s price changes of the trailing `window` (SKU, time) and
// returns how many distinct SKUs they touched: changing one SKU's price many
// times is not a bulk change.
std::size_t AlertProjection::record_price_change(const std::string& actor, const std::string& sku, std::int64_t at_us,
                                                 std::int64_t window_us) {
  auto& changes = actor_changes_->write(actor);
  changes.emplace_back(sku, at_us);
  std::erase_if(changes, [&](const auto& change) { return change.second <= at_us - window_us; });
  std::set<std::string_view> distinct;
  for (const auto& change : changes) distinct.insert(change.first);
  return distinct.size();
}

void AlertProjection::order_placed(const shop::OrderPlacedT& e) {
  internal::OrderLines& order = orders_->write(e.order_id);
  order.channel = shop::EnumNameChannel(e.channel);
  order.lines.clear();
  std::vector<std::string> warehouses;
  for (const auto& line : e.lines) {
    order.lines.emplace_back(line->sku_id, line->unit_price * line->quantity - line->discount);
    for (const auto& allocation : line->allocations) {
      if (allocation->kind != shop::SourceKind::Warehouse) continue;
      if (std::find(warehouses.begin(), warehouses.end(), allocation->source_id) == warehouses.end()) {
        warehouses.push_back(allocation->source_id);
      }
    }
  }
  if (!warehouses.empty()) unshipped_->write(e.order_id) = std::move(warehouses);
}

// Paid: ROI counts the sale, and each own warehouse of the order has
// `own_ship_within_hours` to ship.
void AlertProjection::order_paid(const std::string& order_id, const EventContext& context) {
  if (const internal::OrderLines* order = orders_->find(order_id)) roi_paid(*order, context);
  if (const auto* warehouses = unshipped_->find(order_id)) {
    const std::int64_t due = context.occurred_at_us() +
                             std::int64_t{config_.rules.own_ship_within_hours} * internal::kMicrosPerHour;
    for (const std::string& warehouse : *warehouses) arm(domain::kOwnNotShipped, order_id + ":" + warehouse, due);
  }
}

// A cancelled order has nothing left to ship: its deadlines go, its alerts clear.
void AlertProjection::order_cancelled(const std::string& order_id, std::int64_t at_us, std::uint64_t position) {
  if (const auto* warehouses = unshipped_->find(order_id)) {
    for (const std::string& warehouse : std::vector<std::string>(*warehouses)) {
      disarm(domain::kOwnNotShipped, order_id + ":" + warehouse);
      clear(domain::kOwnNotShipped, order_id + ":" + warehouse, at_us, position);
    }
    unshipped_->erase(order_id);
  }
  const internal::OrderLines* order = orders_->find(order_id);
  if (order == nullptr) return;
  std::set<std::string> forwarded;  // "order:supplier" of the order's dropship lines
  for (const auto& line : order->lines) {
    const internal::SkuLevels* levels = book_->find(line.first);
    if (levels == nullptr || levels->stock.supplier_id.empty()) continue;
    const std::string subject = order_id + ":" + levels->stock.supplier_id;
    if (forwards_->contains(subject)) forwarded.insert(subject);
  }
  for (const std::string& subject : forwarded) {
    if (active(domain::kSupplierNotShipped, subject)) {  // it counted as due and late while open
      const std::string supplier = supplier_of(subject);
      --ship_rates_->write(supplier).overdue_open;
      check_ship_rate(supplier, at_us, position);
    }
    disarm(domain::kSupplierNotShipped, subject);
    clear(domain::kSupplierNotShipped, subject, at_us, position);
    forwards_->erase(subject);
  }
}

void AlertProjection::order_shipped(const shop::OrderShippedT& e, std::int64_t at_us, std::uint64_t position) {
  const std::string subject = e.order_id + ":" + e.source_id;
  if (e.kind == shop::SourceKind::Supplier) {
    forward_shipped(subject, at_us, position);
    disarm(domain::kSupplierNotShipped, subject);
    clear(domain::kSupplierNotShipped, subject, at_us, position);
    return;
  }
  disarm(domain::kOwnNotShipped, subject);
  clear(domain::kOwnNotShipped, subject, at_us, position);
  if (const auto* warehouses = unshipped_->find(e.order_id)) {
    std::vector<std::string> left = *warehouses;
    std::erase(left, e.source_id);
    if (left.empty()) {
      unshipped_->erase(e.order_id);
    } else {
      unshipped_->write(e.order_id) = std::move(left);
    }
  }
}

// Delisted: the product's SKUs raise no stock alerts (check_stock clears
// low_stock) and their stale supplier stock clears. Relisted: a dropship SKU
// has `supplier_stale_minutes` from its last report, or from now if that is
// already past, to report again.
void AlertProjection::listing_changed(bool relisted, const EventContext& context) {
  const std::string& product = relisted ? context.event->AsProductRelisted()->product_id
                                        : context.event->AsProductDelisted()->product_id;
  const std::int64_t at = context.occurred_at_us();
  const std::int64_t stale_after = std::int64_t{config_.rules.supplier_stale_minutes} * kMicrosPerMinute;
  for (const auto& [sku, levels] : book_->skus()) {
    if (levels->stock.product_id != product || levels->stock.supplier_id.empty()) continue;
    const std::string id(sku);
    if (!relisted) {
      clear(domain::kStaleSupplierStock, id, at, context.position());
    } else {
      const std::int64_t reported = levels->stock.supplier_reported_at_us;
      arm(domain::kStaleSupplierStock, id, std::max(at, (reported == 0 ? at : reported) + stale_after));
    }
  }
}

Status AlertProjection::apply(const EventContext& context) {
  if (context.event == nullptr) return *context.decode_error;
  const shop::EventBodyUnion& event = *context.event;
  const std::int64_t at = context.occurred_at_us();
  const std::uint64_t position = context.position();
  clock_us_ = std::max(clock_us_, at);
  const std::int64_t stale_after = std::int64_t{config_.rules.supplier_stale_minutes} * kMicrosPerMinute;
  if (internal::StockBook::concerns(event)) {
    // Most events move one SKU: a product is judged once however many of its SKUs moved.
    std::vector<const std::string*> products;
    for (const std::string& sku : book_->apply(event, at)) {
      check_stock(sku, context);
      const internal::SkuLevels* levels = book_->find(sku);
      if (levels == nullptr) continue;
      const std::string& product = levels->stock.product_id;
      if (std::none_of(products.begin(), products.end(), [&](const std::string* p) { return *p == product; })) {
        products.push_back(&product);
      }
    }
    for (const std::string* product : products) check_cheapest(*product, context);
    if (event.type == shop::EventBody::SupplierStockSynced) {
      const auto& e = *event.AsSupplierStockSynced();
      clear(domain::kStaleSupplierStock, e.sku_id, at, position);
      arm(domain::kStaleSupplierStock, e.sku_id, e.reported_at + stale_after);
    } else if (event.type == shop::EventBody::SkuListed && !event.AsSkuListed()->supplier_id.empty()) {
      // A dropship SKU that never reports goes stale as one that stopped.
      arm(domain::kStaleSupplierStock, event.AsSkuListed()->sku_id, at + stale_after);
    } else if (event.type == shop::EventBody::ProductDelisted || event.type == shop::EventBody::ProductRelisted) {
      listing_changed(event.type == shop::EventBody::ProductRelisted, context);
    }
  }
  switch (event.type) {
    case shop::EventBody::ProductListed: ladder_listed(*event.AsProductListed(), context); break;
    case shop::EventBody::PriceChanged: {
      const auto& e = *event.AsPriceChanged();
      ladder_price_changed(e, context);
      if (e.below_cost) {
        const internal::SkuLevels* levels = book_->find(e.sku_id);
        raise("price_below_cost", e.sku_id, at, position, "price changed below cost (" + e.reason + ")", e.new_price,
              levels == nullptr ? 0 : levels->stock.cost_price);
      } else {
        clear("price_below_cost", e.sku_id, at, position);
      }
      const std::string actor(context.record.actor());
      const std::int64_t window = std::int64_t{config_.rules.bulk_price_change_minutes} * kMicrosPerMinute;
      const std::size_t skus = record_price_change(actor, e.sku_id, at, window);
      if (skus > static_cast<std::size_t>(config_.rules.bulk_price_change_skus)) {
        raise("bulk_price_change", actor, at, position,
              std::to_string(skus) + " SKUs' prices changed within " +
                  std::to_string(config_.rules.bulk_price_change_minutes) + " minutes");
      }
      // Cleared once the actor has changed no price for a whole window.
      if (active("bulk_price_change", actor)) arm(domain::kBulkPriceChangeWindow, actor, at + window);
      break;
    }
    case shop::EventBody::OrderPlaced: order_placed(*event.AsOrderPlaced()); break;
    case shop::EventBody::OrderPaid: order_paid(event.AsOrderPaid()->order_id, context); break;
    case shop::EventBody::OrderCancelled: order_cancelled(event.AsOrderCancelled()->order_id, at, position); break;
    case shop::EventBody::RefundIssued: {
      const auto& e = *event.AsRefundIssued();
      if (const internal::OrderLines* order = orders_->find(e.order_id)) roi_refunded(*order, e.amount, context);
      break;
    }
    case shop::EventBody::SpendRecorded: roi_spent(*event.AsSpendRecorded(), context); break;
    case shop::EventBody::ReturnReceived: return_received(*event.AsReturnReceived(), at, position); break;
    case shop::EventBody::DropshipForwarded: {
      const auto& e = *event.AsDropshipForwarded();
      forwards_->write(e.order_id + ":" + e.supplier_id) = at;
      arm(domain::kSupplierNotShipped, e.order_id + ":" + e.supplier_id,
          at + std::int64_t{book_->ship_within_hours(e.supplier_id)} * internal::kMicrosPerHour);
      break;
    }
    case shop::EventBody::OrderShipped: order_shipped(*event.AsOrderShipped(), at, position); break;
    case shop::EventBody::DeadlinePassed: deadline_passed(*event.AsDeadlinePassed(), position); break;
    default: break;
  }
  return ok_status();
}

// Rows: alert/<kind>/<subject>/<position>, active/<kind>/<subject>,
// due/<kind>/<subject>, actor/<id>, roi/<sku | channel:name>, order/<id>, forward/<order:supplier>,
// ship_rate/<supplier>, return_loss/<supplier>, unshipped/<order>, ladder/<product>, book/..., clock.
void AlertProjection::take_changed_rows(RowSink& sink) {
  alerts_->flush("alert/", sink);
  active_->flush("active/", sink);
  deadlines_->flush("due/", sink);
  actor_changes_->flush("actor/", sink);
  roi_->flush("roi/", sink);
  orders_->flush("order/", sink);
  forwards_->flush("forward/", sink);
  ship_rates_->flush("ship_rate/", sink);
  return_losses_->flush("return_loss/", sink);
  unshipped_->flush("unshipped/", sink);
  ladders_->flush("ladder/", sink);
  book_->flush("book/", sink);
  sink.put("clock", std::to_string(clock_us_));
}

void AlertProjection::write_all_rows(RowSink& sink) const {
  alerts_->write_all("alert/", sink);
  active_->write_all("active/", sink);
  deadlines_->write_all("due/", sink);
  actor_changes_->write_all("actor/", sink);
  roi_->write_all("roi/", sink);
  orders_->write_all("order/", sink);
  forwards_->write_all("forward/", sink);
  ship_rates_->write_all("ship_rate/", sink);
  return_losses_->write_all("return_loss/", sink);
  unshipped_->write_all("unshipped/", sink);
  ladders_->write_all("ladder/", sink);
  book_->write_all("book/", sink);
  sink.put("clock", std::to_string(clock_us_));
}

Status AlertProjection::load_row(std::string_view key, std::string_view value) {
  return internal::load_guarded(key, [&] {
    const std::size_t slash = key.find('/');
    const std::string_view table = key.substr(0, slash);
    const std::string_view id = slash == std::string_view::npos ? std::string_view{} : key.substr(slash + 1);
    if (table == "alert") {
      alerts_->load(id, value);
    } else if (table == "active") {
      active_->load(id, value);
    } else if (table == "due") {
      // A row loaded again (as-of loads snapshot deltas in order) replaces
      // the deadline it had, or erases it.
      if (const std::int64_t* before = deadlines_->find(id)) due_.erase({*before, std::string(id)});
      deadlines_->load(id, value);
      if (const std::int64_t* deadline = deadlines_->find(id)) due_.emplace(*deadline, std::string(id));
    } else if (table == "actor") {
      actor_changes_->load(id, value);
    } else if (table == "roi") {
      roi_->load(id, value);
    } else if (table == "order") {
      orders_->load(id, value);
    } else if (table == "forward") {
      forwards_->load(id, value);
    } else if (table == "ship_rate") {
      ship_rates_->load(id, value);
    } else if (table == "return_loss") {
      return_losses_->load(id, value);
    } else if (table == "unshipped") {
      unshipped_->load(id, value);
    } else if (table == "ladder") {
      ladders_->load(id, value);
    } else if (table == "book") {
      return book_->load(id, value);
    } else if (table == "clock") {
      clock_us_ = std::stoll(std::string(value));
    } else {
      return false;
    }
    return true;
  });
}

nlohmann::json AlertProjection::list(bool active_only, std::string_view kind) const {
  std::vector<const Alert*> selected;
  alerts_->for_each([&](std::string_view, const Alert& alert) {
    if (active_only && alert.cleared_position != 0) return;
    if (!kind.empty() && alert.kind != kind) return;
    selected.push_back(&alert);
  });
  std::sort(selected.begin(), selected.end(), [](const Alert* a, const Alert* b) {
    return std::tie(a->raised_position, a->kind, a->subject) < std::tie(b->raised_position, b->kind, b->subject);
  });
  nlohmann::json out = nlohmann::json::array();
  for (const Alert* alert : selected) {
    nlohmann::json row = {{"kind", alert->kind},
                          {"subject", alert->subject},
                          {"detail", alert->detail},
                          {"raised_at", internal::format_time(alert->raised_at_us)},
                          {"raised_position", alert->raised_position},
                          {"active", alert->cleared_position == 0}};
    if (alert->kind == "price_below_cost") {
      row["price"] = alert->price;
      row["cost"] = alert->cost;  // masked for roles that may not see costs
    }
    row["cleared_at"] = alert->cleared_position == 0 ? nlohmann::json(nullptr) : nlohmann::json(internal::format_time(alert->cleared_at_us));
    row["cleared_position"] = alert->cleared_position == 0 ? nlohmann::json(nullptr) : nlohmann::json(alert->cleared_position);
    out.push_back(std::move(row));
  }
  return out;
}

}  // namespace spine::projections
