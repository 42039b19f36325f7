// The projection runner: keeps a set of projections up to date with the log.
//
// Contract: each projection has a checkpoint (the last position applied); the
// runner reads the log from the lowest checkpoint, applies each record to
// every projection that has not seen it, and writes each projection's
// changed rows together with its checkpoint in ONE RocksDB write, so a crash
// never applies a record twice or skips one. The projections are applied in
// two lanes on two threads, and a batch is written by a writer thread while
// the next one is applied (docs/projections.md). A projection whose apply fails stops
// at that record (status names it) and the others go on. An in-memory
// projection's rows are kept per snapshot interval of `snapshot_every`
// positions (each interval's delta: the rows it changed); as_of(P) loads the
// deltas up to the latest interval end at or before P, then replays to P.
// Key layout: docs/projections.md.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "spine/eventstore/event_store.h"
#include "spine/projections/projection.h"

namespace rocksdb { class DB; class Env; }

namespace spine::projections {

struct RunnerOptions {
  std::size_t batch_records = 4096;        // records per apply + write cycle (bounded memory)
  std::uint64_t snapshot_every = 100'000;  // positions per snapshot interval; 0: none (as-of replays from 0)
  // While the runner is behind (its batches are full), each projection
  // writes its rows and checkpoint once per this many applied records (and
  // at every snapshot interval's end), not after every batch; live, every
  // batch is written. Bounds the changes a projection holds unwritten and
  // the records a crash makes it replay.
  std::size_t catch_up_write_every = 100'000;
  std::chrono::milliseconds live_wait{100};  // how long a caught-up runner waits for commits
  // After a failed cycle (a full disk, say) the background runner waits this
  // long before it resumes its database and tries again.
  std::chrono::milliseconds retry_wait{1000};
  std::shared_ptr<rocksdb::Env> env;         // null: the default Env (tests inject faults)
  store::RocksLogLevel rocksdb_log_level = store::RocksLogLevel::warn;  // RocksDB's messages on stderr from this level
};

struct ProjectionStatus {
  std::string name;
  std::uint32_t version = 0;
  std::uint64_t position = 0;       // last record applied and written
  std::uint64_t lag = 0;            // log head minus position
  double events_per_second = 0;     // over the last few seconds
  bool failed = false;
  std::uint64_t failed_position = 0;
  std::string error;                // why it failed
};

class ProjectionRunner {
 public:
  // Opens (creating) the projection database in `dir` and loads each
  // projection's rows. A projection stored under another version is dropped
  // and rebuilt from position 0.
  static Result<std::unique_ptr<ProjectionRunner>> open(store::EventStore& store, const std::string& dir,
                                                        std::vector<std::unique_ptr<Projection>> projections,
                                                        RunnerOptions options = {});
  ~ProjectionRunner();
  ProjectionRunner(const ProjectionRunner&) = delete;
  ProjectionRunner& operator=(const ProjectionRunner&) = delete;

  // Applies everything up to the log's head now, on the calling thread.
  Status catch_up();
  // Follows the log on a background thread (catch-up, then live) until stop().
  void start();
  void stop();

  // Drops one projection's rows, snapshots and checkpoint and replays it from
  // position 0 (done by the background thread if it runs, else at once).
  Status rebuild(std::string_view name);

  std::vector<ProjectionStatus> status() const;
  // Waits until every projection that has not failed (or only `name`, when
  // given) has applied `position`, or the timeout passes; returns that
  // lowest position.
  std::uint64_t wait_for(std::uint64_t position, std::chrono::milliseconds timeout,
                         std::string_view name = {}) const;

  // Runs `reader` with the projection `name` under a shared lock (no record
  // is applied meanwhile); the position passed is the one its state reflects.
  // Error "not_found" for an unknown name.
  Status read(std::string_view name, const std::function<void(const Projection&, std::uint64_t)>& reader) const;

  // A fresh copy of projection `name` as of `position` (at most the head):
  // the state at the latest snapshot interval end at or before `position`
  // (its deltas), then a replay of the log up to it. For an index projection (in_memory() false) this is an error:
  // filter its rows by position instead.
  Result<std::unique_ptr<Projection>> as_of(std::string_view name, std::uint64_t position) const;

  // Every row stored under `prefix` (the database's own keys; tests compare
  // live and rebuilt databases with it, index queries read through it): the
  // main family's in key order, then the interval deltas' ("d/...", their own
  // column family) in key order.
  Status for_each_row(std::string_view prefix,
                      const std::function<bool(std::string_view key, std::string_view value)>& visit) const;

  store::EventStore& store() const { return store_; }

  class Impl;

 private:
  ProjectionRunner(store::EventStore& store, std::unique_ptr<Impl> impl);
  store::EventStore& store_;
  std::unique_ptr<Impl> impl_;
};

// The position of the last record recorded at or before `time_us` (0 if none):
// as-of-time queries turn a time into a position with it. Recorded-at never
// decreases along the log, so this is a binary search.
Result<std::uint64_t> position_at_time(const store::EventStore& store, std::int64_t time_us);

// Applies records 1..`until` (0: the head) of `store` to each projection,
// decoding each record once, without any database: `spine replay` and the
// rebuild benchmark use it. Stops at the first failure, naming the record.
Status replay_in_memory(const store::EventStore& store, const std::vector<Projection*>& projections,
                        std::uint64_t until);

}  // namespace spine::projections
