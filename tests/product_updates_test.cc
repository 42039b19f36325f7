// A product's rating and category can be updated, and the KPI breakdowns
// follow: orders placed after the update count under the new category and
// rating band, orders placed before keep the ones they were sold under, and
// SKU-day figures group a SKU by its current category.
#include <gtest/gtest.h>

#include "support/projected_shop.h"

namespace spine::testing {
namespace {

class ProductUpdates : public ProjectedShop {
 protected:
  ProductUpdates() {  // a second category with the headphones' required attributes
    for (const domain::CategoryConfig& category : domain::default_config().categories) {
      if (category.path != "digital/audio/headphones") continue;
      config.categories.push_back(category);
      config.categories.back().path = "digital/audio/earbuds";
    }
  }
  void SetUp() override {
    ProjectedShop::SetUp();
    run(wrap(register_warehouse("w-east", "east")));
    shop::ListProductT listing = list_product("p", {"X"}, {10'000});
    listing.rating_tenths = 40;
    run(wrap(std::move(listing)));
    run(wrap(receive_stock("X", "w-east", 50)));
  }
  void sell(const std::string& order_id, int units) {
    run(wrap(place_order(order_id, "east", {{"X", units, 10'000}})));
    order_step<shop::PayOrderT>(order_id, [&](auto& c) { c.amount = units * 10'000 + 800; });
  }
  void update(const std::string& category, std::int32_t rating_tenths) {
    shop::UpdateProductT c;
    c.product_id = "p";
    c.category = category;
    c.rating_tenths = rating_tenths;
    run(wrap(std::move(c)));
  }
  // paid_value of each key of a total broken down by `by`.
  std::map<std::string, std::int64_t> paid_by(const std::string& by) {
    std::map<std::string, std::int64_t> out;
    for (const auto& row : kpis("total", by)) {
      const std::int64_t paid = counter(row, "paid_value");
      if (paid != 0) out[row["key"]] = paid;
    }
    return out;
  }
};

using Paid = std::map<std::string, std::int64_t>;

TEST_F(ProductUpdates, OrdersAfterARatingUpdateCountInTheNewBandEarlierOnesStay) {
  sell("o1", 1);
  update("", 48);
  sell("o2", 2);
  EXPECT_EQ(paid_by("rating"), (Paid{{"4.2-", 10'000}, {"4.8+", 20'000}}));
  update("", 0);
  sell("o3", 3);
  EXPECT_EQ(paid_by("rating"), (Paid{{"4.2-", 10'000}, {"4.8+", 20'000}, {"unrated", 30'000}}))
      << "0 is unrated, an update like any other";
}

TEST_F(ProductUpdates, OrdersAfterACategoryUpdateCountInTheNewCategory) {
  sell("o1", 1);
  update("digital/audio/earbuds", -1);
  sell("o2", 2);
  EXPECT_EQ(paid_by("category"), (Paid{{"digital/audio/earbuds", 20'000}, {"digital/audio/headphones", 10'000}}));
  EXPECT_EQ(paid_by("rating"), (Paid{{"4.2-", 30'000}})) << "a category update leaves the rating as it was";
}

TEST_F(ProductUpdates, SkuDayFiguresGroupASkuByItsCurrentCategory) {
  update("digital/audio/earbuds", -1);
  now += 3 * 24 * kHourUs;
  sell("o1", 1);
  bool seen = false;
  for (const auto& row : kpis("total", "category")) {
    EXPECT_NE(row["key"], "digital/audio/headphones") << row.dump();
    if (row["key"] == "digital/audio/earbuds") seen = !row["kpis"]["stockout_rate"].is_null();
  }
  EXPECT_TRUE(seen) << "X's listed days are the new category's";
}

TEST(ProductUpdateRules, RatingIsZeroToFiftyOrMinusOneForUnchangedAndAloneIsAnUpdate) {
  World world;
  ASSERT_TRUE(world.run(wrap(list_product("p", {"X"}, {10'000}))).ok());
  auto update = [](std::int32_t rating) {
    shop::UpdateProductT c;
    c.product_id = "p";
    c.rating_tenths = rating;
    return c;
  };
  EXPECT_REFUSED(world.run(wrap(update(51))), "invalid_rating", "rating_tenths");
  EXPECT_REFUSED(world.run(wrap(update(-2))), "invalid_rating", "rating_tenths");
  EXPECT_REFUSED(world.run(wrap(update(-1))), "nothing_to_update", "product");
  EXPECT_ACCEPTED(world.run(wrap(update(50))));
  EXPECT_EQ(world.product("p").rating_tenths, 50);
  EXPECT_ACCEPTED(world.run(wrap(update(0))));
  EXPECT_EQ(world.product("p").rating_tenths, 0);
  shop::UpdateProductT title_only;
  title_only.product_id = "p";
  title_only.title = "Wireless headphones, second edition";
  EXPECT_ACCEPTED(world.run(wrap(std::move(title_only))));
  EXPECT_EQ(world.product("p").rating_tenths, 0) << "an update without a rating leaves it";
}

}  // namespace
}  // namespace spine::testing
