// Waiting by spinning, shared by the pool (threads/pool.cc) and the task thread (threads/runner.cc):
// a thread that expects work within microseconds looks for it in a loop rather than sleeping, which
// would cost it tens of microseconds to wake and its waker a system call.
#pragma once
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <thread>

#if defined(__EMSCRIPTEN__) && !defined(__EMSCRIPTEN_PTHREADS__)
#define OS_NO_THREADS 1
#endif

namespace os::spinning {

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
  asm volatile("yield" ::: "memory");
#endif
}

using Clock = std::chrono::steady_clock;

// Spins keep the core for this long, then yield it between looks: when other threads wait for the
// core (our own caller or worker among them, on a loaded machine), they get it instead.
#ifndef OS_POOL_PAUSE_US
#define OS_POOL_PAUSE_US 30
#endif
constexpr int64_t kPauseUs = OS_POOL_PAUSE_US;

// Spins until done() or `us` microseconds passed; returns done()'s last answer. Reads the clock
// every few turns only (under emscripten it is a call out to JavaScript).
template <class Done>
bool spin(int64_t us, Done done) {
  if (done()) return true;
  if (us <= 0) return false;
  const Clock::time_point start = Clock::now();
  const Clock::time_point yield_from = start + std::chrono::microseconds(std::min(us, kPauseUs));
  const Clock::time_point end = start + std::chrono::microseconds(us);
  for (;;) {
    for (int i = 0; i < 64; i++) {
      cpu_relax();
      if (done()) return true;
    }
    const Clock::time_point now = Clock::now();
    if (now >= end) return done();
    if (now < yield_from) continue;
    for (;;) {
      std::this_thread::yield();
      if (done()) return true;
      if (Clock::now() >= end) return done();
    }
  }
}

}  // namespace os::spinning
