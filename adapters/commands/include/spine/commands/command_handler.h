// The command handler: the one path by which a command becomes events.
//
// Contract: handle() loads the state of every stream the command reads (from
// an in-memory cache, catching up from the log on a miss or a conflict),
// asks the domain to decide, and appends all resulting events in one atomic
// append that names the expected version of every stream read. On a version
// conflict it reloads and decides again (at most `max_attempts` times). It is
// idempotent by command id: a command id seen before returns the first result
// and appends nothing. Each event carries the actor; its event id is derived
// from the command id and the event's index, so a retry yields the same ids.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "spine/domain/config.h"
#include "spine/domain/decide.h"
#include "spine/eventstore/event_store.h"

namespace spine::commands {

struct CommandEnvelope {
  std::string command_id;           // idempotency key, required
  std::string actor;                // employee or integration id, required
  shop::CommandBodyUnion body;
  std::int64_t occurred_at_us = 0;  // 0: the handler's clock
  std::string causation_id;         // optional: what caused this command
  // Optional: versions the caller insists on (read-modify-write from a UI).
  // A mismatch is refused with wrong_expected_version and is not retried.
  std::vector<store::StreamExpectation> expectations;
  // Optional: a digest of what was asked (the HTTP API: command name, body and
  // time). A command id seen before with another digest is refused with
  // "idempotency_key_reused" instead of answering the first result.
  std::string request_digest;
};

struct CommandOutcome {
  store::AppendResult append;            // positions and stream versions
  std::vector<std::string> event_types;  // appended events, in order (empty when deduplicated)
  int attempts = 0;                      // decisions made (> 1 after conflicts)
};

struct HandlerOptions {
  std::size_t cache_capacity = 200'000;  // streams kept in memory
  int max_attempts = 32;                 // decisions per command before giving up
  std::function<std::int64_t()> clock;   // UTC microseconds; null: the system clock
};

struct HandlerStats {
  std::uint64_t commands = 0, accepted = 0, refused = 0, deduplicated = 0;
  std::uint64_t conflicts = 0;                    // retries after a version conflict
  std::uint64_t cache_hits = 0, cache_misses = 0;
};

class CommandHandler {
 public:
  CommandHandler(store::EventStore& store, domain::Config config, HandlerOptions options = {});
  ~CommandHandler();
  CommandHandler(const CommandHandler&) = delete;
  CommandHandler& operator=(const CommandHandler&) = delete;

  // Thread-safe; many callers may handle commands at once.
  Result<CommandOutcome> handle(const CommandEnvelope& command);

  // The current state of one stream, caught up with the log.
  Result<domain::StreamState> current_state(const std::string& stream_id);

  const domain::Config& config() const;
  HandlerStats stats() const;

  class Cache;

 private:
  Result<domain::LoadedStreams> load(const CommandEnvelope& command, bool refresh);
  Result<domain::StreamState> stream_state(const std::string& stream_id, bool refresh);
  store::AppendRequest to_append(const CommandEnvelope& command, const domain::LoadedStreams& loaded,
                                 const domain::Decision& decision, std::int64_t occurred_at) const;
  void remember(const domain::LoadedStreams& loaded, const domain::Decision& decision,
                const store::AppendResult& result);

  store::EventStore& store_;
  domain::Config config_;
  HandlerOptions options_;
  std::unique_ptr<Cache> cache_;
  struct Counters;
  std::unique_ptr<Counters> counters_;
};

// Folds the events of `stream_id` after `from.version` into `from`, up to
// log position `until_position` (inclusive; an as-of read).
// Errors: the store's read errors, or "payload_invalid" naming the position.
Result<domain::StreamState> fold_stream(const store::EventStore& store, const std::string& stream_id,
                                        domain::StreamState from, std::uint64_t until_position = UINT64_MAX);

// Commands that register the configured warehouses and suppliers, with fixed
// command ids ("config:warehouse:<id>"), so handling them again is a no-op.
std::vector<CommandEnvelope> configured_registrations(const domain::Config& config);

}  // namespace spine::commands
