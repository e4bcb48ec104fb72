#include "buffer.h"

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <new>
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
// most of those faults while the budget bounds the memory kept from the system. When the budget is
// full the blocks freed longest ago go first.
class BlockCache {
 public:
  void* take(size_t size) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto it = blocks_.rbegin(); it != blocks_.rend(); ++it) {
      if (it->size != size) continue;
      void* p = it->data;
      blocks_.erase(std::next(it).base());
      cached_ -= size;
      return p;
    }
    return nullptr;
  }

  void put(void* p, size_t size) {
    std::vector<Block> drop;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (size > budget_) {
        drop.push_back({p, size});
      } else {
        blocks_.push_back({p, size});
        cached_ += size;
        trim(drop);
      }
    }
    for (const Block& b : drop) munmap(b.data, b.size);
  }

  void set_budget(size_t bytes) {
    std::vector<Block> drop;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      budget_ = bytes;
      trim(drop);
    }
    for (const Block& b : drop) munmap(b.data, b.size);
  }

  size_t cached() {
    std::lock_guard<std::mutex> lock(mutex_);
    return cached_;
  }

 private:
  struct Block {
    void* data;
    size_t size;
  };

  // Oldest first out until the budget holds (mutex held).
  void trim(std::vector<Block>& drop) {
    size_t n = 0;
    while (cached_ > budget_ && n < blocks_.size()) {
      drop.push_back(blocks_[n]);
      cached_ -= blocks_[n].size;
      n++;
    }
    blocks_.erase(blocks_.begin(), blocks_.begin() + static_cast<ptrdiff_t>(n));
  }

  std::mutex mutex_;
  std::vector<Block> blocks_;  // in the order they were freed
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
    cache().put(p, mapped);
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
