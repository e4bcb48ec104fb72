// Every kernel entry point the bindings expose. A kernel's id is its position here; JavaScript looks
// ids up by name (info().kernels), so the list may grow anywhere.
#pragma once

#define OS_KERNEL_LIST(X) \
  X(unary_f32)            \
  X(binary_f32)
