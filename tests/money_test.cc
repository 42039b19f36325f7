// Money in minor units: exact parsing and formatting, overflow refused.
#include <gtest/gtest.h>

#include <limits>

#include "spine/domain/money.h"

namespace spine::domain {
namespace {

TEST(Money, ParsesAndFormatsMinorUnits) {
  EXPECT_EQ(Money::parse("12.34")->minor_units(), 1234);
  EXPECT_EQ(Money::parse("12.3")->minor_units(), 1230);
  EXPECT_EQ(Money::parse("12")->minor_units(), 1200);
  EXPECT_EQ(Money::parse("-0.05")->minor_units(), -5);
  EXPECT_EQ(Money::from_minor(1234).to_string(), "12.34");
  EXPECT_EQ(Money::from_minor(-5).to_string(), "-0.05");
  EXPECT_EQ(Money::from_minor(std::numeric_limits<std::int64_t>::min()).to_string(), "-92233720368547758.08");
}

TEST(Money, RefusesMalformedAmounts) {
  for (const char* text : {"", "-", "1.234", "1.", ".", "1,5", "abc", "1.2.3", " 1"}) {
    auto parsed = Money::parse(text);
    ASSERT_FALSE(parsed) << text;
    EXPECT_EQ(parsed.error().code, "invalid_amount") << text;
    EXPECT_EQ(parsed.error().field, "amount");
  }
}

TEST(Money, OverflowIsAnErrorNeverAWrap) {
  const Money max = Money::from_minor(std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(max.plus(Money::from_minor(1)).error().code, "amount_overflow");
  EXPECT_EQ(Money::from_minor(std::numeric_limits<std::int64_t>::min()).minus(Money::from_minor(1)).error().code,
            "amount_overflow");
  EXPECT_EQ(Money::from_minor(1'000'000'000'000).times(100'000'000).error().code, "amount_overflow");
  EXPECT_EQ(Money::parse("99999999999999999999").error().code, "amount_overflow");
  EXPECT_EQ(Money::from_minor(250).times(3)->minor_units(), 750);
  EXPECT_EQ(Money::from_minor(250).minus(Money::from_minor(300))->minor_units(), -50);
}

}  // namespace
}  // namespace spine::domain
