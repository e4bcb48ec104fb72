// attention_f32: y = softmax(scale * Q.K^T [softcapped] + mask).V per (batch, query head), tiled
// over blocks of query rows and keys with an online softmax, so scores exist one block at a time.
// Operands are strided views, which covers (B, H, T, D) tensors, the (B, T, H * D) form of ONNX
// Attention and OnnxStream's pre-transposed K^T without copies.
//   buffers: q, k, v, mask (float32 additive or uint8 boolean, or empty), y (all float32 but mask)
//   params:  batch, q_heads, kv_heads, q_len, kv_len, head_dim, v_dim,
//            q strides (b, h, t), k strides (b, h, t, d), v strides (b, h, t), y strides (b, h, t),
//            scale, softcap (0: none), causal (0/1),
//            mask kind (0 none, 1 additive, 2 boolean), mask strides (b, h, q), mask_len,
//            has_kv_lens (0/1), then kv_lens[batch] when set, then optionally the element type of
//            q, k, v, an additive mask and y (ElemType f32 or f16: fp16 arithmetic; every block is
//            read into float32 and computed there, so scores, softmax and P.V accumulate in float32
//            and only y is rounded)
// Each query head h reads key/value head h / (q_heads / kv_heads) (grouped-query attention). The
// innermost stride of q, v and y is 1, and k's along d or along t is 1. Keys at or beyond
// min(kv_len, mask_len, kv_lens[b]) are masked; with `causal`, query i sees keys j <= i + offset,
// offset = kv_lens[b] - q_len with kv_lens, else 0. A query row with no visible key gives zeros.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "../api/api.h"
#include "../dispatch/kernels.h"
#include "../threads/pool.h"
#include "extent.h"
#include "half-rows.h"

namespace os {
namespace {

// Query rows and keys per block: a 32 x 256 score block (32 KB) stays in L1/L2 with its K^T and V
// panels.
constexpr size_t kRows = 32;
constexpr size_t kKeys = 256;
// Floats of K^T copied at a time (1 MiB), unless a (batch, kv head) pair per thread needs more.
constexpr size_t kCopyFloats = 256 * 1024;

}  // namespace

void run_attention_f32(const Buf* bufs, size_t nbufs, const double* params, size_t nparams) {
  const Args a("attention_f32", bufs, nbufs, params, nparams, 5, 29);
  const auto dim = [&](size_t i, long long lo) { return static_cast<size_t>(a.integer(i, lo, 1LL << 40)); };
  const size_t batch = dim(0, 0), hq = dim(1, 1), hkv = dim(2, 1), tq = dim(3, 0), tkv = dim(4, 0), d = dim(5, 1),
               dv = dim(6, 1);
  if (hq % hkv != 0) a.fail("query heads must be a multiple of key/value heads");
  size_t st[13];
  for (size_t i = 0; i < 13; i++) st[i] = dim(7 + i, 0);
  const size_t *qs = st, *ks = st + 3, *vs = st + 7, *ys = st + 10;
  const auto scale = static_cast<float>(a.number(20));
  const auto softcap = static_cast<float>(a.number(21));
  const bool causal = a.integer(22, 0, 1) != 0;
  const auto mask_kind = a.integer(23, 0, 2);
  const size_t mb = dim(24, 0), mh = dim(25, 0), mq = dim(26, 0), mask_len = dim(27, 0);
  const bool has_lens = a.integer(28, 0, 1) != 0;
  const size_t want = 29 + (has_lens ? batch : 0);
  if (nparams != want && nparams != want + 1) a.fail("expects " + std::to_string(want) + " parameters and an optional element type");
  const bool half = nparams == want + 1 &&
                    a.integer(want, 0, static_cast<long long>(ElemType::f16)) == static_cast<long long>(ElemType::f16);
  std::vector<size_t> valid(batch, mask_kind ? std::min(tkv, mask_len) : tkv);
  std::vector<long long> offset(batch, 0);
  for (size_t b = 0; has_lens && b < batch; b++) {
    const long long len = a.integer(29 + b, 0, 1LL << 40);
    valid[b] = std::min<size_t>(valid[b], static_cast<size_t>(len));
    offset[b] = len - static_cast<long long>(tq);
  }
  if (ks[3] != 1 && ks[2] != 1) a.fail("k must be contiguous along d or along t");
  if (batch == 0 || tq == 0) return;

  // Every element each view can reach must be inside its buffer.
  const size_t qd[] = {batch, hq, tq, d}, qst[] = {qs[0], qs[1], qs[2], 1};
  const size_t kd[] = {batch, hkv, tkv, d};
  const size_t vd[] = {batch, hkv, tkv, dv}, vst[] = {vs[0], vs[1], vs[2], 1};
  const size_t yd[] = {batch, hq, tq, dv}, yst[] = {ys[0], ys[1], ys[2], 1};
  const size_t md[] = {batch, hq, tq, mask_len}, mst[] = {mb, mh, mq, 1};
  // float16 views are read through the same pointers' types as bits (T below).
  const auto view = [&](size_t i, size_t count) -> const void* {
    return half ? static_cast<const void*>(a.buffer<uint16_t>(i, count)) : a.buffer<float>(i, count);
  };
  const void* q = view(0, strided_extent(a, qd, qst, 4));
  const void* k = view(1, strided_extent(a, kd, ks, 4));
  const void* v = view(2, strided_extent(a, vd, vst, 4));
  void* y = const_cast<void*>(view(4, strided_extent(a, yd, yst, 4)));
  const size_t mask_count = mask_kind ? strided_extent(a, md, mst, 4) : 0;
  const void* mask_add = mask_kind == 1 ? view(3, mask_count) : nullptr;
  const uint8_t* mask_bool = mask_kind == 2 ? a.buffer<uint8_t>(3, mask_count) : nullptr;
  const KernelTable& kt = kernels();

  // K^T per (batch, kv head) as d rows of ldk values, a copy whose row stride is padded off powers of
  // two, so that the d rows a score tile reads do not all fall in one cache set (K^T input of t keys
  // has a stride of t, often 4096). Copied for a chunk of (batch, kv head) pairs at a time, not for
  // the whole of K (5 MB at SD's 64 x 64 self-attention): at least a pair per thread, so that both
  // the copy and the query blocks keep every thread busy.
  const size_t ldk = (tkv + 15) / 16 * 16 + 16;
  const size_t pairs = batch * hkv;
  const size_t head_floats = checked_product(a, {d, ldk});
  const size_t threads = static_cast<size_t>(pool_threads());
  const size_t chunk = std::min(pairs, std::max({size_t{1}, kCopyFloats / head_floats, threads}));
  std::vector<float> kcopy(chunk * head_floats);
  const auto copy_keys = [&](size_t pair, float* dst) {
    const size_t at = pair / hkv * ks[0] + pair % hkv * ks[1];
    if (half) {
      const uint16_t* src = static_cast<const uint16_t*>(k) + at;
      if (ks[2] == 1) {
        for (size_t c = 0; c < d; c++) kt.f16_to_f32(tkv, src + c * ks[3], dst + c * ldk);
      } else {
        // Blocks of key rows converted (kRows x d), then transposed into their columns.
        float* rows = thread_floats(0, kRows * d);
        for (size_t t0 = 0; t0 < tkv; t0 += kRows) {
          const size_t count = std::min(kRows, tkv - t0);
          for (size_t t = 0; t < count; t++) kt.f16_to_f32(d, src + (t0 + t) * ks[2], rows + t * d);
          kt.transpose2d(count, d, rows, d, dst + t0, ldk);
        }
      }
      return;
    }
    const float* src = static_cast<const float*>(k) + at;
    if (ks[2] == 1) {
      for (size_t c = 0; c < d; c++) std::copy(src + c * ks[3], src + c * ks[3] + tkv, dst + c * ldk);
    } else {
      kt.transpose2d(tkv, d, src, ks[2], dst, ldk);
    }
  };

  const size_t group = hq / hkv;
  const size_t blocks = (tq + kRows - 1) / kRows;
  const float ninf = -std::numeric_limits<float>::infinity();
  const float qk_scale = softcap > 0 ? scale / softcap : scale;
  for (size_t p0 = 0; p0 < pairs; p0 += chunk) {
    const size_t count = std::min(chunk, pairs - p0);
    parallel_for(count, 1, [&](size_t begin, size_t end) {
      for (size_t i = begin; i < end; i++) copy_keys(p0 + i, kcopy.data() + i * head_floats);
    });
    // Items: (pair, query head of its group, block of query rows).
    parallel_for(count * group * blocks, 1, [&](size_t begin, size_t end) {
      std::vector<float> s(kRows * kKeys), o(kRows * dv), m(kRows), l(kRows);
      for (size_t t = begin; t < end; t++) {
        const size_t pair = p0 + t / (group * blocks), r0 = t % blocks * kRows;
        const size_t b = pair / hkv, g = pair % hkv, h = g * group + t / blocks % group;
        const size_t rows = std::min(kRows, tq - r0);
        const size_t q_at = b * qs[0] + h * qs[1] + r0 * qs[2], v_at = b * vs[0] + g * vs[1];
        const float* kp = kcopy.data() + t / (group * blocks) * head_floats;
        // float16: the block's query rows read once (rows x d), V's rows per key block below.
        const float* qp = static_cast<const float*>(q) + q_at;
        size_t ldq = qs[2];
        if (half) {
          float* qf = thread_floats(0, rows * d);
          for (size_t r = 0; r < rows; r++) kt.f16_to_f32(d, static_cast<const uint16_t*>(q) + q_at + r * qs[2], qf + r * d);
          qp = qf;
          ldq = d;
        }
        // Keys any row of this block can see.
        size_t kend = valid[b];
        if (causal) {
          const long long last = static_cast<long long>(r0 + rows - 1) + offset[b];
          kend = last < 0 ? 0 : std::min(kend, static_cast<size_t>(last) + 1);
        }
        std::fill(m.begin(), m.end(), ninf);
        std::fill(l.begin(), l.end(), 0.0f);
        std::fill(o.begin(), o.begin() + rows * dv, 0.0f);
        for (size_t c0 = 0; c0 < kend; c0 += kKeys) {
          const size_t cols = std::min(kKeys, kend - c0);
          kt.attn_gemm(rows, cols, d, qp, ldq, kp + c0, ldk, s.data(), kKeys, qk_scale, false);
          for (size_t r = 0; r < rows; r++) {
            float* sr = s.data() + r * kKeys;
            if (softcap > 0) {
              kt.vunary(UnaryOp::tanh, cols, sr, sr, 0, 0);
              kt.vbinary(BinaryOp::mul, cols, sr, 1, &softcap, 0, sr);
            }
            const size_t i = r0 + r;
            if (mask_add) {
              const size_t at = b * mb + h * mh + i * mq + c0;
              const float* mr = static_cast<const float*>(mask_add) + at;
              if (half) {
                float* mf = thread_floats(1, cols);
                kt.f16_to_f32(cols, static_cast<const uint16_t*>(mask_add) + at, mf);
                mr = mf;
              }
              kt.vbinary(BinaryOp::add, cols, sr, 1, mr, 1, sr);
            } else if (mask_bool) {
              const uint8_t* mr = mask_bool + b * mb + h * mh + i * mq + c0;
              for (size_t j = 0; j < cols; j++) {
                if (!mr[j]) sr[j] = ninf;
              }
            }
            if (causal) {
              // Keys j > i + offset are hidden from query i.
              const long long lim = static_cast<long long>(i) + offset[b] + 1 - static_cast<long long>(c0);
              const auto from = static_cast<size_t>(std::clamp<long long>(lim, 0, static_cast<long long>(cols)));
              for (size_t j = from; j < cols; j++) sr[j] = ninf;
            }
          }
          kt.attn_softmax(rows, cols, s.data(), kKeys, m.data(), l.data(), o.data(), dv, dv);
          const float* vp = static_cast<const float*>(v) + v_at + c0 * vs[2];
          size_t ldv = vs[2];
          if (half) {
            float* vf = thread_floats(2, cols * dv);
            for (size_t j = 0; j < cols; j++) kt.f16_to_f32(dv, static_cast<const uint16_t*>(v) + v_at + (c0 + j) * vs[2], vf + j * dv);
            vp = vf;
            ldv = dv;
          }
          kt.attn_gemm(rows, dv, cols, s.data(), kKeys, vp, ldv, o.data(), dv, 1.0f, true);
        }
        const size_t y_at = b * ys[0] + h * ys[1] + r0 * ys[2];
        if (!half) {
          kt.attn_finish(rows, dv, o.data(), dv, l.data(), static_cast<float*>(y) + y_at, ys[2]);
          continue;
        }
        float* yf = thread_floats(3, rows * dv);
        kt.attn_finish(rows, dv, o.data(), dv, l.data(), yf, dv);
        for (size_t r = 0; r < rows; r++) kt.f32_to_f16(dv, yf + r * dv, static_cast<uint16_t*>(y) + y_at + r * ys[2]);
      }
    });
  }
}

}  // namespace os
