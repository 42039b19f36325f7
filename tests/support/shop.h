// Test helpers for the shop domain: command builders with valid defaults
// (a test changes the one field its rule is about) and World, a pure
// in-memory run of decide/evolve without a store.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "spine/domain/config.h"
#include "spine/domain/decide.h"
#include "spine/domain/streams.h"

namespace spine::testing {

constexpr std::int64_t kNow = 1'763'000'000'000'000;  // 2025-11-13, UTC microseconds

template <typename T>
shop::CommandBodyUnion wrap(T&& command) {
  shop::CommandBodyUnion body;
  body.Set(std::forward<T>(command));
  return body;
}

inline std::unique_ptr<shop::AttributeT> attribute(std::string name, std::string value) {
  auto a = std::make_unique<shop::AttributeT>();
  a->name = std::move(name);
  a->value = std::move(value);
  return a;
}

inline shop::RegisterWarehouseT register_warehouse(std::string id, std::string region) {
  shop::RegisterWarehouseT c;
  c.warehouse_id = std::move(id);
  c.name = "Warehouse " + c.warehouse_id;
  c.region = std::move(region);
  return c;
}

inline shop::RegisterSupplierT register_supplier(std::string id, std::int32_t return_share_bp = 5000) {
  shop::RegisterSupplierT c;
  c.supplier_id = std::move(id);
  c.name = "Supplier " + c.supplier_id;
  c.return_cost_share_bp = return_share_bp;
  return c;
}

// A headphone listing with every required attribute and one SKU per price.
inline shop::ListProductT list_product(std::string product_id, const std::vector<std::string>& skus,
                                       const std::vector<std::int64_t>& prices, std::string supplier_id = "") {
  shop::ListProductT c;
  c.product_id = std::move(product_id);
  c.title = "Wireless headphones with noise cancelling";
  c.description = "Bluetooth 5.3, 30 hours of battery.";
  c.category = "digital/audio/headphones";
  for (const char* name : {"connectivity", "battery_hours", "noise_cancelling", "warranty_months", "brand"}) {
    c.attributes.push_back(attribute(name, "yes"));
  }
  for (std::size_t i = 0; i < skus.size(); ++i) {
    auto sku = std::make_unique<shop::SkuSpecT>();
    sku->sku_id = skus[i];
    sku->list_price = prices[i];
    sku->cost_price = prices[i] / 2;
    sku->weight_grams = 250;
    sku->spec.push_back(attribute("colour", "black"));
    c.skus.push_back(std::move(sku));
  }
  c.supplier_id = std::move(supplier_id);
  return c;
}

inline shop::ReceiveStockT receive_stock(std::string sku, std::string warehouse, std::int32_t quantity) {
  shop::ReceiveStockT c;
  c.sku_id = std::move(sku);
  c.warehouse_id = std::move(warehouse);
  c.quantity = quantity;
  c.unit_cost = 100;
  c.purchase_ref = "PO-1";
  return c;
}

struct LineSpec {
  std::string sku;
  std::int32_t quantity;
  std::int64_t unit_price;
};

inline shop::PlaceOrderT place_order(std::string order_id, std::string region, const std::vector<LineSpec>& lines) {
  shop::PlaceOrderT c;
  c.order_id = std::move(order_id);
  c.customer_id = "cust-1";
  c.channel = shop::Channel::OrganicSearch;
  c.region = std::move(region);
  for (const LineSpec& spec : lines) {
    auto line = std::make_unique<shop::OrderLineRequestT>();
    line->sku_id = spec.sku;
    line->quantity = spec.quantity;
    line->unit_price = spec.unit_price;
    c.lines.push_back(std::move(line));
  }
  c.shipping_fee = 800;
  return c;
}

template <typename T>
T with(T command, void (*change)(T&)) {
  change(command);
  return command;
}

// decide/evolve in memory: every stream a command reads starts empty.
class World {
 public:
  explicit World(domain::Config config = domain::default_config()) : config_(std::move(config)) {}

  Result<domain::Decision> run(const shop::CommandBodyUnion& command, std::int64_t now = kNow) {
    domain::LoadedStreams loaded;
    for (int round = 0; round < 4; ++round) {
      for (const std::string& stream : domain::streams_to_read(command, loaded)) loaded.put(stream, streams_[stream]);
    }
    auto decision = domain::decide(command, loaded, config_, now);
    if (decision) {
      for (const domain::EmittedEvent& e : decision->events) {
        domain::StreamState& s = streams_[e.stream_id];
        domain::evolve(s.state, e.event);
        s.version += 1;
      }
    }
    return decision;
  }

  template <typename T>
  Result<domain::Decision> run(T command) { return run(wrap(std::move(command))); }

  const domain::StreamState& stream(const std::string& id) { return streams_[id]; }
  const domain::StockState& stock(const std::string& sku) {
    return std::get<domain::StockState>(streams_[domain::stock_stream(sku)].state);
  }
  const domain::OrderState& order(const std::string& id) {
    return std::get<domain::OrderState>(streams_[domain::order_stream(id)].state);
  }
  const domain::ProductState& product(const std::string& id) {
    return std::get<domain::ProductState>(streams_[domain::product_stream(id)].state);
  }
  domain::Config& config() { return config_; }

 private:
  domain::Config config_;
  std::map<std::string, domain::StreamState> streams_;
};

// Asserts a refusal's code and field (gtest).
#define EXPECT_REFUSED(result, expected_code, expected_field)                        \
  do {                                                                              \
    const auto& refused_ = (result);                                                \
    ASSERT_FALSE(refused_.ok()) << "expected refusal " << (expected_code);          \
    EXPECT_EQ(refused_.error().code, (expected_code)) << refused_.error().to_string(); \
    EXPECT_EQ(refused_.error().field, (expected_field)) << refused_.error().to_string(); \
  } while (0)

#define EXPECT_ACCEPTED(result)                                                                  \
  do {                                                                                           \
    const auto& accepted_ = (result);                                                            \
    ASSERT_TRUE(accepted_.ok()) << accepted_.error().to_string();                                \
  } while (0)

}  // namespace spine::testing
