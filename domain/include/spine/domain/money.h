// Money in integer minor units (fen, cents) with overflow-checked arithmetic.
// Never a floating-point amount: sums of prices must be exact.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "spine/result.h"

namespace spine::domain {

class Money {
 public:
  constexpr Money() = default;
  static constexpr Money from_minor(std::int64_t minor_units) { return Money(minor_units); }
  // Parses "12", "12.3" or "12.34" (at most two decimals, optional leading '-').
  static Result<Money> parse(std::string_view text);

  constexpr std::int64_t minor_units() const { return minor_; }
  std::string to_string() const;  // "12.34"

  // Checked arithmetic: an overflow is an Error ("amount_overflow"), never a wrap.
  Result<Money> plus(Money other) const;
  Result<Money> minus(Money other) const;
  Result<Money> times(std::int64_t quantity) const;

  constexpr auto operator<=>(const Money&) const = default;

 private:
  constexpr explicit Money(std::int64_t minor) : minor_(minor) {}
  std::int64_t minor_ = 0;
};

}  // namespace spine::domain
