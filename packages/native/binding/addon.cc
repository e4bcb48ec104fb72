// Node-API binding: buffers in native memory handed to JavaScript as external ArrayBuffers
// (no copies), and kernels run either on the calling thread or off the JavaScript thread.
//
//   alloc(bytes) -> ArrayBuffer        native, 64-byte aligned (mmap for large blocks)
//   free(arrayBuffer)                  frees now and detaches it (views then have length 0)
//   park(arrayBuffer) -> boolean       keeps it, counted as cached, for the caller to hand out again
//                                      (false: no room in the cache; free it instead)
//   unpark(arrayBuffer)                counts a parked buffer as in use again
//   run(kernelId, views, params)       -> Promise of the microseconds the kernel ran, on a libuv
//                                      worker thread (the pool joins in)
//   runSync(kernelId, views, params)   on this thread, for small work
//   prepareProgram(fixed, openBytes, code, params) -> program: a recorded sequence of calls, checked
//   runPrepared(program, bases)        -> Promise: its calls on the task thread over the open bases
//   info() -> { isa, isas, threads, kernels, bytesInUse, bytesPeak, bytesCached }
//   setIsa(name), setThreads(n), setPoolSpin(workerUs, callerUs), resetPeak(), setBufferCache(bytes)
//   trim()                             frees the cached blocks and glibc's free pages (between models)
//   cacheLevel() -> bytes              freed blocks in the block cache (parked buffers apart)
//   trimCache(bytes)                   frees the most recently cached blocks until at most bytes are left,
//                                      and glibc's free pages (after a recorded run)
//   holdCacheLean(on)                  takes or gives back a lean hold on the block cache (a recorded run)
#include <napi.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "../csrc/api/api.h"
#include "../csrc/common/buffer.h"
#include "../csrc/dispatch/kernels.h"
#include "../csrc/threads/pool.h"
#include "../csrc/threads/runner.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace {

// glibc serves large blocks with mmap only up to a threshold that grows (to 32 MiB) each time such a
// block is freed; past it, freed weight buffers and Node's large ArrayBuffers stay in its heap and in
// the RSS. A fixed 1 MiB threshold gives them back when freed (OnnxStream fixes it for the same
// reason: 50 MB less peak RSS on a streamed SD UNet here). The user's MALLOC_*_ variables win.
void return_large_blocks() {
#if defined(__GLIBC__)
  if (!std::getenv("MALLOC_MMAP_THRESHOLD_")) mallopt(M_MMAP_THRESHOLD, 1 << 20);
  if (!std::getenv("MALLOC_TRIM_THRESHOLD_")) mallopt(M_TRIM_THRESHOLD, 1 << 20);
#endif
}

// glibc gives back only the top of its heaps; the many small buffers a model's run frees (tensors
// below the mmap threshold, Node's small ArrayBuffers, kernels' scratch) leave free pages inside
// them that stay resident. malloc_trim releases those, from free(), at most once every 10 s: the
// pages it takes are faulted back in by the next allocations (a YOLOv8n run after a trim took 15-25
// ms longer: 700 page faults), while the memory it frees builds up slowly. Measured on a streamed
// SD 1.5 generation (512x512, 3 steps): peak RSS 265 MB (once a second: 261; never: 277).
void trim_heaps() {
#if defined(__GLIBC__)
  using clock = std::chrono::steady_clock;
  static clock::time_point last{};
  const clock::time_point now = clock::now();
  if (now - last < std::chrono::seconds(10)) return;
  last = now;
  malloc_trim(0);
#endif
}

// A native block behind an external ArrayBuffer. free() releases it at once; the garbage
// collector's finalizer releases blocks nobody freed.
struct Block {
  void* data;
  size_t bytes;
  bool parked;
};

std::mutex g_blocks_mutex;
std::unordered_map<void*, Block*> g_blocks;

void FinalizeBlock(Napi::Env, void* data, Block* block) {
  {
    std::lock_guard<std::mutex> lock(g_blocks_mutex);
    if (block->data) g_blocks.erase(data);
  }
  if (block->data) {
    if (block->parked) os::unpark_buffer(block->data, block->bytes);
    os::free_buffer(block->data, block->bytes);
  }
  delete block;
}

Napi::Value Alloc(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const double bytes = info[0].As<Napi::Number>().DoubleValue();
  if (!(bytes >= 0 && bytes <= 9007199254740991.0)) throw Napi::RangeError::New(env, "alloc: bad byte count");
  const auto n = static_cast<size_t>(bytes);
  const bool lasting = info.Length() > 1 && info[1].ToBoolean().Value();
  void* p = os::alloc_buffer(n, lasting);
  auto* block = new Block{p, n, false};
  {
    std::lock_guard<std::mutex> lock(g_blocks_mutex);
    g_blocks[p] = block;
  }
  return Napi::ArrayBuffer::New(env, p, n, FinalizeBlock, block);
}

Napi::Value Free(const Napi::CallbackInfo& info) {
  Napi::ArrayBuffer ab = info[0].As<Napi::ArrayBuffer>();
  // An empty external ArrayBuffer may not report its pointer; its block is left to the finalizer.
  if (ab.IsDetached() || ab.ByteLength() == 0) return info.Env().Undefined();
  Block* block = nullptr;
  {
    std::lock_guard<std::mutex> lock(g_blocks_mutex);
    auto it = g_blocks.find(ab.Data());
    if (it != g_blocks.end()) {
      block = it->second;
      g_blocks.erase(it);
    }
  }
  if (!block) throw Napi::Error::New(info.Env(), "free: not a buffer from alloc()");
  // Views of the buffer become empty before the memory goes.
  ab.Detach();
  if (block->parked) os::unpark_buffer(block->data, block->bytes);
  os::free_buffer(block->data, block->bytes);
  block->data = nullptr;
  trim_heaps();
  return info.Env().Undefined();
}

// The block behind a buffer from alloc() (not freed).
Block* BlockOf(const Napi::CallbackInfo& info, const char* fn) {
  Napi::ArrayBuffer ab = info[0].As<Napi::ArrayBuffer>();
  Block* block = nullptr;
  if (!ab.IsDetached() && ab.ByteLength() > 0) {
    std::lock_guard<std::mutex> lock(g_blocks_mutex);
    auto it = g_blocks.find(ab.Data());
    if (it != g_blocks.end()) block = it->second;
  }
  if (!block) throw Napi::Error::New(info.Env(), std::string(fn) + ": not a live buffer from alloc()");
  return block;
}

Napi::Value Park(const Napi::CallbackInfo& info) {
  Block* block = BlockOf(info, "park");
  if (block->parked) throw Napi::Error::New(info.Env(), "park: the buffer is parked already");
  block->parked = os::park_buffer(block->data, block->bytes);
  return Napi::Boolean::New(info.Env(), block->parked);
}

Napi::Value Unpark(const Napi::CallbackInfo& info) {
  Block* block = BlockOf(info, "unpark");
  if (!block->parked) throw Napi::Error::New(info.Env(), "unpark: the buffer is not parked");
  os::unpark_buffer(block->data, block->bytes);
  block->parked = false;
  return info.Env().Undefined();
}

struct Call {
  os::KernelFn fn = nullptr;
  std::vector<os::Buf> bufs;
  std::vector<double> params;
};

Call Prepare(const Napi::CallbackInfo& info, std::vector<Napi::ObjectReference>* keep) {
  Napi::Env env = info.Env();
  const int id = info[0].As<Napi::Number>().Int32Value();
  Call c;
  c.fn = os::kernel_fn(id);
  if (!c.fn) throw Napi::RangeError::New(env, "unknown kernel id " + std::to_string(id));
  Napi::Array views = info[1].As<Napi::Array>();
  const uint32_t nviews = views.Length();
  c.bufs.reserve(nviews);
  if (keep) keep->reserve(nviews);
  for (uint32_t i = 0; i < nviews; i++) {
    Napi::Value v = views[i];
    if (!v.IsTypedArray()) throw Napi::TypeError::New(env, std::string(os::kernel_name(id)) + ": buffer " + std::to_string(i) + " is not a typed array");
    Napi::TypedArray t = v.As<Napi::TypedArray>();
    Napi::ArrayBuffer ab = t.ArrayBuffer();
    auto* base = static_cast<uint8_t*>(ab.Data());
    c.bufs.push_back({base ? base + t.ByteOffset() : nullptr, t.ByteLength()});
    if (keep) keep->push_back(Napi::Persistent(v.As<Napi::Object>()));
  }
  Napi::Float64Array p = info[2].As<Napi::Float64Array>();
  c.params.assign(p.Data(), p.Data() + p.ElementLength());
  return c;
}

class KernelWorker : public Napi::AsyncWorker {
 public:
  KernelWorker(Napi::Env env, Call call, std::vector<Napi::ObjectReference> keep)
      : Napi::AsyncWorker(env, "onnxstream-kernel"), call_(std::move(call)), keep_(std::move(keep)), deferred_(env) {}
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override {
    const auto t0 = std::chrono::steady_clock::now();
    try {
      call_.fn(call_.bufs.data(), call_.bufs.size(), call_.params.data(), call_.params.size());
    } catch (const std::exception& e) {
      SetError(e.what());
    }
    us_ = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
  }
  // Resolves with the kernel's own time (the backend runs calls measured short on the JS thread).
  void OnOK() override { deferred_.Resolve(Napi::Number::New(Env(), us_)); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Call call_;
  std::vector<Napi::ObjectReference> keep_;  // the buffers stay alive while the kernel runs
  Napi::Promise::Deferred deferred_;
  double us_ = 0;
};

Napi::Value Run(const Napi::CallbackInfo& info) {
  std::vector<Napi::ObjectReference> keep;
  Call c = Prepare(info, &keep);
  auto* w = new KernelWorker(info.Env(), std::move(c), std::move(keep));
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

Napi::Value RunSync(const Napi::CallbackInfo& info) {
  Call c = Prepare(info, nullptr);
  try {
    c.fn(c.bufs.data(), c.bufs.size(), c.params.data(), c.params.size());
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), e.what());
  }
  return info.Env().Undefined();
}

// A recorded sequence of kernel calls (core's executor/replay.ts), checked once and then run again
// and again: prepareProgram(fixed, openBytes, code, params) -> program; runPrepared(program, open)
// -> Promise<void>, the calls one after another on the task thread. Bases are numbered the open
// ones first (given to each run, each of the byte length openBytes gave: a replay's arena, outputs
// and feeds), then the fixed ones (weights and constants, referenced by the program). code: per call
// the kernel id, the buffer count, the parameter count and first parameter in `params`, then per
// buffer its base, byte offset and byte count. Every index, range and kernel id is checked at
// preparation; a run checks its open bases' lengths. A kernel's own failure rejects with its message
// and stops the run. (Preparing once took 30-40 us of UltraFace's runs off the JavaScript thread.)
struct Program {
  struct Step {
    os::KernelFn fn;
    size_t buf, nbufs, param, nparams;
  };
  // A buffer on an open base: bufs[index] is that base's data plus offset.
  struct OpenBuf {
    size_t index, base, offset;
  };
  std::vector<Step> steps;
  std::vector<os::Buf> bufs;  // every step's, those on open bases null until a run fills them in
  std::vector<OpenBuf> open_bufs;
  std::vector<size_t> open_bytes;
  std::vector<double> params;
};

// A program's handle (the External runPrepared takes): the program, which runs in flight share, and
// the references keeping its fixed bases alive, released by the handle's finalizer on the
// JavaScript thread. Live handles are registered, so that runPrepared takes no other External.
struct ProgramHandle {
  std::shared_ptr<const Program> program;
  std::vector<napi_ref> keep;
};
std::mutex g_handles_mutex;
std::unordered_set<const ProgramHandle*> g_handles;

void FinalizeProgram(Napi::Env env, ProgramHandle* handle) {
  {
    std::lock_guard<std::mutex> lock(g_handles_mutex);
    g_handles.erase(handle);
  }
  for (napi_ref r : handle->keep) napi_delete_reference(env, r);
  delete handle;
}

Napi::Value PrepareProgram(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 4 || !info[0].IsArray() || !info[1].IsTypedArray() || !info[2].IsTypedArray() ||
      !info[3].IsTypedArray()) {
    throw Napi::TypeError::New(env, "prepareProgram(fixed, openBytes, code, params): bad arguments");
  }
  const auto whole = [&](double v, double hi, const char* what) {
    if (!(v >= 0 && v <= hi && v == static_cast<double>(static_cast<size_t>(v)))) {
      throw Napi::RangeError::New(env, std::string("prepareProgram: bad ") + what);
    }
    return static_cast<size_t>(v);
  };
  auto program = std::make_shared<Program>();
  Program& pr = *program;
  std::vector<napi_ref> keep;
  // The references so far go if a check below throws.
  struct Unkeep {
    napi_env env;
    std::vector<napi_ref>* refs;
    ~Unkeep() {
      for (napi_ref r : *refs) napi_delete_reference(env, r);
    }
  } unkeep{env, &keep};
  Napi::Float64Array open = info[1].As<Napi::Float64Array>();
  for (size_t i = 0; i < open.ElementLength(); i++) pr.open_bytes.push_back(whole(open[i], 9007199254740991.0, "open base length"));
  // Every base as (data, bytes); the open ones without data.
  std::vector<os::Buf> bases;
  for (size_t b : pr.open_bytes) bases.push_back({nullptr, b});
  Napi::Array fixed = info[0].As<Napi::Array>();
  for (uint32_t i = 0; i < fixed.Length(); i++) {
    Napi::Value v = fixed[i];
    if (!v.IsTypedArray()) throw Napi::TypeError::New(env, "prepareProgram: fixed base " + std::to_string(i) + " is not a typed array");
    Napi::TypedArray t = v.As<Napi::TypedArray>();
    auto* data = static_cast<uint8_t*>(t.ArrayBuffer().Data());
    bases.push_back({data ? data + t.ByteOffset() : nullptr, t.ByteLength()});
    napi_ref ref;
    napi_create_reference(env, v, 1, &ref);
    keep.push_back(ref);
  }
  Napi::Float64Array code = info[2].As<Napi::Float64Array>();
  Napi::Float64Array params = info[3].As<Napi::Float64Array>();
  pr.params.assign(params.Data(), params.Data() + params.ElementLength());
  const double* op = code.Data();
  const size_t n = code.ElementLength(), np = pr.params.size();
  for (size_t at = 0; at < n;) {
    if (n - at < 4) throw Napi::RangeError::New(env, "prepareProgram: truncated call");
    Program::Step step;
    step.fn = os::kernel_fn(static_cast<int>(whole(op[at], os::kernel_count, "kernel id")));
    if (!step.fn) throw Napi::RangeError::New(env, "prepareProgram: unknown kernel id");
    step.nbufs = whole(op[at + 1], static_cast<double>(n), "buffer count");
    step.nparams = whole(op[at + 2], static_cast<double>(np), "parameter count");
    step.param = whole(op[at + 3], static_cast<double>(np - step.nparams), "parameter offset");
    step.buf = pr.bufs.size();
    at += 4;
    if (n - at < 3 * step.nbufs) throw Napi::RangeError::New(env, "prepareProgram: truncated buffers");
    for (size_t k = 0; k < step.nbufs; k++, at += 3) {
      const size_t base = whole(op[at], static_cast<double>(bases.size()) - 1, "base");
      const os::Buf& b = bases[base];
      const size_t bytes = whole(op[at + 2], static_cast<double>(b.bytes), "byte count");
      const size_t offset = whole(op[at + 1], static_cast<double>(b.bytes - bytes), "byte offset");
      if (base < pr.open_bytes.size() && bytes) pr.open_bufs.push_back({pr.bufs.size(), base, offset});
      pr.bufs.push_back({bytes && b.data ? static_cast<uint8_t*>(b.data) + offset : nullptr, bytes});
    }
    pr.steps.push_back(step);
  }
  auto* handle = new ProgramHandle{std::move(program), {}};
  handle->keep.swap(keep);
  {
    std::lock_guard<std::mutex> lock(g_handles_mutex);
    g_handles.insert(handle);
  }
  return Napi::External<ProgramHandle>::New(env, handle, FinalizeProgram);
}

// Runs of prepared programs go to the task thread (threads/runner.h), which stays awake between
// runs issued back to back; each environment (the main thread, each worker thread) gets its runs
// back through a thread-safe function whose JavaScript-thread callback settles their promises. It
// holds the event loop open only while runs are pending. At the environment's teardown a cleanup
// hook waits for its runs still on the task thread (their kernels read its buffers) and releases
// the function; runs hold the environment's state, so it lives as long as the last of them.
struct ProgramRun;
void SettleRun(Napi::Env env, Napi::Function, std::nullptr_t*, ProgramRun* run);
using SettleFn = Napi::TypedThreadSafeFunction<std::nullptr_t, ProgramRun, SettleRun>;

struct EnvRuns {
  SettleFn settle;
  size_t pending = 0;   // runs not settled (JavaScript thread)
  bool closed = false;  // torn down (JavaScript thread)
  std::mutex mutex;
  std::condition_variable idle;
  size_t running = 0;  // runs submitted and not yet done on the task thread (under mutex)
};

struct ProgramRun {
  std::shared_ptr<EnvRuns> env_runs;
  std::shared_ptr<const Program> program;
  std::vector<os::Buf> bufs;
  std::vector<napi_ref> keep;  // the open bases, alive while it runs
  napi_deferred deferred = nullptr;
  std::string error;
  bool failed = false;
};

void SettleRun(Napi::Env env, Napi::Function, std::nullptr_t*, ProgramRun* run) {
  // Without an environment (it is being torn down), its references and promise go with it.
  if (env != nullptr) {
    for (napi_ref r : run->keep) napi_delete_reference(env, r);
    if (run->failed) {
      napi_reject_deferred(env, run->deferred, Napi::Error::New(env, run->error).Value());
    } else {
      napi_resolve_deferred(env, run->deferred, env.Undefined());
    }
    EnvRuns& e = *run->env_runs;
    if (--e.pending == 0 && !e.closed) e.settle.Unref(env);
  }
  delete run;
}

void CloseEnvRuns(void* data) {
  auto* held = static_cast<std::shared_ptr<EnvRuns>*>(data);
  EnvRuns& e = **held;
  {
    std::unique_lock<std::mutex> lock(e.mutex);
    e.idle.wait(lock, [&] { return e.running == 0; });
  }
  e.closed = true;
  e.settle.Release();
  delete held;
}

// This environment's state, made on its first run.
std::shared_ptr<EnvRuns> RunsOf(Napi::Env env) {
  void* data = nullptr;
  napi_get_instance_data(env, &data);
  if (data) return *static_cast<std::shared_ptr<EnvRuns>*>(data);
  auto* held = new std::shared_ptr<EnvRuns>(std::make_shared<EnvRuns>());
  (*held)->settle = SettleFn::New(env, "onnxstream-program", 0, 1);
  (*held)->settle.Unref(env);
  // Instance data without a finalizer: the cleanup hook frees it, after the function's own hook
  // (hooks run in reverse order of registration) would have closed it.
  napi_set_instance_data(env, held, nullptr, nullptr);
  napi_add_env_cleanup_hook(env, CloseEnvRuns, held);
  return *held;
}

// On the task thread.
void ExecuteRun(ProgramRun* run) {
  try {
    const double* params = run->program->params.data();
    for (const Program::Step& s : run->program->steps) s.fn(run->bufs.data() + s.buf, s.nbufs, params + s.param, s.nparams);
  } catch (const std::exception& e) {
    run->failed = true;
    run->error = e.what();
  }
  // The run may be settled and freed as soon as it is handed over.
  const std::shared_ptr<EnvRuns> env_runs = run->env_runs;
  if (env_runs->settle.NonBlockingCall(run) != napi_ok) delete run;
  {
    std::lock_guard<std::mutex> lock(env_runs->mutex);
    env_runs->running--;
  }
  env_runs->idle.notify_all();
}

Napi::Value RunPrepared(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsExternal() || !info[1].IsArray()) {
    throw Napi::TypeError::New(env, "runPrepared(program, bases): bad arguments");
  }
  std::shared_ptr<const Program> program;
  {
    const ProgramHandle* handle = info[0].As<Napi::External<ProgramHandle>>().Data();
    std::lock_guard<std::mutex> lock(g_handles_mutex);
    if (!g_handles.count(handle)) throw Napi::TypeError::New(env, "runPrepared: not a program from prepareProgram");
    program = handle->program;
  }
  Napi::Array given = info[1].As<Napi::Array>();
  if (given.Length() != program->open_bytes.size()) {
    throw Napi::RangeError::New(env, "runPrepared: " + std::to_string(given.Length()) + " bases given, the program has " +
                                         std::to_string(program->open_bytes.size()));
  }
  std::vector<uint8_t*> base(given.Length());
  for (uint32_t i = 0; i < given.Length(); i++) {
    Napi::Value v = given[i];
    if (!v.IsTypedArray()) throw Napi::TypeError::New(env, "runPrepared: base " + std::to_string(i) + " is not a typed array");
    Napi::TypedArray t = v.As<Napi::TypedArray>();
    if (t.ByteLength() != program->open_bytes[i]) {
      throw Napi::RangeError::New(env, "runPrepared: base " + std::to_string(i) + " has " + std::to_string(t.ByteLength()) +
                                           " bytes, the program was prepared for " +
                                           std::to_string(program->open_bytes[i]));
    }
    auto* data = static_cast<uint8_t*>(t.ArrayBuffer().Data());
    base[i] = data ? data + t.ByteOffset() : nullptr;
  }
  // Checked: the references that keep the bases alive while the run is on the task thread.
  std::vector<napi_ref> keep(given.Length());
  for (uint32_t i = 0; i < given.Length(); i++) napi_create_reference(env, given.Get(i), 1, &keep[i]);
  std::vector<os::Buf> bufs = program->bufs;
  for (const Program::OpenBuf& b : program->open_bufs) bufs[b.index].data = base[b.base] + b.offset;
  const std::shared_ptr<EnvRuns> env_runs = RunsOf(env);
  EnvRuns& e = *env_runs;
  auto* run = new ProgramRun{env_runs, std::move(program), std::move(bufs), std::move(keep), nullptr, {}, false};
  napi_value promise;
  napi_create_promise(env, &run->deferred, &promise);
  if (e.pending++ == 0) e.settle.Ref(env);
  {
    std::lock_guard<std::mutex> lock(e.mutex);
    e.running++;
  }
  os::run_on_task_thread([run] { ExecuteRun(run); });
  return Napi::Value(env, promise);
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("isa", os::isa_name(os::kernels().isa));
  Napi::Array isas = Napi::Array::New(env);
  uint32_t k = 0;
  for (os::Isa isa : {os::Isa::scalar, os::Isa::avx2, os::Isa::avx512, os::Isa::neon, os::Isa::wasmsimd}) {
    if (os::isa_supported(isa)) isas.Set(k++, os::isa_name(isa));
  }
  o.Set("isas", isas);
  o.Set("threads", os::pool_threads());
  Napi::Array names = Napi::Array::New(env, os::kernel_count);
  for (int i = 0; i < os::kernel_count; i++) names.Set(static_cast<uint32_t>(i), os::kernel_name(i));
  o.Set("kernels", names);
  o.Set("bytesInUse", static_cast<double>(os::buffer_bytes_in_use()));
  o.Set("bytesPeak", static_cast<double>(os::buffer_bytes_peak()));
  o.Set("bytesCached", static_cast<double>(os::buffer_bytes_cached()));
  return o;
}

Napi::Value SetIsa(const Napi::CallbackInfo& info) {
  const std::string name = info[0].As<Napi::String>();
  os::Isa isa;
  if (!os::isa_from_name(name.c_str(), &isa)) throw Napi::Error::New(info.Env(), "unknown ISA '" + name + "'");
  try {
    os::use_isa(isa);
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), e.what());
  }
  return info.Env().Undefined();
}

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  os::set_pool_threads(info[0].As<Napi::Number>().Int32Value());
  return info.Env().Undefined();
}

Napi::Value SetPoolSpin(const Napi::CallbackInfo& info) {
  os::set_pool_spin(info[0].As<Napi::Number>().Int32Value(), info[1].As<Napi::Number>().Int32Value());
  return info.Env().Undefined();
}

Napi::Value SetBufferCache(const Napi::CallbackInfo& info) {
  const double bytes = info[0].As<Napi::Number>().DoubleValue();
  if (!(bytes >= 0)) throw Napi::RangeError::New(info.Env(), "setBufferCache: bad byte count");
  os::set_buffer_cache(static_cast<size_t>(bytes));
  return info.Env().Undefined();
}

Napi::Value Trim(const Napi::CallbackInfo& info) {
  os::release_buffer_cache();
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
  return info.Env().Undefined();
}

Napi::Value CacheLevel(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(os::buffer_blocks_cached()));
}

Napi::Value TrimCache(const Napi::CallbackInfo& info) {
  const double bytes = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : -1;
  if (!(bytes >= 0)) throw Napi::RangeError::New(info.Env(), "trimCache: bad byte count");
  os::trim_buffer_cache_to(static_cast<size_t>(bytes));
#if defined(__GLIBC__)
  // Called once a recorded run ends: the pages its transients (and V8's compile threads) freed in
  // glibc's heaps stay resident through every replay otherwise (YOLOv8n, RAM provider: 3 MiB).
  malloc_trim(0);
#endif
  return info.Env().Undefined();
}

Napi::Value HoldCacheLean(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsBoolean()) throw Napi::TypeError::New(info.Env(), "holdCacheLean: a boolean");
  if (!os::hold_cache_lean(info[0].As<Napi::Boolean>().Value())) {
    throw Napi::Error::New(info.Env(), "holdCacheLean: no hold to give back");
  }
  return info.Env().Undefined();
}

Napi::Value ResetPeak(const Napi::CallbackInfo& info) {
  os::reset_buffer_peak();
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  return_large_blocks();
  exports.Set("alloc", Napi::Function::New(env, Alloc));
  exports.Set("free", Napi::Function::New(env, Free));
  exports.Set("park", Napi::Function::New(env, Park));
  exports.Set("unpark", Napi::Function::New(env, Unpark));
  exports.Set("run", Napi::Function::New(env, Run));
  exports.Set("runSync", Napi::Function::New(env, RunSync));
  exports.Set("prepareProgram", Napi::Function::New(env, PrepareProgram));
  exports.Set("runPrepared", Napi::Function::New(env, RunPrepared));
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("setIsa", Napi::Function::New(env, SetIsa));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("setPoolSpin", Napi::Function::New(env, SetPoolSpin));
  exports.Set("resetPeak", Napi::Function::New(env, ResetPeak));
  exports.Set("setBufferCache", Napi::Function::New(env, SetBufferCache));
  exports.Set("trim", Napi::Function::New(env, Trim));
  exports.Set("cacheLevel", Napi::Function::New(env, CacheLevel));
  exports.Set("trimCache", Napi::Function::New(env, TrimCache));
  exports.Set("holdCacheLean", Napi::Function::New(env, HoldCacheLean));
  return exports;
}

}  // namespace

NODE_API_MODULE(onnxstream_native, Init)
