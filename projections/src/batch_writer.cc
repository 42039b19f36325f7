#include "batch_writer.h"

#include <pthread.h>

namespace spine::projections::internal {

BatchWriter::BatchWriter(rocksdb::DB& db) : db_(db) {
  thread_ = std::thread([this] { run(); });
  pthread_setname_np(thread_.native_handle(), "spine-projwrite");
}

BatchWriter::~BatchWriter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

bool BatchWriter::submit(std::vector<Write> writes) {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return !pending_ && !writing_; });
  if (!failure_.ok()) return false;
  pending_.emplace(std::move(writes));
  changed_.notify_all();
  return true;
}

rocksdb::Status BatchWriter::drain() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return !pending_ && !writing_; });
  rocksdb::Status failure = failure_;
  failure_ = rocksdb::Status::OK();
  return failure;
}

bool BatchWriter::failed() {
  std::lock_guard lock(mutex_);
  return !failure_.ok();
}

void BatchWriter::run() {
  std::unique_lock lock(mutex_);
  while (true) {
    changed_.wait(lock, [&] { return pending_ || stopping_; });
    if (!pending_) return;  // stopping, nothing left
    std::vector<Write> writes = std::move(*pending_);
    pending_.reset();
    writing_ = true;
    lock.unlock();
    rocksdb::Status status;
    for (Write& write : writes) {
      status = db_.Write(rocksdb::WriteOptions(), &write.batch);
      if (!status.ok()) break;
      write.on_written();
    }
    lock.lock();
    writing_ = false;
    if (!status.ok() && failure_.ok()) failure_ = status;
    changed_.notify_all();
  }
}

}  // namespace spine::projections::internal
