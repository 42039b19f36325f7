#include "spine/eventstore/subscription.h"

#include "spine/eventstore/event_store.h"

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

}  // namespace spine::store
