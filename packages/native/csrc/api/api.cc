#include "api.h"

namespace os {

namespace {
const char* const kNames[] = {
#define OS_KERNEL_NAME(name) #name,
    OS_KERNEL_LIST(OS_KERNEL_NAME)
#undef OS_KERNEL_NAME
};
const KernelFn kFns[] = {
#define OS_KERNEL_FN(name) &run_##name,
    OS_KERNEL_LIST(OS_KERNEL_FN)
#undef OS_KERNEL_FN
};
}  // namespace

const char* kernel_name(int id) { return id >= 0 && id < kernel_count ? kNames[id] : nullptr; }
KernelFn kernel_fn(int id) { return id >= 0 && id < kernel_count ? kFns[id] : nullptr; }

Args::Args(const char* k, const Buf* b, size_t nb, const double* p, size_t np, size_t want_bufs, size_t min_params)
    : kernel(k), bufs(b), nbufs(nb), params(p), nparams(np) {
  if (nb != want_bufs) fail("expects " + std::to_string(want_bufs) + " buffers, got " + std::to_string(nb));
  if (np < min_params) fail("expects at least " + std::to_string(min_params) + " parameters, got " + std::to_string(np));
}

void Args::fail(const std::string& what) const {
  os::fail(FailureKind::invalid_argument, std::string(kernel) + ": " + what);
}

long long Args::integer(size_t i, long long lo, long long hi) const {
  if (i >= nparams) fail("parameter " + std::to_string(i) + " is missing");
  const double v = params[i];
  if (!(v >= static_cast<double>(lo) && v <= static_cast<double>(hi)) || v != static_cast<double>(static_cast<long long>(v))) {
    fail("parameter " + std::to_string(i) + " = " + std::to_string(v) + " is not an integer in [" + std::to_string(lo) +
         ", " + std::to_string(hi) + "]");
  }
  return static_cast<long long>(v);
}

}  // namespace os
