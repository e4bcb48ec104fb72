// The WebAssembly face of the native kernel sources (packages/native/csrc), the counterpart of the
// Node addon (packages/native/binding/addon.cc): plain C exports that JavaScript calls with heap
// pointers. Buffers are (pointer, bytes) pairs in the heap, exactly os::Buf on wasm32.
//
//   os_alloc(bytes) -> ptr (0 when the heap cannot grow), os_free(ptr, bytes)
//   os_run(kernel, bufs, nbufs, params, nparams) -> 0, or a message (valid until the next call)
//   os_kernel_count(), os_kernel_name(id), os_isa(), os_isa_supported(name), os_set_isa(name)
//   os_threads(), os_set_threads(n), os_bytes_in_use(), os_bytes_peak(), os_reset_peak()
#include <emscripten/emscripten.h>

#include <cstdint>
#include <exception>
#include <new>
#include <string>

#include "api/api.h"
#include "common/buffer.h"
#include "dispatch/kernels.h"
#include "threads/pool.h"

static_assert(sizeof(os::Buf) == 8, "os::Buf is (pointer, bytes) of 4 bytes each on wasm32");

namespace {

std::string g_error;

const char* fail(const char* what) {
  g_error = what;
  return g_error.c_str();
}

}  // namespace

extern "C" {

EMSCRIPTEN_KEEPALIVE void* os_alloc(double bytes) {
  if (!(bytes >= 0 && bytes <= 4294967295.0)) return nullptr;
  try {
    return os::alloc_buffer(static_cast<size_t>(bytes));
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}

EMSCRIPTEN_KEEPALIVE void os_free(void* p, double bytes) { os::free_buffer(p, static_cast<size_t>(bytes)); }

EMSCRIPTEN_KEEPALIVE const char* os_run(int id, const os::Buf* bufs, int nbufs, const double* params, int nparams) {
  const os::KernelFn fn = os::kernel_fn(id);
  if (!fn) return fail("unknown kernel id");
  try {
    fn(bufs, static_cast<size_t>(nbufs), params, static_cast<size_t>(nparams));
    return nullptr;
  } catch (const std::bad_alloc&) {
    return fail("out of memory: the WebAssembly heap cannot grow further");
  } catch (const std::exception& e) {
    return fail(e.what());
  }
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
  if (!os::isa_from_name(name, &isa)) return fail("unknown ISA");
  try {
    os::use_isa(isa);
    return nullptr;
  } catch (const std::exception& e) {
    return fail(e.what());
  }
}

EMSCRIPTEN_KEEPALIVE int os_threads() { return os::pool_threads(); }
EMSCRIPTEN_KEEPALIVE void os_set_threads(int n) { os::set_pool_threads(n); }

EMSCRIPTEN_KEEPALIVE double os_bytes_in_use() { return static_cast<double>(os::buffer_bytes_in_use()); }
EMSCRIPTEN_KEEPALIVE double os_bytes_peak() { return static_cast<double>(os::buffer_bytes_peak()); }
EMSCRIPTEN_KEEPALIVE void os_reset_peak() { os::reset_buffer_peak(); }

}  // extern "C"
