#include "calendar.h"

#include <chrono>
#include <cstdio>

namespace spine::projections::internal {

CivilDate civil_from_days(std::int64_t days) {
  const std::chrono::year_month_day date{std::chrono::sys_days{std::chrono::days{days}}};
  return CivilDate{static_cast<int>(date.year()), static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day())};
}

std::int64_t days_from_civil(std::int32_t year, std::uint32_t month, std::uint32_t day) {
  return std::chrono::sys_days{std::chrono::year{year} / std::chrono::month{month} / std::chrono::day{day}}
      .time_since_epoch()
      .count();
}

bool parse_day(std::string_view text, std::int64_t& day) {
  int y = 0;
  unsigned m = 0, d = 0;
  char tail = 0;
  const std::string copy(text);
  if (copy.size() != 10 || std::sscanf(copy.c_str(), "%4d-%2u-%2u%c", &y, &m, &d, &tail) != 3) return false;
  const std::chrono::year_month_day date{std::chrono::year{y}, std::chrono::month{m}, std::chrono::day{d}};
  if (!date.ok()) return false;
  day = std::chrono::sys_days{date}.time_since_epoch().count();
  return true;
}

std::string format_day(std::int64_t day) {
  const CivilDate date = civil_from_days(day);
  char text[16];
  std::snprintf(text, sizeof text, "%04d-%02u-%02u", date.year, date.month, date.day);
  return text;
}

std::string format_time(std::int64_t utc_us) {
  const std::int64_t seconds = Calendar::floor_div(utc_us, 1'000'000);
  const std::int64_t day = Calendar::floor_div(seconds, 86400);
  const std::int64_t in_day = seconds - day * 86400;
  const std::int64_t micros = utc_us - seconds * 1'000'000;
  char text[48];
  std::snprintf(text, sizeof text, "%sT%02d:%02d:%02d.%06dZ", format_day(day).c_str(), static_cast<int>(in_day / 3600),
                static_cast<int>(in_day / 60 % 60), static_cast<int>(in_day % 60), static_cast<int>(micros));
  return text;
}

}  // namespace spine::projections::internal
