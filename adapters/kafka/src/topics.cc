#include "spine/kafka/topics.h"

#include <librdkafka/rdkafka.h>

#include <array>
#include <utility>

namespace spine::kafka {

std::string_view family_name(Family family) {
  switch (family) {
    case Family::kCatalog: return "catalog";
    case Family::kInventory: return "inventory";
    case Family::kOrders: return "orders";
    case Family::kReturns: return "returns";
    case Family::kSuppliers: return "suppliers";
    case Family::kFinance: return "finance";
    case Family::kDeadlines: return "deadlines";
    case Family::kOther: break;
  }
  return "other";
}

Family family_of(std::string_view event_type, std::string_view stream_id) {
  static constexpr std::array<std::pair<std::string_view, Family>, 33> kTypes{{
      {"ProductListed", Family::kCatalog},       {"ProductUpdated", Family::kCatalog},
      {"ProductDelisted", Family::kCatalog},     {"ProductRelisted", Family::kCatalog},
      {"PriceChanged", Family::kCatalog},        {"SkuListed", Family::kInventory},
      {"StockReceived", Family::kInventory},     {"StockAdjusted", Family::kInventory},
      {"StockTransferred", Family::kInventory},  {"TransferReceived", Family::kInventory},
      {"SupplierStockSynced", Family::kInventory}, {"StockReserved", Family::kInventory},
      {"StockReleased", Family::kInventory},     {"StockShipped", Family::kInventory},
      {"StockRestocked", Family::kInventory},    {"WarehouseRegistered", Family::kInventory},
      {"SupplierRegistered", Family::kSuppliers}, {"DropshipForwarded", Family::kSuppliers},
      {"DropshipAcknowledged", Family::kSuppliers}, {"OrderPlaced", Family::kOrders},
      {"OrderPaid", Family::kOrders},            {"PaymentFailed", Family::kOrders},
      {"OrderCancelled", Family::kOrders},       {"OrderShipped", Family::kOrders},
      {"OrderDelivered", Family::kOrders},       {"ReturnRequested", Family::kReturns},
      {"ReturnApproved", Family::kReturns},      {"ReturnRejected", Family::kReturns},
      {"ReturnReceived", Family::kReturns},      {"RefundIssued", Family::kFinance},
      {"SpendRecorded", Family::kFinance},       {"TrafficRecorded", Family::kFinance},
      {"DeadlinePassed", Family::kDeadlines},
  }};
  for (const auto& [type, family] : kTypes) {
    if (type == event_type) return family;
  }
  static constexpr std::array<std::pair<std::string_view, Family>, 7> kStreams{{
      {"product-", Family::kCatalog}, {"stock-", Family::kInventory}, {"warehouse-", Family::kInventory},
      {"order-", Family::kOrders},    {"supplier-", Family::kSuppliers}, {"marketing-", Family::kFinance},
      {"deadline-", Family::kDeadlines},
  }};
  for (const auto& [prefix, family] : kStreams) {
    if (stream_id.starts_with(prefix)) return family;
  }
  return Family::kOther;
}

std::vector<std::string> TopicNaming::all() const {
  std::vector<std::string> topics;
  for (Family f : {Family::kCatalog, Family::kInventory, Family::kOrders, Family::kReturns, Family::kSuppliers,
                   Family::kFinance, Family::kDeadlines, Family::kOther}) {
    topics.push_back(topic(f));
  }
  return topics;
}

std::int32_t partition_for(std::string_view key, std::int32_t partition_count) {
  // librdkafka's murmur2_random: Java's murmur2(key) & 0x7fffffff % count.
  return rd_kafka_msg_partitioner_murmur2_random(nullptr, key.data(), key.size(), partition_count, nullptr, nullptr);
}

}  // namespace spine::kafka
