// Every read model against an independent, deliberately naive recomputation
// from the raw event list (loops over `events`, written here without calling
// any projection code), over a generated shop history of 100,000+ events.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "spine/projections/alerts.h"
#include "spine/projections/kpis.h"
#include "spine/projections/prices.h"
#include "spine/projections/runner.h"
#include "spine/projections/stock.h"
#include "spine/projections/suppliers.h"
#include "spine/projections/timelines.h"
#include "support/history.h"

namespace spine::testing {
namespace {

using shop::EventBody;
constexpr std::int64_t kHourUs = 3'600'000'000LL;
constexpr std::int64_t kOffsetUs = 8 * kHourUs;  // the default shop time, +08:00

std::int64_t local_day(std::int64_t utc) { return (utc + kOffsetUs) / (24 * kHourUs); }

class NaiveRecomputation : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    store_ = generate_history(dir_->str("store"), 12'500).release();
    events_ = new std::vector<HistoryEvent>(read_history(*store_));
    auto runner = projections::ProjectionRunner::open(*store_, dir_->str("projections"),
                                                      projections::make_read_models(domain::default_config()));
    ASSERT_TRUE(runner.ok()) << runner.error().to_string();
    runner_ = runner->release();
    ASSERT_TRUE(runner_->catch_up().ok());
  }
  static void TearDownTestSuite() {
    delete runner_;
    delete events_;
    delete store_;
    delete dir_;
  }

  template <typename T>
  static nlohmann::json read(const std::string& name, const std::function<nlohmann::json(const T&)>& query) {
    nlohmann::json out;
    EXPECT_TRUE(runner_->read(name, [&](const projections::Projection& p, std::uint64_t) {
                  out = query(dynamic_cast<const T&>(p));
                }).ok());
    return out;
  }
  static std::int64_t clock() {
    std::int64_t c = 0;
    for (const HistoryEvent& e : *events_) c = std::max(c, e.occurred_at_us);
    return c;
  }

  static TempDir* dir_;
  static store::EventStore* store_;
  static std::vector<HistoryEvent>* events_;
  static projections::ProjectionRunner* runner_;
};
TempDir* NaiveRecomputation::dir_ = nullptr;
store::EventStore* NaiveRecomputation::store_ = nullptr;
std::vector<HistoryEvent>* NaiveRecomputation::events_ = nullptr;
projections::ProjectionRunner* NaiveRecomputation::runner_ = nullptr;

TEST_F(NaiveRecomputation, TheHistoryHasOverAHundredThousandEventsOfEveryKind) {
  EXPECT_GE(events_->size(), 100'000u);
  std::set<std::string> types;
  for (const HistoryEvent& e : *events_) types.insert(e.type);
  for (const char* type : {"ProductListed", "PriceChanged", "StockReceived", "SupplierStockSynced", "OrderPlaced",
                           "OrderPaid", "PaymentFailed", "OrderCancelled", "DropshipForwarded", "OrderShipped",
                           "OrderDelivered", "ReturnRequested", "ReturnReceived", "RefundIssued", "SpendRecorded",
                           "TrafficRecorded", "StockRestocked", "ReturnRejected", "DeadlinePassed"}) {
    EXPECT_TRUE(types.contains(type)) << type;
  }
  for (const auto& status : runner_->status()) {
    EXPECT_FALSE(status.failed) << status.name << ": " << status.error;
    EXPECT_EQ(status.position, events_->size()) << status.name;
  }
}

TEST_F(NaiveRecomputation, StockLevelsPerSkuAndWarehouse) {
  struct Wh { std::int64_t on_hand = 0, reserved = 0, incoming = 0; };
  std::map<std::string, std::map<std::string, Wh>> stock;
  std::map<std::string, std::int64_t> damaged;
  std::set<std::string> listed;
  for (const HistoryEvent& e : *events_) {
    const auto& b = e.body;
    switch (b.type) {
      case EventBody::SkuListed: listed.insert(b.AsSkuListed()->sku_id); break;
      case EventBody::StockReceived: stock[b.AsStockReceived()->sku_id][b.AsStockReceived()->warehouse_id].on_hand += b.AsStockReceived()->quantity; break;
      case EventBody::StockAdjusted: stock[b.AsStockAdjusted()->sku_id][b.AsStockAdjusted()->warehouse_id].on_hand += b.AsStockAdjusted()->delta; break;
      case EventBody::StockRestocked: stock[b.AsStockRestocked()->sku_id][b.AsStockRestocked()->warehouse_id].on_hand += b.AsStockRestocked()->quantity; break;
      case EventBody::StockTransferred: {
        const auto& t = *b.AsStockTransferred();
        stock[t.sku_id][t.from_warehouse].on_hand -= t.quantity;
        stock[t.sku_id][t.to_warehouse].incoming += t.quantity;
        break;
      }
      case EventBody::TransferReceived: {
        const auto& t = *b.AsTransferReceived();
        stock[t.sku_id][t.to_warehouse].incoming -= t.quantity;
        stock[t.sku_id][t.to_warehouse].on_hand += t.quantity;
        break;
      }
      case EventBody::StockReserved:
        for (const auto& a : b.AsStockReserved()->allocations) {
          if (a->kind == shop::SourceKind::Warehouse) stock[b.AsStockReserved()->sku_id][a->source_id].reserved += a->quantity;
        }
        break;
      case EventBody::StockReleased:
        for (const auto& a : b.AsStockReleased()->allocations) {
          if (a->kind == shop::SourceKind::Warehouse) stock[b.AsStockReleased()->sku_id][a->source_id].reserved -= a->quantity;
        }
        break;
      case EventBody::StockShipped: {
        const auto& s = *b.AsStockShipped();
        if (s.kind == shop::SourceKind::Warehouse) {
          stock[s.sku_id][s.source_id].on_hand -= s.quantity;
          stock[s.sku_id][s.source_id].reserved -= s.quantity;
        }
        break;
      }
      case EventBody::ReturnReceived:
        if (b.AsReturnReceived()->condition == shop::ReturnCondition::Damaged) {
          for (const auto& l : b.AsReturnReceived()->lines) damaged[l->sku_id] += l->quantity;
        }
        break;
      default: break;
    }
  }
  const nlohmann::json all = read<projections::StockProjection>("stock", [](const auto& p) { return p.list(""); });
  ASSERT_EQ(all.size(), listed.size());
  for (const nlohmann::json& row : all) {
    const std::string sku = row["sku"];
    std::int64_t on_hand = 0, reserved = 0, incoming = 0;
    for (const auto& [w, figures] : stock[sku]) {
      on_hand += figures.on_hand;
      reserved += figures.reserved;
      incoming += figures.incoming;
      ASSERT_EQ(row["warehouses"][w]["on_hand"], figures.on_hand) << sku << " " << w;
      ASSERT_EQ(row["warehouses"][w]["committed"], figures.reserved) << sku << " " << w;
    }
    EXPECT_EQ(row["on_hand"], on_hand) << sku;
    EXPECT_EQ(row["committed"], reserved) << sku;
    EXPECT_EQ(row["available"], on_hand - reserved) << sku;
    EXPECT_EQ(row["incoming"], incoming) << sku;
    EXPECT_EQ(row["damaged"], damaged[sku]) << sku;
    EXPECT_EQ(row["forecast"], on_hand + incoming - reserved) << sku;
  }
}

TEST_F(NaiveRecomputation, SafetyStockStatusAndCoverFollowTheHandbookRules) {
  const std::int64_t now = clock();
  const std::int64_t today = local_day(now);
  std::map<std::string, std::map<std::int64_t, std::int64_t>> shipped;  // sku -> day -> units
  std::map<std::string, std::string> supplier_of;
  std::map<std::string, std::int64_t> lead;
  std::map<std::string, std::string> category_of;  // sku -> its product's category
  for (const HistoryEvent& e : *events_) {
    if (e.body.type == EventBody::StockShipped) shipped[e.body.AsStockShipped()->sku_id][local_day(e.occurred_at_us)] += e.body.AsStockShipped()->quantity;
    if (e.body.type == EventBody::SkuListed) supplier_of[e.body.AsSkuListed()->sku_id] = e.body.AsSkuListed()->supplier_id;
    if (e.body.type == EventBody::SupplierRegistered) lead[e.body.AsSupplierRegistered()->supplier_id] = e.body.AsSupplierRegistered()->lead_time_days;
    if (e.body.type == EventBody::ProductListed) {
      for (const auto& s : e.body.AsProductListed()->skus) category_of[s->sku_id] = e.body.AsProductListed()->category;
    }
  }
  // The built-in shop.toml: own stock waits 3 days for food, 14 for appliances,
  // 7 otherwise; a supplier's own lead time (0 is 0), 7 for an unknown one.
  auto own_lead = [](const std::string& category) -> std::int64_t {
    if (category.starts_with("food/")) return 3;
    if (category.starts_with("appliances/")) return 14;
    return 7;
  };
  const nlohmann::json all = read<projections::StockProjection>("stock", [](const auto& p) { return p.list(""); });
  for (const nlohmann::json& row : all) {
    const std::string sku = row["sku"];
    const std::string supplier = supplier_of[sku];
    const std::int64_t lead_days = supplier.empty() ? own_lead(category_of[sku]) : lead.contains(supplier) ? lead[supplier] : 7;
    std::int64_t over_lead = 0, week = 0;
    for (const auto& [day, units] : shipped[sku]) {
      if (day <= today && day > today - lead_days) over_lead += units;
      if (day <= today && day > today - 7) week += units;
    }
    const std::int64_t safety = (over_lead * 3 + 1) / 2;  // ceil(1.5 x sales)
    const std::int64_t threshold = std::max<std::int64_t>(safety, 50);
    const std::int64_t sellable = row["available"].get<std::int64_t>() + row["supplier_available"].get<std::int64_t>();
    EXPECT_EQ(row["lead_time_days"], lead_days) << sku;
    EXPECT_EQ(row["sales_over_lead_time"], over_lead) << sku;
    EXPECT_EQ(row["safety_stock"], safety) << sku;
    EXPECT_EQ(row["alert_threshold"], threshold) << sku;
    EXPECT_EQ(row["status"], sellable <= 0 ? "out" : sellable < threshold ? "low" : "ok") << sku;
    if (week > 0) {
      EXPECT_NEAR(row["days_of_cover"].get<double>(), sellable * 7.0 / week, 0.01) << sku;
    }
  }
}

TEST_F(NaiveRecomputation, TimelinesHoldExactlyTheirEvents) {
  std::map<std::string, std::vector<std::uint64_t>> orders, skus, actors, suppliers;
  for (const HistoryEvent& e : *events_) {
    const auto& b = e.body;
    auto order = [&](const std::string& id) { if (orders[id].empty() || orders[id].back() != e.position) orders[id].push_back(e.position); };
    auto sku = [&](const std::string& id) { if (skus[id].empty() || skus[id].back() != e.position) skus[id].push_back(e.position); };
    auto supplier = [&](const std::string& id) { if (suppliers[id].empty() || suppliers[id].back() != e.position) suppliers[id].push_back(e.position); };
    actors[e.actor].push_back(e.position);
    if (e.stream.starts_with("order-")) order(e.stream.substr(6));
    if (e.stream.starts_with("stock-")) sku(e.stream.substr(6));
    if (e.stream.starts_with("supplier-")) supplier(e.stream.substr(9));
    if (b.type == EventBody::StockReserved) order(b.AsStockReserved()->order_id);
    if (b.type == EventBody::StockReleased) order(b.AsStockReleased()->order_id);
    if (b.type == EventBody::StockShipped) order(b.AsStockShipped()->order_id);
    if (b.type == EventBody::StockRestocked) order(b.AsStockRestocked()->order_id);
    if (b.type == EventBody::ProductListed) for (const auto& s : b.AsProductListed()->skus) sku(s->sku_id);
    if (b.type == EventBody::PriceChanged) sku(b.AsPriceChanged()->sku_id);
    if (b.type == EventBody::SupplierStockSynced) supplier(b.AsSupplierStockSynced()->supplier_id);
    if (b.type == EventBody::DropshipForwarded) supplier(b.AsDropshipForwarded()->supplier_id);
    if (b.type == EventBody::DropshipAcknowledged) supplier(b.AsDropshipAcknowledged()->supplier_id);
    if (b.type == EventBody::OrderShipped && b.AsOrderShipped()->kind == shop::SourceKind::Supplier) supplier(b.AsOrderShipped()->source_id);
  }
  auto positions = [](projections::TimelineKind kind, const std::string& id, std::size_t page_size = 10'000,
                      std::uint64_t until = 0) {
    std::vector<std::uint64_t> out;
    std::uint64_t after = 0;
    while (true) {
      auto page = projections::read_timeline(*runner_, {kind, id, after, until, page_size});
      EXPECT_TRUE(page.ok());
      for (const auto& entry : (*page)["entries"]) out.push_back(entry["position"]);
      if ((*page)["next_after"].is_null()) break;
      after = (*page)["next_after"];
    }
    return out;
  };
  int checked = 0;
  for (const auto& [id, expected] : orders) {
    if (checked++ % 97 != 0) continue;  // a spread sample: every timeline read renders each record
    EXPECT_EQ(positions(projections::TimelineKind::kOrder, id), expected) << id;
  }
  for (const auto& [id, expected] : skus) EXPECT_EQ(positions(projections::TimelineKind::kSku, id).size(), expected.size()) << id;
  for (const auto& [id, expected] : suppliers) EXPECT_EQ(positions(projections::TimelineKind::kSupplier, id), expected) << id;
  EXPECT_EQ(positions(projections::TimelineKind::kActor, "ops-promo"), actors["ops-promo"]);
  EXPECT_EQ(positions(projections::TimelineKind::kActor, "fin-chen"), actors["fin-chen"]);

  // A busy timeline spans several 65,536-position windows: small pages and
  // as-of cuts on both sides of a window's edge see exactly its events.
  const std::vector<std::uint64_t>& busy = actors["web-checkout"];
  ASSERT_GT(busy.back(), 65'536u);
  EXPECT_EQ(positions(projections::TimelineKind::kActor, "web-checkout", 777), busy);
  for (std::uint64_t until : {std::uint64_t{65'535}, std::uint64_t{65'536}, std::uint64_t{65'537}, busy[busy.size() / 2]}) {
    std::vector<std::uint64_t> expected;
    for (std::uint64_t position : busy) {
      if (position <= until) expected.push_back(position);
    }
    EXPECT_EQ(positions(projections::TimelineKind::kActor, "web-checkout", 4'000, until), expected) << until;
  }
}

TEST_F(NaiveRecomputation, PriceHistoryLowestPriceAndPromotionEligibility) {
  struct Change { std::int64_t at, price; };
  std::map<std::string, std::vector<Change>> changes;
  std::map<std::string, std::int64_t> shipped, returned;
  std::map<std::string, std::string> product_of;
  std::map<std::string, bool> delisted;  // by product
  for (const HistoryEvent& e : *events_) {
    if (e.body.type == EventBody::ProductListed) {
      for (const auto& s : e.body.AsProductListed()->skus) {
        changes[s->sku_id].push_back({e.occurred_at_us, s->list_price});
        product_of[s->sku_id] = e.body.AsProductListed()->product_id;
      }
    }
    if (e.body.type == EventBody::PriceChanged) changes[e.body.AsPriceChanged()->sku_id].push_back({e.occurred_at_us, e.body.AsPriceChanged()->new_price});
    if (e.body.type == EventBody::StockShipped) shipped[e.body.AsStockShipped()->sku_id] += e.body.AsStockShipped()->quantity;
    if (e.body.type == EventBody::ReturnReceived) {
      for (const auto& l : e.body.AsReturnReceived()->lines) returned[l->sku_id] += l->quantity;
    }
    if (e.body.type == EventBody::ProductDelisted) delisted[e.body.AsProductDelisted()->product_id] = true;
    if (e.body.type == EventBody::ProductRelisted) delisted[e.body.AsProductRelisted()->product_id] = false;
  }
  int offers_eligible = 0, offers_refused = 0;
  const std::int64_t now = clock(), window_start = now - 30 * 24 * kHourUs;
  for (const auto& [sku, list] : changes) {
    std::int64_t lowest = INT64_MAX, at_start = -1;
    for (const Change& c : list) {
      if (c.at <= window_start) at_start = c.price;
      else if (c.at <= now) lowest = std::min(lowest, c.price);
    }
    if (at_start >= 0) lowest = std::min(lowest, at_start);
    const nlohmann::json h = read<projections::PriceProjection>("prices", [&](const auto& p) { return p.history(sku); });
    EXPECT_EQ(h["changes"].size(), list.size()) << sku;
    EXPECT_EQ(h["price"], list.back().price) << sku;
    EXPECT_EQ(h["lowest_30d"], lowest) << sku;
    EXPECT_EQ(h["shipped_units"], shipped[sku]) << sku;
    const std::int64_t sales = shipped[sku] - returned[sku];
    const bool on_sale = !delisted[product_of[sku]];
    EXPECT_EQ(h["historical_sales"], sales) << sku;
    EXPECT_EQ(h["listed"], on_sale) << sku;
    EXPECT_EQ(h["promo_eligible"], on_sale && list.back().price <= lowest && sales >= 50) << sku;
    for (const std::int64_t offer : {lowest - 1, lowest, lowest + 1}) {
      const nlohmann::json o =
          read<projections::PriceProjection>("prices", [&](const auto& p) { return p.history(sku, offer); })["offer"];
      const bool eligible = on_sale && offer <= lowest && sales >= 50;
      EXPECT_EQ(o["eligible"], eligible) << sku << " offer " << offer;
      EXPECT_EQ(o["refusals"].empty(), eligible) << sku << " offer " << offer;
      ++(eligible ? offers_eligible : offers_refused);
    }
  }
  EXPECT_GT(offers_eligible, 0);
  EXPECT_GT(offers_refused, 0);
}

TEST_F(NaiveRecomputation, SupplierPerformance) {
  struct Figures { std::int64_t forwards = 0, shipped = 0, in_time = 0, shipped_units = 0, returned_units = 0, written_off = 0; };
  std::map<std::string, Figures> expected;
  std::map<std::string, std::int64_t> forwarded_at;  // order/supplier
  std::map<std::string, std::string> owner;
  for (const HistoryEvent& e : *events_) {
    const auto& b = e.body;
    if (b.type == EventBody::SkuListed && !b.AsSkuListed()->supplier_id.empty()) owner[b.AsSkuListed()->sku_id] = b.AsSkuListed()->supplier_id;
    if (b.type == EventBody::DropshipForwarded) {
      ++expected[b.AsDropshipForwarded()->supplier_id].forwards;
      forwarded_at[b.AsDropshipForwarded()->order_id + "/" + b.AsDropshipForwarded()->supplier_id] = e.occurred_at_us;
    }
    if (b.type == EventBody::OrderShipped && b.AsOrderShipped()->kind == shop::SourceKind::Supplier) {
      auto it = forwarded_at.find(b.AsOrderShipped()->order_id + "/" + b.AsOrderShipped()->source_id);
      if (it != forwarded_at.end()) {
        Figures& f = expected[b.AsOrderShipped()->source_id];
        ++f.shipped;
        if (e.occurred_at_us - it->second <= 48 * kHourUs) ++f.in_time;
        forwarded_at.erase(it);
      }
    }
    if (b.type == EventBody::StockShipped && owner.contains(b.AsStockShipped()->sku_id)) expected[owner[b.AsStockShipped()->sku_id]].shipped_units += b.AsStockShipped()->quantity;
    if (b.type == EventBody::ReturnReceived) {
      for (const auto& l : b.AsReturnReceived()->lines) {
        if (!owner.contains(l->sku_id)) continue;
        expected[owner[l->sku_id]].returned_units += l->quantity;
        if (b.AsReturnReceived()->condition == shop::ReturnCondition::Damaged) expected[owner[l->sku_id]].written_off += l->quantity;
      }
    }
  }
  ASSERT_FALSE(expected.empty());
  for (const auto& [id, f] : expected) {
    const nlohmann::json p = read<projections::SupplierProjection>("suppliers", [&](const auto& s) { return s.performance(id); });
    EXPECT_EQ(p["forwards"], f.forwards) << id;
    EXPECT_EQ(p["shipped"], f.shipped) << id;
    EXPECT_EQ(p["shipped_in_time"], f.in_time) << id;
    EXPECT_EQ(p["shipped_units"], f.shipped_units) << id;
    EXPECT_EQ(p["returned_units"], f.returned_units) << id;
    EXPECT_EQ(p["written_off_units"], f.written_off) << id;
    if (f.returned_units > 0) {
      EXPECT_DOUBLE_EQ(p["return_loss_rate"].get<double>(), static_cast<double>(f.written_off) / f.returned_units) << id;
    }
    EXPECT_GT(f.forwards, 0);
  }
}

// `amount` split over `lines` in proportion to their value; what rounding
// leaves goes a unit at a time to the largest remainders, earlier lines first.
template <typename Line>
std::vector<std::int64_t> split_by_value(std::int64_t amount, const std::vector<Line>& lines) {
  __extension__ typedef __int128 Wide;
  Wide sum = 0;
  for (const Line& l : lines) sum += l.value;
  std::vector<std::int64_t> parts(lines.size(), 0);
  if (lines.empty()) return parts;
  if (sum == 0) {
    parts[0] = amount;
    return parts;
  }
  std::int64_t left = amount;
  std::vector<std::pair<Wide, std::size_t>> rest;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    parts[i] = static_cast<std::int64_t>(Wide{amount} * lines[i].value / sum);
    left -= parts[i];
    rest.push_back({Wide{amount} * lines[i].value % sum, i});
  }
  std::stable_sort(rest.begin(), rest.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  for (std::size_t k = 0; left > 0; ++k, --left) ++parts[rest[k].second];
  return parts;
}

TEST_F(NaiveRecomputation, KpiTotalsByChannelRegionAndDay) {
  const domain::Config& config = domain::default_config();
  // Per line: value, own units, unit cost, commission rate, refunded part, restocked own units.
  struct Line { std::string sku; std::int64_t value = 0, own = 0, cost = 0, rate_bp = 0, refunded = 0, restocked = 0; };
  struct Order { std::string channel, region; std::vector<Line> lines; bool paid = false; };
  std::set<std::pair<std::string, int>> failed;  // (order, reason): an order counts once per reason
  std::map<std::string, Order> orders;
  std::map<std::string, std::int64_t> total;
  std::map<std::string, std::int64_t> placed_by_channel, paid_by_region;
  std::map<std::int64_t, std::int64_t> placed_by_day;
  std::map<std::string, int> paid_orders_of_customer;
  std::map<std::string, std::string> customer_of;
  for (const HistoryEvent& e : *events_) {
    const auto& b = e.body;
    switch (b.type) {
      case EventBody::OrderPlaced: {
        const auto& o = *b.AsOrderPlaced();
        Order& order = orders[o.order_id];
        order.channel = shop::EnumNameChannel(o.channel);
        order.region = o.region;
        std::int64_t value = o.shipping_fee, units = 0;
        for (const auto& l : o.lines) {
          const std::int64_t line_value = l->unit_price * l->quantity - l->discount;
          value += line_value;
          units += l->quantity;
          std::int64_t own = 0;
          for (const auto& a : l->allocations) if (a->kind == shop::SourceKind::Warehouse) own += a->quantity;
          order.lines.push_back({l->sku_id, line_value, own, l->cost_price, config.commission_bp(order.channel, l->category)});
        }
        total["placed_orders"] += 1;
        total["placed_value"] += value;
        total["units"] += units;
        placed_by_channel[order.channel] += 1;
        placed_by_day[local_day(e.occurred_at_us)] += 1;
        customer_of[o.order_id] = o.customer_id;
        break;
      }
      case EventBody::OrderPaid: {
        Order& order = orders[b.AsOrderPaid()->order_id];
        order.paid = true;
        total["paid_orders"] += 1;
        total["paid_value"] += b.AsOrderPaid()->amount;
        for (const Line& l : order.lines) {
          total["cogs"] += l.own * l.cost;
          total["commission"] += l.value * l.rate_bp / 10'000;
        }
        paid_by_region[order.region] += b.AsOrderPaid()->amount;
        paid_orders_of_customer[customer_of[b.AsOrderPaid()->order_id]] += 1;
        break;
      }
      case EventBody::OrderCancelled: {  // a paid order's own units go back on sale
        total["cancelled_orders"] += 1;
        const Order& order = orders[b.AsOrderCancelled()->order_id];
        if (order.paid) paid_orders_of_customer[customer_of[b.AsOrderCancelled()->order_id]] -= 1;  // no purchase any more
        if (order.paid) {
          for (const Line& l : order.lines) total["cogs"] -= (l.own - l.restocked) * l.cost;
        }
        break;
      }
      case EventBody::StockRestocked: {  // own units of a resellable return: their cost comes back
        const auto& r = *b.AsStockRestocked();
        Order& order = orders[r.order_id];
        for (Line& l : order.lines) {
          if (l.sku != r.sku_id || !order.paid) continue;
          const std::int64_t units = std::min<std::int64_t>(r.quantity, l.own - l.restocked);
          l.restocked += units;
          total["cogs"] -= units * l.cost;
          break;
        }
        break;
      }
      case EventBody::PaymentFailed:
        total["payment_failed"] += failed.insert({b.AsPaymentFailed()->order_id, static_cast<int>(b.AsPaymentFailed()->reason)}).second;
        break;
      case EventBody::OrderShipped: for (const auto& l : b.AsOrderShipped()->lines) total["shipped_units"] += l->quantity; break;
      case EventBody::ReturnReceived: for (const auto& l : b.AsReturnReceived()->lines) total["returned_units"] += l->quantity; break;
      case EventBody::RefundIssued: {  // split over lines by value (largest remainder); commission on each line's refunded value comes back
        total["refunds"] += b.AsRefundIssued()->amount;
        Order& order = orders[b.AsRefundIssued()->order_id];
        const std::vector<std::int64_t> parts = split_by_value(b.AsRefundIssued()->amount, order.lines);
        for (std::size_t i = 0; i < parts.size(); ++i) {
          Line& l = order.lines[i];
          const std::int64_t before = std::min(l.value, l.refunded);
          l.refunded += parts[i];
          total["commission"] -= std::min(l.value, l.refunded) * l.rate_bp / 10'000 - before * l.rate_bp / 10'000;
        }
        break;
      }
      case EventBody::SpendRecorded: total["spend"] += b.AsSpendRecorded()->amount; break;
      case EventBody::DropshipForwarded: total["forwards"] += 1; total["dropship_cost"] += b.AsDropshipForwarded()->dropship_cost; break;
      case EventBody::TrafficRecorded: total["impressions"] += b.AsTrafficRecorded()->impressions; total["clicks"] += b.AsTrafficRecorded()->clicks; break;
      default: break;
    }
  }
  projections::KpiQuery q;
  q.from_us = load::LoadOptions{}.start_us;
  q.to_us = clock() + 30 * 24 * kHourUs;
  q.granularity = "total";
  nlohmann::json result = read<projections::KpiProjection>("kpis", [&](const auto& k) { return *k.query(q); });
  ASSERT_EQ(result["rows"].size(), 1u);
  const nlohmann::json& counters = result["rows"][0]["counters"];
  for (const char* name : {"placed_orders", "placed_value", "units", "paid_orders", "paid_value", "cancelled_orders",
                           "shipped_units", "returned_units", "refunds", "spend", "forwards", "dropship_cost",
                           "impressions", "clicks", "cogs", "commission"}) {
    EXPECT_EQ(counters.value(name, std::int64_t{0}), total[name]) << name;
  }
  const std::int64_t failures = counters.value("payment_failed_card_limit", std::int64_t{0}) + counters.value("payment_failed_verification_timeout", std::int64_t{0}) +
                                counters.value("payment_failed_cancelled_by_buyer", std::int64_t{0}) + counters.value("payment_failed_other", std::int64_t{0});
  EXPECT_EQ(failures, total["payment_failed"]);
  const nlohmann::json& kpis = result["rows"][0]["kpis"];
  EXPECT_DOUBLE_EQ(kpis["aov"].get<double>(), static_cast<double>(total["paid_value"]) / static_cast<double>(total["paid_orders"]));
  EXPECT_EQ(kpis["net_sales"], total["paid_value"] - total["refunds"]);
  EXPECT_EQ(kpis["gross_profit"], total["paid_value"] - total["refunds"] - total["cogs"] - total["commission"] - total["dropship_cost"] - total["spend"]);
  int buyers = 0, repeat = 0;
  for (const auto& [customer, count] : paid_orders_of_customer) {
    buyers += count >= 1;
    repeat += count >= 2;
  }
  EXPECT_DOUBLE_EQ(kpis["repurchase_rate"].get<double>(), static_cast<double>(repeat) / buyers);

  q.by = "channel";
  result = read<projections::KpiProjection>("kpis", [&](const auto& k) { return *k.query(q); });
  ASSERT_EQ(result["rows"].size(), placed_by_channel.size());
  for (const auto& row : result["rows"]) EXPECT_EQ(row["counters"]["placed_orders"], placed_by_channel[row["key"]]) << row["key"];
  q.by = "region";
  result = read<projections::KpiProjection>("kpis", [&](const auto& k) { return *k.query(q); });
  for (const auto& row : result["rows"]) EXPECT_EQ(row["counters"].value("paid_value", std::int64_t{0}), paid_by_region[row["key"]]) << row["key"];
  // The generator's shape: East China over 35 % of paid sales.
  EXPECT_GT(static_cast<double>(paid_by_region["east"]) / total["paid_value"], 0.33);
  q.by = "all";
  q.granularity = "day";
  result = read<projections::KpiProjection>("kpis", [&](const auto& k) { return *k.query(q); });
  std::size_t days_with_orders = 0;
  for (const auto& row : result["rows"]) {
    std::int64_t day = 0;
    const std::string label = row["period"];
    const int y = std::stoi(label.substr(0, 4)), m = std::stoi(label.substr(5, 2)), d = std::stoi(label.substr(8, 2));
    day = std::chrono::sys_days(std::chrono::year(y) / m / d).time_since_epoch().count();
    auto placed = placed_by_day.find(day);
    const std::int64_t expected = placed == placed_by_day.end() ? 0 : placed->second;
    EXPECT_EQ(row["counters"].value("placed_orders", std::int64_t{0}), expected) << label;
    days_with_orders += expected > 0;
  }
  EXPECT_EQ(days_with_orders, placed_by_day.size());
}

TEST_F(NaiveRecomputation, StockoutRateOverSkuDays) {
  // End-of-day sellable units per SKU (the last movement of the day in log
  // order), carried forward over days without movements: own stock
  // available, plus for a dropship SKU its supplier's latest report less the
  // units routed to the supplier since that report (a release gives back
  // only units reserved since the report; shipped ones stay taken). Days a
  // SKU's product ends delisted are not listed days.
  std::map<std::string, std::map<std::int64_t, std::int64_t>> available_at_day_end;
  std::map<std::string, std::int64_t> available, listed_day, reported, routed;
  std::map<std::string, std::map<std::string, std::int64_t>> unshipped;  // sku -> order -> since the report
  std::map<std::string, std::string> product_of;
  std::map<std::string, std::map<std::int64_t, bool>> on_sale;  // product -> day -> on sale at its end
  std::set<std::string> skus;
  auto give_back = [&](const std::string& sku, const std::string& order, std::int64_t quantity) {
    std::int64_t& open = unshipped[sku][order];
    const std::int64_t taken = std::min(open, quantity);
    open -= taken;
    return taken;
  };
  for (const HistoryEvent& e : *events_) {
    const auto& b = e.body;
    std::string sku;
    std::int64_t delta = 0;
    switch (b.type) {
      case EventBody::SkuListed:
        listed_day[b.AsSkuListed()->sku_id] = local_day(e.occurred_at_us);
        product_of[b.AsSkuListed()->sku_id] = b.AsSkuListed()->product_id;
        skus.insert(b.AsSkuListed()->sku_id);
        sku = b.AsSkuListed()->sku_id;
        break;
      case EventBody::ProductDelisted: on_sale[b.AsProductDelisted()->product_id][local_day(e.occurred_at_us)] = false; break;
      case EventBody::ProductRelisted: on_sale[b.AsProductRelisted()->product_id][local_day(e.occurred_at_us)] = true; break;
      case EventBody::StockReceived: sku = b.AsStockReceived()->sku_id; delta = b.AsStockReceived()->quantity; break;
      case EventBody::StockAdjusted: sku = b.AsStockAdjusted()->sku_id; delta = b.AsStockAdjusted()->delta; break;
      case EventBody::StockRestocked: sku = b.AsStockRestocked()->sku_id; delta = b.AsStockRestocked()->quantity; break;
      case EventBody::StockTransferred: sku = b.AsStockTransferred()->sku_id; delta = -b.AsStockTransferred()->quantity; break;
      case EventBody::TransferReceived: sku = b.AsTransferReceived()->sku_id; delta = b.AsTransferReceived()->quantity; break;
      case EventBody::StockReserved:
        sku = b.AsStockReserved()->sku_id;
        for (const auto& a : b.AsStockReserved()->allocations) {
          if (a->kind == shop::SourceKind::Warehouse) {
            delta -= a->quantity;
          } else {
            routed[sku] += a->quantity;
            unshipped[sku][b.AsStockReserved()->order_id] += a->quantity;
          }
        }
        break;
      case EventBody::StockReleased:
        sku = b.AsStockReleased()->sku_id;
        for (const auto& a : b.AsStockReleased()->allocations) {
          if (a->kind == shop::SourceKind::Warehouse) {
            delta += a->quantity;
          } else {
            routed[sku] -= give_back(sku, b.AsStockReleased()->order_id, a->quantity);
          }
        }
        break;
      case EventBody::StockShipped:  // own: on hand and reserved both drop, available unchanged
        sku = b.AsStockShipped()->sku_id;
        if (b.AsStockShipped()->kind == shop::SourceKind::Supplier) {
          give_back(sku, b.AsStockShipped()->order_id, b.AsStockShipped()->quantity);
        }
        break;
      case EventBody::SupplierStockSynced:
        sku = b.AsSupplierStockSynced()->sku_id;
        reported[sku] = b.AsSupplierStockSynced()->available;
        routed[sku] = 0;
        unshipped[sku].clear();
        break;
      default: break;
    }
    if (sku.empty()) continue;
    available[sku] += delta;
    available_at_day_end[sku][local_day(e.occurred_at_us)] = available[sku] + std::max<std::int64_t>(0, reported[sku] - routed[sku]);
  }
  auto sold_on = [&](const std::string& sku, std::int64_t day) {
    const auto& changes = on_sale[product_of[sku]];
    auto it = changes.upper_bound(day);
    return it == changes.begin() || std::prev(it)->second;
  };
  projections::KpiQuery q;
  q.from_us = load::LoadOptions{}.start_us;
  q.to_us = clock() + 24 * kHourUs;
  q.granularity = "total";
  const nlohmann::json result = read<projections::KpiProjection>("kpis", [&](const auto& k) { return *k.query(q); });
  // Whole days in range: from the first day starting at or after `from` to the
  // last one ending at or before `to` (the day holding `to` is not whole).
  const std::int64_t first = local_day(q.from_us - 1) + 1, end = local_day(q.to_us);
  std::int64_t sku_days = 0, out_days = 0;
  for (const std::string& sku : skus) {
    for (std::int64_t day = std::max(first, listed_day[sku]); day < end; ++day) {
      auto it = available_at_day_end[sku].upper_bound(day);
      if (it == available_at_day_end[sku].begin() || !sold_on(sku, day)) continue;
      ++sku_days;
      if (std::prev(it)->second <= 0) ++out_days;
    }
  }
  ASSERT_GT(sku_days, 0);
  EXPECT_DOUBLE_EQ(result["rows"][0]["kpis"]["stockout_rate"].get<double>(), static_cast<double>(out_days) / sku_days);
}

TEST_F(NaiveRecomputation, AlertsForLateSuppliersStaleStockAndPricesBelowCost) {
  // A deadline-based alert is raised by the DeadlinePassed event that names
  // the deadline (kind, subject, due time) while it is still armed.
  std::map<std::tuple<std::string, std::string, std::int64_t>, std::uint64_t> passed;
  for (const HistoryEvent& e : *events_) {
    if (e.body.type != EventBody::DeadlinePassed) continue;
    const auto& d = *e.body.AsDeadlinePassed();
    passed.emplace(std::tuple{d.kind, d.subject, d.due_at}, e.position);
  }
  // While a product is delisted its SKUs raise no stale stock alert, and a
  // raised one clears at the delisting: (delisted at, relisted at or 0).
  std::map<std::string, std::string> product_of_sku;
  std::map<std::string, std::vector<std::pair<std::uint64_t, std::uint64_t>>> off_sale;
  for (const HistoryEvent& e : *events_) {
    if (e.body.type == EventBody::SkuListed) product_of_sku[e.body.AsSkuListed()->sku_id] = e.body.AsSkuListed()->product_id;
    if (e.body.type == EventBody::ProductDelisted) off_sale[e.body.AsProductDelisted()->product_id].push_back({e.position, 0});
    if (e.body.type == EventBody::ProductRelisted) off_sale[e.body.AsProductRelisted()->product_id].back().second = e.position;
  }
  auto delisted_at = [&](const std::string& sku, std::uint64_t position) {
    for (const auto& [from, to] : off_sale[product_of_sku[sku]]) {
      if (position > from && (to == 0 || position < to)) return true;
    }
    return false;
  };
  auto first_delisting_after = [&](const std::string& sku, std::uint64_t position) -> std::uint64_t {
    for (const auto& [from, to] : off_sale[product_of_sku[sku]]) {
      if (from > position) return from;
    }
    return 0;
  };
  std::set<std::tuple<std::string, std::string, std::uint64_t, std::uint64_t>> expected;
  std::map<std::string, std::pair<std::size_t, std::int64_t>> forwards;  // order:supplier -> index, deadline
  std::map<std::string, std::pair<std::size_t, std::int64_t>> syncs;     // sku -> index, deadline
  std::map<std::string, std::pair<std::size_t, std::int64_t>> owns;      // order:warehouse -> index, deadline
  std::map<std::string, std::set<std::string>> order_warehouses;
  std::map<std::string, std::uint64_t> below_cost_since;
  // Ship-rate happenings: (position, 0 deadline passed / 1 shipped / 2 a late one cancelled, supplier, in time).
  std::vector<std::tuple<std::uint64_t, int, std::string, bool>> ship_rate_steps;
  std::map<std::string, std::string> supplier_of_sku;
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> losses;  // supplier -> returned, written off
  std::map<std::string, std::uint64_t> loss_raised;
  std::map<std::string, std::int64_t> last_report;  // sku -> reported_at
  // Returns the position that raised it (0: never).
  auto settle = [&](const std::string& kind, const std::string& subject, std::size_t armed, std::int64_t deadline,
                    std::uint64_t ended) -> std::uint64_t {  // ended: position that disarmed it (0: never)
    auto it = passed.find({kind, subject, deadline});
    if (it == passed.end() || it->second <= (*events_)[armed].position) return 0;
    const std::uint64_t raised = it->second;
    if (ended != 0 && raised > ended) return 0;
    if (kind == "stale_supplier_stock") {
      if (delisted_at(subject, raised)) return 0;
      const std::uint64_t delisted = first_delisting_after(subject, raised);
      if (delisted != 0 && (ended == 0 || delisted < ended)) ended = delisted;
    }
    expected.insert({kind, subject, raised, ended});
    if (kind == "supplier_not_shipped") ship_rate_steps.push_back({raised, 0, subject.substr(subject.rfind(':') + 1), false});
    return raised;
  };
  for (std::size_t i = 0; i < events_->size(); ++i) {
    const HistoryEvent& e = (*events_)[i];
    const auto& b = e.body;
    if (b.type == EventBody::DropshipForwarded) {
      forwards[b.AsDropshipForwarded()->order_id + ":" + b.AsDropshipForwarded()->supplier_id] = {i, e.occurred_at_us + 48 * kHourUs};
    }
    if (b.type == EventBody::OrderPlaced) {
      for (const auto& line : b.AsOrderPlaced()->lines) {
        for (const auto& a : line->allocations) {
          if (a->kind == shop::SourceKind::Warehouse) order_warehouses[b.AsOrderPlaced()->order_id].insert(a->source_id);
        }
      }
    }
    if (b.type == EventBody::OrderPaid) {
      for (const std::string& w : order_warehouses[b.AsOrderPaid()->order_id]) {
        owns[b.AsOrderPaid()->order_id + ":" + w] = {i, e.occurred_at_us + 24 * kHourUs};
      }
    }
    if (b.type == EventBody::OrderShipped && b.AsOrderShipped()->kind == shop::SourceKind::Warehouse) {
      const std::string subject = b.AsOrderShipped()->order_id + ":" + b.AsOrderShipped()->source_id;
      if (auto it = owns.find(subject); it != owns.end()) {
        settle("own_not_shipped", subject, it->second.first, it->second.second, e.position);
        owns.erase(it);
      }
    }
    if (b.type == EventBody::OrderCancelled) {  // nothing left to ship: its deadlines end
      const std::string order = b.AsOrderCancelled()->order_id + ":";
      for (auto it = owns.lower_bound(order); it != owns.end() && it->first.starts_with(order); it = owns.erase(it)) {
        settle("own_not_shipped", it->first, it->second.first, it->second.second, e.position);
      }
      for (auto it = forwards.lower_bound(order); it != forwards.end() && it->first.starts_with(order);
           it = forwards.erase(it)) {
        if (settle("supplier_not_shipped", it->first, it->second.first, it->second.second, e.position) != 0) {
          ship_rate_steps.push_back({e.position, 2, it->first.substr(it->first.rfind(':') + 1), false});
        }
      }
    }
    if (b.type == EventBody::OrderShipped && b.AsOrderShipped()->kind == shop::SourceKind::Supplier) {
      const std::string subject = b.AsOrderShipped()->order_id + ":" + b.AsOrderShipped()->source_id;
      if (auto it = forwards.find(subject); it != forwards.end()) {
        ship_rate_steps.push_back({e.position, 1, b.AsOrderShipped()->source_id, e.occurred_at_us <= it->second.second});
        settle("supplier_not_shipped", subject, it->second.first, it->second.second, e.position);
        forwards.erase(it);
      }
    }
    if (b.type == EventBody::SupplierStockSynced) {
      const std::string sku = b.AsSupplierStockSynced()->sku_id;
      if (auto it = syncs.find(sku); it != syncs.end()) settle("stale_supplier_stock", sku, it->second.first, it->second.second, e.position);
      syncs[sku] = {i, b.AsSupplierStockSynced()->reported_at + 15 * 60'000'000LL};
    }
    if (b.type == EventBody::SkuListed && !b.AsSkuListed()->supplier_id.empty()) {
      supplier_of_sku[b.AsSkuListed()->sku_id] = b.AsSkuListed()->supplier_id;
      syncs[b.AsSkuListed()->sku_id] = {i, e.occurred_at_us + 15 * 60'000'000LL};  // never reported goes stale too
    }
    if (b.type == EventBody::SupplierStockSynced) last_report[b.AsSupplierStockSynced()->sku_id] = b.AsSupplierStockSynced()->reported_at;
    if (b.type == EventBody::ProductRelisted) {  // a relisted SKU has 15 minutes from its last report, or from now
      for (const auto& [sku, supplier] : supplier_of_sku) {
        if (product_of_sku[sku] != b.AsProductRelisted()->product_id) continue;
        if (auto it = syncs.find(sku); it != syncs.end()) settle("stale_supplier_stock", sku, it->second.first, it->second.second, e.position);
        const std::int64_t reported = last_report.contains(sku) ? last_report[sku] : e.occurred_at_us;
        syncs[sku] = {i, std::max<std::int64_t>(e.occurred_at_us, reported + std::int64_t{15} * 60'000'000)};
      }
    }
    if (b.type == EventBody::ReturnReceived) {  // over 5 % of returned units written off raises, at most 5 % clears
      std::set<std::string> touched;
      for (const auto& l : b.AsReturnReceived()->lines) {
        if (!supplier_of_sku.contains(l->sku_id)) continue;
        auto& [returned, written_off] = losses[supplier_of_sku[l->sku_id]];
        returned += l->quantity;
        if (b.AsReturnReceived()->condition == shop::ReturnCondition::Damaged) written_off += l->quantity;
        touched.insert(supplier_of_sku[l->sku_id]);
      }
      for (const std::string& supplier : touched) {
        const bool above = losses[supplier].second * 100 > 5 * losses[supplier].first;
        if (above && !loss_raised.contains(supplier)) loss_raised[supplier] = e.position;
        if (!above && loss_raised.contains(supplier)) {
          expected.insert({"supplier_return_loss_above_limit", supplier, loss_raised[supplier], e.position});
          loss_raised.erase(supplier);
        }
      }
    }
    if (b.type == EventBody::PriceChanged) {
      const std::string sku = b.AsPriceChanged()->sku_id;
      if (b.AsPriceChanged()->below_cost && !below_cost_since.contains(sku)) below_cost_since[sku] = e.position;
      if (!b.AsPriceChanged()->below_cost && below_cost_since.contains(sku)) {
        expected.insert({"price_below_cost", sku, below_cost_since[sku], e.position});
        below_cost_since.erase(sku);
      }
    }
  }
  for (const auto& [subject, armed] : forwards) settle("supplier_not_shipped", subject, armed.first, armed.second, 0);
  for (const auto& [sku, armed] : syncs) settle("stale_supplier_stock", sku, armed.first, armed.second, 0);
  for (const auto& [subject, armed] : owns) settle("own_not_shipped", subject, armed.first, armed.second, 0);
  for (const auto& [sku, since] : below_cost_since) expected.insert({"price_below_cost", sku, since, 0});
  // A supplier's rate: in time / (shipped + open past the deadline); below 95 % raises, at or above clears.
  std::sort(ship_rate_steps.begin(), ship_rate_steps.end());
  struct Tally { std::int64_t in_time = 0, shipped = 0, late_open = 0; std::uint64_t raised = 0; };
  std::map<std::string, Tally> tallies;
  for (const auto& [position, step, supplier, in_time] : ship_rate_steps) {
    Tally& t = tallies[supplier];
    if (step == 0) ++t.late_open;
    if (step == 2) --t.late_open;
    if (step == 1) {
      if (!in_time) --t.late_open;  // it had passed its deadline while open
      ++t.shipped;
      t.in_time += in_time;
    }
    const bool below = t.in_time * 100 < 95 * (t.shipped + t.late_open);
    if (below && t.raised == 0) t.raised = position;
    if (!below && t.raised != 0) {
      expected.insert({"supplier_ship_rate_below_target", supplier, t.raised, position});
      t.raised = 0;
    }
  }
  for (const auto& [supplier, since] : loss_raised) expected.insert({"supplier_return_loss_above_limit", supplier, since, 0});
  for (const auto& [supplier, t] : tallies) {
    if (t.raised != 0) expected.insert({"supplier_ship_rate_below_target", supplier, t.raised, 0});
  }

  const nlohmann::json alerts = read<projections::AlertProjection>("alerts", [](const auto& a) { return a.list(false); });
  std::set<std::tuple<std::string, std::string, std::uint64_t, std::uint64_t>> actual;
  std::set<std::string> kinds;
  for (const auto& alert : alerts) {
    kinds.insert(alert["kind"]);
    // Shown by their own tests (cheapest_sku_alert_test, roi_alert_test, ...), not recomputed here.
    if (alert["kind"] == "low_stock" || alert["kind"] == "roi_below_target" || alert["kind"] == "bulk_price_change" ||
        alert["kind"] == "cheapest_sku_out_of_stock") {
      continue;
    }
    actual.insert({alert["kind"], alert["subject"], alert["raised_position"],
                   alert["cleared_position"].is_null() ? 0 : alert["cleared_position"].get<std::uint64_t>()});
  }
  std::string differences;  // each alert on one side only
  for (const auto& [side, from, other] : {std::tuple{"only projected: ", &actual, &expected}, std::tuple{"only expected: ", &expected, &actual}}) {
    for (const auto& [kind, subject, raised, cleared] : *from) {
      if (!other->contains({kind, subject, raised, cleared})) {
        differences += std::string(side) + kind + " " + subject + " " + std::to_string(raised) + "-" + std::to_string(cleared) + "\n";
      }
    }
  }
  EXPECT_TRUE(differences.empty()) << differences.substr(0, 4000);
  EXPECT_TRUE(kinds.contains("supplier_not_shipped"));
  EXPECT_TRUE(kinds.contains("stale_supplier_stock"));
  EXPECT_TRUE(kinds.contains("own_not_shipped"));
  EXPECT_TRUE(kinds.contains("bulk_price_change"));
  EXPECT_TRUE(kinds.contains("low_stock"));
  EXPECT_TRUE(kinds.contains("roi_below_target"));
  EXPECT_TRUE(kinds.contains("supplier_ship_rate_below_target"));
  EXPECT_TRUE(kinds.contains("cheapest_sku_out_of_stock")) << "a supplier that runs dry under a cheapest SKU";
}

}  // namespace
}  // namespace spine::testing
