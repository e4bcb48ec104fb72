#include "pool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#include "../common/failure.h"
#include "spin.h"

// How the pool hands out work and waits (no job ever waits on a lock held by another job):
//
// - One job at a time (run_mutex_): its parameters sit in the pool's Slot, and one 64-bit word,
//   `state`, holds the job's epoch (high half) and the number of chunks not yet claimed (low half).
//   Publishing a job writes the parameters, then `state`; a thread claims a chunk with a
//   compare-exchange that also checks the epoch, so a thread that arrives late (the job done, even
//   the next one published) can never claim a chunk of a job it did not see. Parameters are read
//   only after a successful claim: the job cannot finish (and the slot cannot be rewritten) before
//   that chunk is counted done.
// - Workers wait for a new epoch spinning on `state` (a pause instruction per turn) for up to
//   ONNXSTREAM_POOL_SPIN_US microseconds after their last chunk, then sleep on a condition variable.
//   A worker counts itself in `sleepers_` (under mutex_) before its last look at `state`; the caller
//   publishes `state` before it reads `sleepers_` (a sequentially consistent fence between each
//   store and load), so either the worker sees the new epoch or the caller sees the sleeper and
//   notifies it under mutex_, after the worker has either looked again or started waiting: no
//   wake-up is lost. With no sleeper, a publish costs no system call. (Even a lost wake-up could
//   not hang a job: the caller runs every chunk nobody claims.)
// - The caller claims chunks like a worker, then waits for the chunks others still run: spinning
//   for up to ONNXSTREAM_POOL_WAIT_US microseconds, then sleeping on a second condition variable
//   (done_mutex_) that the thread finishing the last chunk signals under that mutex. On a machine
//   with as many threads as cores, a caller that kept spinning could hold the core a preempted
//   worker needs to finish its chunk.
// - Spins pause the core for their first OS_POOL_PAUSE_US microseconds, then yield it between looks.
// - A parallel_for inside a chunk (or on a thread already running a job) runs inline.

namespace os {
namespace {

#if !OS_NO_THREADS

using spinning::spin;

int hardware_threads() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

// Microseconds from the environment, else `fallback`.
int64_t env_us(const char* name, int64_t fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  const long long n = std::strtoll(v, nullptr, 10);
  return n < 0 ? 0 : n;
}

// A worker spins this long for the next job before sleeping: a model's operators follow each other
// within this (JavaScript and the hop back from a libuv thread take tens of microseconds), so their
// jobs find the workers awake; a sleeping worker takes tens of microseconds more to join. On the
// 2-vCPU VM, about 300 us brought the 20x20 and 40x40 conv rows of bench/gemm.mjs to onnxruntime's
// time (bench/model.mjs spins=... compares settings in one process).
// (OS_POOL_SPIN_US and OS_POOL_WAIT_US set other defaults at build time, to compare them.)
#ifndef OS_POOL_SPIN_US
#define OS_POOL_SPIN_US 300
#endif
constexpr int64_t kWorkerSpinUs = OS_POOL_SPIN_US;
// The caller spins this long for the chunks other threads still run, then sleeps.
#ifndef OS_POOL_WAIT_US
#define OS_POOL_WAIT_US 50
#endif
constexpr int64_t kCallerSpinUs = OS_POOL_WAIT_US;

// Set on pool threads and on a caller while its job runs: a parallel_for there runs inline.
thread_local bool t_in_job = false;

constexpr uint64_t kRemaining = 0xffffffffu;

class Pool {
 public:
  explicit Pool(int threads)
      : worker_spin_us_(env_us("ONNXSTREAM_POOL_SPIN_US", kWorkerSpinUs)),
        caller_spin_us_(env_us("ONNXSTREAM_POOL_WAIT_US", kCallerSpinUs)) {
    std::lock_guard<std::mutex> one_job(run_mutex_);
    start(threads);
  }
  ~Pool() {
    std::lock_guard<std::mutex> one_job(run_mutex_);
    stop();
  }

  int threads() const { return threads_.load(std::memory_order_relaxed); }
  int64_t worker_spin_us() const { return worker_spin_us_.load(std::memory_order_relaxed); }

  void set_spin(int64_t worker_us, int64_t caller_us) {
    worker_spin_us_.store(std::max<int64_t>(worker_us, 0), std::memory_order_relaxed);
    caller_spin_us_.store(std::max<int64_t>(caller_us, 0), std::memory_order_relaxed);
  }

  // Waits for a running job to finish first.
  void resize(int threads) {
    std::lock_guard<std::mutex> one_job(run_mutex_);
    stop();
    start(threads);
  }

  // Returns false when a chunk failed, with *failure saying how (fail() is left to the caller: it must
  // not leave this function's lock held).
  bool run(size_t n, size_t grain, const std::function<void(size_t, size_t)>& fn, Failure* failure) {
    const size_t parts = std::min<size_t>(static_cast<size_t>(threads()) * 4, (n + grain - 1) / grain);
    if (parts <= 1 || threads() <= 1 || t_in_job) {
      if (n > 0) fn(0, n);
      return true;
    }
    std::lock_guard<std::mutex> one_job(run_mutex_);
    // Checked again under the lock: resize() may have run meanwhile.
    if (workers_.empty()) {
      fn(0, n);
      return true;
    }
    Slot& s = slot_;
    const size_t chunk = (n + parts - 1) / parts;
    const size_t chunks = (n + chunk - 1) / chunk;
    s.fn.store(&fn, std::memory_order_relaxed);
    s.n.store(n, std::memory_order_relaxed);
    s.chunk.store(chunk, std::memory_order_relaxed);
    s.chunks.store(chunks, std::memory_order_relaxed);
    s.done.store(0, std::memory_order_relaxed);
    s.failed.store(false, std::memory_order_relaxed);
    const uint32_t epoch = ++epoch_;
    s.state.store(static_cast<uint64_t>(epoch) << 32 | chunks, std::memory_order_seq_cst);
    // Store `state`, then load `sleepers_`; a sleeping worker does the converse (the fences order
    // each store before the load, as hardware and emulators may not for a lone seq_cst pair).
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (sleepers_.load(std::memory_order_seq_cst) > 0) {
      std::lock_guard<std::mutex> lock(mutex_);
      wake_.notify_all();
    }
    t_in_job = true;
    take(s, epoch);
    t_in_job = false;
    // The chunks other threads still run.
    const auto all_done = [&] { return s.done.load(std::memory_order_acquire) >= chunks; };
    if (!spin(caller_spin_us_.load(std::memory_order_relaxed), all_done)) {
      std::unique_lock<std::mutex> lock(done_mutex_);
      while (!all_done()) done_.wait(lock);
    }
    if (!s.failed.load(std::memory_order_acquire)) return true;
    *failure = s.failure;
    return false;
  }

 private:
  // The job being run. Written by its caller before `state` publishes it.
  struct Slot {
    alignas(64) std::atomic<uint64_t> state{0};
    alignas(64) std::atomic<size_t> done{0};
    alignas(64) std::atomic<const std::function<void(size_t, size_t)>*> fn{nullptr};
    std::atomic<size_t> n{0};
    std::atomic<size_t> chunk{0};
    std::atomic<size_t> chunks{0};
    // The first chunk that failed sets `failed` and writes `failure`.
    std::atomic<bool> failed{false};
    Failure failure;
  };

  // Claims a chunk of job `epoch`: its index, or false when none is left (or the job is another).
  static bool claim(Slot& s, uint32_t epoch, size_t* index) {
    uint64_t v = s.state.load(std::memory_order_acquire);
    for (;;) {
      if (static_cast<uint32_t>(v >> 32) != epoch || (v & kRemaining) == 0) return false;
      if (s.state.compare_exchange_weak(v, v - 1, std::memory_order_acquire, std::memory_order_acquire)) {
        *index = s.chunks.load(std::memory_order_relaxed) - static_cast<size_t>(v & kRemaining);
        return true;
      }
    }
  }

  // Runs chunks of job `epoch` until none is left.
  void take(Slot& s, uint32_t epoch) {
    size_t c;
    while (claim(s, epoch, &c)) {
      // Valid until this chunk is counted done.
      const auto& fn = *s.fn.load(std::memory_order_relaxed);
      const size_t n = s.n.load(std::memory_order_relaxed), chunk = s.chunk.load(std::memory_order_relaxed);
      const size_t chunks = s.chunks.load(std::memory_order_relaxed);
      const size_t begin = c * chunk;
      const size_t end = std::min(n, begin + chunk);
      // A failing chunk must not unwind past this loop: on a worker there is nothing to catch it, and
      // the job must still count every chunk done.
      Failure failure;
      if (!catch_failure([&] { fn(begin, end); }, &failure) && !s.failed.exchange(true, std::memory_order_relaxed)) {
        s.failure = failure;
      }
      // The last chunk done wakes the caller if it went to sleep: under done_mutex_, so that the
      // caller either sees `done` full before it waits or is waiting already. (A notify with no
      // waiter makes no system call. The slot may hold the next job by then: a notify for nothing.)
      if (s.done.fetch_add(1, std::memory_order_acq_rel) + 1 == chunks) {
        std::lock_guard<std::mutex> lock(done_mutex_);
        done_.notify_all();
      }
    }
  }

  void work(uint32_t seen) {
    t_in_job = true;
    Slot& s = slot_;
    const auto fresh = [&] {
      return static_cast<uint32_t>(s.state.load(std::memory_order_acquire) >> 32) != seen ||
             stopping_.load(std::memory_order_relaxed);
    };
    for (;;) {
      if (!spin(worker_spin_us_.load(std::memory_order_relaxed), fresh)) {
        std::unique_lock<std::mutex> lock(mutex_);
        sleepers_.fetch_add(1, std::memory_order_seq_cst);
        std::atomic_thread_fence(std::memory_order_seq_cst);
        while (static_cast<uint32_t>(s.state.load(std::memory_order_seq_cst) >> 32) == seen &&
               !stopping_.load(std::memory_order_relaxed)) {
          wake_.wait(lock);
        }
        sleepers_.fetch_sub(1, std::memory_order_relaxed);
      }
      if (stopping_.load(std::memory_order_relaxed)) return;
      seen = static_cast<uint32_t>(s.state.load(std::memory_order_acquire) >> 32);
      take(s, seen);
    }
  }

  // With run_mutex_ held.
  void start(int threads) {
    stopping_.store(false);
    for (int i = 1; i < threads; i++) workers_.emplace_back([this, e = epoch_] { work(e); });
    threads_.store(static_cast<int>(workers_.size()) + 1);
  }

  // With run_mutex_ held.
  void stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_.store(true);
      wake_.notify_all();
    }
    for (auto& t : workers_) t.join();
    workers_.clear();
    threads_.store(1);
  }

  std::atomic<int64_t> worker_spin_us_;
  std::atomic<int64_t> caller_spin_us_;
  Slot slot_;
  std::vector<std::thread> workers_;
  std::atomic<int> threads_{1};
  uint32_t epoch_ = 0;  // the last job's (under run_mutex_)
  std::mutex run_mutex_;
  std::mutex mutex_;  // sleeping workers
  std::condition_variable wake_;
  std::atomic<int> sleepers_{0};
  std::atomic<bool> stopping_{false};
  std::mutex done_mutex_;  // a sleeping caller
  std::condition_variable done_;
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
void set_pool_spin(int, int) {}
int64_t pool_worker_spin_us() { return 0; }
void parallel_for(size_t n, size_t, const std::function<void(size_t, size_t)>& fn) {
  if (n > 0) fn(0, n);
}

#else

int pool_threads() { return pool().threads(); }
void set_pool_threads(int n) { pool().resize(std::max(1, n)); }
void set_pool_spin(int worker_us, int caller_us) { pool().set_spin(worker_us, caller_us); }
int64_t pool_worker_spin_us() { return pool().worker_spin_us(); }
void parallel_for(size_t n, size_t grain, const std::function<void(size_t, size_t)>& fn) {
  Failure failure;
  if (!pool().run(n, std::max<size_t>(grain, 1), fn, &failure)) fail(failure);
}

#endif

}  // namespace os
