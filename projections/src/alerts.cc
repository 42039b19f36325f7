#include "spine/projections/alerts.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "allocate.h"
#include "calendar.h"
#include "rows.h"
#include "stock_book.h"

namespace spine::projections {

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Alert, kind, subject, detail, raised_at_us, cleared_at_us, raised_position,
                                   cleared_position)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(RoiFigures, sales, refunds, spend)

namespace {

constexpr std::int64_t kMicrosPerMinute = 60'000'000;

std::string hex16(std::uint64_t position) {
  char text[17];
  std::snprintf(text, sizeof text, "%016" PRIx64, position);
  return text;
}

}  // namespace

AlertProjection::AlertProjection(const domain::Config& config, const ReadModelOptions& options)
    : config_(config),
      options_(options),
      book_(std::make_unique<internal::StockBook>(internal::Calendar{options.utc_offset_minutes}, config.rules,
                                                  options.default_lead_time_days)) {}

AlertProjection::~AlertProjection() = default;

std::unique_ptr<Projection> AlertProjection::fresh() const { return std::make_unique<AlertProjection>(config_, options_); }

void AlertProjection::raise(const std::string& kind, const std::string& subject, std::int64_t at_us,
                            std::uint64_t position, std::string detail) {
  const std::string id = kind + "/" + subject;
  if (active_.contains(id)) return;
  const std::string key = id + "/" + hex16(position);
  alerts_[key] = Alert{kind, subject, std::move(detail), at_us, 0, position, 0};
  active_[id] = key;
  changed_.insert("alert/" + key);
  changed_.insert("active/" + id);
}

void AlertProjection::clear(const std::string& kind, const std::string& subject, std::int64_t at_us,
                            std::uint64_t position) {
  const std::string id = kind + "/" + subject;
  auto active = active_.find(id);
  if (active == active_.end()) return;
  Alert& alert = alerts_.at(active->second);
  alert.cleared_at_us = std::max(at_us, alert.raised_at_us);
  alert.cleared_position = position;
  changed_.insert("alert/" + active->second);
  changed_.insert("active/" + id);
  active_.erase(active);
}

void AlertProjection::arm(const std::string& kind, const std::string& subject, std::int64_t deadline_us) {
  disarm(kind, subject);
  const std::string id = kind + "/" + subject;
  deadlines_[id] = deadline_us;
  due_.emplace(deadline_us, id);
  changed_.insert("due/" + id);
}

void AlertProjection::disarm(const std::string& kind, const std::string& subject) {
  const std::string id = kind + "/" + subject;
  auto found = deadlines_.find(id);
  if (found == deadlines_.end()) return;
  due_.erase({found->second, id});
  deadlines_.erase(found);
  changed_.insert("due/" + id);
}

// Raises (or, for bulk price changes, clears) every deadline the clock passed.
void AlertProjection::advance_clock(std::int64_t at_us, std::uint64_t position) {
  if (at_us <= clock_us_) return;
  clock_us_ = at_us;
  changed_.insert("clock");
  while (!due_.empty() && due_.begin()->first < clock_us_) {
    const auto [deadline, id] = *due_.begin();
    due_.erase(due_.begin());
    deadlines_.erase(id);
    changed_.insert("due/" + id);
    const std::size_t slash = id.find('/');
    const std::string kind = id.substr(0, slash), subject = id.substr(slash + 1);
    if (kind == "bulk_price_change") {
      clear(kind, subject, deadline, position);
      actor_changes_.erase(subject);
      changed_.insert("actor/" + subject);
    } else if (kind == "supplier_not_shipped") {
      raise(kind, subject, deadline, position, "not shipped within the agreed hours of the forward");
    } else {
      raise(kind, subject, deadline, position, "no supplier stock report for over " +
                                                   std::to_string(config_.rules.supplier_stale_minutes) + " minutes");
    }
  }
}

void AlertProjection::check_stock(const std::string& sku, const EventContext& context) {
  auto levels = book_->skus().find(sku);
  if (levels == book_->skus().end() || !levels->second.stock.exists) return;
  const internal::StockFigures f = book_->figures(levels->second, clock_us_);
  changed_.insert("book/" + sku);
  if (f.status == "ok") {
    clear("low_stock", sku, context.occurred_at_us(), context.position());
  } else {
    raise("low_stock", sku, context.occurred_at_us(), context.position(),
          f.status + ": sellable " + std::to_string(f.sellable()) + " below threshold " + std::to_string(f.alert_threshold));
  }
}

void AlertProjection::check_roi(const std::string& sku, const EventContext& context) {
  const RoiFigures& r = roi_[sku];
  changed_.insert("roi/" + sku);
  if (r.spend <= 0) return;
  const double net = static_cast<double>(r.sales - r.refunds);
  if (net < config_.rules.min_roi * static_cast<double>(r.spend)) {
    raise("roi_below_target", sku, context.occurred_at_us(), context.position(),
          "net sales " + std::to_string(r.sales - r.refunds) + " over spend " + std::to_string(r.spend));
  } else {
    clear("roi_below_target", sku, context.occurred_at_us(), context.position());
  }
}

Status AlertProjection::apply(const EventContext& context) {
  if (context.event == nullptr) return *context.decode_error;
  const shop::EventBodyUnion& event = *context.event;
  const std::int64_t at = context.occurred_at_us();
  const std::uint64_t position = context.position();
  advance_clock(at, position);
  if (internal::StockBook::concerns(event)) {
    const std::string sku = book_->apply(event, at);
    if (event.type == shop::EventBody::SupplierRegistered) {
      const auto& e = *event.AsSupplierRegistered();
      ship_hours_[e.supplier_id] = e.ship_within_hours > 0 ? e.ship_within_hours : 48;
      changed_.insert("lead/" + e.supplier_id);
    }
    if (event.type == shop::EventBody::ReturnReceived) {
      for (const auto& line : event.AsReturnReceived()->lines) check_stock(line->sku_id, context);
    } else if (!sku.empty()) {
      check_stock(sku, context);
    }
    if (event.type == shop::EventBody::SupplierStockSynced) {
      const auto& e = *event.AsSupplierStockSynced();
      clear("stale_supplier_stock", e.sku_id, at, position);
      arm("stale_supplier_stock", e.sku_id,
          e.reported_at + std::int64_t{config_.rules.supplier_stale_minutes} * kMicrosPerMinute);
    }
  }
  switch (event.type) {
    case shop::EventBody::PriceChanged: {
      const auto& e = *event.AsPriceChanged();
      if (e.below_cost) {
        raise("price_below_cost", e.sku_id, at, position,
              "price " + std::to_string(e.new_price) + " below cost (" + e.reason + ")");
      } else {
        clear("price_below_cost", e.sku_id, at, position);
      }
      const std::string actor(context.record.actor());
      std::deque<std::int64_t>& times = actor_changes_[actor];
      const std::int64_t window = std::int64_t{config_.rules.bulk_price_change_minutes} * kMicrosPerMinute;
      times.push_back(at);
      while (!times.empty() && times.front() <= at - window) times.pop_front();
      changed_.insert("actor/" + actor);
      if (static_cast<std::int64_t>(times.size()) > config_.rules.bulk_price_change_skus) {
        raise("bulk_price_change", actor, at, position,
              std::to_string(times.size()) + " SKU prices changed within " +
                  std::to_string(config_.rules.bulk_price_change_minutes) + " minutes");
      }
      // Cleared once the actor has changed no price for a whole window.
      if (active_.contains("bulk_price_change/" + actor)) arm("bulk_price_change", actor, at + window);
      break;
    }
    case shop::EventBody::OrderPlaced: {
      const auto& e = *event.AsOrderPlaced();
      auto& lines = orders_[e.order_id];
      lines.clear();
      for (const auto& line : e.lines) lines.emplace_back(line->sku_id, line->unit_price * line->quantity - line->discount);
      changed_.insert("order/" + e.order_id);
      break;
    }
    case shop::EventBody::OrderPaid: {
      auto order = orders_.find(event.AsOrderPaid()->order_id);
      if (order == orders_.end()) break;
      for (const auto& [sku, value] : order->second) roi_[sku].sales += value;
      for (const auto& [sku, value] : order->second) check_roi(sku, context);
      break;
    }
    case shop::EventBody::RefundIssued: {
      const auto& e = *event.AsRefundIssued();
      auto order = orders_.find(e.order_id);
      if (order == orders_.end()) break;
      std::vector<std::int64_t> weights;
      for (const auto& line : order->second) weights.push_back(line.second);
      const std::vector<std::int64_t> parts = internal::allocate(e.amount, weights);
      for (std::size_t i = 0; i < parts.size(); ++i) roi_[order->second[i].first].refunds += parts[i];
      for (const auto& line : order->second) check_roi(line.first, context);
      break;
    }
    case shop::EventBody::SpendRecorded: {
      const auto& e = *event.AsSpendRecorded();
      if (e.sku_id.empty()) break;
      roi_[e.sku_id].spend += e.amount;
      check_roi(e.sku_id, context);
      break;
    }
    case shop::EventBody::DropshipForwarded: {
      const auto& e = *event.AsDropshipForwarded();
      auto hours = ship_hours_.find(e.supplier_id);
      const std::int64_t allowed = hours == ship_hours_.end() ? 48 : hours->second;
      arm("supplier_not_shipped", e.order_id + ":" + e.supplier_id, at + allowed * internal::kMicrosPerHour);
      break;
    }
    case shop::EventBody::OrderShipped: {
      const auto& e = *event.AsOrderShipped();
      if (e.kind != shop::SourceKind::Supplier) break;
      const std::string subject = e.order_id + ":" + e.source_id;
      disarm("supplier_not_shipped", subject);
      clear("supplier_not_shipped", subject, at, position);
      break;
    }
    default: break;
  }
  return ok_status();
}

// Row keys: alert/<kind>/<subject>/<pos>, active/<kind>/<subject>,
// due/<kind>/<subject>, actor/<id>, roi/<sku>, order/<id>, book/<sku>,
// lead/<supplier>, clock. A row whose entry is gone is written empty.
void AlertProjection::put_row(RowSink& sink, const std::string& key) const {
  const std::size_t slash = key.find('/');
  const std::string table = key.substr(0, slash), id = slash == std::string::npos ? "" : key.substr(slash + 1);
  std::string value;
  if (table == "alert") {
    value = nlohmann::json(alerts_.at(id)).dump();
  } else if (table == "active") {
    if (auto it = active_.find(id); it != active_.end()) value = it->second;
  } else if (table == "due") {
    if (auto it = deadlines_.find(id); it != deadlines_.end()) value = std::to_string(it->second);
  } else if (table == "actor") {
    if (auto it = actor_changes_.find(id); it != actor_changes_.end()) value = nlohmann::json(it->second).dump();
  } else if (table == "roi") {
    value = nlohmann::json(roi_.at(id)).dump();
  } else if (table == "order") {
    value = nlohmann::json(orders_.at(id)).dump();
  } else if (table == "book") {
    value = nlohmann::json(book_->skus().at(id)).dump();
  } else if (table == "lead") {
    value = nlohmann::json{{"lead", book_->lead_times().at(id)}, {"ship", ship_hours_.at(id)}}.dump();
  } else if (table == "clock") {
    value = std::to_string(clock_us_);
  }
  sink.put(key, value);
}

void AlertProjection::take_changed_rows(RowSink& sink) {
  for (const std::string& key : changed_) put_row(sink, key);
  changed_.clear();
}

void AlertProjection::write_all_rows(RowSink& sink) const {
  for (const auto& [id, alert] : alerts_) put_row(sink, "alert/" + id);
  for (const auto& [id, key] : active_) put_row(sink, "active/" + id);
  for (const auto& [id, deadline] : deadlines_) put_row(sink, "due/" + id);
  for (const auto& [id, times] : actor_changes_) put_row(sink, "actor/" + id);
  for (const auto& [id, r] : roi_) put_row(sink, "roi/" + id);
  for (const auto& [id, lines] : orders_) put_row(sink, "order/" + id);
  for (const auto& [id, levels] : book_->skus()) put_row(sink, "book/" + id);
  for (const auto& [id, days] : ship_hours_) put_row(sink, "lead/" + id);
  put_row(sink, "clock");
}

Status AlertProjection::load_row(std::string_view key, std::string_view value) {
  return internal::load_guarded(key, [&] {
    const std::size_t slash = key.find('/');
    const std::string table(key.substr(0, slash)), id(slash == std::string_view::npos ? "" : key.substr(slash + 1));
    if (value.empty()) return true;  // an entry that is gone
    if (table == "alert") {
      alerts_[id] = nlohmann::json::parse(value).get<Alert>();
    } else if (table == "active") {
      active_[id] = std::string(value);
    } else if (table == "due") {
      deadlines_[id] = std::stoll(std::string(value));
      due_.emplace(deadlines_[id], id);
    } else if (table == "actor") {
      actor_changes_[id] = nlohmann::json::parse(value).get<std::deque<std::int64_t>>();
    } else if (table == "roi") {
      roi_[id] = nlohmann::json::parse(value).get<RoiFigures>();
    } else if (table == "order") {
      orders_[id] = nlohmann::json::parse(value).get<std::vector<std::pair<std::string, std::int64_t>>>();
    } else if (table == "book") {
      book_->skus()[id] = nlohmann::json::parse(value).get<internal::SkuLevels>();
    } else if (table == "lead") {
      const nlohmann::json row = nlohmann::json::parse(value);
      book_->lead_times()[id] = row.at("lead").get<std::int32_t>();
      ship_hours_[id] = row.at("ship").get<std::int32_t>();
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
  for (const auto& [key, alert] : alerts_) {
    if (active_only && alert.cleared_position != 0) continue;
    if (!kind.empty() && alert.kind != kind) continue;
    selected.push_back(&alert);
  }
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
    row["cleared_at"] = alert->cleared_position == 0 ? nlohmann::json(nullptr) : nlohmann::json(internal::format_time(alert->cleared_at_us));
    row["cleared_position"] = alert->cleared_position == 0 ? nlohmann::json(nullptr) : nlohmann::json(alert->cleared_position);
    out.push_back(std::move(row));
  }
  return out;
}

}  // namespace spine::projections
