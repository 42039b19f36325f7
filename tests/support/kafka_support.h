// Test helpers for Kafka: read every message of the topics back with a plain
// librdkafka consumer (no Spine code), and check the promise: every event of
// the log exactly once, each stream's events in order within its partition.
#pragma once

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "spine/eventstore/event_store.h"

namespace spine::testing {

struct ConsumedMessage {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::string key;
  std::uint64_t position = 0;
  std::uint64_t stream_version = 0;
  std::string type;
  std::string value;
};

inline std::string header_text(const rd_kafka_message_t* message, const char* name) {
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(message, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR) return "";
  const void* value = nullptr;
  size_t size = 0;
  if (rd_kafka_header_get_last(headers, name, &value, &size) != RD_KAFKA_RESP_ERR_NO_ERROR) return "";
  return std::string(static_cast<const char*>(value), size);
}

// Everything in `topics`, read from the beginning until `expected` messages
// arrived or `timeout` passed (then a little longer, to catch duplicates).
inline std::vector<ConsumedMessage> consume_all(const std::string& bootstrap, const std::vector<std::string>& topics,
                                                std::size_t expected, std::chrono::seconds timeout = std::chrono::seconds(60)) {
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), error, sizeof(error));
  rd_kafka_conf_set(conf, "group.id", "spine-test-reader", error, sizeof(error));
  rd_kafka_conf_set(conf, "enable.auto.commit", "false", error, sizeof(error));
  rd_kafka_conf_set(conf, "auto.offset.reset", "earliest", error, sizeof(error));
  rd_kafka_conf_set(conf, "log_level", "3", error, sizeof(error));
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof(error));
  rd_kafka_topic_partition_list_t* assignment = rd_kafka_topic_partition_list_new(64);
  for (const std::string& topic : topics) {
    rd_kafka_topic_t* handle = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
    const rd_kafka_metadata_t* metadata = nullptr;
    if (rd_kafka_metadata(rk, 0, handle, &metadata, 10'000) == RD_KAFKA_RESP_ERR_NO_ERROR && metadata->topic_cnt == 1) {
      for (int p = 0; p < metadata->topics[0].partition_cnt; ++p) {
        rd_kafka_topic_partition_list_add(assignment, topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
      }
    }
    if (metadata != nullptr) rd_kafka_metadata_destroy(metadata);
    rd_kafka_topic_destroy(handle);
  }
  rd_kafka_assign(rk, assignment);
  std::vector<ConsumedMessage> out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto quiet_until = std::chrono::steady_clock::time_point::max();
  while (std::chrono::steady_clock::now() < std::min(deadline, quiet_until)) {
    rd_kafka_message_t* message = rd_kafka_consumer_poll(rk, 100);
    if (message == nullptr) continue;
    if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      ConsumedMessage m;
      m.topic = rd_kafka_topic_name(message->rkt);
      m.partition = message->partition;
      m.offset = message->offset;
      m.key.assign(static_cast<const char*>(message->key), message->key_len);
      m.value.assign(static_cast<const char*>(message->payload), message->len);
      m.position = std::stoull("0" + header_text(message, "spine.position"));
      m.stream_version = std::stoull("0" + header_text(message, "spine.stream_version"));
      m.type = header_text(message, "spine.type");
      out.push_back(std::move(m));
      if (out.size() >= expected && quiet_until == std::chrono::steady_clock::time_point::max()) {
        quiet_until = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);  // catch any duplicate
      }
    }
    rd_kafka_message_destroy(message);
  }
  rd_kafka_topic_partition_list_destroy(assignment);
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return out;
}

// Counts the messages in `topics` (sum of high - low watermarks), cheaply and
// repeatedly: for deciding when to kill a relay mid-stream.
class MessageCounter {
 public:
  MessageCounter(const std::string& bootstrap, std::vector<std::string> topics) : topics_(std::move(topics)) {
    char error[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), error, sizeof(error));
    rd_kafka_conf_set(conf, "log_level", "3", error, sizeof(error));
    rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof(error));
    for (const std::string& topic : topics_) {
      rd_kafka_topic_t* handle = rd_kafka_topic_new(rk_, topic.c_str(), nullptr);
      const rd_kafka_metadata_t* metadata = nullptr;
      if (rd_kafka_metadata(rk_, 0, handle, &metadata, 10'000) == RD_KAFKA_RESP_ERR_NO_ERROR && metadata->topic_cnt == 1) {
        partitions_[topic] = metadata->topics[0].partition_cnt;
      }
      if (metadata != nullptr) rd_kafka_metadata_destroy(metadata);
      rd_kafka_topic_destroy(handle);
    }
  }
  ~MessageCounter() { rd_kafka_destroy(rk_); }
  std::int64_t count() { return sum_watermarks(false); }
  // Messages the cluster dropped from the start of its partitions (retention).
  std::int64_t dropped() { return sum_watermarks(true); }

 private:
  std::int64_t sum_watermarks(bool low_only) {
    std::int64_t total = 0;
    for (const auto& [topic, partitions] : partitions_) {
      for (int p = 0; p < partitions; ++p) {
        std::int64_t low = 0, high = 0;
        if (rd_kafka_query_watermark_offsets(rk_, topic.c_str(), p, &low, &high, 5'000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
          total += low_only ? low : high - low;
        }
      }
    }
    return total;
  }

  rd_kafka_t* rk_ = nullptr;
  std::vector<std::string> topics_;
  std::map<std::string, int> partitions_;
};

// Every position 1..head exactly once; within each partition, each stream's
// versions rise by one in offset order; each message matches the log.
inline void expect_exactly_once_in_order(const std::vector<ConsumedMessage>& messages, const store::EventStore& log) {
  const std::uint64_t head = log.head().position;
  std::map<std::uint64_t, int> seen;
  for (const ConsumedMessage& m : messages) ++seen[m.position];
  std::size_t duplicates = 0, missing = 0;
  for (const auto& [position, count] : seen) duplicates += count > 1 ? 1 : 0;
  std::string missing_list;
  for (std::uint64_t p = 1; p <= head; ++p) {
    if (seen.contains(p)) continue;
    if (++missing <= 10) {
      auto record = log.read_at(p);
      missing_list += " " + std::to_string(p) + (record.ok() ? "(" + std::string(record->stream_id()) + ")" : "");
    }
  }
  EXPECT_EQ(duplicates, 0u) << "positions published more than once";
  EXPECT_EQ(missing, 0u) << "positions never published:" << missing_list;
  EXPECT_EQ(messages.size(), head);

  std::map<std::pair<std::string, std::int32_t>, std::vector<const ConsumedMessage*>> by_partition;
  for (const ConsumedMessage& m : messages) by_partition[{m.topic, m.partition}].push_back(&m);
  std::map<std::string, std::pair<std::string, std::int32_t>> partition_of_stream;
  for (auto& [partition, list] : by_partition) {
    std::sort(list.begin(), list.end(), [](auto* a, auto* b) { return a->offset < b->offset; });
    std::map<std::string, std::uint64_t> last_version, last_position;
    for (const ConsumedMessage* m : list) {
      EXPECT_GT(m->stream_version, last_version[m->key]) << m->key << " out of order in " << partition.first;
      EXPECT_GT(m->position, last_position[m->key]);
      last_version[m->key] = m->stream_version;
      last_position[m->key] = m->position;
      auto [it, inserted] = partition_of_stream.try_emplace(m->key + "@" + m->topic, partition);
      EXPECT_EQ(it->second, partition) << m->key << " spread over two partitions of " << m->topic;
    }
  }
  // Spot-check content: the value is the stored envelope of that position.
  for (std::size_t i = 0; i < messages.size(); i += std::max<std::size_t>(1, messages.size() / 50)) {
    auto record = log.read_at(messages[i].position);
    ASSERT_TRUE(record.ok());
    EXPECT_EQ(record->bytes(), messages[i].value);
    EXPECT_EQ(record->stream_id(), messages[i].key);
    EXPECT_EQ(record->event_type(), messages[i].type);
  }
}

}  // namespace spine::testing
