// Safety stock waits for the lead time the shop configured: an own-stock SKU
// takes its own rule, else its category's longest matching rule, else the
// [own_stock] default; a dropship SKU takes its supplier's lead time. A lead
// time of 0 means no sales are covered, and a category change moves the SKU
// to its new category's lead time.
#include <gtest/gtest.h>

#include "spine/projections/stock.h"
#include "support/projected_shop.h"

namespace spine::testing {
namespace {

constexpr std::int64_t kDayUs = 24 * kHourUs;

class OwnLeadTimes : public ProjectedShop {
 protected:
  OwnLeadTimes() {
    config.rules.low_stock_floor = 0;  // the threshold is then the safety stock itself
    config.own_stock.lead_time_days = 9;
    config.own_stock.lead_times = {{"", "digital", 6}, {"", "digital/audio", 3}, {"Z", "", 0}};
  }
  void SetUp() override {
    ProjectedShop::SetUp();
    shop::RegisterSupplierT supplier = register_supplier("sup0");
    supplier.lead_time_days = 0;
    run(wrap(std::move(supplier)));
    run(wrap(register_warehouse("w-east", "east")));
    run(wrap(list_product("pA", {"A"}, {10'000})));
    run(wrap(list_product("pZ", {"Z"}, {10'000})));
    run(wrap(list_product("pD", {"D"}, {10'000}, "sup0")));
    run(wrap(receive_stock("A", "w-east", 40)));
    run(wrap(receive_stock("Z", "w-east", 40)));
    // Ten units of A and of Z ship on each of three days: 5 days ago, 2 days ago, today.
    for (const std::int64_t days_ago : {5, 2, 0}) {
      now = kNow - days_ago * kDayUs;
      for (const char* sku : {"A", "Z"}) ship(std::string(sku) + std::to_string(days_ago), sku, 10);
    }
    now = kNow;
  }
  void ship(const std::string& order_id, const std::string& sku, int units) {
    run(wrap(place_order(order_id, "east", {{sku, units, 10'000}})));
    order_step<shop::PayOrderT>(order_id, [&](auto& c) { c.amount = units * 10'000 + 800; });
    order_step<shop::ShipOrderT>(order_id, [](auto& c) {
      c.kind = shop::SourceKind::Warehouse;
      c.source_id = "w-east";
      c.carrier = "SF";
      c.tracking_number = "SF1";
    });
  }
  nlohmann::json stock(const std::string& sku) {
    return read<projections::StockProjection>("stock", [&](const auto& s) { return s.sku(sku); });
  }
};

TEST_F(OwnLeadTimes, AnOwnSkuTakesTheLongestMatchingCategoryRule) {
  const nlohmann::json a = stock("A");  // digital/audio/headphones: 3 days, not digital's 6 or the default 9
  EXPECT_EQ(a["lead_time_days"], 3);
  EXPECT_EQ(a["sales_over_lead_time"], 20) << "today and 2 days ago fall inside 3 days; 5 days ago does not";
  EXPECT_EQ(a["safety_stock"], 30);
  EXPECT_EQ(a["alert_threshold"], 30);
  EXPECT_EQ(a["available"], 10);
  EXPECT_EQ(a["status"], "low");
  EXPECT_EQ(a["reorder_suggestion"], 2 * 30 - 10);
}

TEST_F(OwnLeadTimes, ALeadTimeOfZeroCoversNoSales) {
  const nlohmann::json z = stock("Z");  // its own rule: 0 days
  EXPECT_EQ(z["lead_time_days"], 0);
  EXPECT_EQ(z["sales_over_lead_time"], 0);
  EXPECT_EQ(z["safety_stock"], 0);
  EXPECT_EQ(z["status"], "ok");
  EXPECT_EQ(z["reorder_suggestion"], 0);
  EXPECT_EQ(stock("D")["lead_time_days"], 0) << "a supplier registered with 0 days waits 0 days";
}

TEST_F(OwnLeadTimes, ACategoryChangeMovesTheSkuToTheNewCategorysLeadTime) {
  shop::UpdateProductT update;
  update.product_id = "pA";
  update.category = "digital/phones";
  for (const char* name : {"storage_gb", "ram_gb", "screen_inches", "network", "brand"}) {
    update.attributes.push_back(attribute(name, "yes"));
  }
  run(wrap(std::move(update)));
  const nlohmann::json a = stock("A");
  EXPECT_EQ(a["lead_time_days"], 6);
  EXPECT_EQ(a["sales_over_lead_time"], 30);
  EXPECT_EQ(a["safety_stock"], 45);
}

}  // namespace
}  // namespace spine::testing
