// Parsing of request targets, query parameters and times (internal).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "spine/result.h"

namespace spine::http::internal {

struct Target {
  std::vector<std::string> segments;             // decoded path segments ("/v1/stock/a" -> v1, stock, a)
  std::map<std::string, std::string> parameters;  // decoded query parameters (the last one wins)
};

// Errors: "bad_target" (not origin-form, bad percent-encoding, a NUL or
// invalid UTF-8 after decoding).
Result<Target> parse_target(std::string_view target);

// "2025-10-01T20:00:00Z", "2025-10-01T20:00:00.5+08:00" -> UTC microseconds.
std::optional<std::int64_t> parse_rfc3339(std::string_view text);
// "2025-10-01" as local midnight at `utc_offset_minutes` -> UTC microseconds.
std::optional<std::int64_t> parse_local_day(std::string_view text, int utc_offset_minutes);
// A decimal without sign, at most 2^64-1.
std::optional<std::uint64_t> parse_unsigned(std::string_view text);
bool valid_utf8(std::string_view text);

}  // namespace spine::http::internal
