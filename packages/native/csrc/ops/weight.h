// A GEMM weight operand as the TypeScript operators pass it (core's kernel/ops/gemm.ts
// weightParams): three parameters, the form (-1: prepacked panels behind a header; else the
// ElemType of a plain matrix, which the GEMM packs per call), then the scale and zero point that
// dequantise a uint8 matrix.
#pragma once
#include <string>

#include "../api/api.h"
#include "../kernels/gemm/gemm-driver.h"

namespace os {

struct WeightArg {
  const void* data = nullptr;
  bool packed = false;
  ElemType type = ElemType::f32;
  float scale = 1.0f, zero = 0.0f;
  // Values in the buffer (plain matrices).
  size_t elements = 0;

  // The panels of a packed weight, past its header.
  const float* panels() const { return static_cast<const float*>(data) + kPackedHeader; }
  // A plain weight as a strided matrix starting `first` elements in.
  MatrixRef matrix(size_t first, ptrdiff_t rs, ptrdiff_t cs) const {
    const char* at = static_cast<const char*>(data) + first * elem_bytes(type);
    return MatrixRef{at, type, rs, cs, scale, zero};
  }
};

// Buffer `buf` as a weight whose form starts at parameter `param`; a packed one must match `want`.
inline WeightArg weight_arg(const Args& a, size_t buf, size_t param, const PackedInfo& want) {
  WeightArg w;
  const long long form = a.integer(param, -1, static_cast<long long>(ElemType::u8));
  w.data = a.bufs[buf].data;
  if (form < 0) {
    const size_t floats = a.bufs[buf].bytes / sizeof(float);
    if (!packed_matches(static_cast<const float*>(w.data), floats, want)) {
      a.fail("buffer " + std::to_string(buf) + " is not packed for this ISA and shape");
    }
    w.packed = true;
    return w;
  }
  w.type = static_cast<ElemType>(form);
  w.scale = static_cast<float>(a.number(param + 1));
  w.zero = static_cast<float>(a.number(param + 2));
  w.elements = a.bufs[buf].bytes / elem_bytes(w.type);
  return w;
}

// A 3x3 convolution weight `src` ([M x C*9]) transformed for the Winograd path, behind a header
// (PackedKind::winograd; ops/conv.cc): what gemm_pack makes when asked for that kind.
void pack_winograd(const MatrixRef& src, size_t m, size_t c, float* dst);

}  // namespace os
