// A RocksDB FileSystem that can be told to fail every write with "no space"
// (ENOSPC), as a full disk does, and to stop failing when space "returns".
// It wraps the real file system; only writes to writable files are affected.
#pragma once

#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include <atomic>
#include <memory>

namespace spine::testing {

class FaultyFileSystem : public rocksdb::FileSystemWrapper {
 public:
  FaultyFileSystem() : FileSystemWrapper(rocksdb::FileSystem::Default()) {}
  const char* Name() const override { return "FaultyFileSystem"; }

  void set_disk_full(bool full) { disk_full_ = full; }
  bool disk_full() const { return disk_full_; }

  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* debug) override {
    if (disk_full_) return rocksdb::IOStatus::NoSpace("injected: disk full");
    std::unique_ptr<rocksdb::FSWritableFile> file;
    auto status = target()->NewWritableFile(name, options, &file, debug);
    if (status.ok()) result->reset(new FaultyFile(std::move(file), disk_full_));
    return status;
  }

 private:
  class FaultyFile : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    FaultyFile(std::unique_ptr<rocksdb::FSWritableFile> file, const std::atomic<bool>& disk_full)
        : FSWritableFileOwnerWrapper(std::move(file)), disk_full_(disk_full) {}
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
      if (disk_full_) return rocksdb::IOStatus::NoSpace("injected: disk full");
      return FSWritableFileOwnerWrapper::Sync(options, debug);
    }
    rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* debug) override {
      if (disk_full_) return rocksdb::IOStatus::NoSpace("injected: disk full");
      return FSWritableFileOwnerWrapper::Fsync(options, debug);
    }

   private:
    const std::atomic<bool>& disk_full_;
  };

  std::atomic<bool> disk_full_{false};
};

}  // namespace spine::testing
