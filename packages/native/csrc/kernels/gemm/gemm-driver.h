// The blocked, threaded GEMM on top of the active table's micro-kernel and packing routines:
// operators describe products (GemmProblem) and gemm_run splits them into tiles for the pool.
// Weights may arrive prepacked (the backend's prepareWeight): a header then the panels.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>

#include "../conv/winograd.h"
#include "gemm.h"

namespace os {

// The left operand [M x K]: prepacked panels (ceil(M / MR) panels of K x MR, panel p at
// packed + p * MR * K), or a strided matrix packed per task.
struct GemmA {
  const float* packed = nullptr;
  MatrixRef raw{};
};

// The right operand [K x N]: prepacked panels (ceil(N / NR) panels of K x NR), K row pointers
// whose columns are contiguous (implicit im2col), or a strided matrix; packed per panel otherwise.
struct GemmB {
  const float* packed = nullptr;
  const float* const* rows = nullptr;
  // Every row is readable NR columns past the start of any panel (the last one included), so that
  // panels serving few tiles of A may read the rows in place instead of packing them (a
  // convolution's taps are shifted views of the same input rows, which overlap in cache).
  bool rows_in_place = false;
  // Such rows may stand for zero-padded rows whose padding is not stored: column p of row k reads
  // (in place or packed) as zero where p % pad_width + pad_shifts[k % pad_period] lies outside
  // [0, pad_width) (a convolution's horizontal padding, each tap's row being the input rows
  // shifted; pad_period <= kGemmRowClasses). pad_period 0: no padding.
  size_t pad_width = 0, pad_period = 0;
  const ptrdiff_t* pad_shifts = nullptr;
  MatrixRef raw{};
};

// C[M x N] = (accumulate ? C : 0) + A . B, then + biases and the activation.
struct GemmProblem {
  size_t m = 0, n = 0, k = 0;
  GemmA a;
  GemmB b;
  float* c = nullptr;
  size_t ldc = 0;
  // Convolution over padded rows: product column p is output column (p / pitch) * width + p % pitch,
  // and is dropped when p % pitch >= width. 0: columns map one to one.
  size_t pitch = 0, width = 0;
  bool accumulate = false;
  const float* row_bias = nullptr;
  const float* col_bias = nullptr;
  int activation = -1;
};

// The columns of the `nr`-wide panel at column j that each class of B's padded rows keeps
// (GemmB::pad_width), bit l for column j + l, into bits[0, b.pad_period); false when no row drops
// any. Per row of lanes, not per lane: this runs for every panel.
bool gemm_row_masks(const GemmB& b, size_t j, size_t nr, uint32_t* bits);
// Copies the valid columns of a tile (rows m0..m1-1 of p, `ld` apart) of the nr columns from
// product column j to their output rows (GemmProblem::pitch).
void gemm_scatter_tile(const GemmProblem& p, const float* tile, size_t ld, size_t m0, size_t m1, size_t j, size_t nr);

// Runs every problem, tiles of all of them spread over the pool at once, or all on the calling
// thread when `serial` (callers that are themselves one task of a parallel_for).
void gemm_run(const GemmKernels& g, const GemmProblem* problems, size_t count, bool serial = false);

// Runs `count` problems whose C is float16: out[i] (rows ldc apart) gets problem i's result rounded
// to float16 (its c is ignored; its A must be a raw matrix). Blocks of rows of every
// problem go through a float32 workspace of about kHalfBlockFloats, so no float32 copy of the
// outputs exists whole. With `prefill`, each block starts from the values prefill(i, r0, rows, dst)
// writes (rows r0.. of problem i, n apart) and the products accumulate onto them.
constexpr size_t kHalfBlockFloats = size_t{1} << 20;
using GemmPrefill = std::function<void(size_t problem, size_t r0, size_t rows, float* dst)>;
void gemm_run_to_f16(const GemmKernels& g, const GemmProblem* problems, size_t count, uint16_t* const* out,
                     const GemmPrefill& prefill = nullptr);

// Prepacked operand buffers: kPackedHeader floats (kind, panel width, groups, rows, depth; the
// panels stay 64-byte aligned), then the panels of each group. A winograd buffer holds a 3x3
// convolution's weights transformed for Winograd F(4x4, 3x3) (ops/conv.cc): A panels of 36 [M x C]
// matrices, one per position of the 6x6 transform (kWinoPositions).
constexpr size_t kPackedHeader = 16;
enum class PackedKind : int { a = 1, b = 2, winograd = 3 };
struct PackedInfo {
  PackedKind kind;
  size_t panel;   // MR for A and winograd, NR for B
  size_t groups;  // independent matrices, one after another (winograd: 1; its matrices are the positions)
  size_t rows;    // per group: M for A, N for B (the dimension cut into panels)
  size_t depth;   // K (winograd: input channels)
};
// Floats of a packed buffer (header included).
size_t packed_floats(const PackedInfo& info);
// Whether `data` (`floats` long) holds a packed buffer of exactly `want` (the panel width included).
bool packed_matches(const float* data, size_t floats, const PackedInfo& want);
// Writes the header of a packed buffer.
void pack_header(const PackedInfo& info, float* dst);
// Packs `groups` matrices (group i's rows start at src advanced by i * group_stride elements) with
// a header, in parallel. A: src(i, k) = row i of M; B: src(k, j), cut into column panels.
void pack_all(const GemmKernels& g, const PackedInfo& info, const MatrixRef& src, ptrdiff_t group_stride, float* dst);

// A temporary float buffer taken from a one-block cache: the large per-call buffers (padded
// inputs, packed B, column buffers) reuse one block instead of faulting fresh pages in each call.
// The largest block seen up to 16 MiB stays cached.
class Workspace {
 public:
  explicit Workspace(size_t floats);
  ~Workspace();
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;
  float* data() const { return p_; }

 private:
  float* p_;
  size_t floats_;
};

// src advanced by (r, c) elements.
MatrixRef offset(const MatrixRef& m, ptrdiff_t r, ptrdiff_t c);

}  // namespace os
