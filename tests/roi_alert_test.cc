// The ROI alert judges the trailing `roi_window_days` (7) local days, not all
// time, and only once their spend reaches `roi_min_spend` (50,000 fen): a
// first small spend before any sale raises nothing, old good weeks do not
// hide a bad one, and spend tagged with no SKU is judged at channel level
// ("channel:<name>", all the channel's spend against its orders' sales).
#include <gtest/gtest.h>

#include "spine/projections/alerts.h"
#include "support/projected_shop.h"

namespace spine::testing {
namespace {

constexpr std::int64_t kDayUs = 24 * kHourUs;

class RoiAlert : public ProjectedShop {
 protected:
  void SetUp() override {
    ProjectedShop::SetUp();
    run(wrap(register_warehouse("w-east", "east")));
    run(wrap(list_product("pA", {"A"}, {10'000})));
    run(wrap(list_product("pB", {"B"}, {10'000})));
    run(wrap(receive_stock("A", "w-east", 500)));
    run(wrap(receive_stock("B", "w-east", 500)));
  }
  // `units` of `sku` sold at 10,000 each on `channel`, paid at `now`.
  void sell(const std::string& sku, int units, shop::Channel channel = shop::Channel::OrganicSearch) {
    const std::string order_id = "o" + std::to_string(++orders);
    shop::PlaceOrderT order = place_order(order_id, "east", {{sku, units, 10'000}});
    order.channel = channel;
    run(wrap(std::move(order)));
    order_step<shop::PayOrderT>(order_id, [&](auto& c) { c.amount = units * 10'000 + 800; });
  }
  // Spend on the local day of `now` (the shop is at +08:00).
  void spend(const std::string& sku, std::int64_t amount, shop::Channel channel = shop::Channel::OrganicSearch) {
    shop::RecordSpendT c;
    c.channel = channel;
    c.sku_id = sku;
    c.day = rfc3339(now + 8 * kHourUs).substr(0, 10);
    c.kind = shop::SpendKind::Ads;
    c.amount = amount;
    run(wrap(std::move(c)));
  }
  // The subjects of the active ROI alerts.
  std::vector<std::string> below_target() {
    const nlohmann::json alerts =
        read<projections::AlertProjection>("alerts", [](const auto& a) { return a.list(true, "roi_below_target"); });
    std::vector<std::string> subjects;
    for (const auto& alert : alerts) subjects.push_back(alert["subject"]);
    return subjects;
  }
  int orders = 0;
};

using Subjects = std::vector<std::string>;

TEST_F(RoiAlert, SpendBelowTheMinimumIsNotJudged) {
  spend("A", 49'999);  // before any sale could happen
  EXPECT_EQ(below_target(), Subjects{});
  spend("A", 1);  // the window's spend reaches 50,000 with no sale: now it is judged
  EXPECT_EQ(below_target(), (Subjects{"A", "channel:OrganicSearch"}));
  sell("A", 13);  // 130,000 >= 2.5 x 50,000
  EXPECT_EQ(below_target(), Subjects{});
}

TEST_F(RoiAlert, AGoodWeekLongAgoDoesNotHideABadWeek) {
  now = kNow - 10 * kDayUs;
  spend("A", 100'000);
  sell("A", 30);  // 300,000 over 100,000: fine
  now = kNow;
  spend("A", 60'000);
  sell("A", 10);  // this week: 100,000 over 60,000 (all time it would be 400,000 over 160,000 = 2.5)
  EXPECT_EQ(below_target(), (Subjects{"A", "channel:OrganicSearch"}));
}

TEST_F(RoiAlert, SpendOnNoSkuIsJudgedForItsChannel) {
  sell("B", 10, shop::Channel::Livestream);  // 100,000 of sales on the channel
  spend("", 60'000, shop::Channel::Livestream);  // a livestream fee for no one SKU
  EXPECT_EQ(below_target(), Subjects{"channel:Livestream"});
  sell("A", 5, shop::Channel::Livestream);  // 150,000 = 2.5 x 60,000
  EXPECT_EQ(below_target(), Subjects{});
}

class ShortRoiWindow : public RoiAlert {
 protected:
  ShortRoiWindow() {
    config.rules.roi_window_days = 2;
    config.rules.roi_min_spend = 1'000;
  }
};

TEST_F(ShortRoiWindow, TheWindowAndTheMinimumComeFromConfiguration) {
  now = kNow - 2 * kDayUs;
  spend("A", 10'000);
  sell("A", 10);  // 100,000 over 10,000
  now = kNow;
  spend("A", 2'000);  // two days later the first day is out of the window: 0 over 2,000
  EXPECT_EQ(below_target(), (Subjects{"A", "channel:OrganicSearch"}));
  sell("A", 1);  // 10,000 over 2,000
  EXPECT_EQ(below_target(), Subjects{});
}

}  // namespace
}  // namespace spine::testing
