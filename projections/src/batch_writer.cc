#include "batch_writer.h"

namespace spine::projections::internal {

bool BatchWriter::submit(std::vector<Write> writes) {
  thread_.wait();
  if (failed()) return false;
  pending_ = std::move(writes);
  thread_.run([this] { write(pending_); });
  return true;
}

rocksdb::Status BatchWriter::drain() {
  thread_.wait();
  std::lock_guard lock(failure_mutex_);
  rocksdb::Status failure = failure_;
  failure_ = rocksdb::Status::OK();
  return failure;
}

bool BatchWriter::failed() {
  std::lock_guard lock(failure_mutex_);
  return !failure_.ok();
}

void BatchWriter::write(std::vector<Write>& writes) {
  for (Write& write : writes) {
    const rocksdb::Status status = db_.Write(rocksdb::WriteOptions(), &write.batch);
    if (!status.ok()) {
      std::lock_guard lock(failure_mutex_);
      if (failure_.ok()) failure_ = status;
      return;
    }
    write.on_written();
  }
}

}  // namespace spine::projections::internal
