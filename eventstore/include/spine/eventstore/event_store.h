// The durable, hash-chained event log on RocksDB.
//
// Contract: append() returns success only after the events are synced to disk
// (WAL fsync); one append writes any number of streams atomically, checks an
// expected version per stream, and is idempotent by command id (a retry gets
// the first result and writes nothing). Global positions are gapless and
// assigned in commit order. Concurrent appends are group-committed: one
// RocksDB WriteBatch and one sync for many callers. Error codes: see
// docs/storage.md ("Refusals").
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "spine/eventstore/limits.h"
#include "spine/eventstore/record.h"
#include "spine/eventstore/rocksdb_logger.h"
#include "spine/result.h"

namespace rocksdb { class Env; }

namespace spine::store {

class Subscription;

// What an append expects of one stream's current version.
struct ExpectedVersion {
  enum class Kind { kAny, kNoStream, kExact };
  Kind kind = Kind::kAny;
  std::uint64_t version = 0;  // for kExact: the stream's current head version

  static ExpectedVersion any() { return {Kind::kAny, 0}; }
  static ExpectedVersion no_stream() { return {Kind::kNoStream, 0}; }
  static ExpectedVersion exact(std::uint64_t v) { return {Kind::kExact, v}; }
  std::string to_string() const;
};

struct StreamExpectation {
  std::string stream_id;
  ExpectedVersion expected;
};

// One command's events. Every stream an event is written to must be named in
// `expectations` (ExpectedVersion::any() is allowed); a stream may also be
// named without events, so that the append depends on its version.
struct AppendRequest {
  std::string command_id;  // required; the idempotency key
  std::string actor;       // required; employee or system id
  // Optional, at most 64 bytes: what the request was (e.g. a hash of its
  // command and body), kept with the result. A later append under the same
  // command id with a different non-empty digest is refused
  // ("idempotency_key_reused") instead of answering the first result.
  std::string request_digest;
  std::vector<StreamExpectation> expectations;
  std::vector<NewEvent> events;
};

struct StreamWrite {
  std::string stream_id;
  std::uint64_t first_version = 0;
  std::uint64_t last_version = 0;
};

struct AppendResult {
  std::uint64_t first_position = 0;
  std::uint64_t last_position = 0;
  std::vector<StreamWrite> streams;
  bool deduplicated = false;  // true when the command id had been seen before
  std::string request_digest;  // the first request's digest (find_command), empty if none was given
};

struct Head {
  std::uint64_t position = 0;  // 0: empty log
  Digest hash{};
  std::int64_t recorded_at_us = 0;
};

struct StreamHead {
  std::string stream_id;
  std::uint64_t version = 0;
};

enum class Direction { kForward, kBackward };

// Counters of the write path since open (for metrics and benchmarks).
struct WriteStats {
  std::uint64_t groups = 0;         // RocksDB writes (one sync each)
  std::uint64_t appends = 0;        // appends answered (accepted, refused or deduplicated)
  std::uint64_t events = 0;         // events committed
  std::uint64_t write_micros = 0;   // time spent in RocksDB Write (WAL + sync)
  std::uint64_t build_micros = 0;   // time spent deciding and building groups
};

struct Options {
  Limits limits;
  bool sync = true;                      // false only for tests that measure without fsync
  bool verify_chain_on_open = false;     // walk the whole chain when opening
  std::shared_ptr<rocksdb::Env> env;     // null: the default Env (tests inject faults)
  RocksLogLevel rocksdb_log_level = RocksLogLevel::warn;  // RocksDB's messages on stderr from this level
  // After a write failed for a full disk, appends are refused "no_space" at
  // once and the store tries to resume at most this often (each try attempts
  // a flush, which costs disk writes and a RocksDB warning).
  std::chrono::milliseconds no_space_retry_interval{1000};
};

class EventStore {
 public:
  // Opens (creating if needed) the store in `dir`. Recovery: RocksDB replays
  // its WAL to the last whole write; the log tail is checked against the head
  // record and its hash before the store accepts appends.
  static Result<std::unique_ptr<EventStore>> open(const std::string& dir, Options options = {});
  // Opens an existing store for reading only (works beside a running writer's
  // files only if it is stopped; RocksDB holds a lock for the writer).
  static Result<std::unique_ptr<EventStore>> open_read_only(const std::string& dir, Options options = {});

  ~EventStore();
  EventStore(const EventStore&) = delete;
  EventStore& operator=(const EventStore&) = delete;

  // Appends one command's events atomically and durably (see the contract above).
  Result<AppendResult> append(AppendRequest request);

  // The same append without a blocked thread: returns at once and calls `done`
  // exactly once with what append() would have returned. A refusal found
  // before queueing (a broken limit, a closing store, or "overloaded" when
  // max_pending_appends are already queued: this call never blocks) is given
  // on the calling thread before append_async returns; every other result on
  // the store's writer thread, right after the group's sync (so an append made
  // from `done` joins the next group). `done` must be short, must not throw
  // and must not call append() (it may call append_async()).
  using AppendCallback = std::function<void(Result<AppendResult>)>;
  void append_async(AppendRequest request, AppendCallback done);

  // Up to `max_count` records of one stream, starting at `from_version`
  // (inclusive) and going forward or backward. Backward from UINT64_MAX starts
  // at the head.
  Result<std::vector<RecordView>> read_stream(const std::string& stream_id, std::uint64_t from_version,
                                              Direction direction, std::size_t max_count) const;
  // Up to `max_count` records of the whole log from `from_position` (inclusive).
  Result<std::vector<RecordView>> read_all(std::uint64_t from_position, std::size_t max_count) const;
  // The record at `position`, or not_found.
  Result<RecordView> read_at(std::uint64_t position) const;

  // Current head version of one stream (0: no such stream).
  Result<std::uint64_t> stream_version(const std::string& stream_id) const;
  // The result of the command `command_id` if it was committed (with
  // deduplicated = true), or nullopt.
  Result<std::optional<AppendResult>> find_command(const std::string& command_id) const;
  // Stream heads in stream-id order, starting after `after_stream_id`.
  Result<std::vector<StreamHead>> stream_heads(const std::string& after_stream_id, std::size_t max_count) const;

  // The last committed record's position and hash.
  Head head() const;

  WriteStats write_stats() const;

  // Disaster recovery: fills an EMPTY store with records taken verbatim from
  // another log (an export), in position order, each given as its envelope
  // bytes. The chain is verified on the way (first bad record: "corruption",
  // naming the position); stream indexes and command results are rebuilt, so
  // reads, versions and idempotency behave as in the original. Records are
  // written in batches and synced at the end; the store must not be used by
  // anyone else meanwhile. `next` returns nullopt at the end.
  Result<Head> import_records(const std::function<Result<std::optional<std::string>>()>& next);

  // A pull subscription: catch-up from `from_position`, then live (see subscription.h).
  std::unique_ptr<Subscription> subscribe(std::uint64_t from_position);

  // Waits until the head reaches `position` or the timeout passes; returns the head.
  std::uint64_t wait_for_position(std::uint64_t position, std::chrono::milliseconds timeout) const;

  const Limits& limits() const;
  const std::string& directory() const;

  class Impl;

 private:
  explicit EventStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  friend class Subscription;
};

// Calls `visit` for every record from `from` to `to` (inclusive; 0 = the head
// at the time of the call), in position order, reading in bounded batches.
// Stops at the first error, the store's or the one `visit` returns.
Status for_each_record(const EventStore& store, std::uint64_t from, std::uint64_t to,
                       const std::function<Status(const RecordView&)>& visit);

}  // namespace spine::store
