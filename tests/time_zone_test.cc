// The shop's time zone is shop.toml's `time_zone` (an IANA name), and local
// days are cut there everywhere: KPI days, query days. Zones with clock
// changes get 23- and 25-hour days; an unknown name is refused.
#include <gtest/gtest.h>

#include "spine/domain/config.h"
#include "spine/domain/time_zone.h"
#include "spine/http/time_text.h"
#include "support/projected_shop.h"

namespace spine::testing {
namespace {

constexpr std::int64_t kHour = 3'600'000'000LL;

domain::TimeZone zone(const char* name) {
  auto found = domain::TimeZone::named(name);
  EXPECT_TRUE(found.ok()) << name;
  return found.ok() ? *found : domain::TimeZone{};
}
std::int64_t utc(const char* text) { return *http::parse_rfc3339(text); }

TEST(TimeZone, OffsetsFollowTheZonesRulesIncludingClockChanges) {
  EXPECT_EQ(domain::TimeZone{}.name(), "Asia/Shanghai");
  EXPECT_EQ(domain::TimeZone{}.offset_us(utc("2025-07-01T00:00:00Z")), 8 * kHour);
  EXPECT_EQ(zone("Asia/Kolkata").offset_us(utc("2025-07-01T00:00:00Z")), 5 * kHour + kHour / 2);
  const domain::TimeZone new_york = zone("America/New_York");
  EXPECT_EQ(new_york.offset_us(utc("2025-01-15T12:00:00Z")), -5 * kHour);
  EXPECT_EQ(new_york.offset_us(utc("2025-07-15T12:00:00Z")), -4 * kHour);
  // 2025-03-09 02:00 EST became 03:00 EDT; 2025-11-02 02:00 EDT became 01:00 EST.
  EXPECT_EQ(new_york.offset_us(utc("2025-03-09T06:59:59Z")), -5 * kHour);
  EXPECT_EQ(new_york.offset_us(utc("2025-03-09T07:00:00Z")), -4 * kHour);
}

TEST(TimeZone, LocalDaysStartAtLocalMidnightAndMayLast23Or25Hours) {
  const domain::TimeZone new_york = zone("America/New_York");
  EXPECT_EQ(*http::parse_local_day("2025-11-13", new_york), utc("2025-11-13T05:00:00Z"));
  EXPECT_EQ(*http::parse_local_day("2025-11-13", domain::TimeZone{}), utc("2025-11-12T16:00:00Z"));
  EXPECT_EQ(*http::parse_local_day("2025-03-10", new_york) - *http::parse_local_day("2025-03-09", new_york), 23 * kHour);
  EXPECT_EQ(*http::parse_local_day("2025-11-03", new_york) - *http::parse_local_day("2025-11-02", new_york), 25 * kHour);
  // 01:30 happened twice on 2025-11-02: the first one is meant.
  const std::int64_t wall = *http::parse_rfc3339("2025-11-02T01:30:00Z");  // as a local wall time
  EXPECT_EQ(new_york.to_utc(wall), utc("2025-11-02T05:30:00Z"));
  for (std::int64_t at = utc("2025-03-08T00:00:00Z"); at < utc("2025-03-11T00:00:00Z"); at += kHour / 4) {
    EXPECT_EQ(new_york.to_utc(new_york.to_local(at)), at) << at;  // every instant round-trips outside the repeated hour
  }
}

TEST(TimeZone, AnUnknownZoneIsRefusedWithTheLineOfTheFile) {
  EXPECT_EQ(domain::TimeZone::named("Mars/Olympus_Mons").error().code, "unknown_time_zone");
  EXPECT_EQ(domain::TimeZone::named("").error().code, "unknown_time_zone");
  EXPECT_EQ(domain::TimeZone::named("+08:00").error().code, "unknown_time_zone");
  auto parsed = domain::parse_config("# shop\ntime_zone = \"Mars/Olympus_Mons\"\n", "shop.toml");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().code, "config_invalid");
  EXPECT_EQ(parsed.error().field, "shop.toml:2");
  EXPECT_NE(parsed.error().message.find("IANA"), std::string::npos);
  EXPECT_FALSE(domain::parse_config("time_zone = 8\n", "shop.toml").ok());
  auto berlin = domain::parse_config("time_zone = \"Europe/Berlin\"\n", "shop.toml");
  ASSERT_TRUE(berlin.ok()) << berlin.error().to_string();
  EXPECT_EQ(berlin->time_zone.name(), "Europe/Berlin");
  EXPECT_EQ(domain::default_config().time_zone.name(), "Asia/Shanghai");
}

class NewYorkShop : public ProjectedShop {
 protected:
  NewYorkShop() { config.time_zone = zone("America/New_York"); }
};

// kNow is 2025-11-13T02:13:20Z: the 13th in Shanghai, still the 12th in New York.
TEST_F(NewYorkShop, KpiDaysAreCutAtTheShopsMidnight) {
  run(wrap(register_warehouse("w-east", "east")));
  run(wrap(list_product("pA", {"A"}, {10'000})));
  run(wrap(receive_stock("A", "w-east", 10)));
  run(wrap(place_order("o1", "east", {{"A", 1, 10'000}})));
  projections::KpiQuery q;
  q.from_us = utc("2025-11-11T05:00:00Z");  // New York midnight, the 11th
  q.to_us = utc("2025-11-14T05:00:00Z");
  q.granularity = "day";
  const nlohmann::json answer = read<projections::KpiProjection>("kpis", [&](const auto& k) { return *k.query(q); });
  EXPECT_EQ(answer["time_zone"], "America/New_York");
  const nlohmann::json& rows = answer["rows"];
  std::vector<std::string> days_with_orders;
  for (const auto& row : rows) {
    if (counter(row, "placed_orders") > 0) days_with_orders.push_back(row["period"]);
  }
  EXPECT_EQ(days_with_orders, std::vector<std::string>{"2025-11-12"}) << rows.dump();
  ASSERT_EQ(rows.size(), 1u);  // only days with figures have rows
  EXPECT_EQ(rows[0]["start"], "2025-11-12T05:00:00.000000Z");
  EXPECT_EQ(rows[0]["end"], "2025-11-13T05:00:00.000000Z");
}

}  // namespace
}  // namespace spine::testing
