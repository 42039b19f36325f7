// JsonText (projections' DOM-free row writer) prints exactly what
// nlohmann::json::dump() prints, and flags text nlohmann would refuse.
#include <gtest/gtest.h>

#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "../projections/src/json_text.h"

namespace spine::testing {
namespace {

using projections::internal::JsonText;

std::string written(const std::string& text) {
  JsonText out;
  out.value(text);
  EXPECT_TRUE(out.valid()) << text;
  return out.take();
}

TEST(JsonText, StringsAreEscapedAsNlohmannEscapesThem) {
  std::vector<std::string> samples = {"", "plain", "quote \" and backslash \\", "tab\tnew\nline\rcr",
                                      "bell\b feed\f", std::string("nul\0byte", 8), "\x01\x1f\x7f",
                                      "caf\xc3\xa9", "\xe4\xb8\xad\xe6\x96\x87 \xe8\xae\xa2\xe5\x8d\x95",
                                      "emoji \xf0\x9f\x93\xa6", "slash / stays", "\xef\xbf\xbf"};
  for (int c = 0; c < 0x80; ++c) samples.push_back(std::string(1, static_cast<char>(c)));
  for (const std::string& sample : samples) {
    EXPECT_EQ(written(sample), nlohmann::json(sample).dump()) << "sample of " << sample.size() << " bytes";
  }
}

// Plain characters are copied in runs: every escape, multi-byte character
// and invalid byte still lands where it is, at the start, middle and end.
TEST(JsonText, RunsOfPlainCharactersAroundEscapesMatchNlohmann) {
  const std::vector<std::string> specials = {"\"", "\\", "\n", std::string(1, '\0'), "\x1f", "\xc3\xa9",
                                             "\xe4\xb8\xad", "\xf0\x9f\x93\xa6", "\x7f"};
  const std::vector<std::string> runs = {"", "a", "order-000042/sku-7", std::string(300, 'x')};
  for (const std::string& special : specials) {
    for (const std::string& before : runs) {
      for (const std::string& after : runs) {
        const std::string sample = before + special + after + special + before;
        EXPECT_EQ(written(sample), nlohmann::json(sample).dump()) << "around " << nlohmann::json(special).dump();
      }
    }
  }
  for (const std::string& bad : {std::string("\xc3"), std::string("\xed\xa0\x80"), std::string("\xff")}) {
    JsonText out;
    out.value(std::string(100, 'p') + bad + std::string(100, 'q'));
    EXPECT_FALSE(out.valid());
  }
}

TEST(JsonText, NumbersBoolsAndNestingMatchNlohmann) {
  for (std::int64_t n : {std::int64_t{0}, std::int64_t{-1}, std::int64_t{42}, std::numeric_limits<std::int64_t>::min(),
                         std::numeric_limits<std::int64_t>::max()}) {
    JsonText out;
    out.value(n);
    EXPECT_EQ(out.take(), nlohmann::json(n).dump());
  }
  JsonText out;
  out.begin_object();
  out.key("a"), out.value(true);
  out.key("b");
  out.begin_array();
  out.begin_array();
  out.end_array();
  out.value(std::int64_t{-7});
  out.begin_object();
  out.end_object();
  out.value(std::string_view("x"));
  out.end_array();
  out.key("c"), out.value(false);
  out.key("d");
  out.begin_object();
  out.key("e"), out.value(std::int64_t{1});
  out.key("f"), out.value(std::int64_t{2});
  out.end_object();
  out.end_object();
  const nlohmann::json expected = {{"a", true},
                                   {"b", {nlohmann::json::array(), -7, nlohmann::json::object(), "x"}},
                                   {"c", false},
                                   {"d", {{"e", 1}, {"f", 2}}}};
  EXPECT_EQ(out.take(), expected.dump());
}

TEST(JsonText, TextThatIsNotUtf8IsFlaggedAsNlohmannRefusesIt) {
  const std::vector<std::string> invalid = {"\xff", "\xc3", "\xc0\xaf" /* overlong */, "\xe0\x80\xaf",
                                            "\xed\xa0\x80" /* surrogate */, "\xf4\x90\x80\x80" /* > U+10FFFF */,
                                            "ok then \x80", "\xe4\xb8"};
  for (const std::string& sample : invalid) {
    JsonText out;
    out.value(sample);
    EXPECT_FALSE(out.valid()) << "byte " << static_cast<int>(static_cast<unsigned char>(sample.back()));
    EXPECT_THROW((void)nlohmann::json(sample).dump(), nlohmann::json::type_error);
  }
}

TEST(JsonText, IntegerKeyedMapsAreVisitedInTheOrderNlohmannGivesTheirText) {
  const std::vector<std::map<std::int64_t, std::int64_t>> maps = {
      {},                                           // nothing
      {{20'400, 1}, {20'401, 2}, {20'999, 3}},      // same width: the map's own order
      {{9, 1}, {10, 2}, {100, 3}, {11, 4}},         // widths differ: "10" < "100" < "11" < "9"
      {{-5, 1}, {-40, 2}, {0, 3}, {7, 4}, {12, 5}}  // negatives: "-40" < "-5" < "0" < "12" < "7"
  };
  for (const auto& by_number : maps) {
    nlohmann::json expected = nlohmann::json::object();
    for (const auto& [number, value] : by_number) expected[std::to_string(number)] = value;
    JsonText out;
    out.begin_object();
    projections::internal::for_each_by_decimal_text(by_number, [&](std::string_view text, std::int64_t value) {
      out.key(text), out.value(value);
    });
    out.end_object();
    EXPECT_EQ(out.take(), expected.dump());
  }
}

}  // namespace
}  // namespace spine::testing
