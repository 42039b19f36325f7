// read_json (domain/include/spine/domain/json_reader.h): what nlohmann's own
// parser accepts, throws on or blows up with is refused with a code and the
// path of the offending value, and a legitimate document reads as before.
#include <gtest/gtest.h>

#include "spine/domain/json_reader.h"

namespace spine::domain {
namespace {

struct Refusal {
  std::string text, code, field;
};

TEST(JsonReader, RefusesWhatTheDefaultParserAcceptsOrDiesOnNamingThePath) {
  const std::string digits(310, '9');
  const std::vector<Refusal> cases = {
      {"1e400", "out_of_range", "body"},
      {"[1,-1e309]", "out_of_range", "body[1]"},
      {R"({"a":{"b":[0,{"c":)" + digits + "}]}}", "out_of_range", "a.b[1].c"},
      {R"({"a":1e400)", "out_of_range", "a"},  // malformed after the number: the number is named first
      {R"({"a":1,"a":2})", "duplicate_field", "a"},
      {R"({"lines":[{"q":1},{"q":1,"q":2}]})", "duplicate_field", "lines[1].q"},
      {R"({"a":1 "b":2})", "invalid_json", "body"},
      {"\"\xff\"", "invalid_json", "body"},
      {"", "invalid_json", "body"},
      {"{} {}", "invalid_json", "body"},
  };
  for (const Refusal& c : cases) {
    auto read = read_json(c.text);
    ASSERT_FALSE(read) << c.text;
    EXPECT_EQ(read.error().code, c.code) << c.text << ": " << read.error().to_string();
    EXPECT_EQ(read.error().field, c.field) << c.text << ": " << read.error().to_string();
    EXPECT_FALSE(read.error().message.empty());
  }
}

TEST(JsonReader, DepthArrayAndMemoryLimitsAreChargedWhileParsing) {
  JsonLimits limits;
  limits.max_depth = 3;
  limits.max_array_items = 4;
  EXPECT_TRUE(read_json("[[[1]]]", limits));
  auto deep = read_json("[[[[1]]]]", limits);
  ASSERT_FALSE(deep);
  EXPECT_EQ(deep.error().code, "too_deep");
  EXPECT_EQ(deep.error().field, "body[0][0][0]");
  auto many = read_json(R"({"xs":[1,2,3,4,5]})", limits);
  ASSERT_FALSE(many);
  EXPECT_EQ(many.error().code, "too_many");
  EXPECT_EQ(many.error().field, "xs");
  std::string objects = "[";
  for (int i = 0; i < 5; ++i) objects += std::string(i ? "," : "") + "{\"k\":\"" + std::string(1000, 'v') + "\"}";
  objects += "]";
  JsonLimits small_budget;
  small_budget.max_memory_bytes = 4096;
  EXPECT_TRUE(read_json(objects.substr(0, objects.find("},{")) + "}]", small_budget)) << "one object fits";
  auto large = read_json(objects, small_budget);
  ASSERT_FALSE(large);
  EXPECT_EQ(large.error().code, "body_too_large");
  // 100,000 nested arrays stop at the depth limit, not the stack.
  auto nested = read_json(std::string(100'000, '['));
  ASSERT_FALSE(nested);
  EXPECT_EQ(nested.error().code, "too_deep");
}

TEST(JsonReader, ALegitimateDocumentReadsAsNlohmannReadsIt) {
  const std::string text =
      R"({"order_id":"o1","lines":[{"sku_id":"a","quantity":2,"unit_price":19900}],"fee":-3,"big":18446744073709551615,)"
      R"("ratio":0.25,"ok":true,"none":null,"name":"\u5973\u88c5"})";
  auto read = read_json(text);
  ASSERT_TRUE(read) << read.error().to_string();
  EXPECT_EQ(*read, nlohmann::json::parse(text));
  EXPECT_TRUE((*read)["big"].is_number_unsigned());
}

}  // namespace
}  // namespace spine::domain
