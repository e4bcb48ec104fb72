#include "buffer.h"

#include <atomic>
#include <cstdlib>
#include <new>

#if defined(__unix__) || defined(__APPLE__)
#include <sys/mman.h>
#define OS_HAVE_MMAP 1
#endif

namespace os {
namespace {

// Blocks from this size on are mapped directly.
constexpr size_t kMmapThreshold = 256 * 1024;

std::atomic<size_t> g_in_use{0};
std::atomic<size_t> g_peak{0};

void account(ptrdiff_t delta) {
  size_t now = g_in_use.fetch_add(static_cast<size_t>(delta)) + static_cast<size_t>(delta);
  size_t peak = g_peak.load();
  while (now > peak && !g_peak.compare_exchange_weak(peak, now)) {
  }
}

}  // namespace

void* alloc_buffer(size_t bytes) {
  size_t size = bytes == 0 ? kAlignment : bytes;
  void* p = nullptr;
#if OS_HAVE_MMAP
  if (size >= kMmapThreshold) {
    p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    account(static_cast<ptrdiff_t>(size));
    return p;
  }
#endif
  // Rounded up so that kernels may read (never write) a vector past the end.
  p = std::aligned_alloc(kAlignment, (size + kAlignment - 1) / kAlignment * kAlignment);
  if (!p) throw std::bad_alloc();
  account(static_cast<ptrdiff_t>(size));
  return p;
}

void free_buffer(void* p, size_t bytes) {
  if (!p) return;
  size_t size = bytes == 0 ? kAlignment : bytes;
  account(-static_cast<ptrdiff_t>(size));
#if OS_HAVE_MMAP
  if (size >= kMmapThreshold) {
    munmap(p, size);
    return;
  }
#endif
  std::free(p);
}

size_t buffer_bytes_in_use() { return g_in_use.load(); }
size_t buffer_bytes_peak() { return g_peak.load(); }
void reset_buffer_peak() { g_peak.store(g_in_use.load()); }

}  // namespace os
