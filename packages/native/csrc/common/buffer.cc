#include "buffer.h"

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

#if defined(__unix__) || defined(__APPLE__)
#include <sys/mman.h>
#define OS_HAVE_MMAP 1
#endif

namespace os {
namespace {

// Blocks from this size on are mapped directly.
constexpr size_t kMmapThreshold = 256 * 1024;
constexpr size_t kPage = 4096;
// Blocks from this size on ask for transparent huge pages: a fresh block then costs far fewer faults.
constexpr size_t kHugeThreshold = 4 * 1024 * 1024;

std::atomic<size_t> g_in_use{0};
std::atomic<size_t> g_peak{0};

void account(ptrdiff_t delta) {
  size_t now = g_in_use.fetch_add(static_cast<size_t>(delta)) + static_cast<size_t>(delta);
  size_t peak = g_peak.load();
  while (now > peak && !g_peak.compare_exchange_weak(peak, now)) {
  }
}

#if OS_HAVE_MMAP

// Freed mapped blocks kept for reuse, by size, up to a byte budget. Touching a fresh mapping costs
// a page fault per page; a model allocates the same sizes run after run, so a small cache removes
// most of those faults while the budget bounds the memory kept from the system.
class BlockCache {
 public:
  void* take(size_t size) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = blocks_.find(size);
    if (it == blocks_.end() || it->second.empty()) return nullptr;
    void* p = it->second.back();
    it->second.pop_back();
    cached_ -= size;
    return p;
  }

  // Keeps the block if it fits the budget; returns false when the caller must unmap it.
  bool put(void* p, size_t size) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (cached_ + size > budget_) return false;
    blocks_[size].push_back(p);
    cached_ += size;
    return true;
  }

  void set_budget(size_t bytes) {
    std::vector<std::pair<void*, size_t>> drop;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      budget_ = bytes;
      for (auto& [size, list] : blocks_) {
        while (cached_ > budget_ && !list.empty()) {
          drop.emplace_back(list.back(), size);
          list.pop_back();
          cached_ -= size;
        }
      }
    }
    for (auto& [p, size] : drop) munmap(p, size);
  }

  size_t cached() {
    std::lock_guard<std::mutex> lock(mutex_);
    return cached_;
  }

 private:
  std::mutex mutex_;
  std::unordered_map<size_t, std::vector<void*>> blocks_;
  size_t cached_ = 0;
  size_t budget_ = initial_budget();

  static size_t initial_budget() {
    const char* env = std::getenv("ONNXSTREAM_BUFFER_CACHE_MB");
    return (env && *env ? static_cast<size_t>(std::strtoull(env, nullptr, 10)) : 64) * 1024 * 1024;
  }
};

BlockCache& cache() {
  static BlockCache c;
  return c;
}

size_t mapped_size(size_t bytes) { return (bytes + kPage - 1) / kPage * kPage; }

#endif

}  // namespace

void* alloc_buffer(size_t bytes) {
  size_t size = bytes == 0 ? kAlignment : bytes;
#if OS_HAVE_MMAP
  if (size >= kMmapThreshold) {
    const size_t mapped = mapped_size(size);
    void* p = cache().take(mapped);
    if (!p) {
      p = mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED) throw std::bad_alloc();
#if defined(MADV_HUGEPAGE)
      if (mapped >= kHugeThreshold) madvise(p, mapped, MADV_HUGEPAGE);
#endif
    }
    account(static_cast<ptrdiff_t>(mapped));
    return p;
  }
#endif
  // aligned_alloc wants a multiple of the alignment. Kernels never read past `bytes` (tails use
  // masked or partial loads): mapped blocks end on a page boundary.
  void* p = std::aligned_alloc(kAlignment, (size + kAlignment - 1) / kAlignment * kAlignment);
  if (!p) throw std::bad_alloc();
  account(static_cast<ptrdiff_t>(size));
  return p;
}

void free_buffer(void* p, size_t bytes) {
  if (!p) return;
  size_t size = bytes == 0 ? kAlignment : bytes;
#if OS_HAVE_MMAP
  if (size >= kMmapThreshold) {
    const size_t mapped = mapped_size(size);
    account(-static_cast<ptrdiff_t>(mapped));
    if (!cache().put(p, mapped)) munmap(p, mapped);
    return;
  }
#endif
  account(-static_cast<ptrdiff_t>(size));
  std::free(p);
}

size_t buffer_bytes_in_use() { return g_in_use.load(); }
size_t buffer_bytes_peak() { return g_peak.load(); }
void reset_buffer_peak() { g_peak.store(g_in_use.load()); }

#if OS_HAVE_MMAP
size_t buffer_bytes_cached() { return cache().cached(); }
void set_buffer_cache(size_t bytes) { cache().set_budget(bytes); }
#else
size_t buffer_bytes_cached() { return 0; }
void set_buffer_cache(size_t) {}
#endif

}  // namespace os
