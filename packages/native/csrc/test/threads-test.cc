// The thread pool (threads/pool.h) under stress: thousands of tiny parallel_for calls with 1 to 4
// threads, workers that spin or sleep between calls (lost wake-ups would hang), callers on several
// threads at once, resizes while calls run, nested calls and failing chunks. Every call must cover
// its range exactly once. A watchdog fails the run if the pool stops making progress (a deadlock or
// a lost wake-up). Not a kernel family: it runs once, as the "threads" family's check of the scalar
// table, and covers no KernelTable member.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "../common/failure.h"
#include "../threads/pool.h"
#include "../threads/runner.h"
#include "harness.h"

namespace os::test {
namespace {

// Exits with a message when not disarmed within `seconds`.
class Watchdog {
 public:
  explicit Watchdog(int seconds)
      : thread_([this, seconds] {
          std::unique_lock<std::mutex> lock(mutex_);
          if (!cv_.wait_for(lock, std::chrono::seconds(seconds), [&] { return done_; })) {
            std::printf("threads: no progress for %d s in '%s' (deadlock or lost wake-up)\n", seconds, stage_.c_str());
            std::fflush(stdout);
            std::_Exit(1);
          }
        }) {}
  ~Watchdog() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  void stage(const std::string& s) {
    std::lock_guard<std::mutex> lock(mutex_);
    stage_ = s;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
  std::string stage_ = "start";
  std::thread thread_;
};

// One parallel_for over [0, n): true when every index was covered exactly once.
bool covered_once(size_t n, size_t grain, std::vector<std::atomic<int>>& hits) {
  for (size_t i = 0; i < n; i++) hits[i].store(0, std::memory_order_relaxed);
  std::atomic<bool> bad{false};
  parallel_for(n, grain, [&](size_t begin, size_t end) {
    if (begin >= end || end > n) bad = true;
    for (size_t i = begin; i < end && i < n; i++) hits[i].fetch_add(1, std::memory_order_relaxed);
  });
  if (bad) return false;
  for (size_t i = 0; i < n; i++) {
    if (hits[i].load(std::memory_order_relaxed) != 1) return false;
  }
  return true;
}

// `calls` tiny calls of random size and grain; every `pause_every`th call first sleeps `pause_us`
// (longer than the workers' spin: they go to sleep and must be woken).
size_t tiny_calls(Rng& rng, size_t calls, size_t pause_every, int pause_us) {
  std::vector<std::atomic<int>> hits(256);
  size_t bad = 0;
  for (size_t k = 0; k < calls; k++) {
    if (pause_every && k % pause_every == 0) std::this_thread::sleep_for(std::chrono::microseconds(pause_us));
    const size_t n = 1 + rng.next() % 200;
    const size_t grain = 1 + rng.next() % 8;
    if (!covered_once(n, grain, hits)) bad++;
  }
  return bad;
}

// Calls (after a pause that puts the workers to sleep) whose chunks, slow ones, did not all run on
// the calling thread. Each call's chunks keep the caller busy 12 ms per pool thread: a worker woken
// on a loaded machine (CI runs the qemu and wasm kernel tests beside this) can take milliseconds to
// be scheduled (with 4 ms per thread, the wasm build's worker once joined fewer than 10 calls of 20
// in CI), while a lost wake-up leaves every chunk to the caller however long it works.
size_t helped_calls(size_t calls, int pause_us) {
  size_t helped = 0;
  for (size_t k = 0; k < calls; k++) {
    std::this_thread::sleep_for(std::chrono::microseconds(pause_us));
    const std::thread::id caller = std::this_thread::get_id();
    std::atomic<bool> other{false};
    parallel_for(static_cast<size_t>(pool_threads()) * 12, 1, [&](size_t, size_t) {
      if (std::this_thread::get_id() != caller) other = true;
      std::this_thread::sleep_for(std::chrono::microseconds(1000));
    });
    if (other) helped++;
  }
  return helped;
}

// Waits (for up to the watchdog) until `count` reaches `n`.
void wait_for(const std::atomic<int>& count, int n) {
  while (count.load() < n) std::this_thread::sleep_for(std::chrono::microseconds(50));
}

// The task thread (threads/runner.h): tasks run one at a time in the order submitted, from any
// thread, whether it spins or sleeps; a task may submit another; a task's parallel_for uses the pool.
void task_thread(Check& check, Watchdog& watchdog) {
  watchdog.stage("task thread");
  check.begin("task thread", "in order, back to back and after sleeping");
  std::vector<int> order;
  std::atomic<int> done{0};
  std::atomic<int> inside{0};
  bool overlapped = false;
  for (int i = 0; i < 2000; i++) {
    run_on_task_thread([&, i] {
      if (inside.fetch_add(1) != 0) overlapped = true;
      order.push_back(i);
      inside.fetch_sub(1);
      done.fetch_add(1);
    });
    // Now and then the thread has gone to sleep before the next task (its spin is the pool's).
    if (i % 500 == 499) {
      wait_for(done, i + 1);
      std::this_thread::sleep_for(std::chrono::microseconds(pool_worker_spin_us() + 2000));
    }
  }
  wait_for(done, 2000);
  bool in_order = order.size() == 2000;
  for (size_t i = 0; in_order && i < order.size(); i++) in_order = order[i] == static_cast<int>(i);
  check.expect(in_order, "2000 tasks ran once each, in the order submitted");
  check.expect(!overlapped, "one task at a time");

  check.begin("task thread", "submitted from 4 threads and from tasks");
  std::atomic<int> first{0}, queued{0}, second{0};
  std::vector<std::thread> submitters;
  for (int t = 0; t < 4; t++) {
    submitters.emplace_back([&] {
      for (int i = 0; i < 250; i++) {
        run_on_task_thread([&] {
          // Every tenth task queues one more, behind the tasks queued by then.
          if ((first.fetch_add(1) + 1) % 10 != 0) return;
          queued.fetch_add(1);
          run_on_task_thread([&] { second.fetch_add(1); });
        });
      }
    });
  }
  for (auto& t : submitters) t.join();
  wait_for(first, 1000);
  wait_for(second, 100);
  check.expect(first.load() == 1000 && queued.load() == 100 && second.load() == 100,
               "1000 tasks from 4 threads and the 100 they queued ran once each");

  check.begin("task thread", "a task's parallel_for uses the pool");
  set_pool_threads(4);
  std::atomic<int> covered{0};
  std::atomic<bool> finished{false};
  run_on_task_thread([&] {
    parallel_for(1000, 1, [&](size_t begin, size_t end) { covered.fetch_add(static_cast<int>(end - begin)); });
    finished = true;
  });
  while (!finished.load()) std::this_thread::sleep_for(std::chrono::microseconds(50));
  check.expect(covered.load() == 1000, "the task's range covered once");
}

void spec(Check& check, const KernelTable&) {
  Rng rng(check.seed());
  const int initial = pool_threads();
  Watchdog watchdog(120);

  // Spin lengths: the defaults, workers that never spin (every call wakes sleepers), a caller that
  // never spins (it sleeps whenever a worker still runs a chunk), and long spins.
  const int spins[][2] = {{300, 50}, {0, 50}, {300, 0}, {0, 0}, {5000, 5000}};
  for (int threads = 1; threads <= 4; threads++) {
    set_pool_threads(threads);
    for (const auto& s : spins) {
      set_pool_spin(s[0], s[1]);
      const std::string what = std::to_string(threads) + " threads, spin " + std::to_string(s[0]) + "/" + std::to_string(s[1]) + " us";
      watchdog.stage("tiny calls, " + what);
      check.begin("tiny calls", "%s", what.c_str());
      check.expect(pool_threads() == threads, "pool_threads() is the size set");
      check.expect(tiny_calls(rng, 1500, 0, 0) == 0, "1500 back-to-back calls cover their ranges once");
      watchdog.stage("calls after pauses, " + what);
      check.begin("calls after pauses", "%s", what.c_str());
      check.expect(tiny_calls(rng, 100, 1, s[0] + 200) == 0, "calls after the workers went to sleep cover their ranges once");
      if (threads > 1) {
        watchdog.stage("workers join, " + what);
        check.begin("workers join", "%s", what.c_str());
        check.expect(helped_calls(20, s[0] + 200) >= 10, "workers woken from sleep take chunks (no lost wake-up)");
      }
    }
  }
  set_pool_spin(300, 50);

  // Callers on several threads at once (as from concurrent asynchronous kernel calls), and resizes
  // while they run.
  for (int threads = 2; threads <= 4; threads++) {
    set_pool_threads(threads);
    watchdog.stage("concurrent callers, " + std::to_string(threads) + " threads");
    check.begin("concurrent callers", "%d threads, 3 callers", threads);
    std::atomic<size_t> bad{0};
    std::vector<std::thread> callers;
    for (int t = 0; t < 3; t++) {
      callers.emplace_back([&, t] {
        Rng r(check.seed() + 17 * static_cast<uint64_t>(t));
        bad += tiny_calls(r, 700, 50, 500);
      });
    }
    std::thread resizer([&] {
      for (int i = 0; i < 20; i++) {
        set_pool_threads(1 + i % 4);
        std::this_thread::sleep_for(std::chrono::microseconds(300));
      }
      set_pool_threads(threads);
    });
    for (auto& c : callers) c.join();
    resizer.join();
    check.expect(bad == 0, "every call of every caller covers its range once");
  }

  // A parallel_for inside a chunk runs inline on the chunk's thread.
  set_pool_threads(4);
  watchdog.stage("nested calls");
  check.begin("nested calls", "4 threads, 64 x 64");
  {
    std::vector<std::atomic<int>> hits(64 * 64);
    for (auto& h : hits) h = 0;
    parallel_for(64, 1, [&](size_t begin, size_t end) {
      for (size_t i = begin; i < end; i++) {
        parallel_for(64, 1, [&](size_t b, size_t e) {
          for (size_t j = b; j < e; j++) hits[i * 64 + j].fetch_add(1);
        });
      }
    });
    bool once = true;
    for (auto& h : hits) once = once && h.load() == 1;
    check.expect(once, "every inner index covered once");
  }

  // A failing chunk fails the call on the calling thread, once, and the pool keeps working.
  for (int threads = 1; threads <= 4; threads++) {
    set_pool_threads(threads);
    watchdog.stage("failing chunks, " + std::to_string(threads) + " threads");
    check.begin("failing chunks", "%d threads", threads);
    for (int k = 0; k < 50; k++) {
      std::atomic<size_t> ran{0};
      Failure failure;
      const bool ok = catch_failure(
          [&] {
            parallel_for(100, 1, [&](size_t begin, size_t end) {
              ran += end - begin;
              if (begin <= 37 && 37 < end) fail(FailureKind::invalid_argument, "chunk 37 failed");
            });
          },
          &failure);
      check.expect(!ok && failure.kind == FailureKind::invalid_argument && std::string(failure.message) == "chunk 37 failed",
                   "the failure reaches the caller as it was");
      check.expect(ran.load() == 100, "the other chunks still ran");
    }
    Rng r(check.seed());
    check.expect(tiny_calls(r, 200, 0, 0) == 0, "calls after failures cover their ranges once");
  }

  set_pool_threads(initial);
  task_thread(check, watchdog);
}

void test(Check&, const KernelTable&, const KernelTable&) {}

const Register kRegister({"threads", {}, &test, &spec});

}  // namespace
}  // namespace os::test
