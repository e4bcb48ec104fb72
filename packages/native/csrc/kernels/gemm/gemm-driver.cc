#include "gemm-driver.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <vector>

#include "../../common/failure.h"
#include "../../dispatch/kernels.h"
#include "../../threads/pool.h"

namespace os {
namespace {

// K chunk: a panel's B chunk (KC x NR) stays in L1 across the tiles of an M block, whose A chunk
// (MC x KC, at most kABlockBytes) stays in L2 across the panels (Runner::group; 256 to 512 measured
// alike on convolutions, 512 better on deep MatMuls).
constexpr size_t kKc = 512;
constexpr size_t kABlockBytes = 384 * 1024;
// Panels of an M block run together, K chunk by K chunk (Runner::group), at most kGroupPanels of
// them, of which at most kGroupScratch over output row ends (their scratch tiles are kept per panel
// meanwhile).
constexpr size_t kGroupPanels = 256;
constexpr size_t kGroupScratch = 16;
// Panels of a K chunk run in sets whose B chunks take at most this much together: each tile of A
// then runs over the whole set while its B stays in L1, so an output row is written a set's width
// at a time. One panel at a time, a shallow product wrote every output row an NR-wide piece per
// panel (UltraFace's 16 -> 32 pointwise convolution: 32 rows of 64 bytes per 16 pixels).
constexpr size_t kSetBBytes = 16 * 1024;
constexpr size_t kMaxSet = 64;
// Work (multiply-adds) below which a chunk is not worth a thread hop.
constexpr size_t kMinChunkMacs = 1 << 18;
// Items (M block x panel) per pool thread that a product is cut into at least, where its work allows:
// the pool hands them out in a few chunks a thread, and a product of few panels (a deep pointwise
// convolution late in a network: 128 x 128 at 15x20 makes 10 panels, 256 x 256 at 8x10 3) split
// unevenly, 3 chunks against 2. Its M blocks are then cut smaller, a tile at the least.
constexpr size_t kItemsPerThread = 16;

// A per-thread growable, 64-byte aligned buffer (packing and the padded-column tile).
struct Scratch {
  float* p = nullptr;
  size_t n = 0;
  ~Scratch() { std::free(p); }
  float* get(size_t floats) {
    if (floats > n) {
      std::free(p);
      n = std::max(floats, n * 2);
      p = static_cast<float*>(std::aligned_alloc(64, (n * sizeof(float) + 63) / 64 * 64));
      if (!p) {
        n = 0;
        fail_out_of_memory();
      }
    }
    return p;
  }
};
thread_local Scratch t_a, t_b, t_c;

size_t div_up(size_t a, size_t b) { return (a + b - 1) / b; }

struct Plan {
  size_t mc;       // rows per M block (a multiple of MR)
  size_t mblocks;
  size_t panels;   // NR column panels
};

// One item: the NR-column panel q of M block mb, over all of K.
struct Item {
  const GemmProblem* p;
  const Plan* plan;
  size_t mb, q;
};

// Bits lo..hi-1 of a panel's lane mask, clipped to its nr lanes.
uint32_t lanes(ptrdiff_t lo, ptrdiff_t hi, ptrdiff_t nr) {
  lo = std::max<ptrdiff_t>(lo, 0);
  hi = std::min(hi, nr);
  if (lo >= hi) return 0;
  const uint32_t run = hi - lo >= 32 ? ~uint32_t{0} : (uint32_t{1} << (hi - lo)) - 1;
  return run << lo;
}

}  // namespace

bool gemm_row_masks(const GemmB& b, size_t j, size_t panel, uint32_t* bits) {
  const auto width = static_cast<ptrdiff_t>(b.pad_width);
  const auto nr = static_cast<ptrdiff_t>(panel);
  const uint32_t all = lanes(0, nr, nr);
  bool drops = false;
  for (size_t t = 0; t < b.pad_period; t++) {
    const ptrdiff_t shift = b.pad_shifts[t];
    // Each row, lanes [row, row + width), drops its first -shift lanes or its last shift ones.
    uint32_t dropped = 0;
    for (ptrdiff_t row = -static_cast<ptrdiff_t>(j % b.pad_width); row < nr; row += width) {
      dropped |= shift < 0 ? lanes(row, row - shift, nr) : lanes(row + width - shift, row + width, nr);
    }
    bits[t] = all & ~dropped;
    drops |= bits[t] != all;
  }
  return drops;
}

void gemm_scatter_tile(const GemmProblem& p, const float* tile, size_t ld, size_t m0, size_t m1, size_t j, size_t nr) {
  for (size_t t = 0; t < nr;) {
    const size_t col = (j + t) % p.pitch;
    const size_t row = (j + t) / p.pitch;
    const size_t run = std::min(nr - t, p.pitch - col);
    if (col < p.width) {
      const size_t w = std::min(run, p.width - col);
      float* dst = p.c + row * p.width + col;
      for (size_t i = m0; i < m1; i++) std::memcpy(dst + i * p.ldc, tile + (i - m0) * ld + t, w * sizeof(float));
    }
    t += run;
  }
}

namespace {

class Runner {
 public:
  explicit Runner(const GemmKernels& g) : g_(g), mr_(g.mr), nr_(g.nr) {}

  // Runs `count` items in turn, those of one M block of a problem together (kGroupPanels).
  void run(const Item* items, size_t count) {
    for (size_t i = 0; i < count;) {
      size_t j = i, over = 0;
      while (j < count && j - i < kGroupPanels && items[j].p == items[i].p && items[j].mb == items[i].mb) {
        const bool direct = stored_in_place(*items[j].p, items[j].q * nr_);
        if (!direct && over == kGroupScratch) break;
        over += direct ? 0 : 1;
        j++;
      }
      group(items + i, j - i);
      i = j;
    }
  }

 private:
  // Where a panel's tile goes, and how it reads B, for the whole of K.
  struct PanelState {
    size_t j, nr;
    bool direct, in_place, padded;
    float* c;  // the output (direct) or the panel's scratch tile (rows x NR)
    uint32_t pad_bits[kGemmRowClasses];
  };

  // Panels of one M block, [m0, m1), with the K chunks outermost: a chunk's A block (MC x KC) stays
  // in L2 across the panels and each panel's B chunk (KC x NR) in L1 across the tiles. With K
  // innermost (each panel over all of K), A blocks had to hold all of K in L2, so deep products
  // got blocks of a tile or two and B panels were re-read (or re-packed) for every one of them.
  void group(const Item* items, size_t count) {
    const GemmProblem& p = *items[0].p;
    const size_t m0 = items[0].mb * items[0].plan->mc;
    const size_t m1 = std::min(p.m, m0 + items[0].plan->mc);
    const size_t tiles = div_up(m1 - m0, mr_);
    std::vector<PanelState>& states = t_states;
    states.resize(count);
    PanelState* st = states.data();
    size_t scratch = 0;
    for (size_t i = 0; i < count; i++) {
      PanelState& s = st[i];
      s.j = items[i].q * nr_;
      s.nr = std::min(nr_, p.n - s.j);
      const bool mapped = p.pitch != 0 && p.pitch != p.width;
      s.direct = stored_in_place(p, s.j);
      if (!s.direct) scratch++;
      s.c = p.c + (mapped ? (s.j / p.pitch) * p.width + s.j % p.pitch : s.j);
      // Rows readable past their ends are read in place (through masks where their padding is not
      // stored) when the ISA reads them so for this many tiles of A (GemmKernels::in_place_tiles)
      // and does not prefer packed rows, or must (padding not stored, SIMD128); other rows in full
      // panels of products as shallow and with as few tiles as the ISA reads in place
      // (GemmKernels::shallow_depth, shallow_tiles), unless it prefers packed rows (SIMD128's
      // narrow panels). Else B is packed.
      s.in_place = p.b.rows && (p.b.rows_in_place ? tiles <= g_.in_place_tiles &&
                                                        (g_.rows_in_place || p.b.pad_period != 0)
                                                  : g_.rows_in_place && s.nr == nr_ && p.k <= g_.shallow_depth &&
                                                        tiles <= g_.shallow_tiles);
      s.padded = p.b.pad_period != 0 && gemm_row_masks(p.b, s.j, nr_, s.pad_bits);
    }
    float* tiles_buf = scratch ? t_c.get(scratch * tiles * mr_ * nr_) : nullptr;
    for (size_t i = 0, slot = 0; i < count; i++) {
      if (!st[i].direct) st[i].c = tiles_buf + slot++ * tiles * mr_ * nr_;
    }
    const size_t kc_max = std::min(kKc, std::max<size_t>(p.k, 1));
    const size_t set = std::clamp<size_t>(kSetBBytes / (kc_max * nr_ * sizeof(float)), 1, kMaxSet);
    float* b_buf = p.b.packed ? nullptr : t_b.get(set * kc_max * nr_);
    size_t pc = 0;
    do {
      const size_t kc = std::min(kKc, p.k - pc);
      // The chunk's A panels, `a_step` floats apart: prepacked (panels of all of K), or packed here.
      const float* a;
      size_t a_step;
      if (p.a.packed) {
        a = p.a.packed + (m0 / mr_) * mr_ * p.k + pc * mr_;
        a_step = mr_ * p.k;
      } else {
        float* buf = t_a.get(tiles * mr_ * std::max<size_t>(kc, 1));
        for (size_t t = 0; t < tiles; t++) {
          const size_t i0 = m0 + t * mr_;
          g_.pack_a(std::min(mr_, m1 - i0), kc,
                    offset(p.a.raw, static_cast<ptrdiff_t>(i0), static_cast<ptrdiff_t>(pc)), buf + t * mr_ * kc);
        }
        a = buf;
        a_step = mr_ * kc;
      }
      const float* b_of[kMaxSet];
      for (size_t i = 0; i < count; i += set) {
        const size_t end = std::min(count, i + set);
        for (size_t u = i; u < end; u++) {
          b_of[u - i] = panel_b(p, st[u], items[u].q, pc, kc, b_buf + (u - i) * kc * nr_);
        }
        for (size_t i0 = m0, t = 0; i0 < m1; i0 += mr_, t++) {
          for (size_t u = i; u < end; u++) tile(p, st[u], a + t * a_step, b_of[u - i], i0, m0, m1, pc, kc);
        }
      }
      pc += kc;
    } while (pc < p.k);
    for (size_t i = 0; i < count; i++) {
      if (!st[i].direct) gemm_scatter_tile(p, st[i].c, nr_, m0, m1, st[i].j, st[i].nr);
    }
  }

  // Whether the tile of the panel at column j is stored in place: it lies inside one output row
  // (GemmProblem::pitch), else it goes through a scratch tile.
  bool stored_in_place(const GemmProblem& p, size_t j) const {
    return p.pitch == 0 || p.pitch == p.width || j % p.pitch + std::min(nr_, p.n - j) <= p.width;
  }

  // A panel's row masks for the K chunk from pc (meaningful where s.padded).
  static GemmRowMasks masks_at(const GemmProblem& p, const PanelState& s, size_t pc) {
    return {s.pad_bits, p.b.pad_period, pc % std::max<size_t>(p.b.pad_period, 1)};
  }

  // K chunk [pc, pc + kc) of a panel's B: prepacked, packed into `buf`, or null when read in place.
  const float* panel_b(const GemmProblem& p, const PanelState& s, size_t q, size_t pc, size_t kc, float* buf) const {
    if (p.b.packed) return p.b.packed + q * nr_ * p.k + pc * nr_;
    if (s.in_place) return nullptr;
    if (p.b.rows) {
      const GemmRowMasks masks = masks_at(p, s, pc);
      g_.pack_b_rows(kc, s.nr, p.b.rows + pc, s.j, s.padded ? &masks : nullptr, buf);
    } else {
      g_.pack_b(kc, s.nr, offset(p.b.raw, static_cast<ptrdiff_t>(pc), static_cast<ptrdiff_t>(s.j)), buf);
    }
    return buf;
  }

  // K chunk [pc, pc + kc) of the tile of rows from i0 of one panel, A's panel at `a`.
  void tile(const GemmProblem& p, const PanelState& s, const float* a, const float* b, size_t i0, size_t m0,
            size_t m1, size_t pc, size_t kc) const {
    const bool last = pc + kc >= p.k;
    const bool accumulate = p.accumulate || pc > 0;
    const GemmEpilogue ep{p.row_bias ? p.row_bias + i0 : nullptr, p.col_bias ? p.col_bias + s.j : nullptr,
                          p.activation};
    const GemmEpilogue* epilogue = last ? &ep : nullptr;
    const size_t rows = std::min(mr_, m1 - i0);
    float* c = s.direct ? s.c + i0 * p.ldc : s.c + (i0 - m0) * nr_;
    const size_t ldc = s.direct ? p.ldc : nr_;
    if (s.in_place) {
      const GemmRowMasks masks = masks_at(p, s, pc);
      g_.ukernel_rows(rows, s.nr, kc, a, p.b.rows + pc, s.j, s.padded ? &masks : nullptr, c, ldc, accumulate,
                      epilogue);
    } else {
      g_.ukernel(rows, s.nr, kc, a, b, c, ldc, accumulate, epilogue);
    }
  }

  const GemmKernels& g_;
  const size_t mr_, nr_;
  static thread_local std::vector<PanelState> t_states;
};
thread_local std::vector<Runner::PanelState> Runner::t_states;

std::mutex g_cache_mutex;
float* g_cache = nullptr;
size_t g_cache_floats = 0;
// Larger blocks go back to the system at once: the cache must not pin a big model's worth.
constexpr size_t kCacheMaxFloats = size_t{4} << 20;

float* aligned_floats(size_t floats) {
  auto* p = static_cast<float*>(std::aligned_alloc(64, (std::max<size_t>(floats, 1) * sizeof(float) + 63) / 64 * 64));
  if (!p) fail_out_of_memory();
  return p;
}

}  // namespace

Workspace::Workspace(size_t floats) : floats_(floats) {
  {
    std::lock_guard<std::mutex> lock(g_cache_mutex);
    if (g_cache && g_cache_floats >= floats) {
      p_ = g_cache;
      floats_ = g_cache_floats;
      g_cache = nullptr;
      return;
    }
  }
  p_ = aligned_floats(floats);
}

Workspace::~Workspace() {
  std::lock_guard<std::mutex> lock(g_cache_mutex);
  if (floats_ <= kCacheMaxFloats && (!g_cache || g_cache_floats < floats_)) {
    std::free(g_cache);
    g_cache = p_;
    g_cache_floats = floats_;
  } else {
    std::free(p_);
  }
}

MatrixRef offset(const MatrixRef& m, ptrdiff_t r, ptrdiff_t c) {
  MatrixRef o = m;
  o.data = static_cast<const char*>(m.data) + (r * m.rs + c * m.cs) * static_cast<ptrdiff_t>(elem_bytes(m.type));
  return o;
}

void gemm_run(const GemmKernels& g, const GemmProblem* problems, size_t count, bool serial) {
  std::vector<Plan> plans(count);
  size_t total = 0;
  size_t macs = 0;
  for (size_t i = 0; i < count; i++) {
    const GemmProblem& p = problems[i];
    Plan& plan = plans[i];
    const size_t rows_fit = kABlockBytes / (std::clamp<size_t>(p.k, 1, kKc) * sizeof(float)) / g.mr * g.mr;
    plan.mc = std::min(std::max(rows_fit, g.mr), div_up(std::max<size_t>(p.m, 1), g.mr) * g.mr);
    plan.mblocks = p.m == 0 ? 0 : div_up(p.m, plan.mc);
    plan.panels = div_up(p.n, g.nr);
    total += plan.mblocks * plan.panels;
    macs += p.m * p.n * std::max<size_t>(p.k, 1);
  }
  if (total == 0) return;
  const size_t threads = serial ? 1 : static_cast<size_t>(pool_threads());
  const size_t want = std::min(threads * kItemsPerThread, macs / kMinChunkMacs);
  if (threads > 1 && total < want) {
    total = 0;
    for (size_t i = 0; i < count; i++) {
      Plan& plan = plans[i];
      if (plan.mblocks == 0 || plan.panels == 0) continue;
      // Each product its share of `want`, in M blocks of whole tiles.
      const size_t blocks = std::min(div_up(want, plan.panels), div_up(problems[i].m, g.mr));
      if (blocks > plan.mblocks) {
        plan.mc = div_up(div_up(problems[i].m, blocks), g.mr) * g.mr;
        plan.mblocks = div_up(problems[i].m, plan.mc);
      }
      total += plan.mblocks * plan.panels;
    }
  }
  std::vector<Item> items;
  items.reserve(total);
  for (size_t i = 0; i < count; i++) {
    for (size_t mb = 0; mb < plans[i].mblocks; mb++) {
      for (size_t q = 0; q < plans[i].panels; q++) items.push_back({&problems[i], &plans[i], mb, q});
    }
  }
  if (serial) return Runner(g).run(items.data(), items.size());
  const size_t grain = std::max<size_t>(1, kMinChunkMacs / std::max<size_t>(1, macs / total));
  parallel_for(total, grain, [&](size_t begin, size_t end) { Runner(g).run(items.data() + begin, end - begin); });
}

void gemm_run_to_f16(const GemmKernels& g, const GemmProblem* problems, size_t count, uint16_t* const* out,
                     const GemmPrefill& prefill) {
  size_t m = 0, n = 0;
  for (size_t i = 0; i < count; i++) {
    if (problems[i].a.packed) fail(FailureKind::runtime_error, "gemm_run_to_f16 takes raw A matrices");
    m = std::max(m, problems[i].m);
    n = std::max(n, problems[i].n);
  }
  if (m == 0 || n == 0) return;
  const size_t rows = std::clamp<size_t>(kHalfBlockFloats / (count * n), 1, m);
  Workspace temp(count * rows * n);
  std::vector<GemmProblem> blocks(count);
  const F32ToF16Fn to_half = kernels().f32_to_f16;
  for (size_t r0 = 0; r0 < m; r0 += rows) {
    for (size_t i = 0; i < count; i++) {
      const GemmProblem& p = problems[i];
      GemmProblem& q = blocks[i];
      q = p;
      q.m = r0 < p.m ? std::min(rows, p.m - r0) : 0;
      q.a.raw = offset(p.a.raw, static_cast<ptrdiff_t>(r0), 0);
      q.c = temp.data() + i * rows * n;
      q.ldc = p.n;
      if (p.row_bias) q.row_bias = p.row_bias + r0;
      if (prefill && q.m) {
        prefill(i, r0, q.m, q.c);
        q.accumulate = true;
      }
    }
    gemm_run(g, blocks.data(), count);
    parallel_for(count * rows, std::max<size_t>(1, 16384 / n), [&](size_t begin, size_t end) {
      for (size_t t = begin; t < end; t++) {
        const size_t i = t / rows, r = t % rows;
        if (r >= blocks[i].m) continue;
        const size_t cols = problems[i].n;
        to_half(cols, temp.data() + i * rows * n + r * cols, out[i] + (r0 + r) * problems[i].ldc);
      }
    });
  }
}

size_t packed_floats(const PackedInfo& info) {
  const size_t matrices = info.kind == PackedKind::winograd ? kWinoPositions : info.groups;
  return kPackedHeader + matrices * div_up(info.rows, info.panel) * info.panel * info.depth;
}

bool packed_matches(const float* data, size_t floats, const PackedInfo& want) {
  if (floats < kPackedHeader || floats != packed_floats(want)) return false;
  return data[0] == static_cast<float>(want.kind) && data[1] == static_cast<float>(want.panel) &&
         data[2] == static_cast<float>(want.groups) && data[3] == static_cast<float>(want.rows) &&
         data[4] == static_cast<float>(want.depth);
}

void pack_header(const PackedInfo& info, float* dst) {
  std::fill(dst, dst + kPackedHeader, 0.0f);
  dst[0] = static_cast<float>(info.kind);
  dst[1] = static_cast<float>(info.panel);
  dst[2] = static_cast<float>(info.groups);
  dst[3] = static_cast<float>(info.rows);
  dst[4] = static_cast<float>(info.depth);
}

void pack_all(const GemmKernels& g, const PackedInfo& info, const MatrixRef& src, ptrdiff_t group_stride, float* dst) {
  pack_header(info, dst);
  const size_t panels = div_up(info.rows, info.panel);
  const size_t panel_floats = info.panel * info.depth;
  parallel_for(info.groups * panels, 16, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; i++) {
      const size_t grp = i / panels;
      const size_t r0 = (i % panels) * info.panel;
      const size_t n = std::min(info.panel, info.rows - r0);
      MatrixRef base = src;
      base.data = static_cast<const char*>(src.data) +
                  static_cast<ptrdiff_t>(grp) * group_stride * static_cast<ptrdiff_t>(elem_bytes(src.type));
      float* d = dst + kPackedHeader + i * panel_floats;
      if (info.kind == PackedKind::a) {
        g.pack_a(n, info.depth, offset(base, static_cast<ptrdiff_t>(r0), 0), d);
      } else {
        g.pack_b(info.depth, n, offset(base, 0, static_cast<ptrdiff_t>(r0)), d);
      }
    }
  });
}

}  // namespace os
