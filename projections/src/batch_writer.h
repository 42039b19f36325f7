// Internal: writes the projection runner's batches to its database on a
// thread of its own ("spine-projwrite"), so the runner applies batch N+1
// while batch N is written: on two cores the rebuild's apply and RocksDB's
// memtable inserts run side by side.
//
// Contract: batches are written one at a time, in submission order. At most
// one batch waits or is being written, so memory stays bounded at two
// batches (the one applied and the one written). After a write fails, every
// later submission is refused (dropped) until drain() has reported the
// failure: the runner then reloads its projections from what was written,
// which is a prefix of the batches it submitted.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <functional>
#include <mutex>
#include <vector>

#include "worker_thread.h"

namespace spine::projections::internal {

class BatchWriter {
 public:
  explicit BatchWriter(rocksdb::DB& db) : db_(db) {}  // destroyed: writes what was submitted, then stops
  BatchWriter(const BatchWriter&) = delete;
  BatchWriter& operator=(const BatchWriter&) = delete;

  struct Write {
    rocksdb::WriteBatch batch;
    std::function<void()> on_written;  // runs on the writer thread once the batch is in the database
  };

  // Waits until the previous submission is written, then hands `writes`
  // over: written in order, one DB::Write each, stopping at the first
  // failure. Returns false, dropping them, if an earlier write failed and
  // no drain() has reported it yet.
  bool submit(std::vector<Write> writes);

  // Waits until every submitted batch is written (or dropped); returns the
  // first failure since the last drain (OK if none) and clears it.
  rocksdb::Status drain();

  // True if a write failed since the last drain (does not wait).
  bool failed();

 private:
  void write(std::vector<Write>& writes);

  rocksdb::DB& db_;
  std::mutex failure_mutex_;
  rocksdb::Status failure_;  // first failed write since the last drain
  std::vector<Write> pending_;  // what the thread writes (handed over in submit)
  WorkerThread thread_{"spine-projwrite"};  // last: stopped (after writing) before the rest goes
};

}  // namespace spine::projections::internal
