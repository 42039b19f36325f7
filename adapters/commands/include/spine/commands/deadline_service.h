// The deadline service: makes time passing a fact in the log.
//
// Contract: every `interval`, it asks `source` (the alert projection's armed
// deadlines) for the deadlines due at `clock`, and handles a RecordDeadline
// command for each, whose command id names the deadline
// (domain::deadline_command_id). A deadline is therefore appended once,
// however often it is asked for, across restarts too; one missed while the
// server was down is recorded on the first tick after it starts. Failures
// (a full disk, a closed store) are counted and retried on the next tick.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "spine/commands/command_handler.h"
#include "spine/domain/deadlines.h"

namespace spine::commands {

// Deadlines due at or before `now_us`, earliest first, at most `limit`.
using DeadlineSource = std::function<std::vector<domain::Deadline>(std::int64_t now_us, std::size_t limit)>;

struct DeadlineServiceOptions {
  std::chrono::milliseconds interval{200};  // between ticks
  std::size_t batch_limit = 256;            // deadlines recorded per tick, at most
  std::string actor = "spine-deadlines";    // the actor of every DeadlinePassed
  std::function<std::int64_t()> clock;      // UTC microseconds; null: the system clock (pass the handler's)
};

struct DeadlineServiceStats {
  std::uint64_t ticks = 0, recorded = 0, deduplicated = 0, failed = 0;
  std::string last_error;
};

class DeadlineService {
 public:
  DeadlineService(CommandHandler& handler, DeadlineSource source, DeadlineServiceOptions options = {});
  ~DeadlineService();  // stops the thread
  DeadlineService(const DeadlineService&) = delete;
  DeadlineService& operator=(const DeadlineService&) = delete;

  void start();  // ticks on a thread of its own until stop()
  void stop();

  // One tick on the caller's thread: records what is due now; the number
  // appended (deduplicated ones are not).
  std::size_t record_due();
  DeadlineServiceStats stats() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace spine::commands
