// decide for orders: place (reserve and route), pay, cancel, dropship
// forwarding, shipping and delivery.
#include <algorithm>

#include "decide_internal.h"
#include "spine/domain/rules.h"

namespace spine::domain::detail {

namespace {

Error invalid_transition(const OrderState& order, std::string_view action, std::string_view needs) {
  return refuse("invalid_transition", "order_id",
                "order '" + order.order_id + "' is " + std::string(order_status_name(order.status)) + "; " +
                    std::string(action) + " needs " + std::string(needs));
}

Result<const OrderState*> existing_order(const std::string& order_id, const Context& ctx) {
  if (Status s = check_id(order_id, "order_id"); !s) return s.error();
  const OrderState& order = ctx.loaded.order(order_id);
  if (!order.exists) return refuse("unknown_order", "order_id", "order '" + order_id + "' does not exist");
  return &order;
}

// Regions in routing order: the buyer's, its configured neighbours, then any
// other region with stock (by name, so routing is deterministic).
std::vector<std::string> region_order(const std::string& region, const StockState& stock, const Config& config) {
  std::vector<std::string> order{region};
  if (const RegionConfig* configured = config.find_region(region)) {
    for (const std::string& neighbour : configured->neighbours) order.push_back(neighbour);
  }
  for (const RegionConfig& other : config.regions) order.push_back(other.name);
  for (const auto& [id, w] : stock.warehouses) order.push_back(w.region);
  std::vector<std::string> unique;
  for (std::string& r : order) {
    if (std::find(unique.begin(), unique.end(), r) == unique.end()) unique.push_back(std::move(r));
  }
  return unique;
}

// Routes `quantity` units of one SKU: warehouses of the buyer's region first
// (the one with most available first, so one warehouse fills the line when it
// can), then other regions nearest first, then the dropship supplier.
std::vector<std::unique_ptr<shop::AllocationT>> route(const StockState& stock, std::int64_t quantity,
                                                      const std::string& region, const Config& config) {
  std::vector<std::unique_ptr<shop::AllocationT>> allocations;
  std::int64_t remaining = quantity;
  for (const std::string& r : region_order(region, stock, config)) {
    if (remaining == 0) break;
    std::vector<std::pair<std::string, const WarehouseStock*>> candidates;
    for (const auto& [id, w] : stock.warehouses) {
      if (w.region == r && w.available() > 0) candidates.emplace_back(id, &w);
    }
    std::sort(candidates.begin(), candidates.end(), [](const auto& a, const auto& b) {
      return a.second->available() != b.second->available() ? a.second->available() > b.second->available()
                                                            : a.first < b.first;
    });
    for (const auto& [id, w] : candidates) {
      if (remaining == 0) break;
      const std::int64_t take = std::min(remaining, w->available());
      auto allocation = std::make_unique<shop::AllocationT>();
      allocation->kind = shop::SourceKind::Warehouse;
      allocation->source_id = id;
      allocation->region = w->region;
      allocation->quantity = static_cast<std::int32_t>(take);
      allocations.push_back(std::move(allocation));
      remaining -= take;
    }
  }
  if (remaining > 0 && !stock.supplier_id.empty() && stock.supplier_available() > 0) {
    const std::int64_t take = std::min(remaining, stock.supplier_available());
    auto allocation = std::make_unique<shop::AllocationT>();
    allocation->kind = shop::SourceKind::Supplier;
    allocation->source_id = stock.supplier_id;
    allocation->quantity = static_cast<std::int32_t>(take);
    allocations.push_back(std::move(allocation));
  }
  return allocations;
}

std::vector<std::unique_ptr<shop::AllocationT>> allocations_of(const OrderLineState& line) {
  std::vector<std::unique_ptr<shop::AllocationT>> out;
  for (const auto& [warehouse, quantity] : line.warehouse_allocations) {
    auto a = std::make_unique<shop::AllocationT>();
    a->kind = shop::SourceKind::Warehouse;
    a->source_id = warehouse;
    a->quantity = static_cast<std::int32_t>(quantity);
    out.push_back(std::move(a));
  }
  if (line.supplier_quantity > 0) {
    auto a = std::make_unique<shop::AllocationT>();
    a->kind = shop::SourceKind::Supplier;
    a->source_id = line.supplier_id;
    a->quantity = static_cast<std::int32_t>(line.supplier_quantity);
    out.push_back(std::move(a));
  }
  return out;
}

// Units of `line` served from one source.
std::int64_t quantity_from(const OrderLineState& line, shop::SourceKind kind, const std::string& source_id) {
  if (kind == shop::SourceKind::Supplier) return line.supplier_id == source_id ? line.supplier_quantity : 0;
  std::int64_t total = 0;
  for (const auto& [warehouse, quantity] : line.warehouse_allocations) {
    if (warehouse == source_id) total += quantity;
  }
  return total;
}

// Line i of an order as the rules see it before routing: a known SKU of a
// listed product, once in the order, a quantity in range, and the SKU's
// current list price. A lower price is the line's discount, never its unit
// price, so the KPIs can report what was given away.
Status check_line(const shop::PlaceOrderT& c, std::size_t i, const Context& ctx) {
  const std::string at = "lines[" + std::to_string(i) + "]";
  const shop::OrderLineRequestT* request = c.lines[i].get();
  if (request == nullptr) return refuse("required", at, at + " is empty");
  if (Status s = check_id(request->sku_id, at + ".sku_id"); !s) return s;
  for (std::size_t j = 0; j < i; ++j) {
    if (c.lines[j] && c.lines[j]->sku_id == request->sku_id) {
      return refuse("duplicate_line", at + ".sku_id", "SKU '" + request->sku_id + "' appears in two lines; give one line with the total quantity");
    }
  }
  if (Status s = check_quantity(request->quantity, at + ".quantity", ctx.config.rules.max_line_quantity); !s) return s;
  if (Status s = check_amount(request->unit_price, at + ".unit_price", true); !s) return s;
  const std::int64_t gross = request->unit_price * request->quantity;  // <= 10^12 * 10^4: no overflow
  if (request->discount < 0 || request->discount > gross) {
    return refuse("invalid_discount", at + ".discount", "a line discount must be 0 to the line's value (" + std::to_string(gross) + ")");
  }
  const StockState& stock = ctx.loaded.stock(request->sku_id);
  if (!stock.exists) return refuse("unknown_sku", at + ".sku_id", "SKU '" + request->sku_id + "' has not been listed");
  const ProductState& product = ctx.loaded.product(stock.product_id);
  if (!product.listed) {
    return refuse("product_delisted", at + ".sku_id", "SKU '" + request->sku_id + "' belongs to delisted product '" + stock.product_id + "'");
  }
  auto sku = std::find_if(product.skus.begin(), product.skus.end(),
                          [&](const ProductSku& p) { return p.sku_id == request->sku_id; });
  if (sku == product.skus.end()) {
    return refuse("unknown_sku", at + ".sku_id", "SKU '" + request->sku_id + "' is not one of product '" + stock.product_id + "''s");
  }
  if (request->unit_price != sku->price) {
    return refuse("not_list_price", at + ".unit_price",
                  "unit_price must be SKU '" + request->sku_id + "''s list price " + std::to_string(sku->price) +
                      "; give a lower price as the line's discount (or a coupon_discount)");
  }
  return ok_status();
}

Result<Decision> place_order(const shop::PlaceOrderT& c, const Context& ctx) {
  const RuleThresholds& rules = ctx.config.rules;
  if (Status s = check_id(c.order_id, "order_id"); !s) return s.error();
  if (ctx.loaded.order(c.order_id).exists) return refuse("order_exists", "order_id", "order '" + c.order_id + "' already exists");
  if (Status s = check_id(c.customer_id, "customer_id"); !s) return s.error();
  if (c.channel < shop::Channel::MIN || c.channel > shop::Channel::MAX) return refuse("invalid_channel", "channel", "unknown sales channel");
  if (c.device < shop::Device::MIN || c.device > shop::Device::MAX) return refuse("invalid_device", "device", "device must be Mobile or Desktop");
  if (ctx.config.find_region(c.region) == nullptr) return refuse("unknown_region", "region", "region '" + c.region + "' is not configured");
  if (c.lines.empty()) return refuse("required", "lines", "an order needs at least one line");
  if (c.lines.size() > static_cast<std::size_t>(rules.max_order_lines)) {
    return refuse("too_many", "lines", "an order may have at most " + std::to_string(rules.max_order_lines) + " lines");
  }
  if (Status s = check_amount(c.shipping_fee, "shipping_fee", true); !s) return s.error();
  if (Status s = check_amount(c.coupon_discount, "coupon_discount", true); !s) return s.error();
  if (Status s = check_text(c.coupon, "coupon", 64, false); !s) return s.error();
  if (c.coupon_discount > 0 && c.coupon.empty()) {
    return refuse("required", "coupon", "a coupon_discount names the coupon it comes from");
  }

  shop::OrderPlacedT placed;
  Decision reservations;
  Error shortage{"insufficient_stock", "lines", ""};
  std::int64_t subtotal = 0;
  for (std::size_t i = 0; i < c.lines.size(); ++i) {
    if (Status s = check_line(c, i, ctx); !s) return s.error();
    const shop::OrderLineRequestT* request = c.lines[i].get();
    const std::int64_t gross = request->unit_price * request->quantity;  // <= 10^12 * 10^4: no overflow
    const StockState& stock = ctx.loaded.stock(request->sku_id);
    const ProductState& product = ctx.loaded.product(stock.product_id);
    auto allocations = route(stock, request->quantity, c.region, ctx.config);
    std::int64_t allocated = 0;
    for (const auto& a : allocations) allocated += a->quantity;
    if (allocated < request->quantity) {
      shortage.details.push_back({request->sku_id, request->quantity, allocated});
      continue;
    }
    subtotal += gross - request->discount;

    auto line = std::make_unique<shop::OrderLineT>();
    line->sku_id = request->sku_id;
    line->product_id = stock.product_id;
    line->quantity = request->quantity;
    line->unit_price = request->unit_price;
    line->discount = request->discount;
    line->cost_price = stock.cost_price;
    line->supplier_id = stock.supplier_id;
    line->category = product.category;
    shop::StockReservedT reserved;
    reserved.order_id = c.order_id;
    reserved.sku_id = request->sku_id;
    for (const auto& a : allocations) reserved.allocations.push_back(std::make_unique<shop::AllocationT>(*a));
    line->allocations = std::move(allocations);
    placed.lines.push_back(std::move(line));
    emit(reservations, stock_stream(request->sku_id), std::move(reserved));
  }
  if (!shortage.details.empty()) {
    for (const ErrorDetail& d : shortage.details) {
      shortage.message += (shortage.message.empty() ? "" : "; ") + std::string("SKU '") + d.subject + "' is short by " +
                          std::to_string(d.requested - d.available) + " (ordered " + std::to_string(d.requested) +
                          ", available " + std::to_string(d.available) + ")";
    }
    shortage.message = "the order would oversell: " + shortage.message;
    return shortage;
  }
  if (c.coupon_discount > subtotal) {
    return refuse("invalid_discount", "coupon_discount", "the coupon discount exceeds the order's lines (" + std::to_string(subtotal) + ")");
  }
  placed.order_id = c.order_id;
  placed.customer_id = c.customer_id;
  placed.channel = c.channel;
  placed.device = c.device;
  placed.region = c.region;
  placed.shipping_fee = c.shipping_fee;
  placed.coupon = c.coupon;
  placed.coupon_discount = c.coupon_discount;
  placed.total = subtotal + c.shipping_fee - c.coupon_discount;
  Decision decision;
  emit(decision, order_stream(c.order_id), std::move(placed));
  for (EmittedEvent& e : reservations.events) decision.events.push_back(std::move(e));
  return decision;
}

Result<Decision> pay_order(const shop::PayOrderT& c, const Context& ctx) {
  Result<const OrderState*> order = existing_order(c.order_id, ctx);
  if (!order) return order.error();
  if ((*order)->status != OrderStatus::kPlaced) return invalid_transition(**order, "payment", "a placed order");
  if (c.amount != (*order)->total) {
    return refuse("amount_mismatch", "amount",
                  "the order's total is " + std::to_string((*order)->total) + " fen; the payment is " + std::to_string(c.amount));
  }
  Decision decision;
  shop::OrderPaidT paid;
  paid.order_id = c.order_id;
  paid.amount = c.amount;
  emit(decision, order_stream(c.order_id), std::move(paid));
  return decision;
}

Result<Decision> fail_payment(const shop::FailPaymentT& c, const Context& ctx) {
  Result<const OrderState*> order = existing_order(c.order_id, ctx);
  if (!order) return order.error();
  if ((*order)->status != OrderStatus::kPlaced) return invalid_transition(**order, "a payment failure", "a placed order");
  if (c.reason < shop::PaymentFailure::MIN || c.reason > shop::PaymentFailure::MAX) {
    return refuse("invalid_reason", "reason", "reason must be CardLimit, VerificationTimeout, CancelledByBuyer or Other");
  }
  Decision decision;
  shop::PaymentFailedT failed;
  failed.order_id = c.order_id;
  failed.reason = c.reason;
  emit(decision, order_stream(c.order_id), std::move(failed));
  return decision;
}

Result<Decision> cancel_order(const shop::CancelOrderT& c, const Context& ctx) {
  Result<const OrderState*> order = existing_order(c.order_id, ctx);
  if (!order) return order.error();
  const OrderState& o = **order;
  if (o.status != OrderStatus::kPlaced && o.status != OrderStatus::kPaid) {
    return invalid_transition(o, "cancellation", "a placed or paid order that has not shipped");
  }
  if (!o.forwarded_suppliers.empty()) {
    return refuse("invalid_transition", "order_id", "order '" + o.order_id + "' has been forwarded to a supplier; request a return instead");
  }
  if (Status s = check_text(c.reason, "reason", 1024, false); !s) return s.error();
  Decision decision;
  shop::OrderCancelledT cancelled;
  cancelled.order_id = c.order_id;
  cancelled.reason = c.reason;
  emit(decision, order_stream(c.order_id), std::move(cancelled));
  for (const OrderLineState& line : o.lines) {
    shop::StockReleasedT released;
    released.order_id = c.order_id;
    released.sku_id = line.sku_id;
    released.allocations = allocations_of(line);
    released.reason = "cancelled";
    emit(decision, stock_stream(line.sku_id), std::move(released));
  }
  return decision;
}

Result<Decision> forward_dropship(const shop::ForwardDropshipT& c, const Context& ctx) {
  Result<const OrderState*> order = existing_order(c.order_id, ctx);
  if (!order) return order.error();
  const OrderState& o = **order;
  if (Status s = check_id(c.supplier_id, "supplier_id"); !s) return s.error();
  if (!o.sources.contains(source_key(shop::SourceKind::Supplier, c.supplier_id))) {
    return refuse("not_order_supplier", "supplier_id", "no line of order '" + o.order_id + "' is routed to '" + c.supplier_id + "'");
  }
  if (o.status != OrderStatus::kPaid && o.status != OrderStatus::kPartiallyShipped) {
    return invalid_transition(o, "a dropship forward", "a paid order");
  }
  if (o.forwarded_suppliers.contains(c.supplier_id)) {
    return refuse("already_forwarded", "supplier_id", "order '" + o.order_id + "' was already forwarded to '" + c.supplier_id + "'");
  }
  Decision decision;
  shop::DropshipForwardedT forwarded;
  forwarded.order_id = c.order_id;
  forwarded.supplier_id = c.supplier_id;
  for (const OrderLineState& line : o.lines) {
    const std::int64_t quantity = quantity_from(line, shop::SourceKind::Supplier, c.supplier_id);
    if (quantity == 0) continue;
    auto l = std::make_unique<shop::LineQuantityT>();
    l->sku_id = line.sku_id;
    l->quantity = static_cast<std::int32_t>(quantity);
    forwarded.lines.push_back(std::move(l));
    forwarded.dropship_cost += line.cost_price * quantity;
  }
  emit(decision, order_stream(c.order_id), std::move(forwarded));
  return decision;
}

Result<Decision> acknowledge_dropship(const shop::AcknowledgeDropshipT& c, const Context& ctx) {
  Result<const OrderState*> order = existing_order(c.order_id, ctx);
  if (!order) return order.error();
  const OrderState& o = **order;
  if (Status s = check_id(c.supplier_id, "supplier_id"); !s) return s.error();
  if (!o.forwarded_suppliers.contains(c.supplier_id)) {
    return refuse("not_forwarded", "supplier_id", "order '" + o.order_id + "' has not been forwarded to '" + c.supplier_id + "'");
  }
  if (o.acknowledged_suppliers.contains(c.supplier_id)) {
    return refuse("already_acknowledged", "supplier_id", "the forward to '" + c.supplier_id + "' is already acknowledged");
  }
  if (Status s = check_text(c.tracking_number, "tracking_number", 128, false); !s) return s.error();
  Decision decision;
  shop::DropshipAcknowledgedT acknowledged;
  acknowledged.order_id = c.order_id;
  acknowledged.supplier_id = c.supplier_id;
  acknowledged.tracking_number = c.tracking_number;
  emit(decision, order_stream(c.order_id), std::move(acknowledged));
  return decision;
}

Result<Decision> ship_order(const shop::ShipOrderT& c, const Context& ctx) {
  Result<const OrderState*> order = existing_order(c.order_id, ctx);
  if (!order) return order.error();
  const OrderState& o = **order;
  if (c.kind < shop::SourceKind::MIN || c.kind > shop::SourceKind::MAX) return refuse("invalid_source", "kind", "kind must be Warehouse or Supplier");
  if (Status s = check_id(c.source_id, "source_id"); !s) return s.error();
  const std::string key = source_key(c.kind, c.source_id);
  if (!o.sources.contains(key)) return refuse("unknown_source", "source_id", "no line of order '" + o.order_id + "' is routed to " + key);
  if (o.status != OrderStatus::kPaid && o.status != OrderStatus::kPartiallyShipped) {
    return invalid_transition(o, "shipping", "a paid order");
  }
  if (o.shipped_sources.contains(key)) return refuse("already_shipped", "source_id", "the lines routed to " + key + " have shipped");
  if (c.kind == shop::SourceKind::Supplier && !o.forwarded_suppliers.contains(c.source_id)) {
    return refuse("not_forwarded", "source_id", "the supplier's lines must be forwarded before they ship");
  }
  if (Status s = check_text(c.carrier, "carrier", 64, true); !s) return s.error();
  if (Status s = check_text(c.tracking_number, "tracking_number", 128, true); !s) return s.error();
  Decision decision;
  shop::OrderShippedT shipped;
  shipped.order_id = c.order_id;
  shipped.kind = c.kind;
  shipped.source_id = c.source_id;
  shipped.carrier = c.carrier;
  shipped.tracking_number = c.tracking_number;
  std::vector<shop::StockShippedT> stock_events;
  for (const OrderLineState& line : o.lines) {
    const std::int64_t quantity = quantity_from(line, c.kind, c.source_id);
    if (quantity == 0) continue;
    auto l = std::make_unique<shop::LineQuantityT>();
    l->sku_id = line.sku_id;
    l->quantity = static_cast<std::int32_t>(quantity);
    shipped.lines.push_back(std::move(l));
    shop::StockShippedT stock_shipped;
    stock_shipped.order_id = c.order_id;
    stock_shipped.sku_id = line.sku_id;
    stock_shipped.kind = c.kind;
    stock_shipped.source_id = c.source_id;
    stock_shipped.quantity = static_cast<std::int32_t>(quantity);
    stock_events.push_back(std::move(stock_shipped));
  }
  emit(decision, order_stream(c.order_id), std::move(shipped));
  for (shop::StockShippedT& e : stock_events) {
    std::string stream = stock_stream(e.sku_id);
    emit(decision, std::move(stream), std::move(e));
  }
  return decision;
}

Result<Decision> deliver_order(const shop::DeliverOrderT& c, const Context& ctx) {
  Result<const OrderState*> order = existing_order(c.order_id, ctx);
  if (!order) return order.error();
  if ((*order)->status != OrderStatus::kShipped) return invalid_transition(**order, "delivery", "every line shipped");
  Decision decision;
  shop::OrderDeliveredT delivered;
  delivered.order_id = c.order_id;
  delivered.delivered_at = ctx.now_us;
  emit(decision, order_stream(c.order_id), std::move(delivered));
  return decision;
}

}  // namespace

void order_streams(const shop::CommandBodyUnion& command, const LoadedStreams& loaded, std::vector<std::string>& out) {
  using shop::CommandBody;
  // Stock streams an order command only writes to (release, ship, restock)
  // are not read: those events follow from the order's own state, so they
  // are appended with ExpectedVersion::any and do not conflict with sales.
  auto order_only = [&](const std::string& order_id) { out.push_back(order_stream(order_id)); };
  switch (command.type) {
    case CommandBody::PlaceOrder: {
      const auto& c = *command.AsPlaceOrder();
      out.push_back(order_stream(c.order_id));
      for (const auto& line : c.lines) {
        if (!line) continue;
        const std::string stream = stock_stream(line->sku_id);
        out.push_back(stream);
        if (loaded.contains(stream) && loaded.stock(line->sku_id).exists) {
          out.push_back(product_stream(loaded.stock(line->sku_id).product_id));
        }
      }
      break;
    }
    case CommandBody::PayOrder: order_only(command.AsPayOrder()->order_id); break;
    case CommandBody::FailPayment: order_only(command.AsFailPayment()->order_id); break;
    case CommandBody::CancelOrder: order_only(command.AsCancelOrder()->order_id); break;
    case CommandBody::ForwardDropship: order_only(command.AsForwardDropship()->order_id); break;
    case CommandBody::AcknowledgeDropship: order_only(command.AsAcknowledgeDropship()->order_id); break;
    case CommandBody::ShipOrder: order_only(command.AsShipOrder()->order_id); break;
    case CommandBody::DeliverOrder: order_only(command.AsDeliverOrder()->order_id); break;
    case CommandBody::RequestReturn: order_only(command.AsRequestReturn()->order_id); break;
    case CommandBody::RejectReturn: order_only(command.AsRejectReturn()->order_id); break;
    case CommandBody::IssueRefund: order_only(command.AsIssueRefund()->order_id); break;
    case CommandBody::ApproveReturn: {
      const std::string& order_id = command.AsApproveReturn()->order_id;
      order_only(order_id);
      if (loaded.contains(order_stream(order_id))) {
        for (const OrderLineState& line : loaded.order(order_id).lines) {
          if (!line.supplier_id.empty()) out.push_back(supplier_stream(line.supplier_id));
        }
      }
      break;
    }
    case CommandBody::ReceiveReturn: {
      const auto& c = *command.AsReceiveReturn();
      order_only(c.order_id);
      out.push_back(warehouse_stream(c.warehouse_id));
      break;
    }
    default:
      break;
  }
}

Result<Decision> decide_orders(const shop::CommandBodyUnion& command, const Context& ctx) {
  using shop::CommandBody;
  switch (command.type) {
    case CommandBody::PlaceOrder: return place_order(*command.AsPlaceOrder(), ctx);
    case CommandBody::PayOrder: return pay_order(*command.AsPayOrder(), ctx);
    case CommandBody::FailPayment: return fail_payment(*command.AsFailPayment(), ctx);
    case CommandBody::CancelOrder: return cancel_order(*command.AsCancelOrder(), ctx);
    case CommandBody::ForwardDropship: return forward_dropship(*command.AsForwardDropship(), ctx);
    case CommandBody::AcknowledgeDropship: return acknowledge_dropship(*command.AsAcknowledgeDropship(), ctx);
    case CommandBody::ShipOrder: return ship_order(*command.AsShipOrder(), ctx);
    case CommandBody::DeliverOrder: return deliver_order(*command.AsDeliverOrder(), ctx);
    default: break;
  }
  return refuse("unknown_command", "command", "not an order command");
}

}  // namespace spine::domain::detail
