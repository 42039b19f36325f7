// A RocksDB FileSystem that can be told to fail every write with "no space"
// (ENOSPC), as a full disk does, and to stop failing when space "returns";
// and to hold every WAL sync until released, so that a test can keep a group
// commit in flight. It wraps the real file system; only writable files are
// affected.
#pragma once

#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>

namespace spine::testing {

class FaultyFileSystem : public rocksdb::FileSystemWrapper {
 public:
  FaultyFileSystem() : FileSystemWrapper(rocksdb::FileSystem::Default()) {}
  const char* Name() const override { return "FaultyFileSystem"; }

  void set_disk_full(bool full) { disk_full_ = full; }
  bool disk_full() const { return disk_full_; }

  // While held, a sync of a WAL file (*.log) waits until hold_wal_syncs(false).
  void hold_wal_syncs(bool hold) {
    {
      std::lock_guard lock(gate_.mutex);
      gate_.held = hold;
    }
    gate_.changed.notify_all();
  }
  // Waits (up to ~10 s) until `count` WAL syncs are held; returns whether they are.
  bool wait_for_held_syncs(int count) {
    std::unique_lock lock(gate_.mutex);
    return gate_.changed.wait_for(lock, std::chrono::seconds(10), [&] { return gate_.waiting >= count; });
  }

  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* debug) override {
    if (disk_full_) return rocksdb::IOStatus::NoSpace("injected: disk full");
    std::unique_ptr<rocksdb::FSWritableFile> file;
    auto status = target()->NewWritableFile(name, options, &file, debug);
    const bool wal = name.size() > 4 && name.compare(name.size() - 4, 4, ".log") == 0;
    if (status.ok()) result->reset(new FaultyFile(std::move(file), disk_full_, wal ? &gate_ : nullptr));
    return status;
  }

 private:
  struct SyncGate {
    std::mutex mutex;
    std::condition_variable changed;
    bool held = false;
    int waiting = 0;
    void pass() {
      std::unique_lock lock(mutex);
      ++waiting;
      changed.notify_all();
      changed.wait(lock, [&] { return !held; });
      --waiting;
    }
  };

  class FaultyFile : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    FaultyFile(std::unique_ptr<rocksdb::FSWritableFile> file, const std::atomic<bool>& disk_full, SyncGate* gate)
        : FSWritableFileOwnerWrapper(std::move(file)), disk_full_(disk_full), gate_(gate) {}
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* debug) override {
      if (disk_full_) return rocksdb::IOStatus::NoSpace("injected: disk full");
      return FSWritableFileOwnerWrapper::Append(data, options, debug);
    }
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                             const rocksdb::DataVerificationInfo& info, rocksdb::IODebugContext* debug) override {
      if (disk_full_) return rocksdb::IOStatus::NoSpace("injected: disk full");
      return FSWritableFileOwnerWrapper::Append(data, options, info, debug);
    }
    rocksdb::IOStatus Sync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* debug) override {
      if (gate_ != nullptr) gate_->pass();
      if (disk_full_) return rocksdb::IOStatus::NoSpace("injected: disk full");
      return FSWritableFileOwnerWrapper::Sync(options, debug);
    }
    rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* debug) override {
      if (gate_ != nullptr) gate_->pass();
      if (disk_full_) return rocksdb::IOStatus::NoSpace("injected: disk full");
      return FSWritableFileOwnerWrapper::Fsync(options, debug);
    }

   private:
    const std::atomic<bool>& disk_full_;
    SyncGate* gate_;  // null: not a WAL file
  };

  std::atomic<bool> disk_full_{false};
  SyncGate gate_;
};

}  // namespace spine::testing
