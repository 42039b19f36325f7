// What an order gives away is a KPI: `discounts` (line discounts and coupon
// discounts, in the placement hour) and `coupon_discounts` (coupons alone).
// A line's discount counts under its SKU, category and rating; a coupon is the
// order's, so it counts under the order's channel, region and device only.
#include <gtest/gtest.h>

#include "support/projected_shop.h"

namespace spine::testing {
namespace {

class KpiDiscounts : public ProjectedShop {
 protected:
  void SetUp() override {
    ProjectedShop::SetUp();
    run(wrap(register_warehouse("w-east", "east")));
    run(wrap(list_product("p", {"X", "Y"}, {10'000, 6'000})));
    run(wrap(receive_stock("X", "w-east", 20)));
    run(wrap(receive_stock("Y", "w-east", 20)));
  }
  static std::int64_t of_key(const nlohmann::json& rows, const std::string& key, const char* name) {
    for (const auto& row : rows) {
      if (row["key"] == key) return counter(row, name);
    }
    return 0;
  }
};

TEST_F(KpiDiscounts, LineDiscountsAndCouponsAreReportedWhereTheyBelong) {
  auto order = place_order("o1", "east", {{"X", 2, 10'000}, {"Y", 1, 6'000}});
  order.lines[0]->discount = 3'000;  // X sold at 8,500 a unit
  order.coupon = "WINTER";
  order.coupon_discount = 1'000;
  run(wrap(std::move(order)));
  const nlohmann::json row = total();
  EXPECT_EQ(counter(row, "discounts"), 4'000);
  EXPECT_EQ(counter(row, "coupon_discounts"), 1'000);
  EXPECT_EQ(row["kpis"]["discounts"], 4'000);
  EXPECT_EQ(row["kpis"]["gmv"], 17'000 + 6'000 + 800) << "lines after their discounts, plus shipping";
  const nlohmann::json by_sku = kpis("total", "sku");
  EXPECT_EQ(of_key(by_sku, "X", "discounts"), 3'000);
  EXPECT_EQ(of_key(by_sku, "Y", "discounts"), 0);
  EXPECT_EQ(of_key(by_sku, "X", "coupon_discounts"), 0) << "a coupon is no line's";
  EXPECT_EQ(of_key(kpis("total", "channel"), "OrganicSearch", "discounts"), 4'000);
  // A placement figure: a cancellation does not take it back.
  order_step<shop::CancelOrderT>("o1");
  EXPECT_EQ(counter(total(), "discounts"), 4'000);
}

}  // namespace
}  // namespace spine::testing
