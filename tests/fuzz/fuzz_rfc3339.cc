// libFuzzer: RFC 3339 and local-day parsing (adapters/http/src/target.cc).
// Any bytes give a time or nothing; a time within years 0001-9999 formats to
// text that parses back to the same whole second.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "spine/http/time_text.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  // A zone with clock changes: local midnight there always exists, so a day
  // read in it is that zone's midnight again.
  static const spine::domain::TimeZone new_york = *spine::domain::TimeZone::named("America/New_York");
  if (auto day = spine::http::parse_local_day(text, new_york)) {
    if (new_york.to_local(*day) % 86'400'000'000LL != 0) std::abort();
  }
  auto at = spine::http::parse_rfc3339(text);
  if (!at) return 0;
  constexpr std::int64_t kYear1 = -62'135'596'800'000'000;    // 0001-01-01T00:00:00Z
  constexpr std::int64_t kYear10000 = 253'402'300'800'000'000;  // 10000-01-01T00:00:00Z
  if (*at < kYear1 || *at >= kYear10000) return 0;
  const std::int64_t whole = *at - ((*at % 1'000'000) + 1'000'000) % 1'000'000;
  auto again = spine::http::parse_rfc3339(spine::http::format_rfc3339(*at));
  if (!again || *again != whole) std::abort();
  return 0;
}
