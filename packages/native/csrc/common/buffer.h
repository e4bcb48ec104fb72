// Aligned buffers for tensors. Large blocks come straight from mmap so that freeing them gives the
// memory back to the system at once (glibc's malloc would keep it in its heap).
#pragma once
#include <cstddef>

namespace os {

// Alignment of every buffer: a cache line, enough for any SIMD load.
constexpr size_t kAlignment = 64;

void* alloc_buffer(size_t bytes);
void free_buffer(void* p, size_t bytes);

// Bytes currently held by alloc_buffer, and the peak since the last reset (for tests and stats).
size_t buffer_bytes_in_use();
size_t buffer_bytes_peak();
void reset_buffer_peak();

}  // namespace os
