// evolve: folds one event into its aggregate's state (see state.h).
#include <algorithm>
#include <cassert>

#include "spine/domain/state.h"

namespace spine::domain {

namespace {

template <typename S>
S& as(AggregateState& state) {
  if (std::holds_alternative<std::monostate>(state)) state = S{};
  assert(std::holds_alternative<S>(state) && "event applied to another aggregate's stream");
  return std::get<S>(state);
}

std::vector<std::pair<std::string, std::string>> attributes_of(const std::vector<std::unique_ptr<shop::AttributeT>>& in) {
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(in.size());
  for (const auto& a : in) out.emplace_back(a->name, a->value);
  return out;
}

void apply(ProductState& p, const shop::ProductListedT& e) {
  p.exists = true;
  p.listed = true;
  p.product_id = e.product_id;
  p.title = e.title;
  p.description = e.description;
  p.category = e.category;
  p.supplier_id = e.supplier_id;
  p.shipping_template = e.shipping_template;
  p.attributes = attributes_of(e.attributes);
  p.main_video_seconds = e.main_video_seconds;
  p.rating_tenths = e.rating_tenths;
  p.skus.clear();
  for (const auto& sku : e.skus) p.skus.push_back({sku->sku_id, sku->list_price, sku->cost_price});
}

void apply(ProductState& p, const shop::ProductUpdatedT& e) {
  if (!e.title.empty()) p.title = e.title;
  if (!e.description.empty()) p.description = e.description;
  if (!e.category.empty()) p.category = e.category;
  if (!e.attributes.empty()) p.attributes = attributes_of(e.attributes);
  if (e.rating_tenths >= 0) p.rating_tenths = e.rating_tenths;
}

void apply(ProductState& p, const shop::PriceChangedT& e) {
  for (ProductSku& sku : p.skus) {
    if (sku.sku_id == e.sku_id) sku.price = e.new_price;
  }
}

void apply(StockState& s, const shop::SkuListedT& e) {
  s.exists = true;
  s.sku_id = e.sku_id;
  s.product_id = e.product_id;
  s.supplier_id = e.supplier_id;
  s.cost_price = e.cost_price;
}

// Removes up to `quantity` of `order_id`'s units reserved since the latest
// report from the not-yet-shipped ones; returns how many there were.
std::int64_t take_unshipped_since_report(StockState& s, const std::string& order_id, std::int64_t quantity) {
  auto found = s.supplier_unshipped_since_report.find(order_id);
  if (found == s.supplier_unshipped_since_report.end()) return 0;  // reserved under an earlier report
  const std::int64_t taken = std::min(found->second, quantity);
  found->second -= taken;
  if (found->second == 0) s.supplier_unshipped_since_report.erase(found);
  return taken;
}

void apply(StockState& s, const shop::StockReservedT& e) {
  for (const auto& a : e.allocations) {
    if (a->kind == shop::SourceKind::Warehouse) {
      s.warehouses[a->source_id].reserved += a->quantity;
    } else {
      s.supplier_committed_since_report += a->quantity;
      s.supplier_unshipped_since_report[e.order_id] += a->quantity;
      s.supplier_open += a->quantity;
    }
  }
}

void apply(StockState& s, const shop::StockReleasedT& e) {
  for (const auto& a : e.allocations) {
    if (a->kind == shop::SourceKind::Warehouse) {
      s.warehouses[a->source_id].reserved -= a->quantity;
    } else {
      s.supplier_committed_since_report -= take_unshipped_since_report(s, e.order_id, a->quantity);
      s.supplier_open -= a->quantity;
    }
  }
}

void apply(StockState& s, const shop::StockShippedT& e) {
  if (e.kind == shop::SourceKind::Warehouse) {
    WarehouseStock& w = s.warehouses[e.source_id];
    w.on_hand -= e.quantity;
    w.reserved -= e.quantity;
  } else {
    s.supplier_open -= e.quantity;
    take_unshipped_since_report(s, e.order_id, e.quantity);  // shipped units stay committed under the report
  }
}

void apply(OrderState& o, const shop::OrderPlacedT& e) {
  o.exists = true;
  o.status = OrderStatus::kPlaced;
  o.order_id = e.order_id;
  o.customer_id = e.customer_id;
  o.region = e.region;
  o.channel = static_cast<std::int32_t>(e.channel);
  o.total = e.total;
  o.lines.clear();
  for (const auto& line : e.lines) {
    OrderLineState l;
    l.sku_id = line->sku_id;
    l.product_id = line->product_id;
    l.supplier_id = line->supplier_id;
    l.category = line->category;
    l.quantity = line->quantity;
    l.unit_price = line->unit_price;
    l.discount = line->discount;
    l.cost_price = line->cost_price;
    for (const auto& a : line->allocations) {
      o.sources.insert(source_key(a->kind, a->source_id));
      if (a->kind == shop::SourceKind::Warehouse) {
        l.warehouse_allocations.emplace_back(a->source_id, a->quantity);
      } else {
        l.supplier_quantity += a->quantity;
      }
    }
    o.lines.push_back(std::move(l));
  }
}

void apply(OrderState& o, const shop::OrderShippedT& e) {
  o.shipped_sources.insert(source_key(e.kind, e.source_id));
  o.status = o.shipped_sources.size() == o.sources.size() ? OrderStatus::kShipped : OrderStatus::kPartiallyShipped;
}

std::vector<std::pair<std::string, std::int64_t>> line_quantities(
    const std::vector<std::unique_ptr<shop::LineQuantityT>>& lines) {
  std::vector<std::pair<std::string, std::int64_t>> out;
  for (const auto& l : lines) out.emplace_back(l->sku_id, l->quantity);
  return out;
}

}  // namespace

void evolve(AggregateState& state, const shop::EventBodyUnion& event) {
  using shop::EventBody;
  switch (event.type) {
    case EventBody::ProductListed: apply(as<ProductState>(state), *event.AsProductListed()); break;
    case EventBody::ProductUpdated: apply(as<ProductState>(state), *event.AsProductUpdated()); break;
    case EventBody::ProductDelisted: as<ProductState>(state).listed = false; break;
    case EventBody::ProductRelisted: as<ProductState>(state).listed = true; break;
    case EventBody::PriceChanged: apply(as<ProductState>(state), *event.AsPriceChanged()); break;

    case EventBody::SkuListed: apply(as<StockState>(state), *event.AsSkuListed()); break;
    case EventBody::StockReceived: {
      const auto& e = *event.AsStockReceived();
      WarehouseStock& w = as<StockState>(state).warehouses[e.warehouse_id];
      w.region = e.region;
      w.on_hand += e.quantity;
      break;
    }
    case EventBody::StockAdjusted: {
      const auto& e = *event.AsStockAdjusted();
      as<StockState>(state).warehouses[e.warehouse_id].on_hand += e.delta;
      break;
    }
    case EventBody::StockTransferred: {
      const auto& e = *event.AsStockTransferred();
      StockState& s = as<StockState>(state);
      s.warehouses[e.from_warehouse].on_hand -= e.quantity;
      WarehouseStock& to = s.warehouses[e.to_warehouse];
      to.region = e.to_region;
      to.incoming += e.quantity;
      s.transfers[e.transfer_id] = {e.from_warehouse, e.to_warehouse, e.to_region, e.quantity};
      break;
    }
    case EventBody::TransferReceived: {
      const auto& e = *event.AsTransferReceived();
      StockState& s = as<StockState>(state);
      WarehouseStock& to = s.warehouses[e.to_warehouse];
      to.incoming -= e.quantity;
      to.on_hand += e.quantity;
      s.transfers.erase(e.transfer_id);
      break;
    }
    case EventBody::SupplierStockSynced: {
      const auto& e = *event.AsSupplierStockSynced();
      StockState& s = as<StockState>(state);
      s.supplier_reported = e.available;
      s.supplier_reported_at_us = e.reported_at;
      s.supplier_committed_since_report = 0;
      s.supplier_unshipped_since_report.clear();
      break;
    }
    case EventBody::StockReserved: apply(as<StockState>(state), *event.AsStockReserved()); break;
    case EventBody::StockReleased: apply(as<StockState>(state), *event.AsStockReleased()); break;
    case EventBody::StockShipped: apply(as<StockState>(state), *event.AsStockShipped()); break;
    case EventBody::StockRestocked: {
      const auto& e = *event.AsStockRestocked();
      WarehouseStock& w = as<StockState>(state).warehouses[e.warehouse_id];
      w.region = e.region;
      w.on_hand += e.quantity;
      break;
    }

    case EventBody::SupplierRegistered: {
      const auto& e = *event.AsSupplierRegistered();
      SupplierState& s = as<SupplierState>(state);
      s = SupplierState{true, e.supplier_id, e.name, e.lead_time_days, e.ship_within_hours,
                        e.return_cost_share_bp, e.return_window_days};
      break;
    }
    case EventBody::WarehouseRegistered: {
      const auto& e = *event.AsWarehouseRegistered();
      as<WarehouseState>(state) = WarehouseState{true, e.warehouse_id, e.name, e.region};
      break;
    }

    case EventBody::OrderPlaced: apply(as<OrderState>(state), *event.AsOrderPlaced()); break;
    case EventBody::OrderPaid: {
      OrderState& o = as<OrderState>(state);
      o.paid += event.AsOrderPaid()->amount;
      o.status = OrderStatus::kPaid;
      break;
    }
    case EventBody::PaymentFailed: as<OrderState>(state).payment_failures += 1; break;
    case EventBody::OrderCancelled: as<OrderState>(state).status = OrderStatus::kCancelled; break;
    case EventBody::DropshipForwarded:
      as<OrderState>(state).forwarded_suppliers.insert(event.AsDropshipForwarded()->supplier_id);
      break;
    case EventBody::DropshipAcknowledged:
      as<OrderState>(state).acknowledged_suppliers.insert(event.AsDropshipAcknowledged()->supplier_id);
      break;
    case EventBody::OrderShipped: apply(as<OrderState>(state), *event.AsOrderShipped()); break;
    case EventBody::OrderDelivered: {
      OrderState& order = as<OrderState>(state);
      order.status = OrderStatus::kDelivered;
      order.delivered_at_us = event.AsOrderDelivered()->delivered_at;
      break;
    }
    case EventBody::ReturnRequested: {
      const auto& e = *event.AsReturnRequested();
      ReturnState r;
      r.lines = line_quantities(e.lines);
      r.reason = static_cast<std::int32_t>(e.reason);
      as<OrderState>(state).returns[e.return_id] = std::move(r);
      break;
    }
    case EventBody::ReturnApproved: {
      const auto& e = *event.AsReturnApproved();
      ReturnState& r = as<OrderState>(state).returns[e.return_id];
      r.status = ReturnStatus::kApproved;
      r.shipping_cost = e.shipping_cost;
      r.shop_share = e.shop_share;
      r.supplier_share = e.supplier_share;
      break;
    }
    case EventBody::ReturnRejected:
      as<OrderState>(state).returns[event.AsReturnRejected()->return_id].status = ReturnStatus::kRejected;
      break;
    case EventBody::ReturnReceived:
      as<OrderState>(state).returns[event.AsReturnReceived()->return_id].status = ReturnStatus::kReceived;
      break;
    case EventBody::RefundIssued: {
      const auto& e = *event.AsRefundIssued();
      OrderState& o = as<OrderState>(state);
      o.refunded += e.amount;
      o.refund_ids.insert(e.refund_id);
      break;
    }

    case EventBody::SpendRecorded:
    case EventBody::TrafficRecorded:
    case EventBody::DeadlinePassed:
    case EventBody::NONE:
      break;
  }
}

const ProductSku* ProductState::find_sku(std::string_view sku_id) const {
  for (const ProductSku& sku : skus) {
    if (sku.sku_id == sku_id) return &sku;
  }
  return nullptr;
}

std::int64_t StockState::on_hand() const {
  std::int64_t total = 0;
  for (const auto& [id, w] : warehouses) total += w.on_hand;
  return total;
}

std::int64_t StockState::reserved() const {
  std::int64_t total = 0;
  for (const auto& [id, w] : warehouses) total += w.reserved;
  return total;
}

std::int64_t StockState::available() const { return on_hand() - reserved(); }

std::int64_t StockState::supplier_available() const {
  return std::max<std::int64_t>(0, supplier_reported - supplier_committed_since_report);
}

std::string_view order_status_name(OrderStatus status) {
  switch (status) {
    case OrderStatus::kNone: return "none";
    case OrderStatus::kPlaced: return "placed";
    case OrderStatus::kPaid: return "paid";
    case OrderStatus::kPartiallyShipped: return "partially_shipped";
    case OrderStatus::kShipped: return "shipped";
    case OrderStatus::kDelivered: return "delivered";
    case OrderStatus::kCancelled: return "cancelled";
  }
  return "unknown";
}

const OrderLineState* OrderState::find_line(std::string_view sku_id) const {
  for (const OrderLineState& line : lines) {
    if (line.sku_id == sku_id) return &line;
  }
  return nullptr;
}

std::int64_t OrderState::returned_quantity(std::string_view sku_id) const {
  std::int64_t total = 0;
  for (const auto& [id, r] : returns) {
    if (r.status == ReturnStatus::kRejected) continue;
    for (const auto& [sku, quantity] : r.lines) {
      if (sku == sku_id) total += quantity;
    }
  }
  return total;
}

std::string source_key(shop::SourceKind kind, std::string_view source_id) {
  return (kind == shop::SourceKind::Warehouse ? "warehouse:" : "supplier:") + std::string(source_id);
}

}  // namespace spine::domain
