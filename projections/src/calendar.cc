#include "calendar.h"

#include <cstdio>

namespace spine::projections::internal {

CivilDate civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<std::uint32_t>(z - era * 146097);
  const std::uint32_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const std::uint32_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::uint32_t mp = (5 * doy + 2) / 153;
  const std::uint32_t d = doy - (153 * mp + 2) / 5 + 1;
  const std::uint32_t m = mp < 10 ? mp + 3 : mp - 9;
  return CivilDate{static_cast<std::int32_t>(y + (m <= 2)), m, d};
}

std::int64_t days_from_civil(std::int32_t y, std::uint32_t m, std::uint32_t d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<std::uint32_t>(y - era * 400);
  const std::uint32_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const std::uint32_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool parse_day(std::string_view text, std::int64_t& day) {
  int y = 0;
  unsigned m = 0, d = 0;
  char tail = 0;
  const std::string copy(text);
  if (copy.size() != 10 || std::sscanf(copy.c_str(), "%4d-%2u-%2u%c", &y, &m, &d, &tail) != 3) return false;
  if (m < 1 || m > 12 || d < 1 || d > 31) return false;
  day = days_from_civil(y, m, d);
  const CivilDate back = civil_from_days(day);
  return back.month == m && back.day == d;
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
