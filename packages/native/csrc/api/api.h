// The C++ entry points shared by the Node addon and the wasm module: a kernel is called with
// buffers and numeric parameters, and checks every size it relies on before touching memory.
#pragma once
#include <cstddef>
#include <string>

#include "../common/failure.h"
#include "kernel-list.h"

namespace os {

struct Buf {
  void* data;
  size_t bytes;
};

using KernelFn = void (*)(const Buf* bufs, size_t nbufs, const double* params, size_t nparams);

enum KernelId : int {
#define OS_KERNEL_ID(name) kernel_##name,
  OS_KERNEL_LIST(OS_KERNEL_ID)
#undef OS_KERNEL_ID
      kernel_count
};

const char* kernel_name(int id);
KernelFn kernel_fn(int id);

#define OS_KERNEL_DECL(name) void run_##name(const Buf* bufs, size_t nbufs, const double* params, size_t nparams);
OS_KERNEL_LIST(OS_KERNEL_DECL)
#undef OS_KERNEL_DECL

// Argument checking for kernels: a violated check fails (common/failure.h) with a message naming the
// kernel, FailureKind::invalid_argument.
struct Args {
  const char* kernel;
  const Buf* bufs;
  size_t nbufs;
  const double* params;
  size_t nparams;

  Args(const char* k, const Buf* b, size_t nb, const double* p, size_t np, size_t want_bufs, size_t min_params);
  [[noreturn]] void fail(const std::string& what) const;
  // Parameter i as an integer in [lo, hi].
  long long integer(size_t i, long long lo, long long hi) const;
  double number(size_t i) const { return params[i]; }
  // Buffer i, which must hold at least `count` elements of `size` bytes.
  template <class T>
  T* buffer(size_t i, size_t count) const {
    if (bufs[i].bytes / sizeof(T) < count) {
      fail("buffer " + std::to_string(i) + " holds " + std::to_string(bufs[i].bytes) + " bytes, " +
           std::to_string(count * sizeof(T)) + " needed");
    }
    return static_cast<T*>(bufs[i].data);
  }
};

}  // namespace os
