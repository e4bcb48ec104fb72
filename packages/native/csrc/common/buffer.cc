#include "buffer.h"

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "failure.h"

// Not under emscripten: its mmap is malloc underneath, and WebAssembly memory never shrinks, so the
// allocator's own reuse is all a wasm build wants.
#if (defined(__unix__) || defined(__APPLE__)) && !defined(__EMSCRIPTEN__)
#include <sys/mman.h>
#define OS_HAVE_MMAP 1
#endif

namespace os {
namespace {

#if OS_HAVE_MMAP
// Blocks from this size on are mapped directly (and so recycled through the block cache): glibc
// could not reuse a freed 64-byte-aligned block for the next such request, so each small tensor
// took fresh heap pages (measured: 17-24 us and about one page fault per alloc + free).
constexpr size_t kMmapThreshold = 4096;
constexpr size_t kPage = 4096;
// Blocks from this size on ask for transparent huge pages: a fresh block then costs far fewer faults.
constexpr size_t kHugeThreshold = 4 * 1024 * 1024;
#endif

std::atomic<size_t> g_in_use{0};
std::atomic<size_t> g_peak{0};
// The most bytes ever in use: the cache never holds more than this minus what is in use now.
std::atomic<size_t> g_high{0};
// Blocks a binding keeps for reuse itself (park_buffer): neither in use nor in the block cache, but
// under the cache's limits together with it.
std::atomic<size_t> g_parked{0};

void raise(std::atomic<size_t>& mark, size_t now) {
  size_t seen = mark.load();
  while (now > seen && !mark.compare_exchange_weak(seen, now)) {
  }
}

// Returns the bytes in use after the change.
size_t account(ptrdiff_t delta) {
  size_t now = g_in_use.fetch_add(static_cast<size_t>(delta)) + static_cast<size_t>(delta);
  raise(g_peak, now);
  raise(g_high, now);
  return now;
}

// Lean holds on (hold_cache_lean): the floor below is off while any is.
std::atomic<int> g_lean{0};

// Counts a hold taken (on) or given back: false, changing nothing, when none is left to give back.
bool count_hold(bool on) {
  if (on) {
    g_lean.fetch_add(1);
    return true;
  }
  int held = g_lean.load();
  while (held > 0 && !g_lean.compare_exchange_weak(held, held - 1)) {
  }
  return held > 0;
}

// What the cache may hold with `in_use` bytes live: live and cached bytes together stay within the
// high-water mark of live bytes, or 64 MiB when that is lower. A small model's blocks then all stay
// cached whatever it keeps live: runs through the executor allocate and free the same many blocks
// run after run (YOLOv8n with the prefetch or the session's default provider: within its peak
// alone, 7000 page faults a run and 1.1-1.3 times the time). A large model's cached blocks never add
// to its peak: with room for 1.5 times the high-water mark, or 32 MiB at least, a streamed SD 1.5
// generation (512x512, 3 steps) peaked at 262 MiB, the VAE decoder's tile holding 35 MiB of unused
// blocks at its largest operator; with this rule 229 MiB, for 30 % more page faults. Under a lean
// hold (a recorded run) the floor is off: with it, YOLOv8n's RAM provider run peaked 17 MiB higher
// (118-120 MiB), and the replays that follow need one arena, which fits below the peak.
size_t cache_room(size_t in_use) {
  constexpr size_t kSmallModel = 64 << 20;
  const size_t high = g_high.load();
  const size_t cap = high > kSmallModel || g_lean.load() > 0 ? high : kSmallModel;
  return cap > in_use ? cap - in_use : 0;
}

#if OS_HAVE_MMAP

// Freed mapped blocks kept for reuse, by size, up to a byte budget and the room below the
// high-water mark of live bytes. Touching a fresh mapping costs a page fault per page; a model
// allocates the same sizes run after run, so the cache removes most of those faults while the
// limits bound the memory kept from the system. Over a limit, the blocks freed longest ago go first.
class BlockCache {
 public:
  // The smallest cached block of at least `size` bytes and at most `largest` (its pages are
  // already resident, so using a larger one costs no memory while it lives), most recently freed
  // among equals. Sets `size` to the block's size.
  void* take(size_t& size, size_t largest) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto best = blocks_.rend();
    for (auto it = blocks_.rbegin(); it != blocks_.rend(); ++it) {
      if (it->size < size || it->size > largest) continue;
      if (best == blocks_.rend() || it->size < best->size) best = it;
      if (it->size == size) break;
    }
    if (best == blocks_.rend()) return nullptr;
    void* p = best->data;
    size = best->size;
    blocks_.erase(std::next(best).base());
    cached_ -= size;
    return p;
  }

  void put(void* p, size_t size, size_t room) {
    std::vector<Block> drop;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      const size_t parked = g_parked.load();
      if (size + parked > budget_ || size + parked > room) {
        drop.push_back({p, size});
      } else {
        blocks_.push_back({p, size});
        cached_ += size;
        trim(drop, room);
      }
    }
    for (const Block& b : drop) munmap(b.data, b.size);
  }

  // After a fresh mapping: shrink to the room left below the high-water mark.
  void fit(size_t room) {
    std::vector<Block> drop;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      trim(drop, room);
    }
    for (const Block& b : drop) munmap(b.data, b.size);
  }

  // Whether a block of `bytes` may be parked beside those parked already: within an eighth of the
  // limits (4 MiB at the floor: UltraFace then makes 3 new buffers a run instead of 71), so that
  // the blocks freed to the cache (weight buffers, large tensors) keep their room (YOLOv8n with the
  // prefetch provider: parking blocks of any size within half the limits doubled its page faults).
  bool fits(size_t bytes, size_t room) {
    std::lock_guard<std::mutex> lock(mutex_);
    return g_parked.load() + bytes <= (room < budget_ ? room : budget_) / 8;
  }

  void set_budget(size_t bytes) {
    std::vector<Block> drop;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      budget_ = bytes;
      trim(drop, budget_);
    }
    for (const Block& b : drop) munmap(b.data, b.size);
  }

  size_t cached() {
    std::lock_guard<std::mutex> lock(mutex_);
    return cached_;
  }

  // Most recently freed first out until at most `bytes` are cached.
  void trim_newest(size_t bytes) {
    std::vector<Block> drop;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      while (cached_ > bytes && !blocks_.empty()) {
        drop.push_back(blocks_.back());
        cached_ -= blocks_.back().size;
        blocks_.pop_back();
      }
    }
    for (const Block& b : drop) munmap(b.data, b.size);
  }

 private:
  struct Block {
    void* data;
    size_t size;
  };

  // Oldest first out until the budget and `room` hold, parked blocks counted (mutex held).
  void trim(std::vector<Block>& drop, size_t room) {
    const size_t parked = g_parked.load();
    const size_t cap = room < budget_ ? room : budget_;
    const size_t limit = cap > parked ? cap - parked : 0;
    size_t n = 0;
    while (cached_ > limit && n < blocks_.size()) {
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

// Sizes of the mapped blocks handed out (a reused block may be larger than its request).
class MappedSizes {
 public:
  void add(void* p, size_t size) {
    std::lock_guard<std::mutex> lock(mutex_);
    sizes_[p] = size;
  }
  size_t get(void* p) {
    std::lock_guard<std::mutex> lock(mutex_);
    return sizes_.at(p);
  }
  size_t remove(void* p) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = sizes_.find(p);
    size_t size = it->second;
    sizes_.erase(it);
    return size;
  }

 private:
  std::mutex mutex_;
  std::unordered_map<void*, size_t> sizes_;
};

MappedSizes& mapped_sizes() {
  static MappedSizes m;
  return m;
}

// Mapped sizes are rounded up to eight classes per power of two (at most 1/8 more), so that the
// many slightly different sizes of a model's tensors share cached blocks.
size_t mapped_size(size_t bytes) {
  size_t pow = kPage;
  while (pow * 2 < bytes) pow *= 2;
  const size_t step = pow / 8 > kPage ? pow / 8 : kPage;
  return (bytes + step - 1) / step * step;
}

#endif

}  // namespace

void* alloc_buffer(size_t bytes, bool lasting) {
  size_t size = bytes == 0 ? kAlignment : bytes;
#if OS_HAVE_MMAP
  if (size >= kMmapThreshold) {
    size_t mapped = lasting ? (size + kPage - 1) / kPage * kPage : mapped_size(size);
    void* p = cache().take(mapped, lasting ? mapped : 2 * mapped);
    if (!p) {
      p = mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED) fail_out_of_memory();
#if defined(MADV_HUGEPAGE)
      if (mapped >= kHugeThreshold) madvise(p, mapped, MADV_HUGEPAGE);
#endif
      cache().fit(cache_room(account(static_cast<ptrdiff_t>(mapped))));
    } else {
      account(static_cast<ptrdiff_t>(mapped));
    }
    mapped_sizes().add(p, mapped);
    return p;
  }
#endif
  (void)lasting;  // heap blocks are of their size already
  // aligned_alloc wants a multiple of the alignment. Kernels never read past `bytes` (tails use
  // masked or partial loads): mapped blocks end on a page boundary.
  void* p = std::aligned_alloc(kAlignment, (size + kAlignment - 1) / kAlignment * kAlignment);
  if (!p) fail_out_of_memory();
  account(static_cast<ptrdiff_t>(size));
  return p;
}

void free_buffer(void* p, size_t bytes) {
  if (!p) return;
  size_t size = bytes == 0 ? kAlignment : bytes;
#if OS_HAVE_MMAP
  if (size >= kMmapThreshold) {
    const size_t mapped = mapped_sizes().remove(p);
    cache().put(p, mapped, cache_room(account(-static_cast<ptrdiff_t>(mapped))));
    return;
  }
#endif
  account(-static_cast<ptrdiff_t>(size));
  std::free(p);
}

namespace {
// Bytes a block of `bytes` requested bytes at `p` holds.
size_t held_size(void* p, size_t bytes) {
  const size_t size = bytes == 0 ? kAlignment : bytes;
#if OS_HAVE_MMAP
  if (size >= kMmapThreshold) return mapped_sizes().get(p);
#endif
  return size;
}
}  // namespace

bool park_buffer(void* p, size_t bytes) {
#if OS_HAVE_MMAP
  const size_t size = held_size(p, bytes);
  const size_t in_use = g_in_use.load() - size;
  if (!cache().fits(size, cache_room(in_use))) return false;
  g_parked.fetch_add(size);
  // Cached blocks make room for the parked one, freed the later of the two.
  cache().fit(cache_room(account(-static_cast<ptrdiff_t>(size))));
  return true;
#else
  (void)p;
  (void)bytes;
  return false;
#endif
}

void unpark_buffer(void* p, size_t bytes) {
  const size_t size = held_size(p, bytes);
  g_parked.fetch_sub(size);
  account(static_cast<ptrdiff_t>(size));
}

size_t buffer_bytes_in_use() { return g_in_use.load(); }
size_t buffer_bytes_peak() { return g_peak.load(); }
void reset_buffer_peak() { g_peak.store(g_in_use.load()); }

#if OS_HAVE_MMAP
size_t buffer_bytes_cached() { return cache().cached() + g_parked.load(); }
size_t buffer_blocks_cached() { return cache().cached(); }
void trim_buffer_cache_to(size_t bytes) { cache().trim_newest(bytes); }
void set_buffer_cache(size_t bytes) { cache().set_budget(bytes); }
void release_buffer_cache() {
  g_high.store(g_in_use.load());
  cache().fit(0);
}
bool hold_cache_lean(bool on) {
  if (!count_hold(on)) return false;
  if (on) cache().fit(cache_room(g_in_use.load()));
  return true;
}
#else
size_t buffer_bytes_cached() { return 0; }
size_t buffer_blocks_cached() { return 0; }
void trim_buffer_cache_to(size_t) {}
void set_buffer_cache(size_t) {}
void release_buffer_cache() { g_high.store(g_in_use.load()); }
bool hold_cache_lean(bool on) { return count_hold(on); }
#endif

}  // namespace os
