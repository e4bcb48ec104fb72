// How kernel code fails: a violated argument check, an exhausted allocation or an unusable ISA
// abandons the kernel call with fail(), and the binding that made the call reports the message to
// JavaScript as an error. fail() has two forms, chosen by whether the build has C++ exceptions:
//
// - With exceptions (the Node addon) it throws std::invalid_argument, std::bad_alloc or
//   std::runtime_error, which the addon turns into JavaScript errors.
// - Without (the WebAssembly builds, -fno-exceptions: emscripten 3.1.6's JavaScript-based exceptions
//   send every call that may throw through a JavaScript trampoline, and its wasm exceptions do not
//   work with pthreads) it records the failure and longjmps to the innermost catch_failure() of the
//   calling thread; with none, it traps. Only catch_failure() calls setjmp, so only the one call it
//   makes goes through emscripten's setjmp trampoline. The abandoned frames run no destructors:
//   what they had allocated stays allocated, and any lock they held stays held. Kernels therefore
//   check their arguments before allocating, and nothing fails while holding a lock. A failed
//   operator new fails the same way (a new handler), instead of aborting the module.
#pragma once
#include <string>
#include <type_traits>

namespace os {

enum class FailureKind { invalid_argument, out_of_memory, runtime_error };

struct Failure {
  FailureKind kind = FailureKind::runtime_error;
  // A fixed buffer rather than a std::string: recording an out-of-memory failure must not allocate.
  char message[256] = {};
};

[[noreturn]] void fail(FailureKind kind, const char* message);
[[noreturn]] inline void fail(FailureKind kind, const std::string& message) { fail(kind, message.c_str()); }
[[noreturn]] inline void fail(const Failure& failure) { fail(failure.kind, failure.message); }
[[noreturn]] inline void fail_out_of_memory() { fail(FailureKind::out_of_memory, "out of memory"); }

// Runs fn(context). Returns true when it returned; false when it failed, with *failure saying how.
bool catch_failure(void (*fn)(void*), void* context, Failure* failure);

template <class F>
bool catch_failure(F&& f, Failure* failure) {
  using Fn = std::remove_reference_t<F>;
  return catch_failure([](void* c) { (*static_cast<Fn*>(c))(); }, const_cast<void*>(static_cast<const void*>(&f)),
                       failure);
}

}  // namespace os
