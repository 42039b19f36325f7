// Internal: a second thread for the projection runner ("spine-projapply").
// run() starts one task on it; wait() returns once that task has finished.
// One task at a time: run() may only be called again after wait().
#pragma once

#include <cassert>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <pthread.h>
#include <thread>

namespace spine::projections::internal {

class HelperThread {
 public:
  HelperThread() {
    thread_ = std::thread([this] { loop(); });
    pthread_setname_np(thread_.native_handle(), "spine-projapply");
  }
  ~HelperThread() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    changed_.notify_all();
    thread_.join();
  }
  HelperThread(const HelperThread&) = delete;
  HelperThread& operator=(const HelperThread&) = delete;

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
