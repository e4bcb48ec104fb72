// A fixed pool of compute threads. Work is described, not coded, by operators: parallel_for splits a
// range into tasks that the calling thread and the workers take in turn. Kernels stay single-threaded.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>

namespace os {

// Threads used by parallel_for, the caller included (1 = run inline). Default: hardware threads.
int pool_threads();
// Resizes the pool (n >= 1; values above the hardware count are allowed), after the job running
// now, if any.
void set_pool_threads(int n);
// How long, in microseconds, a worker spins for the next job before it sleeps (default 300, or
// ONNXSTREAM_POOL_SPIN_US), and a caller for the chunks other threads still run before it sleeps
// (default 50, or ONNXSTREAM_POOL_WAIT_US). For tuning and tests.
void set_pool_spin(int worker_us, int caller_us);
// The workers' spin now, which the task thread (threads/runner.h) keeps too.
int64_t pool_worker_spin_us();

// Calls fn(begin, end) over [0, n) in chunks of at least `grain` items, on up to pool_threads()
// threads. Returns when every chunk is done; when a chunk failed (common/failure.h), fails the same
// way on the calling thread. Callers on several threads take turns; a parallel_for inside a chunk
// runs inline, on the chunk's thread.
void parallel_for(size_t n, size_t grain, const std::function<void(size_t begin, size_t end)>& fn);

}  // namespace os
