// Instantiates every kernel family for one SIMD vocabulary S. Included once per ISA by
// dispatch/table-<isa>.cc; adding a family means adding its impl header and one line here.
#pragma once
#include "../kernels/vbinary/vbinary-impl.h"
#include "../kernels/vunary/vunary-impl.h"
#include "kernels.h"

namespace os {

template <class S>
KernelTable make_table(Isa isa) {
  KernelTable t{};
  t.isa = isa;
  t.vunary = &impl::vunary<S>;
  t.vbinary = &impl::vbinary<S>;
  return t;
}

}  // namespace os
