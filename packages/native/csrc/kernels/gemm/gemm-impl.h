// GEMM micro-kernels and packing, once, over a SIMD vocabulary S (instantiated per ISA by
// dispatch/make-table.h). The register tile is MR x (NV vectors of S::N), sized per ISA by
// GemmTileShape so that MR * NV accumulators plus NV B vectors and one A broadcast fit the
// register file; A elements are broadcast from the packed panel, one per row and k.
#pragma once
#include <array>
#include <cstring>
#include <utility>

#if defined(__F16C__) || defined(__AVX2__)
#include <immintrin.h>
#endif
#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#endif

#include "../../common/simd/math.h"
#include "../vunary/vunary.h"
#include "gemm.h"

namespace os::simd {
struct Avx2;
struct Avx512;
struct WasmSimd;
}  // namespace os::simd

namespace os::impl {

// Register tile per vocabulary: scalar 4 x 4, NEON 8 x 12 (32 registers), AVX2 6 x 16 (16
// registers), AVX-512 8 x 32 (16 accumulators: enough to cover FMA latency on two pipes, and 8 rows
// divide the channel counts of typical convolutions; measured ahead of 12 x 32, 8 x 48 and 6 x 64
// on YOLOv8n's layers), wasm 4 x 8 (V8 allocates 15 of x86's 16 vector registers, keeping one as
// scratch; 6 x 8 needs all 15 for its accumulators, B vectors and A broadcast, and ran YOLOv8n's
// convolutions 1.3 times slower; 2 x 16 is as fast as 4 x 8).
template <class S>
struct GemmTileShape {
  static constexpr size_t nv = S::N == 1 ? 4 : S::N == 4 ? 3 : 2;
  static constexpr size_t mr = S::N == 1 ? 4 : S::N == 4 ? 8 : S::N == 8 ? 6 : 8;
};
template <>
struct GemmTileShape<simd::WasmSimd> {
  static constexpr size_t nv = 2;
  static constexpr size_t mr = 4;
};

// Activations a fused epilogue applies (UnaryOp values); the switch sits outside the tile loops.
template <class S>
struct ActNone {
  typename S::V operator()(typename S::V v) const { return v; }
};
template <class S>
struct ActRelu {
  typename S::V operator()(typename S::V v) const { return S::max(v, S::zero()); }
};
template <class S>
struct ActSigmoid {
  typename S::V operator()(typename S::V v) const { return simd::sigmoid<S>(v); }
};

// n / d by division, or where the ISA has a reciprocal estimate, n times the estimate refined by one
// Newton step (relative error near 2^-23, a fraction of a divide's cost in the epilogue).
template <class S>
struct Quotient {
  static typename S::V of(typename S::V n, typename S::V d) { return S::div(n, d); }
};
#if defined(__AVX512F__)
template <>
struct Quotient<simd::Avx512> {
  static __m512 of(__m512 n, __m512 d) {
    const __m512 r = _mm512_rcp14_ps(d);
    return _mm512_mul_ps(n, _mm512_mul_ps(r, _mm512_fnmadd_ps(d, r, _mm512_set1_ps(2.0f))));
  }
};
#endif
#if defined(__AVX2__) && defined(__FMA__)
template <>
struct Quotient<simd::Avx2> {
  static __m256 of(__m256 n, __m256 d) {
    const __m256 r = _mm256_rcp_ps(d);
    return _mm256_mul_ps(n, _mm256_mul_ps(r, _mm256_fnmadd_ps(d, r, _mm256_set1_ps(2.0f))));
  }
};
#endif

// x / (1 + exp(-x)): cheaper than x * sigmoid(x). x is kept within [-80, 87.3] for exp so that
// exp_neg_bounded needs no special cases and 1 + exp stays finite with a normal reciprocal (x < -80
// then gives x * 1.8e-35 instead of less: harmless). Without FMA (SIMD128) each fma is a multiply
// and an add: about 21 instructions a vector. min and max keep a NaN first operand: NaN propagates.
template <class S>
struct ActSilu {
  typename S::V operator()(typename S::V v) const {
    const typename S::V hi = simd::constant<S, simd::bits(87.3365478515625f)>();
    const typename S::V lo = simd::constant<S, simd::bits(-80.0f)>();
    const typename S::V x = S::max(S::min(v, hi), lo);
    return Quotient<S>::of(v, S::add(simd::constant<S, simd::bits(1.0f)>(), simd::exp_neg_bounded<S>(x)));
  }
};

template <class S>
struct ActTanh {
  typename S::V operator()(typename S::V v) const { return simd::tanh<S>(v); }
};

// Calls f(act) with the functor for `activation` (-1: none).
template <class S, class F>
inline void with_activation(int activation, F&& f) {
  switch (activation) {
    case static_cast<int>(UnaryOp::relu): return f(ActRelu<S>{});
    case static_cast<int>(UnaryOp::sigmoid): return f(ActSigmoid<S>{});
    case static_cast<int>(UnaryOp::silu): return f(ActSilu<S>{});
    case static_cast<int>(UnaryOp::tanh): return f(ActTanh<S>{});
    default: return f(ActNone<S>{});
  }
}

// Lanes of vector j of a row that are inside the nr valid columns.
template <class S>
inline size_t lanes(size_t nr, size_t j) {
  const size_t first = j * S::N;
  return nr <= first ? 0 : nr - first >= static_cast<size_t>(S::N) ? S::N : nr - first;
}

// Rows of a tile: acc plus C (when accumulating), through finish (bias and activation), stored to nr
// columns; Whole: nr is the full width and C is overwritten, no per-vector lane counts.
template <bool Whole, class S, size_t R, size_t NV, class F>
[[gnu::always_inline]] inline void store_rows(typename S::V (&acc)[R][NV], size_t nr, float* c, size_t ldc,
                                              bool accumulate, const float* row_bias, F finish) {
  using V = typename S::V;
  constexpr size_t N = S::N;
#pragma GCC unroll 16
  for (size_t i = 0; i < R; i++) {
    float* ci = c + i * ldc;
    const V rowb = row_bias ? S::set1(row_bias[i]) : S::zero();
#pragma GCC unroll 8
    for (size_t j = 0; j < NV; j++) {
      V v = acc[i][j];
      const size_t w = Whole ? N : lanes<S>(nr, j);
      if (w == 0) continue;
      if (!Whole && accumulate) v = S::add(v, w == N ? S::load(ci + j * N) : S::load_tail(ci + j * N, w));
      v = finish(v, rowb, j);
      if (w == N) {
        S::store(ci + j * N, v);
      } else {
        S::store_tail(ci + j * N, v, w);
      }
    }
  }
}

// Adds C (when accumulating) and the epilogue to the R x NV accumulators, and stores nr columns.
// Inlined into the full tiles' kernels: a call takes the accumulators through memory, a store and a
// load of each per tile (with K = 16, UltraFace's 16 -> 32 pointwise convolutions, 14 % of the time).
template <class S, size_t R, size_t NV, class Act>
[[gnu::always_inline]] inline void store_tile(typename S::V (&acc)[R][NV], size_t nr, float* c, size_t ldc,
                                              bool accumulate, const GemmEpilogue* ep, Act act) {
  using V = typename S::V;
  constexpr size_t N = S::N;
  // The epilogue's fields in registers: vector stores may alias anything (the intrinsics' types are
  // may_alias), so each store to C had the compiler read them again.
  const bool epilogue = ep != nullptr;
  const float* row_bias = epilogue ? ep->row_bias : nullptr;
  const float* col_bias = epilogue ? ep->col_bias : nullptr;
  V colb[NV];
#pragma GCC unroll 8
  for (size_t j = 0; j < NV; j++) {
    const size_t w = col_bias ? lanes<S>(nr, j) : 0;
    colb[j] = w == N ? S::load(col_bias + j * N) : w ? S::load_tail(col_bias + j * N, w) : S::zero();
  }
  const auto finish = [&](V v, V rowb, size_t j) {
    if (!epilogue) return v;
    v = S::add(v, rowb);
    if (col_bias) v = S::add(v, colb[j]);
    return act(v);
  };
  // Whole tiles of the full-size kernel that overwrite C are the common case (the partial kernels,
  // many more, keep to the general path: the addon would grow a tenth).
  if constexpr (R == GemmTileShape<S>::mr && NV == GemmTileShape<S>::nv) {
    if (nr == NV * N && !accumulate) return store_rows<true, S>(acc, nr, c, ldc, accumulate, row_bias, finish);
  }
  store_rows<false, S>(acc, nr, c, ldc, accumulate, row_bias, finish);
}

// The same out of line, for the partial tiles (kernels of every height and width times every
// activation: inlined everywhere, they made the addon a quarter larger).
template <class S, size_t R, size_t NV, class Act>
[[gnu::noinline]] void store_partial_tile(typename S::V (&acc)[R][NV], size_t nr, float* c, size_t ldc,
                                          bool accumulate, const GemmEpilogue* ep, Act act) {
  store_tile<S, R, NV>(acc, nr, c, ldc, accumulate, ep, act);
}

// Lanes a masked B load keeps (the others read as zero), from bits (lane l: bit l): in general a
// vector of ones and zeros applied with a select; AVX-512 has mask registers. The whole vector is
// loaded (it is readable): GCC takes a masked load for an access to any memory, and then kept the
// accumulators in memory around every one.
template <class S>
struct LaneMask {
  using M = typename S::V;
  static M from_bits(uint32_t bits) {
    float lanes[S::N];
    for (int l = 0; l < S::N; l++) lanes[l] = (bits >> l) & 1u ? 1.0f : 0.0f;
    return S::load(lanes);
  }
  static typename S::V load(const float* p, M m) { return S::select_less(S::zero(), m, S::load(p), S::zero()); }
};
#if defined(__AVX2__)
// AVX2 has 16 vector registers, which the 6 x 16 tile's accumulators, B vectors and A broadcast
// take to the last: a compare-and-blend needed one more and GCC kept an accumulator on the stack,
// a store-to-load chain every k (3x3 "same" convolutions' edge panels twice as slow as the inner
// ones). An AND with an all-ones-or-zeros mask takes the mask from memory instead.
template <>
struct LaneMask<simd::Avx2> {
  using M = __m256;
  static M from_bits(uint32_t bits) {
    const __m256i lane = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
    const __m256i set = _mm256_and_si256(_mm256_set1_epi32(static_cast<int>(bits & 0xffu)), lane);
    return _mm256_castsi256_ps(_mm256_cmpeq_epi32(set, lane));
  }
  static __m256 load(const float* p, M m) { return _mm256_and_ps(_mm256_loadu_ps(p), m); }
};
#endif
#if defined(__AVX512F__)
template <>
struct LaneMask<simd::Avx512> {
  using M = __mmask16;
  static M from_bits(uint32_t bits) { return static_cast<__mmask16>(bits); }
  static __m512 load(const float* p, M m) { return _mm512_maskz_mov_ps(m, _mm512_loadu_ps(p)); }
};
#endif

// Where the kernel reads B, row after row (next() loads the first V vectors of the next row): a
// packed panel, row pointers into the image (implicit im2col), whose NR columns are all readable,
// or such rows with columns masked to zero (padding that is not stored, GemmRowMasks).
template <class S, size_t NR>
struct PackedB {
  const float* b;
  template <size_t V>
  void next(typename S::V (&bv)[V]) {
#pragma GCC unroll 8
    for (size_t j = 0; j < V; j++) bv[j] = S::load(b + j * S::N);
    b += NR;
  }
};
template <class S>
struct RowsB {
  const float* const* rows;
  size_t col;
  template <size_t V>
  void next(typename S::V (&bv)[V]) {
    const float* r = *rows++ + col;
#pragma GCC unroll 8
    for (size_t j = 0; j < V; j++) bv[j] = S::load(r + j * S::N);
  }
};
template <class S, size_t NV>
struct MaskedRowsB {
  const float* const* rows;
  size_t col;
  size_t period, row_class;
  typename LaneMask<S>::M masks[kGemmRowClasses][NV];  // per row class
  template <size_t V>
  void next(typename S::V (&bv)[V]) {
    const float* r = *rows++ + col;
#pragma GCC unroll 8
    for (size_t j = 0; j < V; j++) bv[j] = LaneMask<S>::load(r + j * S::N, masks[row_class][j]);
    row_class = row_class + 1 == period ? 0 : row_class + 1;
  }
};

// Zeroes a register tile's accumulators.
template <class S, size_t R, size_t NV>
[[gnu::always_inline]] inline void zero_tile(typename S::V (&acc)[R][NV]) {
#pragma GCC unroll 32
  for (size_t i = 0; i < R; i++) {
#pragma GCC unroll 8
    for (size_t j = 0; j < NV; j++) acc[i][j] = S::zero();
  }
}

// The micro-kernel for R <= MR rows: R x NV accumulators over kc steps of the panels.
template <class S, size_t MR, size_t R, size_t NV, class B>
void gemm_tile(size_t nr, size_t kc, const float* a, B b, float* c, size_t ldc, bool accumulate,
               const GemmEpilogue* ep) {
  using V = typename S::V;
  V acc[R][NV];
  zero_tile<S>(acc);
  for (size_t k = 0; k < kc; k++) {
    V bv[NV];
    b.next(bv);
#pragma GCC unroll 16
    for (size_t i = 0; i < R; i++) {
      const V av = S::set1(a[i]);
#pragma GCC unroll 8
      for (size_t j = 0; j < NV; j++) acc[i][j] = S::fma(av, bv[j], acc[i][j]);
    }
    a += MR;
  }
  // The epilogue gets a copy: were acc's address taken, clang (emcc) could not tell it from the
  // row pointers RowsB loads and kept the accumulators in memory, storing all of them every k
  // (YOLOv8n's stride-2 convolutions 1.5 times slower on wasm).
  V out[R][NV];
#pragma GCC unroll 16
  for (size_t i = 0; i < R; i++) {
#pragma GCC unroll 8
    for (size_t j = 0; j < NV; j++) out[i][j] = acc[i][j];
  }
  with_activation<S>(ep ? ep->activation : -1, [&](auto act) {
    if constexpr (R == MR && NV == GemmTileShape<S>::nv) {
      store_tile<S, R, NV>(out, nr, c, ldc, accumulate, ep, act);
    } else {
      store_partial_tile<S, R, NV>(out, nr, c, ldc, accumulate, ep, act);
    }
  });
}

// A tile of mr <= MR rows and nr <= NV * N columns runs the kernel of exactly its height and of
// ceil(nr / N) vectors: partial panels (the last rows of M, the last columns of N) cost their size,
// not a full tile's.
template <class S, class B>
struct GemmTiles {
  static constexpr size_t MR = GemmTileShape<S>::mr;
  static constexpr size_t NV = GemmTileShape<S>::nv;
  using Fn = void (*)(size_t, size_t, const float*, B, float*, size_t, bool, const GemmEpilogue*);
  using Row = std::array<Fn, MR>;

  template <size_t V, size_t... R>
  static constexpr Row heights(std::index_sequence<R...>) {
    return {&gemm_tile<S, MR, R + 1, V, B>...};
  }
  template <size_t... V>
  static constexpr std::array<Row, NV> table(std::index_sequence<V...>) {
    return {heights<V + 1>(std::make_index_sequence<MR>{})...};
  }

  static void run(size_t mr, size_t nr, size_t kc, const float* a, B b, float* c, size_t ldc, bool accumulate,
                  const GemmEpilogue* ep) {
    const size_t nv = (nr + S::N - 1) / S::N;
    if (mr == MR && nv == NV) return gemm_tile<S, MR, MR, NV>(nr, kc, a, b, c, ldc, accumulate, ep);
    static constexpr std::array<Row, NV> fns = table(std::make_index_sequence<NV>{});
    fns[nv - 1][mr - 1](nr, kc, a, b, c, ldc, accumulate, ep);
  }
};

template <class S>
void gemm_ukernel(size_t mr, size_t nr, size_t kc, const float* a, const float* b, float* c, size_t ldc,
                  bool accumulate, const GemmEpilogue* ep) {
  constexpr size_t NR = GemmTileShape<S>::nv * S::N;
  GemmTiles<S, PackedB<S, NR>>::run(mr, nr, kc, a, PackedB<S, NR>{b}, c, ldc, accumulate, ep);
}

// B rows read in place through `masks`, whose columns past the first `keep` also read as zero.
template <class S>
MaskedRowsB<S, GemmTileShape<S>::nv> masked_rows(const float* const* rows, size_t col, const GemmRowMasks& masks,
                                                size_t keep = 32) {
  constexpr size_t NV = GemmTileShape<S>::nv;
  const uint32_t kept = keep >= 32 ? ~uint32_t{0} : (uint32_t{1} << keep) - 1;
  MaskedRowsB<S, NV> b;
  b.rows = rows;
  b.col = col;
  b.period = masks.period;
  b.row_class = masks.phase;
  for (size_t t = 0; t < masks.period; t++) {
    for (size_t j = 0; j < NV; j++) b.masks[t][j] = LaneMask<S>::from_bits((masks.bits[t] & kept) >> (j * S::N));
  }
  return b;
}

template <class S>
void gemm_ukernel_rows(size_t mr, size_t nr, size_t kc, const float* a, const float* const* rows, size_t col,
                       const GemmRowMasks* masks, float* c, size_t ldc, bool accumulate, const GemmEpilogue* ep) {
  if (!masks) return GemmTiles<S, RowsB<S>>::run(mr, nr, kc, a, RowsB<S>{rows, col}, c, ldc, accumulate, ep);
  GemmTiles<S, MaskedRowsB<S, GemmTileShape<S>::nv>>::run(mr, nr, kc, a, masked_rows<S>(rows, col, *masks), c, ldc,
                                                          accumulate, ep);
}

// One half-precision value as float: F16C and NEON convert in hardware, other builds in software.
inline float load_half(const uint16_t* p) {
#if defined(__F16C__)
  return _cvtsh_ss(*p);
#elif defined(__aarch64__)
  __fp16 h;
  std::memcpy(&h, p, sizeof h);
  return static_cast<float>(h);
#else
  return half_to_float(*p);
#endif
}

// Calls f(get) where get(offset) reads element `offset` of the source as a (scaled) float.
template <class F>
inline void with_source(const MatrixRef& s, F&& f) {
  const float scale = s.scale;
  switch (s.type) {
    case ElemType::f32: {
      const auto* p = static_cast<const float*>(s.data);
      if (scale == 1.0f) return f([p](ptrdiff_t o) { return p[o]; });
      return f([p, scale](ptrdiff_t o) { return p[o] * scale; });
    }
    case ElemType::f16: {
      const auto* p = static_cast<const uint16_t*>(s.data);
      return f([p, scale](ptrdiff_t o) { return load_half(p + o) * scale; });
    }
    case ElemType::u8: {
      const auto* p = static_cast<const uint8_t*>(s.data);
      const float zero = s.zero;
      return f([p, scale, zero](ptrdiff_t o) { return (static_cast<float>(p[o]) - zero) * scale; });
    }
  }
}

template <class S>
void gemm_pack_a(size_t mr, size_t kc, const MatrixRef& src, float* dst) {
  constexpr size_t MR = GemmTileShape<S>::mr;
  with_source(src, [&](auto get) {
    // Row by row: reads stay sequential for the common row-major (cs == 1) source.
    for (size_t i = 0; i < mr; i++) {
      const ptrdiff_t row = static_cast<ptrdiff_t>(i) * src.rs;
      for (size_t k = 0; k < kc; k++) dst[k * MR + i] = get(row + static_cast<ptrdiff_t>(k) * src.cs);
    }
  });
  for (size_t k = 0; k < kc; k++) {
    for (size_t i = mr; i < MR; i++) dst[k * MR + i] = 0.0f;
  }
}

// dst[0 .. NV * N) = src[0 .. n), zero past n.
template <class S, size_t NV>
inline void copy_row(const float* src, size_t n, float* dst) {
  constexpr size_t N = S::N;
#pragma GCC unroll 8
  for (size_t j = 0; j < NV; j++) {
    const size_t w = lanes<S>(n, j);
    S::store(dst + j * N, w == N ? S::load(src + j * N) : w ? S::load_tail(src + j * N, w) : S::zero());
  }
}

template <class S>
void gemm_pack_b(size_t kc, size_t nr, const MatrixRef& src, float* dst) {
  constexpr size_t NV = GemmTileShape<S>::nv;
  constexpr size_t NR = NV * S::N;
  if (src.type == ElemType::f32 && src.cs == 1 && src.scale == 1.0f) {
    const auto* p = static_cast<const float*>(src.data);
    for (size_t k = 0; k < kc; k++) copy_row<S, NV>(p + static_cast<ptrdiff_t>(k) * src.rs, nr, dst + k * NR);
    return;
  }
  with_source(src, [&](auto get) {
    for (size_t k = 0; k < kc; k++) {
      const ptrdiff_t row = static_cast<ptrdiff_t>(k) * src.rs;
      float* d = dst + k * NR;
      for (size_t j = 0; j < nr; j++) d[j] = get(row + static_cast<ptrdiff_t>(j) * src.cs);
      for (size_t j = nr; j < NR; j++) d[j] = 0.0f;
    }
  });
}

template <class S>
void gemm_pack_b_rows(size_t kc, size_t nr, const float* const* rows, size_t col, const GemmRowMasks* masks,
                      float* dst) {
  constexpr size_t NV = GemmTileShape<S>::nv;
  constexpr size_t NR = NV * S::N;
  if (masks) {
    // Rows with masks are readable a whole panel wide (GemmB::rows_in_place): masked loads.
    auto b = masked_rows<S>(rows, col, *masks, nr);
    for (size_t k = 0; k < kc; k++) {
      typename S::V bv[NV];
      b.next(bv);
#pragma GCC unroll 8
      for (size_t j = 0; j < NV; j++) S::store(dst + k * NR + j * S::N, bv[j]);
    }
    return;
  }
  if (nr == NR) {
    for (size_t k = 0; k < kc; k++) {
      const float* r = rows[k] + col;
      // Rows are many short streams the hardware prefetcher does not follow: fetch the next panels'.
      __builtin_prefetch(r + 2 * NR);
      __builtin_prefetch(r + 2 * NR + NR / 2);
#pragma GCC unroll 8
      for (size_t j = 0; j < NV; j++) S::store(dst + k * NR + j * S::N, S::load(r + j * S::N));
    }
    return;
  }
  for (size_t k = 0; k < kc; k++) copy_row<S, NV>(rows[k] + col, nr, dst + k * NR);
}

template <class S>
GemmKernels gemm_kernels() {
  return GemmKernels{GemmTileShape<S>::mr,
                     GemmTileShape<S>::nv * S::N,
                     &gemm_ukernel<S>,
                     &gemm_ukernel_rows<S>,
                     &gemm_pack_a<S>,
                     &gemm_pack_b<S>,
                     &gemm_pack_b_rows<S>};
}

}  // namespace os::impl
