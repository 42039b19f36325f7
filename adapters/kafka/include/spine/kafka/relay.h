// The relay: follows the log from its checkpoint and publishes every event to
// its Kafka topic with librdkafka's idempotent producer (acks=all, gapless),
// keyed by stream id, partition by murmur2_random, value = the stored
// envelope (FlatBuffers), headers = type, position, stream version, event id,
// schema version.
//
// Exactly once across crashes: on (re)start it reads the last message of
// every partition (its spine.position header) and skips what each partition
// already holds; the checkpoint (all positions up to it delivered) only saves
// re-reading the log. Outages: appends go on; the relay retries with backoff,
// reports its lag, and catches up in order when the cluster returns.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <vector>
#include <memory>
#include <string>
#include <thread>

#include "spine/eventstore/event_store.h"
#include "spine/kafka/topics.h"

namespace spine::kafka {

struct RelayOptions {
  std::string bootstrap;                  // "host:port,..."
  TopicNaming naming;
  bool create_topics = false;             // create missing topics with the Admin API (real clusters)
  int partitions = 6;                     // for created topics
  int replication_factor = 3;
  std::string checkpoint_path;            // empty: no checkpoint file (start from the partition tails)
  std::size_t max_in_flight = 50'000;     // messages handed to librdkafka and not yet acknowledged
  std::size_t read_batch = 1'000;         // records read from the log at a time
  // Produce requests outstanding per broker connection (librdkafka's
  // max.in.flight.requests.per.connection; 1..5 with idempotence). A real
  // broker keeps order at 5 by checking sequence numbers; the embedded
  // cluster does not, so it needs 1 (EmbeddedCluster::kRequestsInFlight).
  int requests_in_flight_per_broker = 5;
  std::chrono::milliseconds backoff_min{200}, backoff_max{5'000};
  std::chrono::milliseconds status_interval{5'000};  // how often a status line is logged
  std::function<void(const std::string&)> log;       // status and errors; null: stderr
};

struct RelayStatus {
  std::uint64_t published_position = 0;  // every event up to here is acknowledged by Kafka
  std::uint64_t head_position = 0;       // the log's head
  std::uint64_t lag() const { return head_position > published_position ? head_position - published_position : 0; }
  double events_per_second = 0;          // over the last status interval
  std::uint64_t published_total = 0;     // acknowledged by Kafka in this process
  std::uint64_t skipped_total = 0;       // found already in Kafka at a (re)start
  std::uint64_t sessions = 0;            // producer sessions started (1 + restarts after errors)
  std::string state;                     // "starting", "running", "retrying", "stopped"
  std::string last_error;
};

class Relay {
 public:
  Relay(store::EventStore& store, RelayOptions options);
  ~Relay();  // stops
  Relay(const Relay&) = delete;
  Relay& operator=(const Relay&) = delete;

  void start();
  // Stops after flushing what is in flight (waits at most `flush_timeout`).
  void stop(std::chrono::milliseconds flush_timeout = std::chrono::milliseconds(5'000));
  RelayStatus status() const;
  // Waits until every event up to `position` is acknowledged, or the timeout.
  bool wait_published(std::uint64_t position, std::chrono::milliseconds timeout) const;

  class Session;

 private:
  void run();
  void log(const std::string& line) const;

  store::EventStore& store_;
  RelayOptions options_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::chrono::milliseconds flush_timeout_{5'000};
  struct Shared;
  std::unique_ptr<Shared> shared_;
};

// The last spine.position of every partition of `topics` ({topic, partition}
// -> position; 0 for an empty partition), and each topic's partition count.
struct PartitionTails {
  std::map<std::string, std::int32_t> partition_counts;
  std::map<std::pair<std::string, std::int32_t>, std::uint64_t> last_position;
};
Result<PartitionTails> read_partition_tails(const std::string& bootstrap, const std::vector<std::string>& topics,
                                            std::chrono::milliseconds timeout);

}  // namespace spine::kafka
