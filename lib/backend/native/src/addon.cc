// Module entry of the native engine and the shared plumbing declared in common.h.
#include <omp.h>
#include <pthread.h>
#include <signal.h>

#include <cstring>

#include "common.h"

namespace dtri {

Napi::Value Conv(const Napi::CallbackInfo& info);          // conv.cc
Napi::Value MatMul(const Napi::CallbackInfo& info);        // matmul.cc
void InitElementwise(Napi::Env env, Napi::Object exports);  // elementwise.cc

dnnl::engine& Engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::stream& Stream() {
  static dnnl::stream stream(Engine());
  return stream;
}

CachedOp* OpCache::Find(const std::string& key) {
  auto it = map_.find(key);
  if (it == map_.end()) return nullptr;
  ++hits;
  return it->second.get();
}

CachedOp* OpCache::Insert(const std::string& key, std::unique_ptr<CachedOp> op) {
  ++misses;
  // A run that keeps changing shapes (evaluation at many batch sizes) must not grow without bound;
  // dropping everything is crude but rebuilding a primitive costs well under a millisecond.
  if (map_.size() >= 1024) map_.clear();
  CachedOp* raw = op.get();
  map_[key] = std::move(op);
  return raw;
}

std::vector<std::pair<std::string, std::string>> OpCache::Impls() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& kv : map_) out.emplace_back(std::string(1, kv.first[0]), kv.second->impl);
  return out;
}

OpCache& Cache() {
  static OpCache cache;
  return cache;
}

/**
 * Blocks every signal on this thread for its lifetime. oneDNN 2.6's JIT AVX-512/AVX2 sgemm kernels point
 * rsp at a heap workspace while they run, so a signal handled meanwhile writes its frame into the heap
 * (oneDNN issue #4845, fixed in 3.11): under `node --cpu-prof` (SIGPROF) a training iteration corrupted
 * the heap ("corrupted size vs. prev_size") or produced NaN gradients. Signals that arrive meanwhile are
 * delivered when the mask is restored.
 */
class SignalBlock {
 public:
  SignalBlock() {
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old_);
  }
  ~SignalBlock() { pthread_sigmask(SIG_SETMASK, &old_, nullptr); }
  SignalBlock(const SignalBlock&) = delete;
  SignalBlock& operator=(const SignalBlock&) = delete;

 private:
  sigset_t old_;
};

/** Starts the OpenMP pool with every signal blocked: threads inherit the creator's mask, so the workers
 * that run oneDNN kernels never take a process-directed signal (the main thread handles them). */
static void StartThreadPool() {
  SignalBlock block;
#pragma omp parallel
  { (void)omp_get_thread_num(); }
}

void Execute(CachedOp* op, const std::vector<void*>& ptrs) {
  SignalBlock block;
  std::unordered_map<int, dnnl::memory> args;
  args.reserve(op->args.size());
  for (size_t i = 0; i < op->args.size(); ++i) {
    op->args[i].second.set_data_handle(ptrs[i]);
    args.emplace(op->args[i].first, op->args[i].second);
  }
  op->prim.execute(Stream(), args);
  Stream().wait();
}

float* F32OrNull(const Napi::CallbackInfo& info, size_t i, const char* what, size_t* len) {
  if (i >= info.Length() || info[i].IsNull() || info[i].IsUndefined()) {
    if (len) *len = 0;
    return nullptr;
  }
  return F32(info, i, what, len);
}

float* F32(const Napi::CallbackInfo& info, size_t i, const char* what, size_t* len) {
  if (i >= info.Length() || !info[i].IsTypedArray() ||
      info[i].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throw Napi::TypeError::New(info.Env(), std::string("native engine: ") + what + " must be a Float32Array");
  }
  auto arr = info[i].As<Napi::Float32Array>();
  if (len) *len = arr.ElementLength();
  return arr.Data();
}

const int32_t* I32(const Napi::CallbackInfo& info, size_t i, const char* what, size_t* len) {
  if (i >= info.Length() || !info[i].IsTypedArray() ||
      info[i].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    throw Napi::TypeError::New(info.Env(), std::string("native engine: ") + what + " must be an Int32Array");
  }
  auto arr = info[i].As<Napi::Int32Array>();
  *len = arr.ElementLength();
  return arr.Data();
}

std::string MakeKey(char tag, const int32_t* params, size_t n, const std::vector<float>& floats) {
  std::string key(1, tag);
  key.append(reinterpret_cast<const char*>(params), n * sizeof(int32_t));
  key.append(reinterpret_cast<const char*>(floats.data()), floats.size() * sizeof(float));
  return key;
}

dnnl::primitive_attr ActivationAttr(int32_t act, float alpha) {
  dnnl::primitive_attr attr;
  dnnl::post_ops ops;
  using A = dnnl::algorithm;
  switch (act) {
    case kLinear: break;
    case kRelu: ops.append_eltwise(1.f, A::eltwise_relu, 0.f, 0.f); break;
    // oneDNN's relu with a nonzero alpha is exactly leaky relu: x > 0 ? x : alpha * x.
    case kLeakyRelu: ops.append_eltwise(1.f, A::eltwise_relu, alpha, 0.f); break;
    case kRelu6: ops.append_eltwise(1.f, A::eltwise_clip, 0.f, 6.f); break;
    case kElu: ops.append_eltwise(1.f, A::eltwise_elu, 1.f, 0.f); break;
    case kSigmoid: ops.append_eltwise(1.f, A::eltwise_logistic, 0.f, 0.f); break;
    default: throw std::invalid_argument("unknown activation code " + std::to_string(act));
  }
  attr.set_post_ops(ops);
  return attr;
}

void CheckLen(Napi::Env env, const char* what, size_t have, size_t want) {
  if (have != want) {
    throw Napi::RangeError::New(env, std::string("native engine: ") + what + " has " + std::to_string(have) +
                                         " elements, expected " + std::to_string(want));
  }
}

static Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  int n = info[0].As<Napi::Number>().Int32Value();
  if (n > 0) omp_set_num_threads(n);
  StartThreadPool();
  return Napi::Number::New(info.Env(), omp_get_max_threads());
}

static Napi::Value GetNumThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), omp_get_max_threads());
}

/** { size, hits, misses, impls: [[kind, impl], ...] } for tests and the bench. */
static Napi::Value CacheStats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("size", Napi::Number::New(env, double(Cache().Size())));
  out.Set("hits", Napi::Number::New(env, double(Cache().hits)));
  out.Set("misses", Napi::Number::New(env, double(Cache().misses)));
  auto impls = Cache().Impls();
  Napi::Array arr = Napi::Array::New(env, impls.size());
  for (size_t i = 0; i < impls.size(); ++i) {
    Napi::Array pair = Napi::Array::New(env, 2);
    pair.Set(uint32_t(0), impls[i].first);
    pair.Set(uint32_t(1), impls[i].second);
    arr.Set(uint32_t(i), pair);
  }
  out.Set("impls", arr);
  return out;
}

static Napi::Value ClearCache(const Napi::CallbackInfo& info) {
  Cache().Clear();
  return info.Env().Undefined();
}

static Napi::Value Version(const Napi::CallbackInfo& info) {
  const dnnl_version_t* v = dnnl_version();
  return Napi::String::New(info.Env(), std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
                                           std::to_string(v->patch));
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  StartThreadPool();
  exports.Set("conv", Napi::Function::New(env, Conv, "conv"));
  exports.Set("matmul", Napi::Function::New(env, MatMul, "matmul"));
  exports.Set("setNumThreads", Napi::Function::New(env, SetNumThreads, "setNumThreads"));
  exports.Set("getNumThreads", Napi::Function::New(env, GetNumThreads, "getNumThreads"));
  exports.Set("cacheStats", Napi::Function::New(env, CacheStats, "cacheStats"));
  exports.Set("clearCache", Napi::Function::New(env, ClearCache, "clearCache"));
  exports.Set("dnnlVersion", Napi::Function::New(env, Version, "dnnlVersion"));
  InitElementwise(env, exports);
  return exports;
}

}  // namespace dtri

static Napi::Object InitDtriNative(Napi::Env env, Napi::Object exports) { return dtri::Init(env, exports); }

NODE_API_MODULE(dtri_native, InitDtriNative)
