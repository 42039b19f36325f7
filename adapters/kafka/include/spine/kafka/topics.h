// Topic naming and routing: which topic an event goes to, its key and its
// partition. Events are grouped by family (catalog, inventory, orders,
// returns, suppliers, finance, deadlines); the key is the stream id and the
// partition is murmur2_random of the key (the Java client's default), so one
// stream's events stay in order in one partition of one topic.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace spine::kafka {

enum class Family { kCatalog, kInventory, kOrders, kReturns, kSuppliers, kFinance, kDeadlines, kOther };

std::string_view family_name(Family family);
// By event type; an unknown type falls back to its stream's kind, else kOther.
Family family_of(std::string_view event_type, std::string_view stream_id);

struct TopicNaming {
  std::string prefix = "spine.";   // topic = prefix + family name, e.g. "spine.orders"
  std::string topic(Family family) const { return prefix + std::string(family_name(family)); }
  std::vector<std::string> all() const;
};

// The Java-compatible partition of `key` among `partition_count` partitions.
std::int32_t partition_for(std::string_view key, std::int32_t partition_count);

// Record headers (values are decimal or hex ASCII).
inline constexpr const char* kHeaderType = "spine.type";
inline constexpr const char* kHeaderPosition = "spine.position";
inline constexpr const char* kHeaderStreamVersion = "spine.stream_version";
inline constexpr const char* kHeaderEventId = "spine.event_id";
inline constexpr const char* kHeaderSchemaVersion = "spine.schema_version";

}  // namespace spine::kafka
