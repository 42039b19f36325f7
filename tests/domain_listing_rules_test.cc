// Each listing rule of domain.md §1: one case accepted, one refused with the
// stable code and field.
#include <gtest/gtest.h>

#include "spine/domain/rules.h"
#include "support/shop.h"

namespace spine::testing {
namespace {

class ListingRules : public ::testing::Test {
 protected:
  World world;
  shop::ListProductT headphones() { return list_product("p1", {"s1", "s2"}, {10000, 12000}); }
};

TEST_F(ListingRules, AValidListingIsAcceptedAndEmitsTheProductAndEachSku) {
  auto decision = world.run(headphones());
  EXPECT_ACCEPTED(decision);
  ASSERT_EQ(decision->events.size(), 3u);
  EXPECT_EQ(decision->events[0].stream_id, "product-p1");
  EXPECT_EQ(domain::event_type_name(decision->events[0].event), "ProductListed");
  EXPECT_EQ(decision->events[1].stream_id, "stock-s1");
  EXPECT_EQ(domain::event_type_name(decision->events[2].event), "SkuListed");
}

TEST_F(ListingRules, BannedWordsInTitleOrDescriptionAreRefusedInChineseAndEnglish) {
  auto chinese = headphones();
  chinese.title = "全网最低价 降噪耳机";
  EXPECT_REFUSED(world.run(std::move(chinese)), "banned_word", "title");
  auto english = headphones();
  english.description = "The BEST headphones you will ever own";
  EXPECT_REFUSED(world.run(std::move(english)), "banned_word", "description");
  auto claim = headphones();
  claim.title = "Headphones that cure headaches";
  EXPECT_REFUSED(world.run(std::move(claim)), "banned_word", "title");
  auto traditional = headphones();
  traditional.title = "國家級 認證耳機";
  EXPECT_REFUSED(world.run(std::move(traditional)), "banned_word", "title");
}

TEST_F(ListingRules, BannedWordsInAttributesAreRefusedToo) {
  auto in_value = headphones();
  in_value.attributes[4]->value = "第一 brand";
  EXPECT_REFUSED(world.run(std::move(in_value)), "banned_word", "attributes[4].value");
  auto in_name = headphones();
  in_name.attributes.push_back(attribute("best feature", "quiet"));
  EXPECT_REFUSED(world.run(std::move(in_name)), "banned_word", "attributes[5].name");
  auto in_spec = headphones();
  in_spec.skus[1]->spec[0]->value = "No.1 black";
  EXPECT_REFUSED(world.run(std::move(in_spec)), "banned_word", "skus[1].spec[0].value");
  ASSERT_TRUE(world.run(headphones()).ok());
  shop::UpdateProductT update;
  update.product_id = "p1";
  update.category = "digital/audio/headphones";
  for (const char* name : {"connectivity", "battery_hours", "noise_cancelling", "warranty_months"}) {
    update.attributes.push_back(attribute(name, "yes"));
  }
  update.attributes.push_back(attribute("brand", "國家級 audio"));
  EXPECT_REFUSED(world.run(std::move(update)), "banned_word", "attributes[4].value");
}

TEST_F(ListingRules, BannedLatinWordsMatchWholeWordsOnly) {
  auto ok = headphones();
  ok.title = "Headphones bestowed with secure fit";  // "bestowed" and "secure" contain banned words
  EXPECT_ACCEPTED(world.run(std::move(ok)));
}

TEST_F(ListingRules, TheBannedWordListIsConfiguration) {
  world.config().banned_words = {"cheap"};
  auto listing = headphones();
  listing.title = "Cheap headphones";
  EXPECT_REFUSED(world.run(std::move(listing)), "banned_word", "title");
  auto formerly_banned = list_product("p2", {"s3"}, {100});
  formerly_banned.title = "The best headphones";
  EXPECT_ACCEPTED(world.run(std::move(formerly_banned)));
}

TEST_F(ListingRules, CategoryMustBeAConfiguredLeafAtLevelTwoOrThree) {
  auto level2 = list_product("p2", {"s3"}, {100});
  level2.category = "digital/phones";
  for (const char* name : {"storage_gb", "ram_gb", "screen_inches", "network", "brand"}) level2.attributes.push_back(attribute(name, "x"));
  EXPECT_ACCEPTED(world.run(std::move(level2)));
  EXPECT_ACCEPTED(world.run(headphones()));  // level 3

  auto not_leaf = list_product("p3", {"s4"}, {100});
  not_leaf.category = "digital/audio";
  EXPECT_REFUSED(world.run(std::move(not_leaf)), "category_not_leaf", "category");
  auto level1 = list_product("p3", {"s4"}, {100});
  level1.category = "toys";
  EXPECT_REFUSED(world.run(std::move(level1)), "category_level", "category");
  auto level4 = list_product("p3", {"s4"}, {100});
  level4.category = "a/b/c/d";
  EXPECT_REFUSED(world.run(std::move(level4)), "category_level", "category");
  auto unknown = list_product("p3", {"s4"}, {100});
  unknown.category = "digital/cameras";
  EXPECT_REFUSED(world.run(std::move(unknown)), "category_unknown", "category");
}

TEST_F(ListingRules, MoreThanTwentyPercentOfRequiredAttributesMissingIsRefused) {
  auto one_missing = headphones();  // 1 of 5 = 20 %: allowed
  one_missing.attributes.pop_back();
  EXPECT_ACCEPTED(world.run(std::move(one_missing)));

  auto two_missing = list_product("p2", {"s3"}, {100});  // 2 of 5 = 40 %
  two_missing.attributes.pop_back();
  two_missing.attributes.back()->value = "";  // empty counts as missing
  auto refused = world.run(std::move(two_missing));
  EXPECT_REFUSED(refused, "attributes_incomplete", "attributes");
  EXPECT_NE(refused.error().message.find("warranty_months"), std::string::npos);
}

TEST_F(ListingRules, SkuPriceSpreadAboveTheLimitIsRefused) {
  EXPECT_ACCEPTED(world.run(list_product("p1", {"s1", "s2"}, {1000, 3000})));  // exactly 3.0x
  EXPECT_REFUSED(world.run(list_product("p2", {"s3", "s4"}, {1000, 3001})), "price_spread", "skus");
}

TEST_F(ListingRules, MainVideoMustLastNineToThirtySeconds) {
  for (int seconds : {0, 9, 30}) {
    auto listing = list_product("p" + std::to_string(seconds), {"s" + std::to_string(seconds)}, {100});
    listing.main_video_seconds = seconds;
    EXPECT_ACCEPTED(world.run(std::move(listing)));
  }
  for (int seconds : {8, 31}) {
    auto listing = list_product("q", {"t"}, {100});
    listing.main_video_seconds = seconds;
    EXPECT_REFUSED(world.run(std::move(listing)), "video_length", "main_video_seconds");
  }
}

TEST_F(ListingRules, ProductAndSkuIdsAreUnique) {
  EXPECT_ACCEPTED(world.run(headphones()));
  EXPECT_REFUSED(world.run(headphones()), "product_exists", "product_id");
  EXPECT_REFUSED(world.run(list_product("p2", {"s1"}, {100})), "sku_exists", "skus[0].sku_id");
  EXPECT_REFUSED(world.run(list_product("p3", {"x", "x"}, {100, 100})), "duplicate_sku", "skus[1].sku_id");
}

TEST_F(ListingRules, MalformedInputIsRefusedWithTheField) {
  EXPECT_REFUSED(world.run(list_product("", {"s1"}, {100})), "required", "product_id");
  EXPECT_REFUSED(world.run(list_product("bad id", {"s1"}, {100})), "invalid_id", "product_id");
  EXPECT_REFUSED(world.run(list_product("p1", {}, {})), "required", "skus");
  EXPECT_REFUSED(world.run(list_product("p1", {"s1"}, {0})), "invalid_amount", "skus[0].list_price");
  EXPECT_REFUSED(world.run(list_product("p1", {"s1"}, {-5})), "invalid_amount", "skus[0].list_price");
  auto bad_utf8 = headphones();
  bad_utf8.title = std::string("Head\xC3\x28phones");
  EXPECT_REFUSED(world.run(std::move(bad_utf8)), "invalid_utf8", "title");
  auto long_title = headphones();
  long_title.title = std::string(121 * 3, 'a');
  EXPECT_REFUSED(world.run(std::move(long_title)), "too_long", "title");
  auto no_supplier = list_product("p1", {"s1"}, {100}, "sup-nobody");
  EXPECT_REFUSED(world.run(std::move(no_supplier)), "unknown_supplier", "supplier_id");
}

TEST_F(ListingRules, UpdateAndRelistPassTheSameChecks) {
  EXPECT_ACCEPTED(world.run(headphones()));
  shop::UpdateProductT update;
  update.product_id = "p1";
  update.title = "Best headphones";
  EXPECT_REFUSED(world.run(update), "banned_word", "title");
  update.title = "Quiet headphones";
  EXPECT_ACCEPTED(world.run(update));
  EXPECT_EQ(world.product("p1").title, "Quiet headphones");

  shop::DelistProductT delist;
  delist.product_id = "p1";
  EXPECT_ACCEPTED(world.run(delist));
  EXPECT_REFUSED(world.run(delist), "already_delisted", "product_id");
  world.config().banned_words.push_back("quiet");  // the rules changed while delisted
  shop::RelistProductT relist;
  relist.product_id = "p1";
  EXPECT_REFUSED(world.run(relist), "banned_word", "title");
  world.config().banned_words.pop_back();
  EXPECT_ACCEPTED(world.run(relist));
  EXPECT_TRUE(world.product("p1").listed);
}

class PriceRules : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(world.run(register_warehouse("w1", "east")).ok());
    ASSERT_TRUE(world.run(list_product("p1", {"cheap", "dear"}, {1000, 2000})).ok());  // costs 500 and 1000
  }
  shop::ChangePricesT change(const std::string& sku, std::int64_t price, const std::string& reason = "") {
    shop::ChangePricesT c;
    auto one = std::make_unique<shop::PriceChangeT>();
    one->product_id = "p1";
    one->sku_id = sku;
    one->new_price = price;
    one->reason = reason;
    c.changes.push_back(std::move(one));
    return c;
  }
  World world;
};

TEST_F(PriceRules, APriceChangeRecordsOldAndNewPrice) {
  auto decision = world.run(change("dear", 1800, "autumn promotion"));
  EXPECT_ACCEPTED(decision);
  const auto* changed = decision->events[0].event.AsPriceChanged();
  EXPECT_EQ(changed->old_price, 2000);
  EXPECT_EQ(changed->new_price, 1800);
  EXPECT_FALSE(changed->below_cost);
}

TEST_F(PriceRules, APriceBelowCostNeedsAReason) {
  EXPECT_REFUSED(world.run(change("dear", 900)), "below_cost_needs_reason", "changes[0].reason");  // cost 1000
  auto decision = world.run(change("dear", 900, "clearance of last season"));
  EXPECT_ACCEPTED(decision);
  EXPECT_TRUE(decision->events[0].event.AsPriceChanged()->below_cost);
}

TEST_F(PriceRules, TheCheapestSkuMayNotBeOneWithoutStock) {
  ASSERT_TRUE(world.run(receive_stock("dear", "w1", 10)).ok());
  // "cheap" has no stock while "dear" has: a bait ladder, refused ...
  EXPECT_REFUSED(world.run(change("dear", 1500)), "cheapest_sku_out_of_stock", "skus");
  // ... unless the cheapest has stock.
  ASSERT_TRUE(world.run(receive_stock("cheap", "w1", 5)).ok());
  EXPECT_ACCEPTED(world.run(change("dear", 1500)));
}

TEST_F(PriceRules, ASpreadAboveTheLimitIsRefusedOnChangeToo) {
  EXPECT_REFUSED(world.run(change("dear", 3001)), "price_spread", "skus");
  EXPECT_ACCEPTED(world.run(change("dear", 3000)));
}

TEST_F(PriceRules, UnknownSkusAndDuplicatesAreRefused) {
  EXPECT_REFUSED(world.run(change("nope", 100)), "unknown_sku", "changes[0].sku_id");
  auto twice = change("dear", 1500);
  twice.changes.push_back(std::make_unique<shop::PriceChangeT>(*twice.changes[0]));
  EXPECT_REFUSED(world.run(std::move(twice)), "duplicate_sku", "changes[1].sku_id");
}

TEST(RuleFunctions, Utf8ValidationRejectsOverlongAndSurrogates) {
  EXPECT_TRUE(domain::is_valid_utf8("價格 price"));
  EXPECT_FALSE(domain::is_valid_utf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(domain::is_valid_utf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(domain::is_valid_utf8("\xE4\xBB"));          // truncated
  EXPECT_EQ(domain::utf8_length("價格"), 2u);
}

}  // namespace
}  // namespace spine::testing
