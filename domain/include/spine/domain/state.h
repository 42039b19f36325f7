// The state of each aggregate (product, SKU stock, order, supplier,
// warehouse) and `evolve`, which folds one event into it. States are plain
// values: equal states compare equal, so a replay can be checked against the
// live handler. evolve is pure and total: an event of another aggregate's kind
// is a programming error (assert), never a silent change.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "spine/domain/events.h"

namespace spine::domain {

struct ProductSku {
  std::string sku_id;
  std::int64_t price = 0;
  std::int64_t cost = 0;
  bool operator==(const ProductSku&) const = default;
};

struct ProductState {
  bool exists = false;
  bool listed = false;
  std::string product_id, title, description, category, supplier_id, shipping_template;
  std::vector<std::pair<std::string, std::string>> attributes;
  std::vector<ProductSku> skus;
  std::int32_t main_video_seconds = 0;
  std::int32_t rating_tenths = 0;

  const ProductSku* find_sku(std::string_view sku_id) const;
  bool operator==(const ProductState&) const = default;
};

struct WarehouseStock {
  std::string region;
  std::int64_t on_hand = 0;
  std::int64_t reserved = 0;   // held for placed orders, not yet shipped
  std::int64_t incoming = 0;   // transfers in flight to this warehouse
  std::int64_t available() const { return on_hand - reserved; }
  bool operator==(const WarehouseStock&) const = default;
};

struct TransferInFlight {
  std::string from_warehouse, to_warehouse, to_region;
  std::int64_t quantity = 0;
  bool operator==(const TransferInFlight&) const = default;
};

struct StockState {
  bool exists = false;  // the SKU has been listed
  std::string sku_id, product_id, supplier_id;
  std::int64_t cost_price = 0;
  std::map<std::string, WarehouseStock> warehouses;  // by warehouse id
  std::map<std::string, TransferInFlight> transfers;  // by transfer id
  // Dropship: the supplier's last report, and what we routed to it since. A
  // report counts what the supplier held then, so only reservations made
  // after it draw on it, and only their release gives units back to it.
  std::int64_t supplier_reported = 0;
  std::int64_t supplier_reported_at_us = 0;
  std::int64_t supplier_committed_since_report = 0;  // sum over reservations made since the report
  std::map<std::string, std::int64_t> supplier_unshipped_since_report;  // by order: reserved since the report, not shipped or released
  std::int64_t supplier_open = 0;  // routed to the supplier, not yet shipped

  std::int64_t on_hand() const;
  std::int64_t reserved() const;
  std::int64_t available() const;           // own warehouses
  std::int64_t supplier_available() const;  // reported minus routed since the report
  bool operator==(const StockState&) const = default;
};

enum class OrderStatus { kNone, kPlaced, kPaid, kPartiallyShipped, kShipped, kDelivered, kCancelled };
std::string_view order_status_name(OrderStatus status);

struct OrderLineState {
  std::string sku_id, product_id, supplier_id, category;
  std::int64_t quantity = 0, unit_price = 0, discount = 0, cost_price = 0;
  std::vector<std::pair<std::string, std::int64_t>> warehouse_allocations;  // warehouse id, qty
  std::int64_t supplier_quantity = 0;  // routed to supplier_id
  std::int64_t value() const { return unit_price * quantity - discount; }
  bool operator==(const OrderLineState&) const = default;
};

enum class ReturnStatus { kRequested, kApproved, kRejected, kReceived };

struct ReturnState {
  ReturnStatus status = ReturnStatus::kRequested;
  std::vector<std::pair<std::string, std::int64_t>> lines;  // sku, quantity
  std::int32_t reason = 0;
  std::int64_t shipping_cost = 0, shop_share = 0, supplier_share = 0;
  bool operator==(const ReturnState&) const = default;
};

struct OrderState {
  bool exists = false;
  OrderStatus status = OrderStatus::kNone;
  std::string order_id, customer_id, region;
  std::int32_t channel = 0;
  std::vector<OrderLineState> lines;
  std::int64_t total = 0, paid = 0, refunded = 0;
  std::int32_t payment_failures = 0;
  std::int64_t delivered_at_us = 0;  // 0: not delivered, or delivered before the log recorded when
  // Shipping sources ("warehouse:<id>" or "supplier:<id>") and their progress.
  std::set<std::string> sources, shipped_sources, forwarded_suppliers, acknowledged_suppliers;
  std::map<std::string, ReturnState> returns;  // by return id
  std::set<std::string> refund_ids;

  const OrderLineState* find_line(std::string_view sku_id) const;
  // What the buyer of a cancelled paid order is owed until refunds settle it.
  std::int64_t refund_due() const { return status == OrderStatus::kCancelled ? paid - refunded : 0; }
  // Units of `sku_id` in returns that are not rejected.
  std::int64_t returned_quantity(std::string_view sku_id) const;
  bool operator==(const OrderState&) const = default;
};

std::string source_key(shop::SourceKind kind, std::string_view source_id);

struct SupplierState {
  bool exists = false;
  std::string supplier_id, name;
  std::int32_t lead_time_days = 0, ship_within_hours = 0, return_cost_share_bp = 0, return_window_days = 0;
  bool operator==(const SupplierState&) const = default;
};

struct WarehouseState {
  bool exists = false;
  std::string warehouse_id, name, region;
  bool operator==(const WarehouseState&) const = default;
};

// The state of one stream: which aggregate it holds depends on its kind.
using AggregateState =
    std::variant<std::monostate, ProductState, StockState, OrderState, SupplierState, WarehouseState>;

struct StreamState {
  std::uint64_t version = 0;  // the last event folded in (0: empty stream)
  AggregateState state;
  bool operator==(const StreamState&) const = default;
};

// Folds `event` into `state`. Marketing events (spend, traffic) carry no
// aggregate state and leave it unchanged.
void evolve(AggregateState& state, const shop::EventBodyUnion& event);

}  // namespace spine::domain
