// Aligned buffers for tensors. Blocks of a page or more come straight from mmap so that freeing them
// gives the memory back to the system (glibc's malloc would keep it in its heap), except for a small
// cache of freed blocks (ONNXSTREAM_BUFFER_CACHE_MB, default 64) reused by later allocations of the
// same size: a fresh mapping costs a page fault per page touched.
#pragma once
#include <cstddef>

namespace os {

// Alignment of every buffer: a cache line, enough for any SIMD load.
constexpr size_t kAlignment = 64;

// `lasting`: the block is to be kept long (a weight a provider keeps), so it gets exactly its pages:
// neither the size classes' rounding nor a larger cached block (YOLOv8n's packed weights, RAM
// provider: 12.1 MiB asked for, 15.8 MiB held that way).
void* alloc_buffer(size_t bytes, bool lasting = false);
void free_buffer(void* p, size_t bytes);

// A block a binding keeps to hand out again itself (a JavaScript ArrayBuffer over it costs more to
// make than the block, which matters for small ones): counted as cached rather than in use, within
// an eighth of the block cache's limits (the rest stays for freed blocks). Returns false, changing
// nothing, when there is no room for it: free it, or other parked blocks first. A parked block is
// unparked before it is used or freed again. Always false without mmap (wasm: no block cache).
bool park_buffer(void* p, size_t bytes);
void unpark_buffer(void* p, size_t bytes);

// Bytes currently held by alloc_buffer, and the peak since the last reset (for tests and stats).
size_t buffer_bytes_in_use();
size_t buffer_bytes_peak();
void reset_buffer_peak();

// Bytes of freed (and parked) blocks kept for reuse, and the budget for them (shrinking it unmaps the excess).
size_t buffer_bytes_cached();
void set_buffer_cache(size_t bytes);
// Bytes of freed blocks in the block cache (parked ones apart), and unmapping the most recently freed
// of them until at most `bytes` are left: a recorded run gives back what it left cached (its
// replays use one arena instead), while blocks cached before it stay.
size_t buffer_blocks_cached();
void trim_buffer_cache_to(size_t bytes);
// While at least one lean hold is on, the cache keeps live and cached bytes within the high-water
// mark of live bytes, without the small-model floor (cache_room): a run whose freed blocks no later
// run takes (a recorded run: its replays use one arena) then adds nothing to the peak. Turning a
// hold on unmaps the cached blocks beyond that at once. False (changing nothing) when giving back a
// hold that nobody took.
bool hold_cache_lean(bool on);
// Between models: unmaps every cached block, and the high-water mark of live bytes that sizes the
// cache starts again from the bytes in use (the next model's sizes and peak differ).
void release_buffer_cache();

}  // namespace os
