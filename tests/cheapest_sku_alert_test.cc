// The price ladder's rule after listing: a product on sale whose cheapest SKU
// has nothing to sell while another SKU has raises
// `cheapest_sku_out_of_stock` (subject: the product), whether sales, stock
// movements or a price change brought it there; it clears when the cheapest
// SKU has stock again, when another SKU becomes the cheapest, when none has
// stock, or when the product is delisted.
#include <gtest/gtest.h>

#include "spine/projections/alerts.h"
#include "support/projected_shop.h"

namespace spine::testing {
namespace {

class CheapestSkuAlert : public ProjectedShop {
 protected:
  void SetUp() override {
    ProjectedShop::SetUp();
    run(wrap(register_warehouse("w-east", "east")));
    run(wrap(list_product("p", {"A", "B"}, {5'000, 8'000})));
  }
  // The product's alerts, active first-raised first: "raised"/"cleared" each.
  std::vector<bool> history() {
    std::vector<bool> out;
    const nlohmann::json alerts = read<projections::AlertProjection>(
        "alerts", [](const auto& a) { return a.list(false, "cheapest_sku_out_of_stock"); });
    for (const auto& alert : alerts) {
      EXPECT_EQ(alert["subject"], "p");
      out.push_back(alert["active"].get<bool>());
    }
    return out;
  }
  bool raised() {
    const std::vector<bool> h = history();
    return !h.empty() && h.back();
  }
  void sell(const std::string& order_id, const std::string& sku, int units, std::int64_t price) {
    run(wrap(place_order(order_id, "east", {{sku, units, price}})));
  }
  void reprice(const std::string& sku, std::int64_t price) {
    shop::ChangePricesT c;
    c.changes.push_back(std::make_unique<shop::PriceChangeT>());
    c.changes[0]->product_id = "p";
    c.changes[0]->sku_id = sku;
    c.changes[0]->new_price = price;
    c.changes[0]->reason = "ladder";
    run(wrap(std::move(c)));
  }
};

TEST_F(CheapestSkuAlert, RaisedWhenTheCheapestSellsOutClearedWhenItIsRestocked) {
  run(wrap(receive_stock("A", "w-east", 2)));
  run(wrap(receive_stock("B", "w-east", 5)));
  EXPECT_TRUE(history().empty()) << "both have stock";
  sell("o1", "A", 2, 5'000);
  EXPECT_TRUE(raised()) << "A, the cheapest, is sold out; B is not";
  const nlohmann::json alert = read<projections::AlertProjection>(
      "alerts", [](const auto& a) { return a.list(true, "cheapest_sku_out_of_stock"); });
  ASSERT_EQ(alert.size(), 1u);
  EXPECT_NE(alert[0]["detail"].get<std::string>().find("(A)"), std::string::npos) << alert.dump();
  run(wrap(receive_stock("A", "w-east", 1)));
  EXPECT_EQ(history(), (std::vector<bool>{false}));
  order_step<shop::CancelOrderT>("o1");  // A's two units back: still fine
  EXPECT_EQ(history(), (std::vector<bool>{false}));
}

TEST_F(CheapestSkuAlert, ClearedWhenAnotherSkuBecomesTheCheapest) {
  run(wrap(receive_stock("B", "w-east", 3)));
  EXPECT_TRUE(raised()) << "B received while A, the cheapest, has none";
  reprice("A", 9'000);  // B, with stock, is now the cheapest
  EXPECT_FALSE(raised());
  reprice("B", 9'000);  // a tie: B counts as a cheapest SKU, and it has stock
  EXPECT_FALSE(raised());
}

TEST_F(CheapestSkuAlert, ADelistedProductRaisesNothingAndARaisedAlertClears) {
  run(wrap(receive_stock("B", "w-east", 3)));
  ASSERT_TRUE(raised());
  shop::DelistProductT delist;
  delist.product_id = "p";
  delist.reason = "season over";
  run(wrap(std::move(delist)));
  EXPECT_FALSE(raised());
  run(wrap(receive_stock("B", "w-east", 3)));
  EXPECT_FALSE(raised()) << "off sale";
  shop::RelistProductT relist;
  relist.product_id = "p";
  run(wrap(std::move(relist)));
  EXPECT_TRUE(raised()) << "back on sale, and the ladder is still wrong";
}

TEST_F(CheapestSkuAlert, ClearedWhenTheOtherSkusSellOutToo) {
  run(wrap(receive_stock("B", "w-east", 2)));
  ASSERT_TRUE(raised());
  sell("o1", "B", 2, 8'000);
  EXPECT_FALSE(raised()) << "nothing to sell at all: a stockout, not a ladder fault";
}

}  // namespace
}  // namespace spine::testing
