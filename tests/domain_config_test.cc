// The TOML configuration: the built-in default parses; a bad file is refused
// with its name, the line and the reason.
#include <gtest/gtest.h>

#include "spine/domain/config.h"

namespace spine::domain {
namespace {

Error refusal(const std::string& text) {
  auto parsed = parse_config(text, "shop.toml");
  EXPECT_FALSE(parsed.ok()) << text;
  return parsed.ok() ? Error{} : parsed.error();
}

TEST(Config, TheBuiltInDefaultParsesWithTheHandbookNumbers) {
  const Config& config = default_config();
  EXPECT_GE(config.categories.size(), 8u);
  EXPECT_EQ(config.regions.size(), 4u);
  EXPECT_DOUBLE_EQ(config.rules.max_missing_attribute_ratio, 0.2);
  EXPECT_DOUBLE_EQ(config.rules.max_price_spread, 3.0);
  EXPECT_EQ(config.rules.video_min_seconds, 9);
  EXPECT_EQ(config.rules.video_max_seconds, 30);
  EXPECT_EQ(config.rules.supplier_stale_minutes, 15);
  EXPECT_EQ(config.rules.low_stock_floor, 50);
  EXPECT_EQ(config.supplier_defaults.ship_within_hours, 48);
  EXPECT_NE(std::find(config.banned_words.begin(), config.banned_words.end(), "最"), config.banned_words.end());
  ASSERT_NE(config.find_category("digital/audio/headphones"), nullptr);
  EXPECT_TRUE(config.find_category("digital/audio/headphones")->high_ticket);
  EXPECT_EQ(config.find_region("east")->label, "華東");
}

TEST(Config, CommissionPicksTheMostSpecificRate) {
  const Config& config = default_config();
  EXPECT_EQ(config.commission_bp("OrganicSearch", "apparel/shoes"), 500);
  EXPECT_EQ(config.commission_bp("Livestream", "apparel/shoes"), 800);
  EXPECT_EQ(config.commission_bp("OrganicSearch", "digital/phones"), 300);
  EXPECT_EQ(config.commission_bp("Livestream", "digital/phones"), 500);
  EXPECT_EQ(config.commission_bp("OrganicSearch", "digitalx/phones"), 500);  // prefix is per path segment
}

TEST(Config, ASyntaxErrorNamesTheFileAndLine) {
  Error error = refusal("[rules]\nmax_price_spread = 3.0\nvideo_min_seconds = = 9\n");
  EXPECT_EQ(error.code, "config_invalid");
  EXPECT_EQ(error.field, "shop.toml:3");
}

TEST(Config, AWrongTypeNamesTheLineAndTheKey) {
  Error error = refusal("[rules]\n\nmax_price_spread = \"three\"\n");
  EXPECT_EQ(error.field, "shop.toml:3");
  EXPECT_NE(error.message.find("max_price_spread must be a number"), std::string::npos);
}

TEST(Config, AnUnknownKeyIsRefusedRatherThanIgnored) {
  Error error = refusal("[rules]\nmax_prise_spread = 3.0\n");
  EXPECT_EQ(error.field, "shop.toml:2");
  EXPECT_NE(error.message.find("unknown key 'max_prise_spread'"), std::string::npos);
}

TEST(Config, CategoriesMustBeLeavesAtLevelTwoOrThree) {
  Error level4 = refusal("[[categories]]\npath = \"a/b/c/d\"\n");
  EXPECT_EQ(level4.field, "shop.toml:1");
  EXPECT_NE(level4.message.find("level 4"), std::string::npos);
  Error level1 = refusal("[[categories]]\npath = \"a\"\n");
  EXPECT_NE(level1.message.find("level 1"), std::string::npos);
  Error not_leaf = refusal("[[categories]]\npath = \"a/b\"\n[[categories]]\npath = \"a/b/c\"\n");
  EXPECT_NE(not_leaf.message.find("not a leaf"), std::string::npos);
}

TEST(Config, RegionsAndWarehousesMustBeConsistent) {
  Error neighbour = refusal("[[regions]]\nname = \"east\"\nneighbours = [\"west\"]\n");
  EXPECT_NE(neighbour.message.find("unknown neighbour 'west'"), std::string::npos);
  Error warehouse = refusal("[[regions]]\nname = \"east\"\n[[warehouses]]\nid = \"w1\"\nregion = \"south\"\n");
  EXPECT_EQ(warehouse.field, "shop.toml:3");  // the [[warehouses]] table
  EXPECT_NE(warehouse.message.find("unknown region 'south'"), std::string::npos);
}

TEST(Config, RatiosAndLimitsAreRangeChecked) {
  EXPECT_NE(refusal("[rules]\nmax_price_spread = 0.5\n").message.find("at least 1.0"), std::string::npos);
  EXPECT_NE(refusal("[rules]\nmax_order_lines = -1\n").message.find("between 0 and"), std::string::npos);
  EXPECT_NE(refusal("[supplier_defaults]\nreturn_cost_share = 1.5\n").message.find("between 0 and 1"), std::string::npos);
  EXPECT_NE(refusal("[rules]\nvideo_min_seconds = 40\n").message.find("exceeds"), std::string::npos);
  EXPECT_NE(refusal("[rules]\nroi_window_days = 0\n").message.find("1 to 60"), std::string::npos);
  EXPECT_NE(refusal("[rules]\nroi_window_days = 61\n").message.find("1 to 60"), std::string::npos);
  EXPECT_NE(refusal("[rules]\nroi_min_spend = -5\n").message.find("between 0 and"), std::string::npos);
}

TEST(Config, AnEmptyFileGivesTheBuiltInThresholds) {
  auto parsed = parse_config("", "empty.toml");
  ASSERT_TRUE(parsed.ok()) << parsed.error().to_string();
  EXPECT_DOUBLE_EQ(parsed->rules.max_price_spread, 3.0);
  EXPECT_TRUE(parsed->categories.empty());
}

TEST(Config, OwnStockLeadTimesComeFromTheSkuThenTheLongestCategoryPrefix) {
  auto parsed = parse_config(
      "[own_stock]\nlead_time_days = 9\nlead_times = [\n"
      "  { category = \"food\", days = 3 },\n"
      "  { category = \"food/snacks\", days = 2 },\n"
      "  { sku = \"chips-1\", days = 0 },\n]\n",
      "shop.toml");
  ASSERT_TRUE(parsed.ok()) << parsed.error().to_string();
  EXPECT_EQ(own_lead_time_days(parsed->own_stock, "chips-1", "food/snacks"), 0);  // 0 means 0
  EXPECT_EQ(own_lead_time_days(parsed->own_stock, "chips-2", "food/snacks"), 2);
  EXPECT_EQ(own_lead_time_days(parsed->own_stock, "tea-1", "food/tea"), 3);
  EXPECT_EQ(own_lead_time_days(parsed->own_stock, "shoe-1", "apparel/shoes"), 9);
  EXPECT_EQ(own_lead_time_days(parsed->own_stock, "x-1", "foodstuff/misc"), 9);  // prefix is per path segment
  EXPECT_EQ(own_lead_time_days(default_config().own_stock, "any", "appliances/kitchen/blenders"), 14);
}

TEST(Config, AnOwnStockLeadTimeNamesExactlyOneTargetAndStaysInRange) {
  EXPECT_NE(refusal("[own_stock]\nlead_time_days = 61\n").message.find("0 to 60"), std::string::npos);
  EXPECT_NE(refusal("[own_stock]\nlead_time_days = -1\n").field, "");
  EXPECT_NE(refusal("[own_stock]\nlead_times = [{ days = 3 }]\n").message.find("either a sku or a category"),
            std::string::npos);
  EXPECT_NE(refusal("[own_stock]\nlead_times = [{ sku = \"a\", category = \"food\", days = 3 }]\n")
                .message.find("either a sku or a category"),
            std::string::npos);
  EXPECT_NE(refusal("[own_stock]\nlead_times = [{ category = \"food\" }]\n").message.find("needs 'days'"),
            std::string::npos);
  EXPECT_NE(refusal("[own_stock]\nlead_times = [{ category = \"food\", days = 61 }]\n").message.find("0 to 60"),
            std::string::npos);
  EXPECT_NE(refusal("[own_stock]\nlead_tme_days = 3\n").message.find("unknown key"), std::string::npos);
}

}  // namespace
}  // namespace spine::domain
