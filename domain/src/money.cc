#include "spine/domain/money.h"

#include <cstdlib>

namespace spine::domain {

namespace {
Error overflow(const std::string& what) {
  return Error{"amount_overflow", "amount", what + " does not fit in 64-bit minor units"};
}
}  // namespace

Result<Money> Money::parse(std::string_view text) {
  const Error malformed{"invalid_amount", "amount",
                        "'" + std::string(text) + "' is not an amount with at most two decimals"};
  bool negative = false;
  if (!text.empty() && text.front() == '-') {
    negative = true;
    text.remove_prefix(1);
  }
  if (text.empty()) return malformed;
  std::int64_t units = 0;
  int decimals = -1;
  for (char c : text) {
    if (c == '.') {
      if (decimals >= 0) return malformed;
      decimals = 0;
      continue;
    }
    if (c < '0' || c > '9') return malformed;
    if (decimals >= 0 && ++decimals > 2) return malformed;
    if (__builtin_mul_overflow(units, 10, &units) || __builtin_add_overflow(units, c - '0', &units)) {
      return overflow("'" + std::string(text) + "'");
    }
  }
  if (decimals == 0) return malformed;  // "12." has no digits after the point
  for (int scale = decimals < 0 ? 0 : decimals; scale < 2; ++scale) {
    if (__builtin_mul_overflow(units, 10, &units)) return overflow("'" + std::string(text) + "'");
  }
  return Money(negative ? -units : units);
}

std::string Money::to_string() const {
  const bool negative = minor_ < 0;
  // Work in unsigned so that INT64_MIN prints correctly.
  const std::uint64_t magnitude = negative ? 0 - static_cast<std::uint64_t>(minor_) : static_cast<std::uint64_t>(minor_);
  std::string cents = std::to_string(magnitude % 100);
  if (cents.size() < 2) cents.insert(0, "0");
  return (negative ? "-" : "") + std::to_string(magnitude / 100) + "." + cents;
}

Result<Money> Money::plus(Money other) const {
  std::int64_t sum = 0;
  if (__builtin_add_overflow(minor_, other.minor_, &sum)) return overflow("the sum");
  return Money(sum);
}

Result<Money> Money::minus(Money other) const {
  std::int64_t difference = 0;
  if (__builtin_sub_overflow(minor_, other.minor_, &difference)) return overflow("the difference");
  return Money(difference);
}

Result<Money> Money::times(std::int64_t quantity) const {
  std::int64_t product = 0;
  if (__builtin_mul_overflow(minor_, quantity, &product)) return overflow("the product");
  return Money(product);
}

}  // namespace spine::domain
