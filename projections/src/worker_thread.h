// Internal: one named thread that runs one task at a time, for the
// projection runner's second apply lane ("spine-projapply"), its read-ahead
// ("spine-projread") and its batch writer ("spine-projwrite"). run() hands a task over; wait() returns once
// it has finished. run() may only be called again after wait(). The
// destructor lets a task already handed over finish, then stops.
#pragma once

#include <cassert>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <pthread.h>
#include <thread>

namespace spine::projections::internal {

class WorkerThread {
 public:
  explicit WorkerThread(const char* name) {  // at most 15 characters (Linux)
    thread_ = std::thread([this] { loop(); });
    pthread_setname_np(thread_.native_handle(), name);
  }
  ~WorkerThread() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    changed_.notify_all();
    thread_.join();
  }
  WorkerThread(const WorkerThread&) = delete;
  WorkerThread& operator=(const WorkerThread&) = delete;

  void run(std::function<void()> task) {
    std::lock_guard lock(mutex_);
    assert(!task_ && "one task at a time");
    task_ = std::move(task);
    changed_.notify_all();
  }
  void wait() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return !task_; });
  }

 private:
  void loop() {
    std::unique_lock lock(mutex_);
    while (true) {
      changed_.wait(lock, [&] { return task_ || stopping_; });
      if (!task_) return;
      lock.unlock();
      task_();
      lock.lock();
      task_ = nullptr;
      changed_.notify_all();
    }
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  std::function<void()> task_;  // set: given and not finished
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace spine::projections::internal
