// The bulk price change alert (domain.md: "bulk price change by one actor")
// counts distinct SKUs: more than 20 of them changed by one actor within 10
// minutes raises it; 20 do not, and one SKU changed many times is one SKU.
#include <gtest/gtest.h>

#include "spine/projections/alerts.h"
#include "support/projected_shop.h"

namespace spine::testing {
namespace {

class BulkPriceChange : public ProjectedShop {
 protected:
  void SetUp() override {
    ProjectedShop::SetUp();
    std::vector<std::string> skus;
    std::vector<std::int64_t> prices;
    for (int i = 0; i < 21; ++i) {
      skus.push_back("S" + std::to_string(i));
      prices.push_back(10'000);
    }
    run(wrap(list_product("pS", skus, prices)));
  }
  void change_price(int sku, std::int64_t price) {
    shop::ChangePricesT c;
    auto change = std::make_unique<shop::PriceChangeT>();
    change->product_id = "pS";
    change->sku_id = "S" + std::to_string(sku);
    change->new_price = price;
    change->reason = "repricing";
    c.changes.push_back(std::move(change));
    run(wrap(std::move(c)));
    now += 1'000'000;  // a second apart: all within the 10 minutes
  }
  nlohmann::json bulk_alerts() {
    return read<projections::AlertProjection>("alerts",
                                              [](const auto& a) { return a.list(false, "bulk_price_change"); });
  }
};

TEST_F(BulkPriceChange, OneSkuChangedManyTimesIsOneSku) {
  for (int i = 0; i < 30; ++i) change_price(0, i % 2 == 0 ? 9'000 : 9'500);
  EXPECT_TRUE(bulk_alerts().empty());
}

TEST_F(BulkPriceChange, TwentyDistinctSkusDoNotRaiseItTwentyOneDo) {
  for (int sku = 0; sku < 20; ++sku) change_price(sku, 9'000);
  change_price(5, 9'500);  // again: still 20 distinct
  EXPECT_TRUE(bulk_alerts().empty()) << "20 is the limit, not past it";
  change_price(20, 9'000);
  const nlohmann::json alerts = bulk_alerts();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0]["subject"], "test");
  EXPECT_NE(alerts[0]["detail"].get<std::string>().find("21 SKUs"), std::string::npos) << alerts[0]["detail"];
}

}  // namespace
}  // namespace spine::testing
