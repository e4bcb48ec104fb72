// Test adapter for dwconv3x3 (kernels/conv/dwconv3x3.h): whole output planes of 3x3 depthwise
// convolutions at strides 1 and 2, top and left padding 0 to 2 (the bottom and right ones following
// from the output size, which may also drop input), planes 1 to 70 wide (the vector tails, the
// left-padding outputs, rows shorter than a vector) and 1 to 9 high, every activation; the input
// plane ends at a guard page. Against the scalar table; the scalar table against the definition in
// double precision.
#include <utility>
#include <vector>

#include "../kernels/conv/dwconv3x3.h"
#include "harness.h"

namespace os::test {
namespace {

struct Dw3Case {
  size_t h, w, stride, pt, pl, oh, ow;
  int activation;
  float bias;
  std::vector<float> weights;
};

// Plane sizes and paddings by case number (plane3x3).
std::vector<Dw3Case> dw3_cases(Rng& rng) {
  std::vector<Dw3Case> cases;
  size_t i = 0;
  for (size_t w : {1, 2, 3, 4, 5, 7, 10, 15, 16, 17, 20, 31, 33, 40, 47, 64, 65, 70}) {
    for (size_t stride : {1, 2}) {
      for (size_t pad : {0, 1, 2}) {
        Plane3x3 plane;
        if (!plane3x3(i, w, stride, pad, plane)) {
          i++;
          continue;
        }
        Dw3Case c{};
        c.h = plane.h;
        c.w = plane.w;
        c.stride = stride;
        c.pt = plane.pt;
        c.pl = plane.pl;
        c.oh = plane.oh;
        c.ow = plane.ow;
        c.activation = kActivations[i % 5];
        c.bias = rng.uniform(-1, 1);
        c.weights.resize(9);
        rng.fill(c.weights.data(), 9, -1, 1);
        cases.push_back(c);
        i++;
      }
    }
  }
  return cases;
}

// The channel-block kernel (dwconv3x3_block, where the table has it) on blocks of 1 to a vector's
// lanes of channels (each its own weights and bias, or no bias), over whole planes and in two bands
// of rows that share one ring (the second call must not trust what the first left in it), against
// the scalar table's plane kernel channel by channel. Inputs and outputs end at guard pages.
void run_block(Check& check, const KernelTable& isa, const KernelTable& scalar) {
  Rng rng(check.seed() + 1);
  const size_t lanes = isa.dwconv3x3_block_channels;
  size_t i = 0;
  for (const Dw3Case& c : dw3_cases(rng)) {
    const size_t channels = 1 + (i * 5) % lanes, hw = c.h * c.w, ohw = c.oh * c.ow;
    const bool with_bias = i % 4 != 3;
    std::vector<float> values(channels * hw), weights(channels * 9), biases(channels);
    rng.fill(values.data(), values.size(), -4, 4);
    rng.fill(weights.data(), weights.size(), -1, 1);
    rng.fill(biases.data(), biases.size(), -1, 1);
    Guarded x(values.data(), values.size()), want(channels * ohw), got(channels * ohw);
    x.protect();
    for (size_t k = 0; k < channels; k++) {
      scalar.dwconv3x3(c.oh, c.ow, c.h, c.w, c.stride, c.pt, c.pl, x.data() + k * hw, weights.data() + 9 * k,
                       with_bias ? biases[k] : 0.0f, c.activation, want.data() + k * ohw);
    }
    std::vector<float> ring(dw3_ring_floats(c.ow, c.stride, lanes), 7.0f);
    const size_t split = i % 2 ? c.oh / 2 : 0;
    check.begin("dwconv3x3_block",
                "channels=%zu h=%zu w=%zu stride=%zu pt=%zu pl=%zu oh=%zu ow=%zu activation=%d bias=%d "
                "rows split at %zu",
                channels, c.h, c.w, c.stride, c.pt, c.pl, c.oh, c.ow, c.activation, with_bias ? 1 : 0, split);
    for (const auto& [oy0, oy1] : {std::pair<size_t, size_t>{0, split}, std::pair<size_t, size_t>{split, c.oh}}) {
      if (oy0 == oy1) continue;
      isa.dwconv3x3_block(channels, oy0, oy1, c.ow, c.h, c.w, c.stride, c.pt, c.pl, x.data(), hw, weights.data(),
                          with_bias ? biases.data() : nullptr, c.activation, got.data(), ohw, ring.data());
    }
    check.compare(got.data(), want.data(), got.size(), Tolerance{8, 2e-6f * 9});
    check.expect(got.guard_ok(), "wrote before its output");
    i++;
  }
}

void run(Check& check, const KernelTable& isa, const KernelTable& scalar) {
  if (isa.dwconv3x3_block) run_block(check, isa, scalar);
  Rng rng(check.seed());
  for (const Dw3Case& c : dw3_cases(rng)) {
    std::vector<float> values(c.h * c.w);
    rng.fill(values.data(), values.size(), -4, 4);
    Guarded x(values.data(), values.size()), want(c.oh * c.ow), got(c.oh * c.ow);
    x.protect();
    check.begin("dwconv3x3", "h=%zu w=%zu stride=%zu pt=%zu pl=%zu oh=%zu ow=%zu activation=%d", c.h, c.w, c.stride,
                c.pt, c.pl, c.oh, c.ow, c.activation);
    scalar.dwconv3x3(c.oh, c.ow, c.h, c.w, c.stride, c.pt, c.pl, x.data(), c.weights.data(), c.bias, c.activation,
                     want.data());
    isa.dwconv3x3(c.oh, c.ow, c.h, c.w, c.stride, c.pt, c.pl, x.data(), c.weights.data(), c.bias, c.activation,
                  got.data());
    check.compare(got.data(), want.data(), got.size(), Tolerance{8, 2e-6f * 9});
    check.expect(got.guard_ok(), "wrote before its output");
  }
}

void spec(Check& check, const KernelTable& scalar) {
  Rng rng(check.seed());
  for (const Dw3Case& c : dw3_cases(rng)) {
    std::vector<float> x(c.h * c.w), got(c.oh * c.ow), want(c.oh * c.ow);
    rng.fill(x.data(), x.size(), -4, 4);
    for (size_t oy = 0; oy < c.oh; oy++) {
      for (size_t j = 0; j < c.ow; j++) {
        double s = c.bias;
        for (size_t ky = 0; ky < 3; ky++) {
          for (size_t kx = 0; kx < 3; kx++) {
            const ptrdiff_t iy = static_cast<ptrdiff_t>(c.stride * oy + ky) - static_cast<ptrdiff_t>(c.pt);
            const ptrdiff_t ix = static_cast<ptrdiff_t>(c.stride * j + kx) - static_cast<ptrdiff_t>(c.pl);
            if (iy < 0 || ix < 0 || iy >= static_cast<ptrdiff_t>(c.h) || ix >= static_cast<ptrdiff_t>(c.w)) continue;
            s += static_cast<double>(c.weights[3 * ky + kx]) * x[iy * c.w + ix];
          }
        }
        want[oy * c.ow + j] = static_cast<float>(activate(c.activation, s));
      }
    }
    check.begin("dwconv3x3", "against the definition: h=%zu w=%zu stride=%zu pt=%zu pl=%zu activation=%d", c.h, c.w,
                c.stride, c.pt, c.pl, c.activation);
    scalar.dwconv3x3(c.oh, c.ow, c.h, c.w, c.stride, c.pt, c.pl, x.data(), c.weights.data(), c.bias, c.activation,
                     got.data());
    check.compare(got.data(), want.data(), got.size(), Tolerance{8, 2e-6f * 9});
  }
}

// dwconv3x3_min_width and dwconv3x3_block_s1/s2_max_width only route calls (ops/conv.cc): every width
// is tested here.
const Register kRegister({"dwconv3x3",
                          {field(&KernelTable::dwconv3x3), field(&KernelTable::dwconv3x3_min_width),
                           field(&KernelTable::dwconv3x3_block), field(&KernelTable::dwconv3x3_block_channels),
                           field(&KernelTable::dwconv3x3_block_s1_max_width),
                           field(&KernelTable::dwconv3x3_block_s2_max_width)},
                          &run, &spec});

}  // namespace
}  // namespace os::test
