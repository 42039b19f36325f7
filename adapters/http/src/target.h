// Parsing of request targets, query parameters and times (internal).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "spine/http/time_text.h"
#include "spine/result.h"

namespace spine::http::internal {

struct Target {
  std::vector<std::string> segments;             // decoded path segments ("/v1/stock/a" -> v1, stock, a)
  std::map<std::string, std::string> parameters;  // decoded query parameters (the last one wins)
};

// Errors: "bad_target" (not origin-form, bad percent-encoding, a NUL or
// invalid UTF-8 after decoding).
Result<Target> parse_target(std::string_view target);

using ::spine::http::parse_local_day;  // spine/http/time_text.h
using ::spine::http::parse_rfc3339;
// A decimal without sign, at most 2^64-1.
std::optional<std::uint64_t> parse_unsigned(std::string_view text);
bool valid_utf8(std::string_view text);

}  // namespace spine::http::internal
