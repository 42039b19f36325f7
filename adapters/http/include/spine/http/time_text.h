// The time grammar of the API's parameters (as_of=, from=, to=), public so
// that offline tools (`spine replay --until-time`) accept exactly the same
// texts as the HTTP API.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "spine/domain/time_zone.h"

namespace spine::http {

// "2025-10-01T20:00:00Z", "2025-10-01T20:00:00.5+08:00" -> UTC microseconds.
std::optional<std::int64_t> parse_rfc3339(std::string_view text);
// "2025-10-01" as local midnight in `zone` -> UTC microseconds.
std::optional<std::int64_t> parse_local_day(std::string_view text, const domain::TimeZone& zone);
// UTC microseconds -> "2025-10-01T12:00:00Z" (whole seconds).
std::string format_rfc3339(std::int64_t utc_us);

}  // namespace spine::http
