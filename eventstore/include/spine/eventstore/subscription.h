// A subscription to the log: reads from a position (catch-up), then waits for
// new commits (live). It is pull-based: the subscriber asks for the next batch
// and the store reads it from RocksDB, so a slow subscriber only falls behind;
// the writer never buffers records for it, and its own buffer is one batch,
// bounded by count and bytes.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include "spine/eventstore/record.h"
#include "spine/result.h"

namespace spine::store {

class EventStore;

// Not thread-safe (one consumer per subscription); must not outlive its store.
class Subscription {
 public:
  Subscription(EventStore& store, std::uint64_t from_position);

  // Records from the current position, at most `max_records` (and the
  // store's max_read_batch_bytes). When caught up, waits up to `wait` for new
  // commits; an empty vector means nothing arrived in time.
  Result<std::vector<RecordView>> next(std::size_t max_records, std::chrono::milliseconds wait);

  // The position of the next record this subscription will deliver.
  std::uint64_t next_position() const { return next_position_; }

 private:
  EventStore& store_;
  std::uint64_t next_position_;
};

}  // namespace spine::store
