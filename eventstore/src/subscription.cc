#include "spine/eventstore/subscription.h"

#include "spine/eventstore/event_store.h"

#include <algorithm>

namespace spine::store {

Subscription::Subscription(EventStore& store, std::uint64_t from_position)
    : store_(store), next_position_(from_position == 0 ? 1 : from_position) {}

Result<std::vector<RecordView>> Subscription::next(std::size_t max_records, std::chrono::milliseconds wait) {
  if (store_.head().position < next_position_) {
    store_.wait_for_position(next_position_, wait);
  }
  auto records = store_.read_all(next_position_, max_records);
  if (!records) return records;
  if (!records->empty()) next_position_ = records->back().position() + 1;
  return records;
}

Status for_each_record(const EventStore& store, std::uint64_t from, std::uint64_t to,
                       const std::function<Status(const RecordView&)>& visit) {
  const std::uint64_t last = to == 0 ? store.head().position : to;
  for (std::uint64_t next = std::max<std::uint64_t>(from, 1); next <= last;) {
    auto batch = store.read_all(next, store.limits().max_read_batch);
    if (!batch) return batch.error();
    if (batch->empty()) break;
    for (const RecordView& record : *batch) {
      if (record.position() > last) return ok_status();
      if (Status visited = visit(record); !visited) return visited;
    }
    next = batch->back().position() + 1;
  }
  return ok_status();
}

}  // namespace spine::store
