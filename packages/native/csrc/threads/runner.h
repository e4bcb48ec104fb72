// The task thread: one thread that runs submitted tasks one after another, in order (the Node
// addon's replayed runs: a whole sequence of kernels a task, whose parallel_for calls make it the
// pool's caller). After each task it spins for the next as long as the pool's workers do
// (pool_worker_spin_us), then sleeps: runs issued back to back find it awake, where a libuv worker
// took 20-40 us to wake for each and its waker 5-20 us in the system call that woke it.
#pragma once
#include <functional>

namespace os {

// Queues `task` for the task thread and returns at once (without threads: runs it here, now). The
// task must not throw; it may submit further tasks, which run after it.
void run_on_task_thread(std::function<void()> task);

}  // namespace os
