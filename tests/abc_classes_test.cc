// ABC classes rank SKUs by the sales that stand: paid line value, less what a
// cancellation takes back and what refunds return. A placed order that is
// never paid and a paid order that is cancelled rank nothing.
#include <gtest/gtest.h>

#include "spine/projections/stock.h"
#include "support/projected_shop.h"

namespace spine::testing {
namespace {

class AbcClasses : public ProjectedShop {
 protected:
  void SetUp() override {
    ProjectedShop::SetUp();
    run(wrap(register_warehouse("w-east", "east")));
    run(wrap(list_product("p", {"X", "Y", "Z"}, {10'000, 10'000, 10'000})));
    for (const char* sku : {"X", "Y", "Z"}) run(wrap(receive_stock(sku, "w-east", 50)));
  }
  void order(const std::string& id, const std::string& sku, int units, bool pay) {
    run(wrap(place_order(id, "east", {{sku, units, 10'000}})));
    if (pay) order_step<shop::PayOrderT>(id, [&](auto& c) { c.amount = units * 10'000 + 800; });
  }
  std::string abc(const std::string& sku) {
    return read<projections::StockProjection>("stock", [&](const auto& s) { return s.sku(sku); })["abc_class"];
  }
};

TEST_F(AbcClasses, UnpaidAndCancelledOrdersRankNothingRefundsTakeBack) {
  order("ox", "X", 8, true);    // X: 80,000 paid
  order("oy", "Y", 1, true);    // Y: 10,000 paid
  order("oz", "Z", 20, false);  // Z: 200,000 placed, never paid
  order("oy2", "Y", 15, true);  // Y: 150,000 paid, then cancelled
  order_step<shop::CancelOrderT>("oy2");
  // Standing sales: X 80,000, Y 10,000, Z 0 of 90,000.
  EXPECT_EQ(abc("X"), "A");
  EXPECT_EQ(abc("Y"), "B") << "80,000 of 90,000 rank before it: past 80 %";
  EXPECT_EQ(abc("Z"), "C");
  // A refund of 70,000 of X's order: X 10,000, Y 10,000 (ties by SKU).
  shop::IssueRefundT refund;
  refund.order_id = "ox";
  refund.refund_id = "f1";
  refund.amount = 70'000;
  refund.reason = "goodwill";
  run(wrap(std::move(refund)));
  EXPECT_EQ(abc("X"), "A");
  EXPECT_EQ(abc("Y"), "A") << "10,000 of 20,000 rank before it: under 80 %";
  EXPECT_EQ(abc("Z"), "C");
}

}  // namespace
}  // namespace spine::testing
