// Test adapter for conv3x3s2 (kernels/conv/conv3x3s2.h): dense 3x3 stride-2 convolutions over 1 to
// kConv3x3S2MaxChannels input planes, 1 to 24 output channels (whole and partial weight panels of
// every ISA), planes 1 to 9 high and 1 to 150 wide (rows shorter than a vector, the edge blocks
// on either side, blocks read in place), top and left padding 0 to 2 (the bottom and right ones
// following from the output size, which may also leave input unread), with and without bias, every
// activation, in one call or two bands of rows; the input ends at a guard page. Each table runs
// on its own weight panels (GemmKernels::pack_a). Against the scalar table; the scalar table
// against the definition in double precision.
#include <utility>
#include <vector>

#include "../kernels/conv/conv3x3s2.h"
#include "harness.h"

namespace os::test {
namespace {

struct C3s2Case {
  size_t channels, m, h, w, pt, pl, oh, ow;
  int activation;
  bool bias;
  std::vector<float> weights;  // m x channels x 3 x 3
  std::vector<float> biases;
};

std::vector<C3s2Case> c3s2_cases(Rng& rng) {
  std::vector<C3s2Case> cases;
  size_t i = 0;
  for (size_t w : {1, 2, 3, 4, 5, 7, 16, 17, 31, 33, 34, 35, 36, 47, 64, 65, 70, 97, 150}) {
    for (size_t pad : {0, 1, 2}) {
      Plane3x3 plane;
      if (!plane3x3(i, w, 2, pad, plane)) {
        i++;
        continue;
      }
      C3s2Case c{};
      c.channels = 1 + i % kConv3x3S2MaxChannels;
      c.m = std::vector<size_t>{1, 5, 8, 13, 16, 17, 24}[i % 7];
      c.h = plane.h;
      c.w = plane.w;
      c.pt = plane.pt;
      c.pl = plane.pl;
      c.oh = plane.oh;
      c.ow = plane.ow;
      c.activation = kActivations[i % 5];
      c.bias = i % 4 != 3;
      c.weights.resize(c.m * c.channels * 9);
      rng.fill(c.weights.data(), c.weights.size(), -1, 1);
      c.biases.resize(c.m);
      rng.fill(c.biases.data(), c.m, -1, 1);
      cases.push_back(std::move(c));
      i++;
    }
  }
  return cases;
}

// The weight as `table`'s packed A panels.
std::vector<float> panels_of(const KernelTable& table, const C3s2Case& c) {
  const size_t mr = table.gemm.mr, depth = c.channels * 9, panels = (c.m + mr - 1) / mr;
  std::vector<float> packed(panels * mr * depth);
  for (size_t p = 0; p < panels; p++) {
    const MatrixRef src{c.weights.data() + p * mr * depth, ElemType::f32, static_cast<ptrdiff_t>(depth), 1, 1.0f,
                        0.0f};
    table.gemm.pack_a(std::min(mr, c.m - p * mr), depth, src, packed.data() + p * mr * depth);
  }
  return packed;
}

// The table's output, in one call or (split) two bands of rows.
void convolve(const KernelTable& table, const C3s2Case& c, const float* x, size_t split, float* y) {
  const std::vector<float> panels = panels_of(table, c);
  for (const auto& [oy0, oy1] : {std::pair<size_t, size_t>{0, split}, std::pair<size_t, size_t>{split, c.oh}}) {
    if (oy0 == oy1) continue;
    table.conv3x3s2(c.m, c.channels, oy0, oy1, c.ow, c.h, c.w, c.pt, c.pl, x, c.h * c.w, panels.data(),
                    c.bias ? c.biases.data() : nullptr, c.activation, y, c.oh * c.ow);
  }
}

Tolerance tolerance(const C3s2Case& c) { return Tolerance{8, 4e-6f * static_cast<float>(c.channels * 9)}; }

void run(Check& check, const KernelTable& isa, const KernelTable& scalar) {
  Rng rng(check.seed());
  size_t i = 0;
  for (const C3s2Case& c : c3s2_cases(rng)) {
    std::vector<float> values(c.channels * c.h * c.w);
    rng.fill(values.data(), values.size(), -4, 4);
    Guarded x(values.data(), values.size()), want(c.m * c.oh * c.ow), got(c.m * c.oh * c.ow);
    x.protect();
    const size_t split = i++ % 2 ? c.oh / 2 : 0;
    check.begin("conv3x3s2",
                "channels=%zu m=%zu h=%zu w=%zu pt=%zu pl=%zu oh=%zu ow=%zu activation=%d bias=%d rows split at %zu",
                c.channels, c.m, c.h, c.w, c.pt, c.pl, c.oh, c.ow, c.activation, c.bias ? 1 : 0, split);
    convolve(scalar, c, x.data(), 0, want.data());
    convolve(isa, c, x.data(), split, got.data());
    check.compare(got.data(), want.data(), got.size(), tolerance(c));
    check.expect(got.guard_ok(), "wrote before its output");
  }
}

void spec(Check& check, const KernelTable& scalar) {
  Rng rng(check.seed());
  for (const C3s2Case& c : c3s2_cases(rng)) {
    std::vector<float> x(c.channels * c.h * c.w), got(c.m * c.oh * c.ow), want(c.m * c.oh * c.ow);
    rng.fill(x.data(), x.size(), -4, 4);
    for (size_t o = 0; o < c.m; o++) {
      for (size_t oy = 0; oy < c.oh; oy++) {
        for (size_t j = 0; j < c.ow; j++) {
          double s = c.bias ? c.biases[o] : 0.0;
          for (size_t ch = 0; ch < c.channels; ch++) {
            for (size_t ky = 0; ky < 3; ky++) {
              for (size_t kx = 0; kx < 3; kx++) {
                const ptrdiff_t iy = static_cast<ptrdiff_t>(2 * oy + ky) - static_cast<ptrdiff_t>(c.pt);
                const ptrdiff_t ix = static_cast<ptrdiff_t>(2 * j + kx) - static_cast<ptrdiff_t>(c.pl);
                if (iy < 0 || ix < 0 || iy >= static_cast<ptrdiff_t>(c.h) || ix >= static_cast<ptrdiff_t>(c.w)) {
                  continue;
                }
                s += static_cast<double>(c.weights[((o * c.channels + ch) * 3 + ky) * 3 + kx]) *
                     x[(ch * c.h + iy) * c.w + ix];
              }
            }
          }
          want[(o * c.oh + oy) * c.ow + j] = static_cast<float>(activate(c.activation, s));
        }
      }
    }
    check.begin("conv3x3s2", "against the definition: channels=%zu m=%zu h=%zu w=%zu pt=%zu pl=%zu activation=%d",
                c.channels, c.m, c.h, c.w, c.pt, c.pl, c.activation);
    convolve(scalar, c, x.data(), 0, got.data());
    check.compare(got.data(), want.data(), got.size(), tolerance(c));
  }
}

// conv3x3s2_max_channels only routes calls (ops/conv.cc): every ISA's kernel is tested here.
const Register kRegister({"conv3x3s2",
                          {field(&KernelTable::conv3x3s2), field(&KernelTable::conv3x3s2_max_channels)},
                          &run, &spec});

}  // namespace
}  // namespace os::test
