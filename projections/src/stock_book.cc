#include "stock_book.h"

#include <algorithm>

namespace spine::domain {
// Row serialization of the domain's stock state (projections only).
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(WarehouseStock, region, on_hand, reserved, incoming)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(TransferInFlight, from_warehouse, to_warehouse, to_region, quantity)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(StockState, exists, sku_id, product_id, supplier_id, cost_price, warehouses,
                                   transfers, supplier_reported, supplier_reported_at_us,
                                   supplier_committed_since_report, supplier_unshipped_since_report, supplier_open)
}  // namespace spine::domain

namespace spine::projections::internal {

using shop::EventBody;

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(SupplierTerms, lead_time_days, ship_within_hours)

void to_json(nlohmann::json& j, const SkuLevels& levels) {
  nlohmann::json sales = nlohmann::json::object();
  for (const auto& [day, units] : levels.shipped_by_day) sales[std::to_string(day)] = units;
  j = nlohmann::json{{"stock", levels.stock}, {"shipped_by_day", std::move(sales)}, {"damaged", levels.damaged}};
}

void from_json(const nlohmann::json& j, SkuLevels& levels) {
  j.at("stock").get_to(levels.stock);
  levels.shipped_by_day.clear();
  for (const auto& [day, units] : j.at("shipped_by_day").items()) levels.shipped_by_day[std::stoll(day)] = units.get<std::int64_t>();
  j.at("damaged").get_to(levels.damaged);
}

namespace {
void append_stock_state(JsonText& out, const domain::StockState& stock) {
  out.begin_object();
  out.key("cost_price"), out.value(stock.cost_price);
  out.key("exists"), out.value(stock.exists);
  out.key("product_id"), out.value(std::string_view(stock.product_id));
  out.key("sku_id"), out.value(std::string_view(stock.sku_id));
  out.key("supplier_committed_since_report"), out.value(stock.supplier_committed_since_report);
  out.key("supplier_id"), out.value(std::string_view(stock.supplier_id));
  out.key("supplier_open"), out.value(stock.supplier_open);
  out.key("supplier_reported"), out.value(stock.supplier_reported);
  out.key("supplier_reported_at_us"), out.value(stock.supplier_reported_at_us);
  out.key("supplier_unshipped_since_report");
  out.begin_object();
  for (const auto& [order_id, units] : stock.supplier_unshipped_since_report) out.key(order_id), out.value(units);
  out.end_object();
  out.key("transfers");
  out.begin_object();
  for (const auto& [id, transfer] : stock.transfers) {
    out.key(id);
    out.begin_object();
    out.key("from_warehouse"), out.value(std::string_view(transfer.from_warehouse));
    out.key("quantity"), out.value(transfer.quantity);
    out.key("to_region"), out.value(std::string_view(transfer.to_region));
    out.key("to_warehouse"), out.value(std::string_view(transfer.to_warehouse));
    out.end_object();
  }
  out.end_object();
  out.key("warehouses");
  out.begin_object();
  for (const auto& [id, warehouse] : stock.warehouses) {
    out.key(id);
    out.begin_object();
    out.key("incoming"), out.value(warehouse.incoming);
    out.key("on_hand"), out.value(warehouse.on_hand);
    out.key("region"), out.value(std::string_view(warehouse.region));
    out.key("reserved"), out.value(warehouse.reserved);
    out.end_object();
  }
  out.end_object();
  out.end_object();
}
}  // namespace

void append_json(JsonText& out, const SkuLevels& levels) {
  out.begin_object();
  out.key("damaged"), out.value(levels.damaged);
  out.key("shipped_by_day");
  out.begin_object();
  for_each_by_decimal_text(levels.shipped_by_day, [&](std::string_view day, std::int64_t units) {
    out.key(day), out.value(units);
  });
  out.end_object();
  out.key("stock");
  append_stock_state(out, levels.stock);
  out.end_object();
}

void append_json(JsonText& out, const SupplierTerms& terms) {
  out.begin_object();
  out.key("lead_time_days"), out.value(std::int64_t{terms.lead_time_days});
  out.key("ship_within_hours"), out.value(std::int64_t{terms.ship_within_hours});
  out.end_object();
}

bool StockBook::concerns(const shop::EventBodyUnion& event) {
  switch (event.type) {
    case EventBody::SkuListed:
    case EventBody::StockReceived:
    case EventBody::StockAdjusted:
    case EventBody::StockTransferred:
    case EventBody::TransferReceived:
    case EventBody::SupplierStockSynced:
    case EventBody::StockReserved:
    case EventBody::StockReleased:
    case EventBody::StockShipped:
    case EventBody::StockRestocked:
    case EventBody::SupplierRegistered:
    case EventBody::ReturnReceived:
    case EventBody::ProductListed:
    case EventBody::ProductUpdated:
    case EventBody::ProductDelisted:
    case EventBody::ProductRelisted:
      return true;
    default:
      return false;
  }
}

namespace {
// The SKU a stock-stream event belongs to.
const std::string* stock_sku(const shop::EventBodyUnion& event) {
  switch (event.type) {
    case EventBody::SkuListed: return &event.AsSkuListed()->sku_id;
    case EventBody::StockReceived: return &event.AsStockReceived()->sku_id;
    case EventBody::StockAdjusted: return &event.AsStockAdjusted()->sku_id;
    case EventBody::StockTransferred: return &event.AsStockTransferred()->sku_id;
    case EventBody::TransferReceived: return &event.AsTransferReceived()->sku_id;
    case EventBody::SupplierStockSynced: return &event.AsSupplierStockSynced()->sku_id;
    case EventBody::StockReserved: return &event.AsStockReserved()->sku_id;
    case EventBody::StockReleased: return &event.AsStockReleased()->sku_id;
    case EventBody::StockShipped: return &event.AsStockShipped()->sku_id;
    case EventBody::StockRestocked: return &event.AsStockRestocked()->sku_id;
    default: return nullptr;
  }
}
}  // namespace

std::vector<std::string> StockBook::skus_of(const std::string& product) const {
  std::vector<std::string> skus;  // product-wide changes are rare: a walk over the SKUs is fine
  for (const auto& [sku, levels] : skus_.sorted()) {
    if (levels->stock.product_id == product) skus.emplace_back(sku);
  }
  return skus;
}

std::vector<std::string> StockBook::apply(const shop::EventBodyUnion& event, std::int64_t occurred_at_us) {
  if (event.type == EventBody::ProductListed) {
    categories_.write(event.AsProductListed()->product_id) = event.AsProductListed()->category;
    return {};
  }
  if (event.type == EventBody::ProductUpdated) {
    const auto& e = *event.AsProductUpdated();
    const std::string* before = categories_.find(e.product_id);
    if (e.category.empty() || (before != nullptr && *before == e.category)) return {};
    categories_.write(e.product_id) = e.category;
    return skus_of(e.product_id);
  }
  if (event.type == EventBody::SupplierRegistered) {
    const auto& e = *event.AsSupplierRegistered();
    suppliers_.write(e.supplier_id) = SupplierTerms{e.lead_time_days, e.ship_within_hours > 0 ? e.ship_within_hours : 48};
    return {};
  }
  if (event.type == EventBody::ProductDelisted || event.type == EventBody::ProductRelisted) {
    const std::string& product = event.type == EventBody::ProductDelisted ? event.AsProductDelisted()->product_id
                                                                          : event.AsProductRelisted()->product_id;
    if (event.type == EventBody::ProductDelisted) {
      delisted_.write(product) = occurred_at_us;
    } else {
      delisted_.erase(product);
    }
    return skus_of(product);
  }
  if (event.type == EventBody::ReturnReceived) {
    const auto& e = *event.AsReturnReceived();
    if (e.condition != shop::ReturnCondition::Damaged) return {};
    std::vector<std::string> changed;
    for (const auto& line : e.lines) {
      skus_.write(line->sku_id).damaged += line->quantity;
      changed.push_back(line->sku_id);
    }
    return changed;
  }
  const std::string* sku = stock_sku(event);
  if (sku == nullptr) return {};
  SkuLevels& levels = skus_.write(*sku);
  domain::AggregateState state = std::move(levels.stock);
  domain::evolve(state, event);
  levels.stock = std::move(std::get<domain::StockState>(state));
  if (event.type == EventBody::StockShipped) {
    const std::int64_t day = calendar_.day(occurred_at_us);
    levels.shipped_by_day[day] += event.AsStockShipped()->quantity;
    while (!levels.shipped_by_day.empty() && levels.shipped_by_day.begin()->first <= day - kSalesDaysKept) {
      levels.shipped_by_day.erase(levels.shipped_by_day.begin());
    }
  }
  return {*sku};
}

std::int32_t StockBook::lead_time_days(const domain::StockState& stock) const {
  std::int32_t days = 0;
  if (!stock.supplier_id.empty()) {
    const SupplierTerms* terms = suppliers_.find(stock.supplier_id);
    days = terms == nullptr ? supplier_default_lead_days_ : terms->lead_time_days;
  } else {
    const std::string* category = categories_.find(stock.product_id);
    days = domain::own_lead_time_days(own_stock_, stock.sku_id, category == nullptr ? std::string_view{} : std::string_view{*category});
  }
  return std::clamp<std::int32_t>(days, 0, kSalesDaysKept);
}

std::int32_t StockBook::ship_within_hours(const std::string& supplier_id) const {
  const SupplierTerms* terms = suppliers_.find(supplier_id);
  return terms == nullptr ? 48 : terms->ship_within_hours;
}

void StockBook::flush(const std::string& prefix, RowSink& sink) {
  skus_.flush(prefix + "sku/", sink);
  suppliers_.flush(prefix + "supplier/", sink);
  delisted_.flush(prefix + "delisted/", sink);
  categories_.flush(prefix + "category/", sink);
}

void StockBook::write_all(const std::string& prefix, RowSink& sink) const {
  skus_.write_all(prefix + "sku/", sink);
  suppliers_.write_all(prefix + "supplier/", sink);
  delisted_.write_all(prefix + "delisted/", sink);
  categories_.write_all(prefix + "category/", sink);
}

bool StockBook::load(std::string_view key, std::string_view value) {
  if (key.starts_with("sku/")) {
    skus_.load(key.substr(4), value);
  } else if (key.starts_with("supplier/")) {
    suppliers_.load(key.substr(9), value);
  } else if (key.starts_with("delisted/")) {
    delisted_.load(key.substr(9), value);
  } else if (key.starts_with("category/")) {
    categories_.load(key.substr(9), value);
  } else {
    return false;
  }
  return true;
}

StockFigures StockBook::figures(const SkuLevels& levels, std::int64_t now_us) const {
  const domain::StockState& s = levels.stock;
  StockFigures f;
  f.on_hand = s.on_hand();
  f.committed = s.reserved();
  f.available = s.available();
  for (const auto& [id, w] : s.warehouses) f.incoming += w.incoming;
  f.damaged = levels.damaged;
  f.forecast = f.on_hand + f.incoming - f.committed;
  f.dropship = !s.supplier_id.empty();
  f.listed = listed(levels);
  f.supplier_available = f.dropship ? s.supplier_available() : 0;
  f.supplier_reported_at_us = s.supplier_reported_at_us;
  f.lead_time_days = lead_time_days(s);
  const std::int64_t today = calendar_.day(now_us);
  // Only the days inside the longer of the two windows are visited (the map
  // keeps up to kSalesDaysKept days).
  constexpr std::int64_t kWeekDays = 7;
  const std::int64_t window_days = std::max<std::int64_t>(f.lead_time_days, kWeekDays);
  for (auto it = levels.shipped_by_day.upper_bound(today - window_days);
       it != levels.shipped_by_day.end() && it->first <= today; ++it) {
    const auto& [day, units] = *it;
    if (day > today - f.lead_time_days) f.sales_over_lead_time += units;
    if (day > today - kWeekDays) f.sales_7d += units;
  }
  // Safety stock = factor x sales over the lead time, rounded up.
  const double safety = rules_.safety_stock_factor * static_cast<double>(f.sales_over_lead_time);
  f.safety_stock = static_cast<std::int64_t>(safety);
  if (static_cast<double>(f.safety_stock) < safety) ++f.safety_stock;
  f.alert_threshold = std::max(f.safety_stock, rules_.low_stock_floor);
  const std::int64_t sellable = f.sellable();
  f.status = sellable <= 0 ? "out" : sellable < f.alert_threshold ? "low" : "ok";
  if (f.sales_7d > 0) f.days_of_cover = static_cast<double>(sellable) * 7.0 / static_cast<double>(f.sales_7d);
  const std::int64_t own_forecast = f.forecast;
  f.reorder_suggestion = !f.dropship && own_forecast < f.alert_threshold ? 2 * f.alert_threshold - own_forecast : 0;
  return f;
}

}  // namespace spine::projections::internal
