#include "pool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "../common/failure.h"

#if defined(__EMSCRIPTEN__) && !defined(__EMSCRIPTEN_PTHREADS__)
#define OS_NO_THREADS 1
#endif

namespace os {
namespace {

#if !OS_NO_THREADS

int hardware_threads() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

// One job at a time: the chunks of one parallel_for.
struct Job {
  const std::function<void(size_t, size_t)>* fn = nullptr;
  size_t n = 0;
  size_t chunk = 0;
  size_t chunks = 0;
  std::atomic<size_t> next{0};
  std::atomic<size_t> done{0};
  // Workers holding a pointer to this job; it lives until they have let go.
  std::atomic<int> inside{0};
  // The first chunk that failed sets `failed` and then writes `failure`.
  std::atomic<bool> failed{false};
  Failure failure;
};

class Pool {
 public:
  explicit Pool(int threads) { resize(threads); }
  ~Pool() { stop(); }

  int threads() const { return static_cast<int>(workers_.size()) + 1; }

  void resize(int threads) {
    stop();
    stopping_ = false;
    for (int i = 1; i < threads; i++) workers_.emplace_back([this] { work(); });
  }

  // Returns false when a chunk failed, with *failure saying how (fail() is left to the caller: it must
  // not leave this function's lock held).
  bool run(size_t n, size_t grain, const std::function<void(size_t, size_t)>& fn, Failure* failure) {
    const size_t parts = std::min<size_t>(static_cast<size_t>(threads()) * 4, (n + grain - 1) / grain);
    if (parts <= 1 || workers_.empty()) {
      if (n > 0) fn(0, n);
      return true;
    }
    std::lock_guard<std::mutex> one_job(run_mutex_);
    Job job;
    job.fn = &fn;
    job.n = n;
    job.chunk = (n + parts - 1) / parts;
    job.chunks = (n + job.chunk - 1) / job.chunk;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job_ = &job;
      generation_++;
    }
    wake_.notify_all();
    take(job);
    // Wait for chunks other threads are still running, then for every worker to let go of the job.
    while (job.done.load(std::memory_order_acquire) < job.chunks) std::this_thread::yield();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job_ = nullptr;
    }
    while (job.inside.load(std::memory_order_acquire) > 0) std::this_thread::yield();
    if (!job.failed.load(std::memory_order_relaxed)) return true;
    *failure = job.failure;
    return false;
  }

 private:
  static void take(Job& job) {
    for (;;) {
      const size_t c = job.next.fetch_add(1, std::memory_order_relaxed);
      if (c >= job.chunks) return;
      const size_t begin = c * job.chunk;
      const size_t end = std::min(job.n, begin + job.chunk);
      // A failing chunk must not unwind past this loop: on a worker there is nothing to catch it, and
      // the job must still count every chunk done.
      Failure failure;
      if (!catch_failure([&] { (*job.fn)(begin, end); }, &failure) && !job.failed.exchange(true)) {
        job.failure = failure;
      }
      job.done.fetch_add(1, std::memory_order_release);
    }
  }

  void work() {
    size_t seen = 0;
    for (;;) {
      Job* job = nullptr;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return stopping_ || (generation_ != seen && job_ != nullptr); });
        if (stopping_) return;
        seen = generation_;
        job = job_;
        job->inside.fetch_add(1, std::memory_order_relaxed);
      }
      take(*job);
      job->inside.fetch_sub(1, std::memory_order_release);
    }
  }

  void stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
  }

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::mutex run_mutex_;
  std::condition_variable wake_;
  Job* job_ = nullptr;
  size_t generation_ = 0;
  bool stopping_ = false;
};

Pool& pool() {
  static Pool p(hardware_threads());
  return p;
}

#endif

}  // namespace

#if OS_NO_THREADS

int pool_threads() { return 1; }
void set_pool_threads(int) {}
void parallel_for(size_t n, size_t, const std::function<void(size_t, size_t)>& fn) {
  if (n > 0) fn(0, n);
}

#else

int pool_threads() { return pool().threads(); }
void set_pool_threads(int n) { pool().resize(std::max(1, n)); }
void parallel_for(size_t n, size_t grain, const std::function<void(size_t, size_t)>& fn) {
  Failure failure;
  if (!pool().run(n, std::max<size_t>(grain, 1), fn, &failure)) fail(failure);
}

#endif

}  // namespace os
