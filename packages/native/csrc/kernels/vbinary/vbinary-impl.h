#pragma once
#include "vbinary.h"

namespace os::impl {

template <class S, class F>
inline void map_binary(size_t n, const float* a, size_t sa, const float* b, size_t sb, float* y, F f) {
  using V = typename S::V;
  size_t i = 0;
  if (sa == 1 && sb == 1) {
    for (; i + S::N <= n; i += S::N) S::store(y + i, f(S::load(a + i), S::load(b + i)));
    if (i < n) S::store_tail(y + i, f(S::load_tail(a + i, n - i), S::load_tail(b + i, n - i)), n - i);
  } else if (sa == 1) {
    const V vb = S::set1(*b);
    for (; i + S::N <= n; i += S::N) S::store(y + i, f(S::load(a + i), vb));
    if (i < n) S::store_tail(y + i, f(S::load_tail(a + i, n - i), vb), n - i);
  } else if (sb == 1) {
    const V va = S::set1(*a);
    for (; i + S::N <= n; i += S::N) S::store(y + i, f(va, S::load(b + i)));
    if (i < n) S::store_tail(y + i, f(va, S::load_tail(b + i, n - i)), n - i);
  } else {
    const V v = f(S::set1(*a), S::set1(*b));
    for (; i + S::N <= n; i += S::N) S::store(y + i, v);
    if (i < n) S::store_tail(y + i, v, n - i);
  }
}

template <class S>
void vbinary(BinaryOp op, size_t n, const float* a, size_t sa, const float* b, size_t sb, float* y) {
  using V = typename S::V;
  switch (op) {
    case BinaryOp::add: return map_binary<S>(n, a, sa, b, sb, y, [](V x, V z) { return S::add(x, z); });
    case BinaryOp::sub: return map_binary<S>(n, a, sa, b, sb, y, [](V x, V z) { return S::sub(x, z); });
    case BinaryOp::mul: return map_binary<S>(n, a, sa, b, sb, y, [](V x, V z) { return S::mul(x, z); });
    case BinaryOp::div: return map_binary<S>(n, a, sa, b, sb, y, [](V x, V z) { return S::div(x, z); });
    case BinaryOp::max: return map_binary<S>(n, a, sa, b, sb, y, [](V x, V z) { return S::max(x, z); });
    case BinaryOp::min: return map_binary<S>(n, a, sa, b, sb, y, [](V x, V z) { return S::min(x, z); });
  }
}

}  // namespace os::impl
