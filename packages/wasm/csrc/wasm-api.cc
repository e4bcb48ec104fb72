// The WebAssembly face of the native kernel sources (packages/native/csrc), the counterpart of the
// Node addon (packages/native/binding/addon.cc): plain C exports that JavaScript calls with heap
// pointers. Buffers are (pointer, bytes) pairs in the heap, exactly os::Buf on wasm32.
//
//   os_alloc(bytes) -> ptr (0 when the heap cannot grow), os_free(ptr, bytes)
//   os_run(kernel, bufs, nbufs, params, nparams) -> 0, or a message naming the kernel (valid until
//     the next call)
//   os_kernel_count(), os_kernel_name(id), os_isa(), os_isa_supported(name), os_set_isa(name)
//   os_threads(), os_set_threads(n), os_bytes_in_use(), os_bytes_peak(), os_reset_peak()
//
// The module has no C++ exceptions: a kernel that fails (bad arguments, an exhausted heap) returns
// through the catch_failure() of the export that called it (common/failure.h), which reports it.
#include <emscripten/emscripten.h>

#include <cstdio>

#include "api/api.h"
#include "common/buffer.h"
#include "common/failure.h"
#include "dispatch/kernels.h"
#include "threads/pool.h"

static_assert(sizeof(os::Buf) == 8, "os::Buf is (pointer, bytes) of 4 bytes each on wasm32");

namespace {

// What the last failed export reports. JavaScript calls the exports from one thread.
os::Failure g_failure;
char g_message[sizeof g_failure.message + 128];

const char* report(const char* message) {
  std::snprintf(g_message, sizeof g_message, "%s", message);
  return g_message;
}

}  // namespace

extern "C" {

EMSCRIPTEN_KEEPALIVE void* os_alloc(double bytes) {
  if (!(bytes >= 0 && bytes <= 4294967295.0)) return nullptr;
  void* p = nullptr;
  return os::catch_failure([&] { p = os::alloc_buffer(static_cast<size_t>(bytes)); }, &g_failure) ? p : nullptr;
}

EMSCRIPTEN_KEEPALIVE void os_free(void* p, double bytes) { os::free_buffer(p, static_cast<size_t>(bytes)); }

EMSCRIPTEN_KEEPALIVE const char* os_run(int id, const os::Buf* bufs, int nbufs, const double* params, int nparams) {
  const os::KernelFn fn = os::kernel_fn(id);
  if (!fn) return report("unknown kernel id");
  const auto call = [&] { fn(bufs, static_cast<size_t>(nbufs), params, static_cast<size_t>(nparams)); };
  if (os::catch_failure(call, &g_failure)) return nullptr;
  // Argument checks name their kernel; other failures are named here.
  if (g_failure.kind == os::FailureKind::invalid_argument) return report(g_failure.message);
  const char* what = g_failure.kind == os::FailureKind::out_of_memory
                         ? "out of memory (the WebAssembly heap cannot grow further)"
                         : g_failure.message;
  std::snprintf(g_message, sizeof g_message, "%s: %s", os::kernel_name(id), what);
  return g_message;
}

EMSCRIPTEN_KEEPALIVE int os_kernel_count() { return os::kernel_count; }
EMSCRIPTEN_KEEPALIVE const char* os_kernel_name(int id) { return os::kernel_name(id); }

EMSCRIPTEN_KEEPALIVE const char* os_isa() { return os::isa_name(os::kernels().isa); }

EMSCRIPTEN_KEEPALIVE int os_isa_supported(const char* name) {
  os::Isa isa;
  return os::isa_from_name(name, &isa) && os::isa_supported(isa) ? 1 : 0;
}

EMSCRIPTEN_KEEPALIVE const char* os_set_isa(const char* name) {
  os::Isa isa;
  if (!os::isa_from_name(name, &isa)) return report("unknown ISA");
  return os::catch_failure([&] { os::use_isa(isa); }, &g_failure) ? nullptr : report(g_failure.message);
}

EMSCRIPTEN_KEEPALIVE int os_threads() { return os::pool_threads(); }
EMSCRIPTEN_KEEPALIVE void os_set_threads(int n) { os::set_pool_threads(n); }

EMSCRIPTEN_KEEPALIVE double os_bytes_in_use() { return static_cast<double>(os::buffer_bytes_in_use()); }
EMSCRIPTEN_KEEPALIVE double os_bytes_peak() { return static_cast<double>(os::buffer_bytes_peak()); }
EMSCRIPTEN_KEEPALIVE void os_reset_peak() { os::reset_buffer_peak(); }

}  // extern "C"
