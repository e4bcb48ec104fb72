#include "runner.h"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>

#include "pool.h"
#include "spin.h"

namespace os {

#if OS_NO_THREADS

void run_on_task_thread(std::function<void()> task) { task(); }

#else

namespace {

// A submitter adds a task under mutex_ and, when the thread sleeps (also under mutex_), wakes it:
// no wake-up is lost. While the thread spins it watches `queued_` alone, so a submit then costs a
// lock and no system call.
class TaskThread {
 public:
  TaskThread() { std::thread([this] { loop(); }).detach(); }

  void submit(std::function<void()> task) {
    bool wake;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      tasks_.push_back(std::move(task));
      queued_.fetch_add(1, std::memory_order_release);
      wake = sleeping_;
    }
    if (wake) ready_.notify_one();
  }

 private:
  void loop() {
    for (;;) {
      spinning::spin(pool_worker_spin_us(), [&] { return queued_.load(std::memory_order_acquire) > 0; });
      std::function<void()> task;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        while (tasks_.empty()) {
          sleeping_ = true;
          ready_.wait(lock);
          sleeping_ = false;
        }
        task = std::move(tasks_.front());
        tasks_.pop_front();
        queued_.fetch_sub(1, std::memory_order_relaxed);
      }
      task();
    }
  }

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> tasks_;
  std::atomic<size_t> queued_{0};
  bool sleeping_ = false;
};

}  // namespace

void run_on_task_thread(std::function<void()> task) {
  // Never destroyed: the thread is detached and may still be looking at it while the process exits.
  static TaskThread* thread = new TaskThread();
  thread->submit(std::move(task));
}

#endif

}  // namespace os
