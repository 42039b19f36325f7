// Delisting takes a product's SKUs off sale, and the read models follow it:
// every stock answer carries `listed`; the stock list shows the SKUs on sale
// unless asked for the delisted ones; a delisted SKU raises no low-stock or
// stale-stock alert and one raised clears; its days off sale are not listed
// days of the stockout rate. The stockout rate counts dropship SKUs by what
// their supplier can take, and the slow-moving ratio judges only SKUs on
// sale that were listed for the whole 30 days.
#include <gtest/gtest.h>

#include "spine/domain/streams.h"
#include "spine/projections/stock.h"
#include "support/projected_shop.h"

namespace spine::testing {
namespace {

constexpr std::int64_t kDayUs = 24 * kHourUs;
// 2025-11-14T00:00+08:00, the local day after kNow (2025-11-13 10:13 +08:00).
constexpr std::int64_t kDay0 = 1'763'049'600'000'000;

class DelistedProducts : public ProjectedShop {
 protected:
  void SetUp() override {
    ProjectedShop::SetUp();
    run(wrap(register_supplier("sup1")));
    run(wrap(register_warehouse("w-north", "north")));
    run(wrap(list_product("pO", {"O"}, {3'000})));
    run(wrap(receive_stock("O", "w-north", 100)));
    run(wrap(list_product("pZ", {"Z"}, {3'000})));  // never stocked: out
    run(wrap(list_product("pD", {"D"}, {5'000}, "sup1")));  // no supplier stock reported: out
  }
  void delist(const std::string& product) {
    shop::DelistProductT c;
    c.product_id = product;
    c.reason = "quality review";
    run(wrap(std::move(c)));
  }
  void relist(const std::string& product) {
    shop::RelistProductT c;
    c.product_id = product;
    run(wrap(std::move(c)));
  }
  nlohmann::json stock(projections::StockProjection::Listed listed) {
    return read<projections::StockProjection>("stock", [&](const auto& s) { return s.list("", listed); });
  }
  static std::vector<std::string> skus(const nlohmann::json& list) {
    std::vector<std::string> out;
    for (const auto& row : list) out.push_back(row["sku"]);
    return out;
  }
  nlohmann::json alerts(const std::string& kind) {
    return read<projections::AlertProjection>("alerts", [&](const auto& a) { return a.list(false, kind); });
  }
  nlohmann::json kpis_over(std::int64_t from_us, std::int64_t to_us) {
    projections::KpiQuery q;
    q.from_us = from_us;
    q.to_us = to_us;
    q.granularity = "total";
    const nlohmann::json rows = read<projections::KpiProjection>("kpis", [&](const auto& k) { return *k.query(q); })["rows"];
    EXPECT_EQ(rows.size(), 1u) << rows.dump();
    return rows.empty() ? nlohmann::json::object() : rows[0]["kpis"];
  }
};

using Listed = projections::StockProjection::Listed;

TEST_F(DelistedProducts, TheStockListShowsWhatIsOnSaleUnlessAskedAndEveryAnswerSaysWhich) {
  delist("pZ");
  EXPECT_EQ(skus(stock(Listed::kOnSale)), (std::vector<std::string>{"D", "O"}));
  EXPECT_EQ(skus(stock(Listed::kDelisted)), (std::vector<std::string>{"Z"}));
  EXPECT_EQ(skus(stock(Listed::kAny)), (std::vector<std::string>{"D", "O", "Z"}));
  EXPECT_EQ(stock(Listed::kDelisted)[0]["listed"], false);
  EXPECT_EQ(stock(Listed::kOnSale)[0]["listed"], true);
  relist("pZ");
  EXPECT_EQ(skus(stock(Listed::kOnSale)), (std::vector<std::string>{"D", "O", "Z"}));
}

TEST_F(DelistedProducts, ADelistedSkuRaisesNoLowStockAlertAndARaisedOneClears) {
  auto active_low = [&] {
    std::vector<std::string> subjects;
    for (const auto& alert : alerts("low_stock")) {
      if (alert["active"] == true) subjects.push_back(alert["subject"]);
    }
    return subjects;
  };
  ASSERT_EQ(active_low(), (std::vector<std::string>{"Z", "D"})) << "out since listed (O was until stocked)";
  delist("pZ");
  EXPECT_EQ(active_low(), (std::vector<std::string>{"D"})) << "Z's cleared at the delisting";
  run(wrap(receive_stock("Z", "w-north", 3)));  // still low, but off sale
  EXPECT_EQ(active_low(), (std::vector<std::string>{"D"}));
  relist("pZ");
  EXPECT_EQ(active_low(), (std::vector<std::string>{"D", "Z"})) << "back on sale, and low";
}

TEST_F(DelistedProducts, ADelistedDropshipSkuRaisesNoStaleStockAlertUntilRelisted) {
  const std::int64_t listed = now;
  now = listed + 5 * 60'000'000LL;
  delist("pD");
  now = listed + 20 * 60'000'000LL;  // D's 15 minutes pass while it is off sale
  record_due_deadlines();
  EXPECT_TRUE(alerts("stale_supplier_stock").empty());
  now = listed + 30 * 60'000'000LL;
  relist("pD");  // it never reported: 15 minutes from the relisting, as from a listing
  now += 15 * 60'000'000LL - 1;
  record_due_deadlines();
  EXPECT_TRUE(alerts("stale_supplier_stock").empty()) << "not yet";
  now += 1;
  record_due_deadlines();
  nlohmann::json stale = alerts("stale_supplier_stock");
  ASSERT_EQ(stale.size(), 1u);
  EXPECT_EQ(stale[0]["subject"], "D");
  delist("pD");
  EXPECT_EQ(alerts("stale_supplier_stock")[0]["active"], false) << "cleared at the delisting";
}

TEST_F(DelistedProducts, StockoutDaysCountDropshipSkusAndLeaveOutDaysOffSale) {
  now = kDay0 + kDayUs + kHourUs;
  delist("pZ");  // off sale at the end of the 15th and 16th
  now = kDay0 + 3 * kDayUs + kHourUs;
  relist("pZ");
  // Days 14-18: O on sale and in stock 5 days; Z out on 3 days on sale; D
  // (dropship, nothing reported) out on all 5.
  const nlohmann::json k = kpis_over(kDay0, kDay0 + 5 * kDayUs);
  EXPECT_DOUBLE_EQ(k["stockout_rate"].get<double>(), 8.0 / 13.0);
}

TEST_F(DelistedProducts, SlowMovingJudgesOnlySkusListedForTheWhole30Days) {
  // pOld, listed 40 days before, sold one unit within the 30 days; O (listed
  // 6 days before the period's end) sold nothing but is too new to judge.
  const std::int64_t start = now;
  now = start - 40 * kDayUs;
  run(wrap(list_product("pOld", {"OLD"}, {3'000})));
  run(wrap(receive_stock("OLD", "w-north", 20)));
  now = start;
  run(wrap(place_order("o1", "north", {{"OLD", 1, 3'000}})));
  auto state = handler->current_state(domain::order_stream("o1"));
  ASSERT_TRUE(state.ok());
  const std::int64_t total = std::get<domain::OrderState>(state->state).total;
  order_step<shop::PayOrderT>("o1", [&](auto& c) { c.amount = total; });
  order_step<shop::ShipOrderT>("o1", [](auto& c) {
    c.kind = shop::SourceKind::Warehouse;
    c.source_id = "w-north";
    c.carrier = "SF";
    c.tracking_number = "SF1";
  });
  const nlohmann::json k = kpis_over(kDay0, kDay0 + 5 * kDayUs);
  EXPECT_DOUBLE_EQ(k["slow_moving_ratio"].get<double>(), 0.0) << "of the SKUs judged, OLD sold";
}

}  // namespace
}  // namespace spine::testing
