#include "failure.h"

#include <cstring>
#include <new>

#if defined(__cpp_exceptions)
#include <stdexcept>
#else
#include <csetjmp>
#endif

namespace os {
namespace {

void record(Failure* failure, FailureKind kind, const char* message) {
  failure->kind = kind;
  std::strncpy(failure->message, message, sizeof failure->message - 1);
  failure->message[sizeof failure->message - 1] = '\0';
}

}  // namespace

#if defined(__cpp_exceptions)

void fail(FailureKind kind, const char* message) {
  switch (kind) {
    case FailureKind::invalid_argument: throw std::invalid_argument(message);
    case FailureKind::out_of_memory: throw std::bad_alloc();
    case FailureKind::runtime_error: break;
  }
  throw std::runtime_error(message);
}

bool catch_failure(void (*fn)(void*), void* context, Failure* failure) {
  try {
    fn(context);
    return true;
  } catch (const std::bad_alloc&) {
    record(failure, FailureKind::out_of_memory, "out of memory");
  } catch (const std::invalid_argument& e) {
    record(failure, FailureKind::invalid_argument, e.what());
  } catch (const std::exception& e) {
    record(failure, FailureKind::runtime_error, e.what());
  }
  return false;
}

#else

namespace {

// A catch_failure() in progress on this thread; the innermost is the one fail() returns to.
struct Catcher {
  std::jmp_buf env;
  Failure* failure;
  Catcher* outer;
};
thread_local Catcher* t_catcher = nullptr;

// Makes a failed operator new fail() (without a new handler, emscripten's aborts the module).
struct NewFails {
  NewFails() { std::set_new_handler([] { fail_out_of_memory(); }); }
} g_new_fails;

}  // namespace

void fail(FailureKind kind, const char* message) {
  Catcher* c = t_catcher;
  if (!c) __builtin_trap();
  record(c->failure, kind, message);
  std::longjmp(c->env, 1);
}

bool catch_failure(void (*fn)(void*), void* context, Failure* failure) {
  Catcher c;
  c.failure = failure;
  c.outer = t_catcher;
  t_catcher = &c;
  if (setjmp(c.env) != 0) {
    t_catcher = c.outer;
    return false;
  }
  fn(context);
  t_catcher = c.outer;
  return true;
}

#endif

}  // namespace os
