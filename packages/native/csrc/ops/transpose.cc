// Data movement of float32 (any 4-byte element) tensors, or of float16 ones (any 2-byte element:
// fp16 arithmetic) when the optional trailing parameter is ElemType f16.
//
// transpose_f32: y = x transposed by perm.
//   buffers: x, y
//   params:  rank, dims[rank] (of x), perm[rank] (output axis i is input axis perm[i]), [elem type]
//
// concat_f32 / split_f32: k tensors joined along / cut from one axis of a tensor seen as
// (outer, sum of rows, ...): each outer step holds rows[i] consecutive values of part i.
//   buffers: concat: y, x0..x(k-1); split: x, y0..y(k-1)
//   params:  outer, k, rows[k], [elem type]
//
// slice_f32: y[i] = x[start + i * step] on every axis (steps may be negative).
//   buffers: x, y
//   params:  rank, dims[rank] (of x), starts[rank], steps[rank], out_dims[rank], [elem type]
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "../api/api.h"
#include "../dispatch/kernels.h"
#include "../kernels/gemm/gemm.h"
#include "../threads/pool.h"
#include "extent.h"

namespace os {
namespace {

// Copy tasks move at most this many values, so that one large copy still uses every thread.
constexpr size_t kPiece = 1 << 15;

// n elements from src to dst: a loop for short rows, where a memcpy call costs more than the copy.
template <class T>
inline void copy_elems(T* dst, const T* src, size_t n) {
  if (n > 16) {
    std::memcpy(dst, src, n * sizeof(T));
    return;
  }
  for (size_t j = 0; j < n; j++) dst[j] = src[j];
}

// rows x N elements from src (rows lds apart) to dst (ldd apart), N known here: the compiler makes
// each row a move or two.
template <class T, size_t N>
void copy_rows_of(T* __restrict dst, size_t ldd, const T* __restrict src, ptrdiff_t lds, size_t rows) {
  for (size_t r = 0; r < rows; r++) {
    T* d = dst + r * ldd;
    const T* s = src + static_cast<ptrdiff_t>(r) * lds;
#pragma GCC unroll 8
    for (size_t j = 0; j < N; j++) d[j] = s[j];
  }
}

// rows x n elements from src (rows lds apart) to dst (ldd apart). Rows of up to 8 values
// (UltraFace's outputs slice and concatenate 4420 rows of 2) take a loop of their exact length: one
// of run-time length cost about 3 ns a row, 5 times as much.
template <class T>
void copy_rows(T* dst, size_t ldd, const T* src, ptrdiff_t lds, size_t rows, size_t n) {
  switch (n) {
    case 1: return copy_rows_of<T, 1>(dst, ldd, src, lds, rows);
    case 2: return copy_rows_of<T, 2>(dst, ldd, src, lds, rows);
    case 3: return copy_rows_of<T, 3>(dst, ldd, src, lds, rows);
    case 4: return copy_rows_of<T, 4>(dst, ldd, src, lds, rows);
    case 5: return copy_rows_of<T, 5>(dst, ldd, src, lds, rows);
    case 6: return copy_rows_of<T, 6>(dst, ldd, src, lds, rows);
    case 7: return copy_rows_of<T, 7>(dst, ldd, src, lds, rows);
    case 8: return copy_rows_of<T, 8>(dst, ldd, src, lds, rows);
    default:
      for (size_t r = 0; r < rows; r++) copy_elems(dst + r * ldd, src + static_cast<ptrdiff_t>(r) * lds, n);
  }
}

// Whether the elements are float16 (2 bytes): the optional parameter at `at`, the last one; fails
// unless there are `at` parameters, or `at` + 1 with it.
bool half_elems(const Args& a, size_t at) {
  if (a.nparams != at && a.nparams != at + 1)
    a.fail("expects " + std::to_string(at) + " parameters and an optional element type");
  return a.nparams == at + 1 && a.integer(at, 0, static_cast<long long>(ElemType::f16)) == static_cast<long long>(ElemType::f16);
}

// dst[j * ldd + i] = src[i * lds + j]: the SIMD kernel for 4-byte elements; for 2-byte ones,
// cache-sized tiles moved as 8 x 8 blocks through a local array (whole rows in, whole rows out:
// 3 times the speed of a scalar tile loop on x86-64, about the float32 kernel's time per tensor).
void transpose2d(size_t rows, size_t cols, const float* src, size_t lds, float* dst, size_t ldd) {
  kernels().transpose2d(rows, cols, src, lds, dst, ldd);
}

void transpose2d(size_t rows, size_t cols, const uint16_t* src, size_t lds, uint16_t* dst, size_t ldd) {
  constexpr size_t kT = 64, kB = 8;
  for (size_t i0 = 0; i0 < rows; i0 += kT) {
    for (size_t j0 = 0; j0 < cols; j0 += kT) {
      const size_t i1 = std::min(rows, i0 + kT), j1 = std::min(cols, j0 + kT);
      size_t i = i0;
      for (; i + kB <= i1; i += kB) {
        size_t j = j0;
        for (; j + kB <= j1; j += kB) {
          uint16_t block[kB][kB];
          for (size_t r = 0; r < kB; r++) std::memcpy(block[r], src + (i + r) * lds + j, sizeof block[r]);
          for (size_t c = 0; c < kB; c++) {
            uint16_t column[kB];
            for (size_t r = 0; r < kB; r++) column[r] = block[r][c];
            std::memcpy(dst + (j + c) * ldd + i, column, sizeof column);
          }
        }
        for (; j < j1; j++) {
          for (size_t r = 0; r < kB; r++) dst[j * ldd + i + r] = src[(i + r) * lds + j];
        }
      }
      for (; i < i1; i++) {
        for (size_t j = j0; j < j1; j++) dst[j * ldd + i] = src[i * lds + j];
      }
    }
  }
}

// Shared by concat (parts -> whole) and split (cut: whole -> parts).
template <class T>
void join_or_cut(const Args& a, size_t k, bool cut) {
  const auto outer = static_cast<size_t>(a.integer(0, 0, 1LL << 40));
  std::vector<size_t> rows(k), offset(k);
  size_t whole = 0, widest = 0;
  for (size_t i = 0; i < k; i++) {
    rows[i] = static_cast<size_t>(a.integer(2 + i, 0, 1LL << 40));
    offset[i] = whole;
    whole += rows[i];
    widest = std::max(widest, rows[i]);
  }
  const size_t total = checked_product(a, {outer, whole});
  if (total == 0) return;
  T* big = a.buffer<T>(0, total);
  std::vector<T*> part(k);
  for (size_t i = 0; i < k; i++) part[i] = a.buffer<T>(1 + i, outer * rows[i]);
  if (widest <= kPiece) {
    // Task item = one outer step, every part; within a task, part by part over blocks of outer steps
    // that stay in L1 (UltraFace concatenates 4420 rows of 2 values per part).
    constexpr size_t kBlockValues = 4096;
    const size_t block = std::max<size_t>(1, kBlockValues / std::max<size_t>(1, whole));
    parallel_for(outer, std::max<size_t>(1, kPiece / std::max<size_t>(1, whole)), [&](size_t begin, size_t end) {
      for (size_t o = begin; o < end; o += block) {
        const size_t steps = std::min(block, end - o);
        for (size_t i = 0; i < k; i++) {
          T* p = part[i] + o * rows[i];
          T* w = big + o * whole + offset[i];
          if (cut) copy_rows(p, rows[i], w, static_cast<ptrdiff_t>(whole), steps, rows[i]);
          else copy_rows(w, whole, p, static_cast<ptrdiff_t>(rows[i]), steps, rows[i]);
        }
      }
    });
    return;
  }
  // Task = (outer step, part, piece of the part's row).
  const size_t pieces = (widest + kPiece - 1) / kPiece;
  parallel_for(outer * k * pieces, std::max<size_t>(1, kPiece / std::max<size_t>(1, widest)), [&](size_t begin, size_t end) {
    for (size_t t = begin; t < end; t++) {
      const size_t o = t / (k * pieces), i = t / pieces % k, j0 = t % pieces * kPiece;
      if (j0 >= rows[i]) continue;
      const size_t count = std::min(kPiece, rows[i] - j0);
      T* p = part[i] + o * rows[i] + j0;
      T* w = big + o * whole + offset[i] + j0;
      if (cut) std::memcpy(p, w, count * sizeof(T));
      else std::memcpy(w, p, count * sizeof(T));
    }
  });
}

template <class T>
void transpose(const Args& a, size_t rank) {
  std::vector<size_t> dims(rank), perm(rank);
  std::vector<bool> seen(rank);
  size_t total = 1;
  for (size_t i = 0; i < rank; i++) {
    dims[i] = static_cast<size_t>(a.integer(1 + i, 0, 1LL << 40));
    total = checked_product(a, {total, dims[i]});
  }
  for (size_t i = 0; i < rank; i++) {
    perm[i] = static_cast<size_t>(a.integer(1 + rank + i, 0, static_cast<long long>(rank) - 1));
    if (seen[perm[i]]) a.fail("perm is not a permutation");
    seen[perm[i]] = true;
  }
  if (total == 0) return;
  const T* x = a.buffer<T>(0, total);
  T* y = a.buffer<T>(1, total);

  // Canonical form: drop unit axes, then merge input axes that stay adjacent and in order in the
  // output. What is left has no two axes that could be copied as one.
  std::vector<size_t> keep;
  for (size_t i = 0; i < rank; i++) {
    if (dims[perm[i]] != 1) keep.push_back(perm[i]);
  }
  std::vector<size_t> order = keep;  // input axes in output order
  std::sort(keep.begin(), keep.end());
  std::vector<size_t> d;  // merged input dims
  std::vector<size_t> group(rank);
  for (size_t i = 0; i < keep.size(); i++) {
    const size_t ax = keep[i];
    const bool merge = i > 0 && [&] {
      const auto p = std::find(order.begin(), order.end(), keep[i - 1]);
      return p + 1 != order.end() && *(p + 1) == ax;
    }();
    if (merge) d.back() *= dims[ax];
    else d.push_back(dims[ax]);
    group[ax] = d.size() - 1;
  }
  std::vector<size_t> p;  // output axis -> merged input axis
  for (size_t ax : order) {
    if (p.empty() || p.back() != group[ax]) p.push_back(group[ax]);
  }
  const size_t r = d.size();
  if (r <= 1) {
    std::memcpy(y, x, total * sizeof(T));
    return;
  }
  std::vector<size_t> in_stride(r), out_stride(r);
  in_stride[r - 1] = 1;
  for (size_t i = r - 1; i-- > 0;) in_stride[i] = in_stride[i + 1] * d[i + 1];
  size_t s = 1;
  for (size_t i = r; i-- > 0;) {
    out_stride[p[i]] = s;  // indexed by input axis
    s *= d[p[i]];
  }
  const size_t last = r - 1;        // input's contiguous axis
  const size_t a_ax = p[r - 1];     // input axis that becomes the output's contiguous axis
  // The other axes are a batch walked with a mixed-radix counter.
  std::vector<size_t> batch_axes;
  for (size_t i = 0; i < r; i++) {
    if (i != last && i != a_ax) batch_axes.push_back(i);
  }
  const size_t rows = d[a_ax], cols = d[last];
  const size_t batch = total / (a_ax == last ? cols : rows * cols);
  const auto base = [&](size_t b, size_t* in_off, size_t* out_off) {
    *in_off = *out_off = 0;
    for (size_t i = batch_axes.size(); i-- > 0;) {
      const size_t ax = batch_axes[i];
      const size_t idx = b % d[ax];
      b /= d[ax];
      *in_off += idx * in_stride[ax];
      *out_off += idx * out_stride[ax];
    }
  };
  if (a_ax == last) {
    // The contiguous axis stays last: the transpose is a permutation of whole rows.
    parallel_for(batch, std::max<size_t>(1, 16384 / cols), [&](size_t begin, size_t end) {
      for (size_t b = begin; b < end; b++) {
        size_t in_off, out_off;
        base(b, &in_off, &out_off);
        std::memcpy(y + out_off, x + in_off, cols * sizeof(T));
      }
    });
    return;
  }
  // Pieces of the 2-D transposes are independent tasks: the longer side is cut into multiples
  // of the kernel's 128-long blocks, about 64K values per task.
  constexpr size_t kTile = 128, kTask = 1 << 16;
  size_t strip = cols, chunk = rows;
  if (rows * cols > kTask) {
    if (cols >= rows) strip = std::min(cols, std::max(kTile, (kTask / rows + kTile - 1) / kTile * kTile));
    else chunk = std::min(rows, std::max(kTile, (kTask / cols + kTile - 1) / kTile * kTile));
  }
  const size_t strips = (cols + strip - 1) / strip, chunks = (rows + chunk - 1) / chunk;
  parallel_for(batch * chunks * strips, 1, [&](size_t begin, size_t end) {
    for (size_t t = begin; t < end; t++) {
      size_t in_off, out_off;
      base(t / (chunks * strips), &in_off, &out_off);
      const size_t i0 = t / strips % chunks * chunk, j0 = t % strips * strip;
      transpose2d(std::min(chunk, rows - i0), std::min(strip, cols - j0),
                    x + in_off + i0 * in_stride[a_ax] + j0, in_stride[a_ax],
                    y + out_off + j0 * out_stride[last] + i0, out_stride[last]);
    }
  });
}

template <class T>
void slice(const Args& a, size_t rank) {
  std::vector<size_t> dims(rank), out(rank), in_stride(rank);
  std::vector<long long> step(rank);
  size_t in_total = 1, out_total = 1;
  long long base = 0;
  for (size_t i = 0; i < rank; i++) {
    dims[i] = static_cast<size_t>(a.integer(1 + i, 0, 1LL << 40));
    out[i] = static_cast<size_t>(a.integer(1 + 3 * rank + i, 0, 1LL << 40));
    in_total = checked_product(a, {in_total, dims[i]});
    out_total = checked_product(a, {out_total, out[i]});
  }
  if (out_total == 0) return;
  for (size_t i = rank; i-- > 0;) in_stride[i] = i + 1 < rank ? in_stride[i + 1] * dims[i + 1] : 1;
  for (size_t i = 0; i < rank; i++) {
    const long long start = a.integer(1 + rank + i, 0, 1LL << 40);
    step[i] = a.integer(1 + 2 * rank + i, -(1LL << 40), 1LL << 40);
    // Both ends of the walk along this axis must be inside it.
    const long long end = start + static_cast<long long>(out[i] - 1) * step[i];
    const auto dim = static_cast<long long>(dims[i]);
    if (start >= dim || end < 0 || end >= dim) a.fail("slice of axis " + std::to_string(i) + " leaves the input");
    base += start * static_cast<long long>(in_stride[i]);
  }
  const T* x = a.buffer<T>(0, in_total);
  T* y = a.buffer<T>(1, out_total);
  const size_t inner = out[rank - 1];
  const long long inner_step = step[rank - 1];
  const size_t nrows = out_total / inner;
  // Output rows come in runs along the next-to-last axis, a fixed input stride apart.
  const size_t run = rank >= 2 ? out[rank - 2] : 1;
  const long long run_step = rank >= 2 ? step[rank - 2] * static_cast<long long>(in_stride[rank - 2]) : 0;
  parallel_for(nrows, std::max<size_t>(1, 16384 / inner), [&](size_t begin, size_t end) {
    // The outer indices of row `begin` (divisions once per task), then counted up run by run.
    std::vector<size_t> idx(rank, 0);
    long long off = base;
    size_t rem = begin;
    for (size_t i = rank - 1; i-- > 0;) {
      idx[i] = rem % out[i];
      rem /= out[i];
      off += static_cast<long long>(idx[i]) * step[i] * static_cast<long long>(in_stride[i]);
    }
    for (size_t row = begin; row < end;) {
      const size_t at = rank >= 2 ? idx[rank - 2] : 0;
      const size_t count = std::min(end - row, run - at);
      T* yr = y + row * inner;
      const T* xr = x + off;
      if (inner_step == 1) {
        copy_rows(yr, inner, xr, run_step, count, inner);
      } else {
        for (size_t r = 0; r < count; r++) {
          for (size_t j = 0; j < inner; j++) {
            yr[r * inner + j] = xr[static_cast<long long>(r) * run_step + static_cast<long long>(j) * inner_step];
          }
        }
      }
      row += count;
      if (rank < 2 || at + count < run) {
        if (rank >= 2) {
          idx[rank - 2] += count;
          off += static_cast<long long>(count) * run_step;
        }
        continue;
      }
      // The run is done: back to its start, and the axes before it count up.
      off -= static_cast<long long>(at) * run_step;
      idx[rank - 2] = 0;
      for (size_t i = rank - 2; i-- > 0;) {
        off += step[i] * static_cast<long long>(in_stride[i]);
        if (++idx[i] < out[i]) break;
        off -= static_cast<long long>(out[i]) * step[i] * static_cast<long long>(in_stride[i]);
        idx[i] = 0;
      }
    }
  });
}

// Concat or split: checks the buffer and parameter counts, then moves elements of the given size.
void join_or_cut(const char* name, const Buf* bufs, size_t nbufs, const double* params, size_t nparams, bool cut) {
  const Args a(name, bufs, nbufs, params, nparams, nbufs, 2);
  const auto k = static_cast<size_t>(a.integer(1, 1, 1 << 16));
  if (nbufs != k + 1) a.fail("expects " + std::to_string(k + 1) + " buffers, got " + std::to_string(nbufs));
  if (half_elems(a, 2 + k)) join_or_cut<uint16_t>(a, k, cut);
  else join_or_cut<float>(a, k, cut);
}

}  // namespace

void run_transpose_f32(const Buf* bufs, size_t nbufs, const double* params, size_t nparams) {
  const Args a("transpose_f32", bufs, nbufs, params, nparams, 2, 1);
  const auto rank = static_cast<size_t>(a.integer(0, 0, 16));
  if (half_elems(a, 1 + 2 * rank)) transpose<uint16_t>(a, rank);
  else transpose<float>(a, rank);
}

void run_concat_f32(const Buf* bufs, size_t nbufs, const double* params, size_t nparams) {
  join_or_cut("concat_f32", bufs, nbufs, params, nparams, false);
}

void run_split_f32(const Buf* bufs, size_t nbufs, const double* params, size_t nparams) {
  join_or_cut("split_f32", bufs, nbufs, params, nparams, true);
}

void run_slice_f32(const Buf* bufs, size_t nbufs, const double* params, size_t nparams) {
  const Args a("slice_f32", bufs, nbufs, params, nparams, 2, 1);
  const auto rank = static_cast<size_t>(a.integer(0, 1, 16));
  if (half_elems(a, 1 + 4 * rank)) slice<uint16_t>(a, rank);
  else slice<float>(a, rank);
}

}  // namespace os
