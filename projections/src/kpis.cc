#include "spine/projections/kpis.h"

#include <algorithm>
#include <cassert>
#include <cinttypes>
#include <charconv>
#include <cstdio>
#include <initializer_list>
#include <map>
#include <unordered_map>
#include <nlohmann/json.hpp>

#include "allocate.h"
#include "spine/domain/deadlines.h"
#include "calendar.h"
#include "rows.h"
#include "supplier_terms.h"
#include "stock_book.h"

namespace spine::projections {
namespace internal {

enum Counter : int {
  kPlacedOrders, kPlacedValue, kUnits, kPaidOrders, kPaidValue, kCancelledOrders,
  kFailCardLimit, kFailVerificationTimeout, kFailCancelledByBuyer, kFailOther,
  kShippedUnits, kReturnedUnits, kReturnedSizeMismatch, kReturnedQualityProblem, kReturnedDamagedInTransit,
  kReturnedNotAsDescribed, kReturnedNoReason7Day,
  kRefunds, kCogs, kCommission, kDropshipCost, kSpend,
  kImpressions, kClicks, kVisitors, kPageViews, kAddToCarts,
  kForwards, kForwardsShipped, kForwardsInTime, kShipTimeSumUs,
  kRefundDue,  // a change of the balance owed to buyers of cancelled paid orders
  kDiscounts, kCouponDiscounts,  // given away at placement: line discounts and coupons; coupons alone
  kCounterCount
};

using Counters = std::array<std::int64_t, kCounterCount>;

constexpr std::int64_t kSlowMovingDays = 30;  // no sale in this many days, and listed at least this long

// Dimension values ("all", "channel:web", "sku:S-1") by small interned ids
// (KpiState::dims); rows and queries still name them by their text.
using DimIds = std::vector<std::uint32_t>;

// The *_dims members below are caches of interned ids, filled on first use
// and never serialized (a row loaded from disk starts without them).
struct LineFacts {
  std::string sku, category, supplier;
  std::int32_t rating = 0;
  std::int64_t quantity = 0, value = 0, cost = 0, own_quantity = 0;
  std::int64_t refunded = 0;   // the part of the order's refunds allocated to this line
  std::int64_t restocked = 0;  // own units back in stock from resellable returns
  mutable DimIds line_dims;
};
struct OrderFacts {
  std::string customer, region;
  std::int32_t channel = 0, device = 0;
  std::vector<LineFacts> lines;
  std::map<std::string, std::int32_t> return_reasons;
  std::int64_t placed_hour = 0;  // the cohort that rates over placed orders count in
  std::int64_t paid = 0, refunded = 0;
  bool cancelled = false;
  std::int32_t failed_reasons = 0;  // bit per payment-failure reason already counted
  mutable DimIds order_dims, distinct_line_dims;
};
struct SkuFacts {
  std::string product, category, supplier;  // category and rating: the product's current ones
  std::int32_t rating = 0;
  mutable DimIds line_dims;
};
struct ForwardFacts {
  std::int64_t at_us = 0;
  std::vector<std::string> dims;
  bool overdue = false;  // open, and its deadline recorded in the log
};
struct CustomerOrder {  // a paid order that stands (a cancelled one is removed)
  std::string order;
  std::int64_t hour = 0;
  std::int32_t channel = 0, device = 0;
  std::string region;
};
struct DaySeries {
  std::int64_t listed_day = 0;
  bool dropship = false;
  std::int64_t cost = 0;
  std::map<std::int64_t, std::array<std::int64_t, 3>> days;  // day -> sellable, on hand, shipped (end of day)
  std::map<std::int64_t, bool> listing;  // day -> on sale at the end of it (the days it changed)
  bool on_sale(std::int64_t day) const {
    auto it = listing.upper_bound(day);
    return it == listing.begin() || std::prev(it)->second;
  }
};

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(LineFacts, sku, category, supplier, rating, quantity, value, cost, own_quantity,
                                   refunded, restocked)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(OrderFacts, customer, region, channel, device, lines, return_reasons, placed_hour,
                                   paid, refunded, cancelled, failed_reasons)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(SkuFacts, product, category, supplier, rating)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(ForwardFacts, at_us, dims, overdue)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(CustomerOrder, order, hour, channel, device, region)

void to_json(nlohmann::json& j, const DaySeries& s) {
  nlohmann::json days = nlohmann::json::object();
  for (const auto& [day, values] : s.days) days[std::to_string(day)] = values;
  nlohmann::json listing = nlohmann::json::object();
  for (const auto& [day, on_sale] : s.listing) listing[std::to_string(day)] = on_sale;
  j = {{"listed_day", s.listed_day}, {"dropship", s.dropship}, {"cost", s.cost}, {"days", std::move(days)},
       {"listing", std::move(listing)}};
}
void from_json(const nlohmann::json& j, DaySeries& s) {
  j.at("listed_day").get_to(s.listed_day);
  j.at("dropship").get_to(s.dropship);
  j.at("cost").get_to(s.cost);
  s.days.clear();
  for (const auto& [day, values] : j.at("days").items()) s.days[std::stoll(day)] = values.get<std::array<std::int64_t, 3>>();
  s.listing.clear();
  for (const auto& [day, on_sale] : j.at("listing").items()) s.listing[std::stoll(day)] = on_sale.get<bool>();
}

// The same rows without a DOM (rows.h, row_text): members in nlohmann's
// order, sorted by name.
void append_json(JsonText& out, const LineFacts& line) {
  out.begin_object();
  out.key("category"), out.value(line.category);
  out.key("cost"), out.value(line.cost);
  out.key("own_quantity"), out.value(line.own_quantity);
  out.key("quantity"), out.value(line.quantity);
  out.key("rating"), out.value(std::int64_t{line.rating});
  out.key("refunded"), out.value(line.refunded);
  out.key("restocked"), out.value(line.restocked);
  out.key("sku"), out.value(line.sku);
  out.key("supplier"), out.value(line.supplier);
  out.key("value"), out.value(line.value);
  out.end_object();
}
void append_json(JsonText& out, const OrderFacts& order) {
  out.begin_object();
  out.key("cancelled"), out.value(order.cancelled);
  out.key("channel"), out.value(std::int64_t{order.channel});
  out.key("customer"), out.value(order.customer);
  out.key("device"), out.value(std::int64_t{order.device});
  out.key("failed_reasons"), out.value(std::int64_t{order.failed_reasons});
  out.key("lines");
  out.begin_array();
  for (const LineFacts& line : order.lines) append_json(out, line);
  out.end_array();
  out.key("paid"), out.value(order.paid);
  out.key("placed_hour"), out.value(order.placed_hour);
  out.key("refunded"), out.value(order.refunded);
  out.key("region"), out.value(order.region);
  out.key("return_reasons");
  out.begin_object();
  for (const auto& [reason, count] : order.return_reasons) out.key(reason), out.value(std::int64_t{count});
  out.end_object();
  out.end_object();
}
void append_json(JsonText& out, const SkuFacts& sku) {
  out.begin_object();
  out.key("category"), out.value(sku.category);
  out.key("product"), out.value(sku.product);
  out.key("rating"), out.value(std::int64_t{sku.rating});
  out.key("supplier"), out.value(sku.supplier);
  out.end_object();
}
void append_json(JsonText& out, const ForwardFacts& forward) {
  out.begin_object();
  out.key("at_us"), out.value(forward.at_us);
  out.key("dims");
  out.begin_array();
  for (const std::string& dim : forward.dims) out.value(dim);
  out.end_array();
  out.key("overdue"), out.value(forward.overdue);
  out.end_object();
}
void append_json(JsonText& out, const std::vector<CustomerOrder>& orders) {
  out.begin_array();
  for (const CustomerOrder& order : orders) {
    out.begin_object();
    out.key("channel"), out.value(std::int64_t{order.channel});
    out.key("device"), out.value(std::int64_t{order.device});
    out.key("hour"), out.value(order.hour);
    out.key("order"), out.value(order.order);
    out.key("region"), out.value(order.region);
    out.end_object();
  }
  out.end_array();
}
void append_json(JsonText& out, const DaySeries& series) {
  out.begin_object();
  out.key("cost"), out.value(series.cost);
  out.key("days");
  out.begin_object();
  for_each_by_decimal_text(series.days, [&](std::string_view day, const std::array<std::int64_t, 3>& values) {
    out.key(day);
    out.begin_array();
    for (std::int64_t v : values) out.value(v);
    out.end_array();
  });
  out.end_object();
  out.key("dropship"), out.value(series.dropship);
  out.key("listed_day"), out.value(series.listed_day);
  out.key("listing");
  out.begin_object();
  for_each_by_decimal_text(series.listing, [&](std::string_view day, bool on_sale) {
    out.key(day);
    out.value(on_sale);
  });
  out.end_object();
  out.end_object();
}

std::string rating_band(std::int32_t tenths) {
  if (tenths <= 0) return "unrated";
  if (tenths >= 48) return "4.8+";
  if (tenths > 42) return "4.3-4.7";
  return "4.2-";
}

std::string channel_name(std::int32_t channel) { return shop::EnumNameChannel(static_cast<shop::Channel>(channel)); }
std::string device_name(std::int32_t device) { return shop::EnumNameDevice(static_cast<shop::Device>(device)); }

struct KpiState {
  explicit KpiState(const domain::Config& config)
      : config(config), calendar{config.time_zone},
        book(calendar, config) {}

  const domain::Config& config;
  Calendar calendar;
  StockBook book;
  // Interned dimension values: id -> text, text -> id (TextHash: rows.h).
  std::vector<std::string> dim_names;
  std::unordered_map<std::string, std::uint32_t, TextHash, std::equal_to<>> dim_ids;
  // (local hour, dimension id) -> counters, in hour order for queries; the
  // hash index finds a bucket without walking the tree.
  using Buckets = std::map<std::pair<std::int64_t, std::uint32_t>, Counters>;
  struct BucketHash {
    std::size_t operator()(const std::pair<std::int64_t, std::uint32_t>& key) const {
      return static_cast<std::size_t>(static_cast<std::uint64_t>(key.first) * 0x9E3779B97F4A7C15ULL ^ key.second);
    }
  };
  Buckets buckets;
  // A bucket's map entry (stable: buckets are never erased) and whether it
  // changed since the last flush.
  struct BucketRef {
    Buckets::value_type* entry = nullptr;
    bool changed = false;
  };
  std::unordered_map<std::pair<std::int64_t, std::uint32_t>, BucketRef, BucketHash> bucket_index;
  std::vector<BucketRef*> changed_buckets;  // index entries (stable too), each once
  // The hours where the refund-due balance of a dimension changed, and by how
  // much (from the buckets; not stored apart): a balance at any hour without a
  // walk over every bucket before it.
  std::map<std::uint32_t, std::map<std::int64_t, std::int64_t>> refund_due_changes;
  DimIds scratch_dims;  // sku_dims of a SKU without facts
  TrackedTable<OrderFacts> orders;
  TrackedTable<SkuFacts> skus;
  TrackedTable<ForwardFacts> forwards;
  TrackedTable<std::vector<CustomerOrder>> customers;
  TrackedTable<DaySeries> series;
  std::int64_t clock_us = 0;  // the latest occurred-at seen: "now" for forwards past their deadline

  std::uint32_t dim(std::string_view text) {
    auto found = dim_ids.find(text);
    if (found != dim_ids.end()) return found->second;
    const auto id = static_cast<std::uint32_t>(dim_names.size());
    dim_names.emplace_back(text);
    dim_ids.emplace(dim_names.back(), id);
    return id;
  }
  // The bucket of (hour, dimension), created empty.
  BucketRef& bucket_at(std::int64_t hour, std::uint32_t dim_id) {
    auto [found, inserted] = bucket_index.try_emplace({hour, dim_id});
    if (inserted) found->second.entry = &*buckets.emplace(std::make_pair(hour, dim_id), Counters{}).first;
    return found->second;
  }
  // Adds each (counter, value) to the bucket of (hour, dimension): one
  // lookup for all of them; all zero leaves the bucket as it is.
  using CounterValues = std::initializer_list<std::pair<Counter, std::int64_t>>;
  void add(std::int64_t hour, std::uint32_t dim_id, CounterValues values) {
    if (std::all_of(values.begin(), values.end(), [](const auto& cv) { return cv.second == 0; })) return;
    BucketRef& bucket = bucket_at(hour, dim_id);
    for (const auto& [counter, value] : values) {
      bucket.entry->second[counter] += value;
      if (counter == kRefundDue && value != 0) refund_due_changes[dim_id][hour] += value;
    }
    if (!bucket.changed) {
      bucket.changed = true;
      changed_buckets.push_back(&bucket);
    }
  }
  void add_all(std::int64_t hour, const DimIds& dims, CounterValues values) {
    for (std::uint32_t id : dims) add(hour, id, values);
  }
  void add_all(std::int64_t hour, const DimIds& dims, Counter counter, std::int64_t value) {
    add_all(hour, dims, {{counter, value}});
  }

  const DimIds& order_dims(const OrderFacts& order) {
    if (order.order_dims.empty()) {
      order.order_dims = {dim("all"), dim("channel:" + channel_name(order.channel)), dim("region:" + order.region),
                          dim("device:" + device_name(order.device))};
    }
    return order.order_dims;
  }
  DimIds line_dims(const std::string& sku, const std::string& category, const std::string& supplier,
                   std::int32_t rating) {
    DimIds dims = {dim("category:" + category), dim("sku:" + sku), dim("rating:" + rating_band(rating))};
    if (!supplier.empty()) dims.push_back(dim("supplier:" + supplier));
    return dims;
  }
  const DimIds& line_dims(const LineFacts& line) {
    if (line.line_dims.empty()) line.line_dims = line_dims(line.sku, line.category, line.supplier, line.rating);
    return line.line_dims;
  }
  const DimIds& sku_dims(const std::string& sku) {
    const SkuFacts* found = skus.find(sku);
    if (found == nullptr) {
      scratch_dims = line_dims(sku, "", "", 0);
      return scratch_dims;
    }
    if (found->line_dims.empty()) found->line_dims = line_dims(sku, found->category, found->supplier, found->rating);
    return found->line_dims;
  }
  // The distinct line dimensions of an order (an order counts once per value).
  // The dimensions of the order's line of `sku`, as placed (a product update
  // after the placement does not move it); the SKU's current ones if the
  // order has no such line.
  const DimIds& placed_line_dims(const OrderFacts& order, const std::string& sku) {
    for (const LineFacts& line : order.lines) {
      if (line.sku == sku) return line_dims(line);
    }
    return sku_dims(sku);
  }
  const DimIds& distinct_line_dims(const OrderFacts& order) {
    if (order.distinct_line_dims.empty()) {
      DimIds dims;
      for (const LineFacts& line : order.lines) {
        const DimIds& of_line = line_dims(line);
        dims.insert(dims.end(), of_line.begin(), of_line.end());
      }
      std::sort(dims.begin(), dims.end());
      dims.erase(std::unique(dims.begin(), dims.end()), dims.end());
      order.distinct_line_dims = std::move(dims);
    }
    return order.distinct_line_dims;
  }
  DimIds dims_named(const std::vector<std::string>& names) {
    DimIds ids;
    for (const std::string& name : names) ids.push_back(dim(name));
    return ids;
  }
  // Adds a per-order count to the order's dimensions and once per line dimension.
  void count_order(std::int64_t hour, const OrderFacts& order, const DimIds& dims, Counter counter) {
    add_all(hour, dims, counter, 1);
    add_all(hour, distinct_line_dims(order), counter, 1);
  }

  // The platform's commission on `value` of `line` (booked on the paid value,
  // reversed on the refunded value, so both round the same way).
  std::int64_t commission_on(const OrderFacts& order, const LineFacts& line, std::int64_t value) const {
    return value * config.commission_bp(channel_name(order.channel), line.category) / 10'000;
  }
  // Books cost of goods and commission (or their reversal, negative) on a
  // line's dimensions and its order's.
  void book_line_costs(std::int64_t hour, const OrderFacts& order, const LineFacts& line, std::int64_t cogs,
                       std::int64_t commission) {
    add_all(hour, line_dims(line), {{kCogs, cogs}, {kCommission, commission}});
    add_all(hour, order_dims(order), {{kCogs, cogs}, {kCommission, commission}});
  }

  void cancel(std::int64_t hour, const std::string& order_id, OrderFacts& order);
  void update_product(const shop::ProductUpdatedT& e);
  void refund(std::int64_t hour, OrderFacts& order, std::int64_t amount);
  void restock(std::int64_t hour, OrderFacts& order, const std::string& sku, std::int64_t quantity);
  void apply(const shop::EventBodyUnion& event, std::int64_t at);
  void apply_stock(const shop::EventBodyUnion& event, std::int64_t at);
};

// A cancellation counts in the order's placement cohort. A paid order's own
// units go back on sale, so their cost of goods is reversed now; what was paid
// is owed to the buyer (refund due) until refunds settle it.
void KpiState::cancel(std::int64_t hour, const std::string& order_id, OrderFacts& order) {
  if (order.cancelled) return;
  order.cancelled = true;
  count_order(order.placed_hour, order, order_dims(order), kCancelledOrders);
  for (const LineFacts& line : order.lines) {  // a cancelled forward is neither shipped nor open
    if (!line.supplier.empty() && forwards.contains(order_id + "/" + line.supplier)) forwards.erase(order_id + "/" + line.supplier);
  }
  if (order.paid == 0) return;
  if (customers.contains(order.customer)) {  // a cancelled order is no purchase for the repurchase rate
    std::erase_if(customers.write(order.customer), [&](const CustomerOrder& paid) { return paid.order == order_id; });
  }
  for (const LineFacts& line : order.lines) book_line_costs(hour, order, line, -line.cost * (line.own_quantity - line.restocked), 0);
  add_all(hour, order_dims(order), kRefundDue, order.paid - order.refunded);
}

// A refund is split over the lines by value; each line's commission is
// reversed on the part of its value refunded (never beyond its value). A
// refund of a cancelled order settles what is due.
void KpiState::refund(std::int64_t hour, OrderFacts& order, std::int64_t amount) {
  const DimIds& dims = order_dims(order);
  add_all(hour, dims, kRefunds, amount);
  if (order.cancelled) add_all(hour, dims, kRefundDue, -std::min(amount, order.paid - order.refunded));
  order.refunded += amount;
  std::vector<std::int64_t> weights;
  for (const LineFacts& line : order.lines) weights.push_back(line.value);
  const std::vector<std::int64_t> parts = allocate(amount, weights);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    LineFacts& line = order.lines[i];
    add_all(hour, line_dims(line), kRefunds, parts[i]);
    const std::int64_t before = std::min(line.value, line.refunded);
    line.refunded += parts[i];
    const std::int64_t after = std::min(line.value, line.refunded);
    book_line_costs(hour, order, line, 0, -(commission_on(order, line, after) - commission_on(order, line, before)));
  }
}

// Own units of a paid order back in stock from a resellable return: their
// cost of goods is reversed (they will count again when they sell). Units
// written off keep theirs.
void KpiState::restock(std::int64_t hour, OrderFacts& order, const std::string& sku, std::int64_t quantity) {
  if (order.paid == 0) return;
  for (LineFacts& line : order.lines) {
    if (line.sku != sku) continue;
    const std::int64_t units = std::min(quantity, line.own_quantity - line.restocked);
    if (units <= 0) return;
    line.restocked += units;
    book_line_costs(hour, order, line, -line.cost * units, 0);
    return;
  }
}

void KpiState::apply_stock(const shop::EventBodyUnion& event, std::int64_t at) {
  const std::int64_t day = calendar.day(at);
  for (const std::string& id : book.apply(event, at)) {
    const SkuLevels& levels = *book.find(id);
    if (!levels.stock.exists) continue;
    DaySeries& s = series.write(id);
    if (event.type == shop::EventBody::SkuListed) {
      s.listed_day = day;
      s.dropship = !levels.stock.supplier_id.empty();
      s.cost = levels.stock.cost_price;
    }
    if (event.type == shop::EventBody::ProductDelisted || event.type == shop::EventBody::ProductRelisted) {
      s.listing[day] = event.type == shop::EventBody::ProductRelisted;
    }
    auto& values = s.days[day];
    // Sellable: own stock available, and for a dropship SKU what its supplier can still take.
    values[0] = levels.stock.available() + (levels.stock.supplier_id.empty() ? 0 : levels.stock.supplier_available());
    values[1] = levels.stock.on_hand();
    if (event.type == shop::EventBody::StockShipped) values[2] += event.AsStockShipped()->quantity;
  }
}

// A product's new category or rating is its SKUs' from now on: orders placed
// later count under it; lines already placed keep the ones they were sold
// under (a figure of a past period does not move).
void KpiState::update_product(const shop::ProductUpdatedT& e) {
  if (e.category.empty() && e.rating_tenths < 0) return;
  std::vector<std::string> of_product;
  skus.for_each([&](std::string_view sku, const SkuFacts& facts) {
    if (facts.product == e.product_id) of_product.emplace_back(sku);
  });
  for (const std::string& sku : of_product) {
    SkuFacts& facts = skus.write(sku);
    if (!e.category.empty()) facts.category = e.category;
    if (e.rating_tenths >= 0) facts.rating = e.rating_tenths;
    facts.line_dims.clear();
  }
}

void KpiState::apply(const shop::EventBodyUnion& event, std::int64_t at) {
  using shop::EventBody;
  const std::int64_t hour = calendar.hour(at);
  clock_us = std::max(clock_us, at);
  if (StockBook::concerns(event)) apply_stock(event, at);
  switch (event.type) {
    case EventBody::ProductListed: {
      const auto& e = *event.AsProductListed();
      for (const auto& sku : e.skus) {
        skus.write(sku->sku_id) = SkuFacts{e.product_id, e.category, e.supplier_id, e.rating_tenths, {}};
      }
      break;
    }
    case EventBody::ProductUpdated: update_product(*event.AsProductUpdated()); break;
    case EventBody::OrderPlaced: {
      const auto& e = *event.AsOrderPlaced();
      OrderFacts& order = orders.write(e.order_id);
      order = OrderFacts{};
      order.customer = e.customer_id;
      order.region = e.region;
      order.channel = static_cast<std::int32_t>(e.channel);
      order.device = static_cast<std::int32_t>(e.device);
      order.placed_hour = hour;
      std::int64_t value = e.shipping_fee, units = 0, discounts = e.coupon_discount;
      for (const auto& line : e.lines) {
        LineFacts facts;
        facts.sku = line->sku_id;
        facts.category = line->category;
        facts.supplier = line->supplier_id;
        const SkuFacts* known = skus.find(line->sku_id);
        facts.rating = known == nullptr ? 0 : known->rating;
        facts.quantity = line->quantity;
        facts.value = line->unit_price * line->quantity - line->discount;
        facts.cost = line->cost_price;
        for (const auto& allocation : line->allocations) {
          if (allocation->kind == shop::SourceKind::Warehouse) facts.own_quantity += allocation->quantity;
        }
        value += facts.value;
        units += facts.quantity;
        discounts += line->discount;
        order.lines.push_back(std::move(facts));
      }
      const DimIds& dims = order_dims(order);
      count_order(hour, order, dims, kPlacedOrders);
      add_all(hour, dims,
              {{kPlacedValue, value}, {kUnits, units}, {kDiscounts, discounts}, {kCouponDiscounts, e.coupon_discount}});
      for (std::size_t i = 0; i < order.lines.size(); ++i) {
        const LineFacts& line = order.lines[i];
        add_all(hour, line_dims(line),
                {{kPlacedValue, line.value}, {kUnits, line.quantity}, {kDiscounts, e.lines[i]->discount}});
      }
      break;
    }
    case EventBody::OrderPaid: {
      const auto& e = *event.AsOrderPaid();
      if (!orders.contains(e.order_id)) break;
      OrderFacts& order = orders.write(e.order_id);
      order.paid = e.amount;
      const DimIds& dims = order_dims(order);
      count_order(hour, order, dims, kPaidOrders);
      add_all(hour, dims, kPaidValue, e.amount);
      for (const LineFacts& line : order.lines) {
        const std::int64_t cogs = line.cost * line.own_quantity;
        const std::int64_t commission = commission_on(order, line, line.value);
        const DimIds& line_dimensions = line_dims(line);
        add_all(hour, line_dimensions, {{kPaidValue, line.value}, {kCogs, cogs}, {kCommission, commission}});
        add_all(hour, dims, {{kCogs, cogs}, {kCommission, commission}});
      }
      customers.write(order.customer).push_back(CustomerOrder{e.order_id, hour, order.channel, order.device, order.region});
      break;
    }
    case EventBody::PaymentFailed: {
      const auto& e = *event.AsPaymentFailed();
      if (!orders.contains(e.order_id)) break;
      OrderFacts& order = orders.write(e.order_id);
      const int reason = std::clamp<int>(static_cast<int>(e.reason), 0, 3);
      if ((order.failed_reasons & (1 << reason)) != 0) break;  // an order counts once per reason
      order.failed_reasons |= 1 << reason;
      count_order(order.placed_hour, order, order_dims(order), static_cast<Counter>(kFailCardLimit + reason));
      break;
    }
    case EventBody::OrderCancelled: {
      const auto& e = *event.AsOrderCancelled();
      if (orders.contains(e.order_id)) cancel(hour, e.order_id, orders.write(e.order_id));
      break;
    }
    case EventBody::DeadlinePassed: {  // an open forward past its deadline: due, and late
      const auto& e = *event.AsDeadlinePassed();
      if (e.kind != domain::kSupplierNotShipped) break;
      const std::size_t colon = e.subject.rfind(':');
      if (colon == std::string::npos) break;
      const std::string key = e.subject.substr(0, colon) + "/" + e.subject.substr(colon + 1);
      const ForwardFacts* forward = forwards.find(key);
      const std::int64_t hours = book.ship_within_hours(e.subject.substr(colon + 1));
      if (forward != nullptr && forward->at_us + hours * internal::kMicrosPerHour == e.due_at) {
        forwards.write(key).overdue = true;
      }
      break;
    }
    case EventBody::DropshipForwarded: {
      const auto& e = *event.AsDropshipForwarded();
      const OrderFacts* found = orders.find(e.order_id);
      if (found == nullptr) break;
      DimIds dims = order_dims(*found);
      add_all(hour, dims, kDropshipCost, e.dropship_cost);
      dims.push_back(dim("supplier:" + e.supplier_id));
      add_all(hour, dims, kForwards, 1);
      std::vector<std::int64_t> weights;
      for (const auto& line : e.lines) weights.push_back(line->quantity);
      const std::vector<std::int64_t> parts = allocate(e.dropship_cost, weights);
      for (std::size_t i = 0; i < parts.size(); ++i) {
        add_all(hour, placed_line_dims(*found, e.lines[i]->sku_id), kDropshipCost, parts[i]);
      }
      std::vector<std::string> names;  // stored by text: ids are this process's
      for (std::uint32_t id : dims) names.push_back(dim_names[id]);
      forwards.write(e.order_id + "/" + e.supplier_id) = ForwardFacts{at, std::move(names)};
      break;
    }
    case EventBody::OrderShipped: {
      const auto& e = *event.AsOrderShipped();
      const OrderFacts* found = orders.find(e.order_id);
      if (found == nullptr) break;
      const DimIds& dims = order_dims(*found);
      for (const auto& line : e.lines) {
        add_all(hour, dims, kShippedUnits, line->quantity);
        add_all(hour, placed_line_dims(*found, line->sku_id), kShippedUnits, line->quantity);
      }
      if (e.kind != shop::SourceKind::Supplier) break;
      const std::string key = e.order_id + "/" + e.source_id;
      const ForwardFacts* forward = forwards.find(key);
      if (forward == nullptr) break;
      const std::int64_t forward_hour = calendar.hour(forward->at_us);
      const std::int64_t took = at - forward->at_us;
      const bool in_time = shipped_in_time(took, book.ship_within_hours(e.source_id));
      const DimIds forward_dims = dims_named(forward->dims);
      add_all(forward_hour, forward_dims,
              {{kForwardsShipped, 1}, {kShipTimeSumUs, took}, {kForwardsInTime, in_time ? 1 : 0}});
      forwards.erase(key);
      break;
    }
    case EventBody::ReturnRequested: {
      const auto& e = *event.AsReturnRequested();
      if (orders.contains(e.order_id)) {
        orders.write(e.order_id).return_reasons[e.return_id] = static_cast<std::int32_t>(e.reason);
      }
      break;
    }
    case EventBody::ReturnReceived: {
      const auto& e = *event.AsReturnReceived();
      const OrderFacts* found = orders.find(e.order_id);
      if (found == nullptr) break;
      const OrderFacts& order = *found;
      auto reason = order.return_reasons.find(e.return_id);
      const int by_reason = kReturnedSizeMismatch + std::clamp<int>(reason == order.return_reasons.end() ? 0 : reason->second, 0, 4);
      const DimIds& dims = order_dims(order);
      for (const auto& line : e.lines) {
        const DimIds line_dimensions = placed_line_dims(order, line->sku_id);
        for (Counter counter : {kReturnedUnits, static_cast<Counter>(by_reason)}) {
          add_all(hour, dims, counter, line->quantity);
          add_all(hour, line_dimensions, counter, line->quantity);
        }
      }
      break;
    }
    case EventBody::RefundIssued: {
      const auto& e = *event.AsRefundIssued();
      if (orders.contains(e.order_id)) refund(hour, orders.write(e.order_id), e.amount);
      break;
    }
    case EventBody::StockRestocked: {
      const auto& e = *event.AsStockRestocked();
      if (orders.contains(e.order_id)) restock(hour, orders.write(e.order_id), e.sku_id, e.quantity);
      break;
    }
    case EventBody::SpendRecorded: {
      const auto& e = *event.AsSpendRecorded();
      std::int64_t day = 0;
      const std::int64_t spend_hour = parse_day(e.day, day) ? day * 24 : hour;
      DimIds dims = {dim("all"), dim("channel:" + channel_name(static_cast<std::int32_t>(e.channel)))};
      if (!e.sku_id.empty()) {
        const DimIds& of_sku = sku_dims(e.sku_id);
        dims.insert(dims.end(), of_sku.begin(), of_sku.end());
      }
      add_all(spend_hour, dims, kSpend, e.amount);
      break;
    }
    case EventBody::TrafficRecorded: {
      const auto& e = *event.AsTrafficRecorded();
      const std::int64_t traffic_hour = calendar.hour(e.period_start);
      DimIds dims = {dim("all"), dim("channel:" + channel_name(static_cast<std::int32_t>(e.channel)))};
      if (!e.sku_id.empty()) {
        const DimIds& of_sku = sku_dims(e.sku_id);
        dims.insert(dims.end(), of_sku.begin(), of_sku.end());
      }
      add_all(traffic_hour, dims,
              {{kImpressions, e.impressions}, {kClicks, e.clicks}, {kVisitors, e.visitors}, {kPageViews, e.page_views},
               {kAddToCarts, e.add_to_carts}});
      break;
    }
    default: break;
  }
}

// "h/<hour>/<dim>", the hour as printf's "%010" prints it: zero-padded to 10
// characters, the sign (if any) first.
std::string bucket_key(std::int64_t hour, const std::string& dim) {
  constexpr std::size_t kHourWidth = 10;
  const std::uint64_t magnitude = hour < 0 ? 0 - static_cast<std::uint64_t>(hour) : static_cast<std::uint64_t>(hour);
  char digits[24];
  const auto [end, error] = std::to_chars(digits, digits + sizeof(digits), magnitude);
  assert(error == std::errc());
  const std::size_t width = hour < 0 ? kHourWidth - 1 : kHourWidth;
  const auto length = static_cast<std::size_t>(end - digits);
  std::string key;
  key.reserve(2 + kHourWidth + 1 + dim.size());
  key.append("h/");
  if (hour < 0) key.push_back('-');
  if (length < width) key.append(width - length, '0');
  key.append(digits, end).append("/").append(dim);
#ifndef NDEBUG
  char expected[24];
  std::snprintf(expected, sizeof expected, "h/%010" PRId64 "/", hour);
  assert(key == expected + dim);
#endif
  return key;
}

nlohmann::json counters_json(const Counters& counters) {
  nlohmann::json out = nlohmann::json::object();
  const auto& names = kpi_counter_names();
  for (int i = 0; i < kCounterCount; ++i) {
    if (counters[i] != 0) out[names[i]] = counters[i];
  }
  return out;
}

// counters_json(counters).dump() without the DOM: the non-zero counters by
// name, in name order.
std::string counters_text(const Counters& counters) {
  // Each counter's quoted name and colon, in name order (names are plain
  // ASCII: no escapes).
  static const std::vector<std::pair<int, std::string>> members = [] {
    const auto& names = kpi_counter_names();
    std::vector<std::pair<int, std::string>> by_name;
    for (int i = 0; i < kCounterCount; ++i) by_name.emplace_back(i, "\"" + names[static_cast<std::size_t>(i)] + "\":");
    std::sort(by_name.begin(), by_name.end(), [&](const auto& a, const auto& b) {
      return names[static_cast<std::size_t>(a.first)] < names[static_cast<std::size_t>(b.first)];
    });
    return by_name;
  }();
  std::string text;
  text.reserve(512);  // bucket rows average ~270 bytes on the sample shop
  text.push_back('{');
  for (const auto& [i, member] : members) {
    const std::int64_t value = counters[static_cast<std::size_t>(i)];
    if (value == 0) continue;
    if (text.size() > 1) text.push_back(',');
    text.append(member);
    char digits[24];
    const auto [end, error] = std::to_chars(digits, digits + sizeof(digits), value);
    assert(error == std::errc());
    text.append(digits, end);
  }
  text.push_back('}');
  assert(text == counters_json(counters).dump());
  return text;
}

}  // namespace internal

using internal::Counters;
using internal::KpiState;

const std::vector<std::string>& kpi_counter_names() {
  static const std::vector<std::string> names = {
      "placed_orders", "placed_value", "units", "paid_orders", "paid_value", "cancelled_orders",
      "payment_failed_card_limit", "payment_failed_verification_timeout", "payment_failed_cancelled_by_buyer",
      "payment_failed_other", "shipped_units", "returned_units", "returned_size_mismatch",
      "returned_quality_problem", "returned_damaged_in_transit", "returned_not_as_described",
      "returned_no_reason_7day", "refunds", "cogs", "commission", "dropship_cost", "spend", "impressions",
      "clicks", "visitors", "page_views", "add_to_carts", "forwards", "forwards_shipped", "forwards_in_time",
      "ship_time_sum_us", "refund_due", "discounts", "coupon_discounts"};
  return names;
}

KpiProjection::KpiProjection(const domain::Config& config)
    : config_(config), state_(std::make_unique<KpiState>(config_)) {}

KpiProjection::~KpiProjection() = default;

std::unique_ptr<Projection> KpiProjection::fresh() const { return std::make_unique<KpiProjection>(config_); }

Status KpiProjection::apply(const EventContext& context) {
  if (context.event == nullptr) return *context.decode_error;
  state_->apply(*context.event, context.occurred_at_us());
  return ok_status();
}

void KpiProjection::take_changed_rows(RowSink& sink) {
  KpiState& s = *state_;
  for (KpiState::BucketRef* bucket : s.changed_buckets) {
    const auto& [key, counters] = *bucket->entry;
    sink.put(internal::bucket_key(key.first, s.dim_names[key.second]), internal::counters_text(counters));
    bucket->changed = false;
  }
  s.changed_buckets.clear();
  s.orders.flush("order/", sink);
  s.skus.flush("sku/", sink);
  s.forwards.flush("fwd/", sink);
  s.customers.flush("cust/", sink);
  s.series.flush("series/", sink);
  s.book.flush("book/", sink);
  sink.put("clock", std::to_string(s.clock_us));
}

void KpiProjection::write_all_rows(RowSink& sink) const {
  const KpiState& s = *state_;
  for (const auto& [key, counters] : s.buckets) {
    sink.put(internal::bucket_key(key.first, s.dim_names[key.second]), internal::counters_text(counters));
  }
  s.orders.write_all("order/", sink);
  s.skus.write_all("sku/", sink);
  s.forwards.write_all("fwd/", sink);
  s.customers.write_all("cust/", sink);
  s.series.write_all("series/", sink);
  s.book.write_all("book/", sink);
  sink.put("clock", std::to_string(s.clock_us));
}

Status KpiProjection::load_row(std::string_view key, std::string_view value) {
  KpiState& s = *state_;
  return internal::load_guarded(key, [&] {
    if (key == "clock") {
      s.clock_us = std::stoll(std::string(value));
      return true;
    }
    const std::size_t slash = key.find('/');
    if (slash == std::string_view::npos) return false;
    const std::string_view table = key.substr(0, slash), id = key.substr(slash + 1);
    if (table == "h") {
      const std::size_t dim_at = id.find('/');
      if (dim_at == std::string_view::npos) return false;
      const std::int64_t hour = std::stoll(std::string(id.substr(0, dim_at)));
      Counters& counters = s.bucket_at(hour, s.dim(id.substr(dim_at + 1))).entry->second;
      const nlohmann::json row = nlohmann::json::parse(value);
      const auto& names = kpi_counter_names();
      for (int i = 0; i < internal::kCounterCount; ++i) counters[i] = row.value(names[i], std::int64_t{0});
      if (counters[internal::kRefundDue] != 0) {
        s.refund_due_changes[s.dim(id.substr(dim_at + 1))][hour] = counters[internal::kRefundDue];
      }
    } else if (table == "order") {
      s.orders.load(id, value);
    } else if (table == "sku") {
      s.skus.load(id, value);
    } else if (table == "fwd") {
      s.forwards.load(id, value);
    } else if (table == "cust") {
      s.customers.load(id, value);
    } else if (table == "series") {
      s.series.load(id, value);
    } else if (table == "book") {
      return s.book.load(id, value);
    } else {
      return false;
    }
    return true;
  });
}

// ---- queries ------------------------------------------------------------------

namespace {

using internal::Calendar;

std::int64_t period_start_hour(const std::string& granularity, std::int64_t hour, std::int64_t from_hour) {
  if (granularity == "hour") return hour;
  const std::int64_t day = Calendar::floor_div(hour, 24);
  if (granularity == "day") return day * 24;
  if (granularity == "week") return (day - (((day + 3) % 7) + 7) % 7) * 24;  // ISO: Monday (1970-01-01 was a Thursday)
  if (granularity == "month") {
    const internal::CivilDate date = internal::civil_from_days(day);
    return internal::days_from_civil(date.year, date.month, 1) * 24;
  }
  return from_hour;  // total
}

std::int64_t period_end_hour(const std::string& granularity, std::int64_t start, std::int64_t to_hour) {
  if (granularity == "hour") return start + 1;
  if (granularity == "day") return start + 24;
  if (granularity == "week") return start + 7 * 24;
  if (granularity == "month") {
    const internal::CivilDate date = internal::civil_from_days(start / 24);
    const std::uint32_t month = date.month == 12 ? 1 : date.month + 1;
    const std::int32_t year = date.month == 12 ? date.year + 1 : date.year;
    return internal::days_from_civil(year, month, 1) * 24;
  }
  return to_hour;
}

nlohmann::json ratio(std::int64_t a, std::int64_t b) {
  return b == 0 ? nlohmann::json(nullptr) : nlohmann::json(static_cast<double>(a) / static_cast<double>(b));
}

// The value of a day series at the end of `day`: the last day recorded at or
// before it (carried forward); nullptr before the first.
const std::array<std::int64_t, 3>* value_at(const internal::DaySeries& series, std::int64_t day) {
  auto it = series.days.upper_bound(day);
  if (it == series.days.begin()) return nullptr;
  return &std::prev(it)->second;
}

// Forwards of `dim` made in hours [lo, hi), still open and past their
// deadline as the log recorded it (due, and late).
std::int64_t overdue_open_forwards(const KpiState& s, const std::string& dim, std::int64_t lo, std::int64_t hi) {
  std::int64_t overdue = 0;
  s.forwards.for_each([&](std::string_view, const internal::ForwardFacts& forward) {
    const std::int64_t hour = s.calendar.hour(forward.at_us);
    if (hour < lo || hour >= hi) return;
    if (std::find(forward.dims.begin(), forward.dims.end(), dim) == forward.dims.end()) return;
    if (forward.overdue) ++overdue;
  });
  return overdue;
}

// What buyers of cancelled paid orders of `dim` are owed at the start of
// `hour`: every change of the balance before it.
std::int64_t refund_due_at(const KpiState& s, const std::string& dim, std::int64_t hour) {
  auto id = s.dim_ids.find(dim);
  if (id == s.dim_ids.end()) return 0;
  auto changes = s.refund_due_changes.find(id->second);
  if (changes == s.refund_due_changes.end()) return 0;
  std::int64_t due = 0;
  for (auto it = changes->second.begin(); it != changes->second.end() && it->first < hour; ++it) due += it->second;
  return due;
}

}  // namespace

Result<nlohmann::json> KpiProjection::query(const KpiQuery& q) const {
  static const std::set<std::string> kGranularities = {"hour", "day", "week", "month", "total"};
  static const std::set<std::string> kDimensions = {"all", "channel", "region", "device", "category", "sku", "supplier", "rating"};
  if (!kGranularities.contains(q.granularity)) {
    return Error{"invalid_argument", "granularity", "one of hour, day, week, month, total"};
  }
  if (!kDimensions.contains(q.by)) {
    return Error{"invalid_argument", "by", "one of all, channel, region, device, category, sku, supplier, rating"};
  }
  if (q.to_us <= q.from_us) return Error{"invalid_argument", "to", "must be after from"};
  const KpiState& s = *state_;
  const Calendar& cal = s.calendar;
  // Hours whose start lies in [from, to).
  const std::int64_t from_hour = cal.hour(q.from_us - 1) + 1;
  const std::int64_t to_hour = cal.hour(q.to_us - 1) + 1;
  if (q.granularity == "hour" && to_hour - from_hour > 24 * 93) {
    return Error{"invalid_argument", "to", "hourly figures cover at most 93 days"};
  }
  if (to_hour - from_hour > 24 * 3700) return Error{"invalid_argument", "to", "a range covers at most ten years"};
  const std::string prefix = q.by == "all" ? "all" : q.by + ":";
  std::map<std::pair<std::int64_t, std::string>, Counters> rows;
  std::array<std::int64_t, 24> profile{};
  for (auto it = s.buckets.lower_bound({from_hour, 0}); it != s.buckets.end() && it->first.first < to_hour; ++it) {
    const std::int64_t hour = it->first.first;
    const std::string& dim = s.dim_names[it->first.second];
    if (dim == "all") profile[static_cast<std::size_t>(((hour % 24) + 24) % 24)] += it->second[internal::kPaidValue];
    if (q.by == "all" ? dim != "all" : !dim.starts_with(prefix)) continue;
    const std::string key = q.by == "all" ? "all" : dim.substr(prefix.size());
    Counters& sum = rows[{period_start_hour(q.granularity, hour, from_hour), key}];
    for (int i = 0; i < internal::kCounterCount; ++i) sum[i] += it->second[i];
  }
  // A shop's total always has its row: stock figures (stockouts, slow
  // movers) stand in a period without a sale.
  if (q.granularity == "total" && q.by == "all" && rows.empty()) rows[{from_hour, "all"}] = Counters{};

  nlohmann::json out_rows = nlohmann::json::array();
  for (const auto& [period, c] : rows) {
    // Named copies, not a structured binding: clang 14 (the fuzz build) cannot
    // capture a binding in the lambdas below.
    const std::int64_t start_hour = period.first;
    const std::string& key = period.second;
    const std::int64_t lo = std::max(start_hour, from_hour);
    const std::int64_t hi = std::min(period_end_hour(q.granularity, start_hour, to_hour), to_hour);
    using namespace internal;
    const std::int64_t net = c[kPaidValue] - c[kRefunds];
    nlohmann::json kpis = {
        {"gmv", c[kPlacedValue]},
        {"discounts", c[kDiscounts]},
        {"paid_gmv", c[kPaidValue]},
        {"net_sales", net},
        {"orders", c[kPlacedOrders]},
        {"paid_orders", c[kPaidOrders]},
        {"units", c[kUnits]},
        {"aov", ratio(c[kPaidValue], c[kPaidOrders])},
        {"cancellation_rate", ratio(c[kCancelledOrders], c[kPlacedOrders])},
        {"payment_failure_rate", {{"card_limit", ratio(c[kFailCardLimit], c[kPlacedOrders])},
                                  {"verification_timeout", ratio(c[kFailVerificationTimeout], c[kPlacedOrders])},
                                  {"cancelled_by_buyer", ratio(c[kFailCancelledByBuyer], c[kPlacedOrders])},
                                  {"other", ratio(c[kFailOther], c[kPlacedOrders])}}},
        {"return_rate", ratio(c[kReturnedUnits], c[kShippedUnits])},
        {"return_rate_by_reason", {{"size_mismatch", ratio(c[kReturnedSizeMismatch], c[kShippedUnits])},
                                   {"quality_problem", ratio(c[kReturnedQualityProblem], c[kShippedUnits])},
                                   {"damaged_in_transit", ratio(c[kReturnedDamagedInTransit], c[kShippedUnits])},
                                   {"not_as_described", ratio(c[kReturnedNotAsDescribed], c[kShippedUnits])},
                                   {"no_reason_7day", ratio(c[kReturnedNoReason7Day], c[kShippedUnits])}}},
        {"refund_total", c[kRefunds]},
        {"gross_profit", net - c[kCogs] - c[kCommission] - c[kDropshipCost] - c[kSpend]},
        {"roi", ratio(net, c[kSpend])},
        {"supplier_ship_rate_48h", nullptr},
        {"ctr", ratio(c[kClicks], c[kImpressions])},
        {"cvr", ratio(c[kPaidOrders], c[kVisitors])},
        {"add_to_cart_rate", ratio(c[kAddToCarts], c[kVisitors])},
    };
    const internal::ForwardTally forwards{c[kForwardsShipped], c[kForwardsInTime],
                                overdue_open_forwards(s, q.by == "all" ? "all" : q.by + ":" + key, lo, hi)};
    if (auto rate = forwards.rate()) kpis["supplier_ship_rate_48h"] = *rate;
    kpis["mean_ship_hours"] = c[kForwardsShipped] == 0 ? nlohmann::json(nullptr)
        : nlohmann::json(static_cast<double>(c[kShipTimeSumUs]) / static_cast<double>(c[kForwardsShipped]) / 3.6e9);

    // SKU-based figures over the whole days of the period.
    const std::int64_t first_day = Calendar::floor_div(lo + 23, 24), end_day = Calendar::floor_div(hi, 24);
    const bool sku_based = q.by == "all" || q.by == "sku" || q.by == "category" || q.by == "supplier" || q.by == "rating";
    auto sku_selected = [&](std::string_view sku) {
      if (q.by == "all") return true;
      if (q.by == "sku") return sku == key;
      auto facts = s.skus.find(sku);
      if (facts == nullptr) return false;
      if (q.by == "category") return facts->category == key;
      if (q.by == "supplier") return facts->supplier == key;
      return rating_band(facts->rating) == key;
    };
    if (sku_based && q.granularity != "hour" && first_day < end_day) {
      std::int64_t listed_days = 0, stockout_days = 0, with_stock = 0, slow = 0;
      Int128 value_sum = 0;
      // Sums and counts: any row order gives the same figures.
      s.series.for_each([&](std::string_view sku, const DaySeries& series) {
        if (!sku_selected(sku)) return;
        for (std::int64_t day = std::max(first_day, series.listed_day); day < end_day; ++day) {
          const auto* v = value_at(series, day);
          if (v == nullptr || !series.on_sale(day)) continue;
          ++listed_days;
          if ((*v)[0] <= 0) ++stockout_days;
        }
        for (std::int64_t day = first_day; day < end_day; ++day) {
          const auto* v = value_at(series, day);
          if (v != nullptr) value_sum += static_cast<Int128>((*v)[1]) * series.cost;
        }
        // Slow-moving is judged over 30 days: of SKUs on sale at the end, listed 30 days or more.
        const auto* last = value_at(series, end_day - 1);
        const bool judged = series.on_sale(end_day - 1) && end_day - series.listed_day >= kSlowMovingDays;
        if (last != nullptr && (*last)[1] > 0 && judged) {
          ++with_stock;
          std::int64_t sold = 0;
          for (auto it = series.days.upper_bound(end_day - kSlowMovingDays - 1);
               it != series.days.end() && it->first <= end_day - 1; ++it) {
            sold += it->second[2];
          }
          if (sold == 0) ++slow;
        }
      });
      const std::int64_t days = end_day - first_day;
      const double average_value = static_cast<double>(value_sum) / static_cast<double>(days);
      kpis["stockout_rate"] = ratio(stockout_days, listed_days);
      kpis["average_inventory_value"] = average_value;
      kpis["inventory_turnover"] = average_value <= 0 ? nlohmann::json(nullptr) : nlohmann::json(static_cast<double>(c[kCogs]) / average_value);
      kpis["slow_moving_ratio"] = ratio(slow, with_stock);
    }
    const bool customer_based = q.by == "all" || q.by == "channel" || q.by == "region" || q.by == "device";
    if (customer_based) {
      std::int64_t buyers = 0, repeat = 0;
      s.customers.for_each([&](std::string_view, const std::vector<internal::CustomerOrder>& paid) {
        std::int64_t count = 0;
        for (const internal::CustomerOrder& order : paid) {
          if (order.hour < lo || order.hour >= hi) continue;
          if (q.by == "channel" && channel_name(order.channel) != key) continue;
          if (q.by == "region" && order.region != key) continue;
          if (q.by == "device" && device_name(order.device) != key) continue;
          ++count;
        }
        if (count >= 1) ++buyers;
        if (count >= 2) ++repeat;
      });
      kpis["repurchase_rate"] = ratio(repeat, buyers);
      kpis["refund_due"] = refund_due_at(s, q.by == "all" ? "all" : q.by + ":" + key, hi);
    }
    const std::int64_t hour_of_day = ((start_hour % 24) + 24) % 24;
    std::string label = q.granularity == "total" ? "total" : format_day(Calendar::floor_div(start_hour, 24));
    if (q.granularity == "hour") label += (hour_of_day < 10 ? "T0" : "T") + std::to_string(hour_of_day);
    out_rows.push_back({{"period", label},
                        {"start", format_time(cal.hour_start_utc(lo))},
                        {"end", format_time(cal.hour_start_utc(hi))},
                        {"key", key},
                        {"counters", counters_json(c)},
                        {"kpis", std::move(kpis)}});
  }
  nlohmann::json out = {{"granularity", q.granularity},
                        {"by", q.by},
                        {"from", internal::format_time(q.from_us)},
                        {"to", internal::format_time(q.to_us)},
                        {"time_zone", config_.time_zone.name()},
                        {"rows", std::move(out_rows)}};
  if (q.by == "all") out["hourly_profile"] = profile;
  return out;
}

}  // namespace spine::projections
