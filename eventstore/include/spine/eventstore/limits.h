// Explicit limits of the log. Each is enforced before anything is written;
// a request over a limit is refused with a stable error code.
#pragma once

#include <cstddef>

namespace spine::store {

struct Limits {
  std::size_t max_event_bytes = 1 << 20;          // payload of one event: 1 MiB
  std::size_t max_events_per_append = 10'000;
  std::size_t max_append_bytes = 64 << 20;        // all payloads of one append
  std::size_t max_stream_id_bytes = 200;
  std::size_t max_name_bytes = 200;               // event type, command id, actor, causation id
  std::size_t max_streams_per_append = 1'000;
  std::size_t max_pending_appends = 4'096;        // group-commit queue; callers block beyond
  std::size_t max_group_events = 20'000;          // events in one group commit
  std::size_t max_group_bytes = 64 << 20;         // payload bytes in one group commit
  std::size_t max_read_batch = 10'000;            // records returned by one read call
  std::size_t max_read_batch_bytes = 16 << 20;    // bytes returned by one read call
};

}  // namespace spine::store
