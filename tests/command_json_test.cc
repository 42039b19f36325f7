// Commands from JSON through FlatBuffers reflection: every command of the
// schema has a name, fields arrive typed, and every shape error names its
// field path and rule.
#include <gtest/gtest.h>

#include "spine/domain/command_json.h"
#include "spine/domain/event_json.h"
#include "spine/domain/events.h"

namespace spine::domain {
namespace {

TEST(CommandJson, EveryCommandOfTheSchemaHasAKebabCaseName) {
  const std::vector<std::string>& names = command_names();
  EXPECT_EQ(names.size(), static_cast<std::size_t>(shop::CommandBody::MAX));
  for (const std::string& name : names) {
    auto parsed = command_from_json(name, "{}");
    ASSERT_TRUE(parsed.ok()) << name << ": " << parsed.error().to_string();
    EXPECT_NE(parsed->type, shop::CommandBody::NONE) << name;
  }
  EXPECT_EQ(names.front(), "register-supplier");
}

TEST(CommandJson, FieldsArriveTypedWithEnumsByNameOrNumber) {
  auto parsed = command_from_json(
      "place-order", R"({"order_id":"o1","channel":"Livestream","device":1,"region":"east",
                         "lines":[{"sku_id":"s1","quantity":2,"unit_price":1990}],"coupon":null})");
  ASSERT_TRUE(parsed.ok()) << parsed.error().to_string();
  const shop::PlaceOrderT* order = parsed->AsPlaceOrder();
  ASSERT_NE(order, nullptr);
  EXPECT_EQ(order->order_id, "o1");
  EXPECT_EQ(order->channel, shop::Channel::Livestream);
  EXPECT_EQ(order->device, shop::Device::Desktop);
  ASSERT_EQ(order->lines.size(), 1u);
  EXPECT_EQ(order->lines[0]->quantity, 2);
  EXPECT_EQ(order->lines[0]->unit_price, 1990);
  EXPECT_EQ(order->coupon, "");
}

TEST(CommandJson, ACommandRenderedAsJsonParsesBackToTheSameCommand) {
  auto parsed = command_from_json(
      "place-order", R"({"order_id":"o1","customer_id":"c9","channel":"Livestream","device":"Mobile","region":"east",
                         "lines":[{"sku_id":"s1","quantity":2,"unit_price":1990},{"sku_id":"s2","quantity":1,"unit_price":5}]})");
  ASSERT_TRUE(parsed.ok()) << parsed.error().to_string();
  auto rendered = command_to_json(*parsed);
  ASSERT_TRUE(rendered.ok()) << rendered.error().to_string();
  EXPECT_EQ(rendered->first, "place-order");
  auto again = command_from_json(rendered->first, rendered->second);
  ASSERT_TRUE(again.ok()) << again.error().to_string() << " in " << rendered->second;
  EXPECT_EQ(encode_command(*again), encode_command(*parsed));
  EXPECT_EQ(command_to_json(shop::CommandBodyUnion{}).error().code, "command_invalid");
}

TEST(EventJson, AnEventRenderedAsJsonParsesBackToTheSamePayload) {
  shop::OrderPaidT paid;
  paid.order_id = "o1";
  paid.amount = 1990;
  shop::EventBodyUnion event;
  event.Set(std::move(paid));
  const std::string payload = encode_event(event);
  auto json = event_payload_to_json(payload);
  ASSERT_TRUE(json.ok());
  auto back = event_payload_from_json(*json);
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_EQ(*event_payload_to_json(*back), *json);
  EXPECT_EQ(event_payload_from_json("{\"body_type\":\"Nope\"}").error().code, "invalid_json");
  EXPECT_EQ(event_payload_from_json("not json").error().code, "invalid_json");
}

TEST(CommandJson, ShapeErrorsNameTheFieldPathAndTheRule) {
  struct Case {
    std::string name, json, code, field;
  };
  const std::vector<Case> cases = {
      {"place-order", "{", "invalid_json", "body"},
      {"place-order", "\"text\"", "invalid_type", "body"},
      {"place-order", R"({"nope":1})", "unknown_field", "nope"},
      {"place-order", R"({"lines":{}})", "invalid_type", "lines"},
      {"place-order", R"({"lines":[{"sku_id":"a"},{"sku_id":7}]})", "invalid_type", "lines[1].sku_id"},
      {"place-order", R"({"lines":[{"quantity":-2147483649}]})", "out_of_range", "lines[0].quantity"},
      {"place-order", R"({"shipping_fee":9223372036854775808})", "out_of_range", "shipping_fee"},
      {"place-order", R"({"device":7})", "invalid_enum", "device"},
      {"place-order", R"({"device":"Tablet"})", "invalid_enum", "device"},
      {"place-order", R"({"order_id":true})", "invalid_type", "order_id"},
      {"change-prices", R"({"changes":[{"new_price":"1"}]})", "invalid_type", "changes[0].new_price"},
      {"place-order", "{\"order_id\":\"\xed\xa0\x80\"}", "invalid_json", "body"},
      {"no-such-thing", "{}", "unknown_command", "command"},
  };
  for (const Case& c : cases) {
    auto parsed = command_from_json(c.name, c.json);
    ASSERT_FALSE(parsed.ok()) << c.json;
    EXPECT_EQ(parsed.error().code, c.code) << c.json << ": " << parsed.error().to_string();
    EXPECT_EQ(parsed.error().field, c.field) << c.json;
    EXPECT_FALSE(parsed.error().message.empty());
  }
}

TEST(CommandJson, ArraysOverTheLimitAreRefused) {
  std::string lines = "[";
  for (std::size_t i = 0; i <= kMaxArrayItems; ++i) lines += std::string(i ? "," : "") + "{}";
  lines += "]";
  auto parsed = command_from_json("place-order", "{\"lines\":" + lines + "}");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().code, "too_many");
  EXPECT_EQ(parsed.error().field, "lines");
}

}  // namespace
}  // namespace spine::domain
