// Internal: shop-local calendar arithmetic. KPIs are bucketed by the shop's
// local hour in its time zone (shop.toml's time_zone, default Asia/Shanghai),
// so days, weeks (ISO, Monday first) and months are exact unions of local
// hours. Around a clock change a local day has 23 or 25 hours: the repeated
// hour is one bucket, the skipped one is empty.
#pragma once

#include <cstdint>
#include <string>

#include "spine/domain/time_zone.h"

namespace spine::projections::internal {

constexpr std::int64_t kMicrosPerHour = 3'600'000'000LL;
constexpr std::int64_t kMicrosPerDay = 24 * kMicrosPerHour;

struct Calendar {
  domain::TimeZone zone;

  std::int64_t local_us(std::int64_t utc_us) const { return zone.to_local(utc_us); }
  std::int64_t utc_us(std::int64_t local) const { return zone.to_utc(local); }
  // Local hour and day numbers since the epoch (floor division).
  std::int64_t hour(std::int64_t utc) const { return floor_div(local_us(utc), kMicrosPerHour); }
  std::int64_t day(std::int64_t utc) const { return floor_div(local_us(utc), kMicrosPerDay); }
  std::int64_t hour_start_utc(std::int64_t hour) const { return utc_us(hour * kMicrosPerHour); }
  std::int64_t day_start_utc(std::int64_t day) const { return utc_us(day * kMicrosPerDay); }

  static std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }
};

// Civil date of a day number (days since 1970-01-01), via std::chrono.
struct CivilDate { std::int32_t year; std::uint32_t month, day; };
CivilDate civil_from_days(std::int64_t days);
std::int64_t days_from_civil(std::int32_t year, std::uint32_t month, std::uint32_t day);
// "YYYY-MM-DD" to a day number; false if malformed.
bool parse_day(std::string_view text, std::int64_t& day);
std::string format_day(std::int64_t day);
// RFC 3339 UTC text of a time in microseconds ("2025-11-13T08:00:00Z").
std::string format_time(std::int64_t utc_us);

}  // namespace spine::projections::internal
