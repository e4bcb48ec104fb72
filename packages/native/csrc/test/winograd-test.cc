// Test adapter for the Winograd F(4x4, 3x3) transforms (kernels/conv/winograd.h): the input
// transform over runs of 1 to 48 tiles and 1 to 3 channels, and the output transform over 1 to 48
// tiles, every activation, every output width a run may end at, 1 to 4 output rows. The
// reference is the template instantiated for simd::Scalar (`run` compares only the tables that use
// the Winograd path: WebAssembly SIMD128's and AVX2's, whose store_quads is its own); the scalar
// instantiation is checked against the definitions in double precision.
#include <algorithm>
#include <cmath>
#include <vector>

#include "../common/simd/scalar.h"
#include "../kernels/conv/winograd-impl.h"
#include "harness.h"

namespace os::test {
namespace {

const WinogradKernels& reference() {
  static const WinogradKernels k = impl::winograd_kernels<simd::Scalar>();
  return k;
}

size_t round_up(size_t n, size_t step) { return (n + step - 1) / step * step; }

// Input: `channels` channels of 6 rows in each of the 4 column phases, each `pitch` floats (tiles +
// step + 1 readable).
struct InputCase {
  size_t tiles, channels, pitch, ld, xi_stride;
  std::vector<float> planes;  // [channel][phase][row][pitch]
};

InputCase input_case(Rng& rng, size_t n, size_t step, size_t i) {
  InputCase c{round_up(n, step), i % 3 + 1, 0, 0, 0, {}};
  c.pitch = c.tiles + step + 1 + i % 2;
  c.ld = c.tiles + i % 3;
  c.xi_stride = c.channels * c.ld + i % 5;
  c.planes.resize(c.channels * kWinoTile * 6 * c.pitch);
  rng.fill(c.planes.data(), c.planes.size(), -4, 4);
  return c;
}

void run_input(const WinogradKernels& k, const InputCase& c, const float* planes, float* dst) {
  k.input(c.tiles, c.channels, planes, 6 * c.pitch, c.pitch, kWinoTile * 6 * c.pitch, dst, c.ld, c.xi_stride);
}

// Output: 36 positions `xi_stride` apart for tiles rounded up to `step`; `rows` output rows `width`
// floats each, one after another.
struct OutputCase {
  size_t tiles, xi_stride, width, rows;
  int activation;
  float bias;
  std::vector<float> m;
};

OutputCase output_case(Rng& rng, size_t n, size_t step, size_t i) {
  OutputCase c{n, round_up(n, step) + i % 3, 4 * n - i % 4, i % 4 + 1, kActivations[i % 5], 0.0f, {}};
  c.m.resize(kWinoPositions * c.xi_stride);
  rng.fill(c.m.data(), c.m.size(), -4, 4);
  c.bias = rng.uniform(-1, 1);
  return c;
}

void run_output(const WinogradKernels& k, const OutputCase& c, float* y) {
  k.output(c.tiles, c.m.data(), c.xi_stride, c.bias, c.activation, y, c.width, c.rows, c.width);
}

void run(Check& check, const KernelTable& isa, const KernelTable&) {
  if (!isa.winograd.input) return;
  const WinogradKernels& ref = reference();
  Rng rng(check.seed());
  size_t i = 0;
  for (size_t n : test_sizes()) {
    const InputCase c = input_case(rng, n, isa.winograd.step, i++);
    Guarded x(c.planes.data(), c.planes.size()), want(kWinoPositions * c.xi_stride), got(kWinoPositions * c.xi_stride);
    x.protect();
    std::fill(want.data(), want.data() + want.size(), 7.0f);
    std::fill(got.data(), got.data() + got.size(), 7.0f);
    check.begin("input", "tiles=%zu channels=%zu", c.tiles, c.channels);
    run_input(ref, c, x.data(), want.data());
    run_input(isa.winograd, c, x.data(), got.data());
    check.compare(got.data(), want.data(), got.size(), Tolerance{0, 0.0f, true});
    check.expect(got.guard_ok(), "wrote before its output");
  }
  i = 0;
  for (size_t n : test_sizes()) {
    const OutputCase c = output_case(rng, n, isa.winograd.step, i++);
    Guarded m(c.m.data(), c.m.size()), want(4 * c.width), got(4 * c.width);
    m.protect();
    std::fill(want.data(), want.data() + want.size(), 7.0f);
    std::fill(got.data(), got.data() + got.size(), 7.0f);
    check.begin("output", "tiles=%zu width=%zu rows=%zu activation=%d", n, c.width, c.rows, c.activation);
    run_output(ref, c, want.data());
    run_output(isa.winograd, c, got.data());
    check.compare(got.data(), want.data(), got.size(), Tolerance{8, 1e-6f});
    check.expect(got.guard_ok(), "wrote before its output");
  }
}

// The largest magnitudes the transforms can make from values in [-4, 4]: 4 times the square of
// the largest row sum of |B^T| (10) or |A^T| (19). Float sums of that size are exact to 2 ulps of it
// (2^-22 relative), the spec's absolute tolerance: the rounding of a sum whose terms cancel is
// relative to the terms, not to the result.
constexpr float kInputBound = 4 * 10 * 10, kOutputBound = 4 * 19 * 19;

void spec(Check& check, const KernelTable&) {
  const WinogradKernels& ref = reference();
  Rng rng(check.seed());
  size_t i = 0;
  for (size_t n : test_sizes()) {
    const InputCase c = input_case(rng, n, 1, i++);
    std::vector<float> got(kWinoPositions * c.xi_stride, 7.0f), want(kWinoPositions * c.xi_stride, 7.0f);
    // Tile t of channel ch: padded columns 4t .. 4t + 5 of its 6 rows, V = B^T d B.
    const double bt[6][6] = {{4, 0, -5, 0, 1, 0},  {0, -4, -4, 1, 1, 0}, {0, 4, -4, -1, 1, 0},
                             {0, -2, -1, 2, 1, 0}, {0, 2, -1, -2, 1, 0}, {0, 4, 0, -5, 0, 1}};
    for (size_t ch = 0; ch < c.channels; ch++) {
      for (size_t t = 0; t < c.tiles; t++) {
        double d[6][6];
        for (size_t r = 0; r < 6; r++) {
          for (size_t q = 0; q < 6; q++) d[r][q] = c.planes[((ch * kWinoTile + q % 4) * 6 + r) * c.pitch + t + q / 4];
        }
        for (size_t a = 0; a < 6; a++) {
          for (size_t b = 0; b < 6; b++) {
            double s = 0;
            for (size_t r = 0; r < 6; r++) {
              for (size_t q = 0; q < 6; q++) s += bt[a][r] * d[r][q] * bt[b][q];
            }
            want[(a * 6 + b) * c.xi_stride + ch * c.ld + t] = static_cast<float>(s);
          }
        }
      }
    }
    check.begin("input", "against the definition: tiles=%zu channels=%zu", c.tiles, c.channels);
    run_input(ref, c, c.planes.data(), got.data());
    check.compare(got.data(), want.data(), got.size(), Tolerance{0, kInputBound * 0x1p-22f});
  }
  i = 0;
  for (size_t n : test_sizes()) {
    const OutputCase c = output_case(rng, n, 1, i++);
    std::vector<float> got(4 * c.width, 7.0f), want(4 * c.width, 7.0f);
    // Y = A^T M A: outputs (y, 4t + x) of the rows that are kept.
    const double at[4][6] = {{1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 0}, {0, 1, 1, 4, 4, 0}, {0, 1, -1, 8, -8, 1}};
    for (size_t t = 0; t < c.tiles; t++) {
      for (size_t y = 0; y < c.rows; y++) {
        for (size_t x = 0; x < 4 && 4 * t + x < c.width; x++) {
          double s = c.bias;
          for (size_t a = 0; a < 6; a++) {
            for (size_t b = 0; b < 6; b++) s += at[y][a] * c.m[(a * 6 + b) * c.xi_stride + t] * at[x][b];
          }
          want[y * c.width + 4 * t + x] = static_cast<float>(activate(c.activation, s));
        }
      }
    }
    check.begin("output", "against the definition: tiles=%zu width=%zu rows=%zu activation=%d", n, c.width, c.rows,
                c.activation);
    run_output(ref, c, got.data());
    check.compare(got.data(), want.data(), got.size(), Tolerance{8, kOutputBound * 0x1p-22f});
  }
}

const Register kRegister({"winograd", {field(&KernelTable::winograd)}, &run, &spec});

}  // namespace
}  // namespace os::test
