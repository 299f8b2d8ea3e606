// Shared plumbing of the native engine: one oneDNN CPU engine and stream, a primitive cache keyed by
// the call's shape/attribute bytes, and helpers to read the Float32Arrays that the JS side passes.
//
// Every entry point works on memory owned by JavaScript (the cpu backend's Float32Arrays, and an
// output array the JS side allocated): oneDNN memories are created once per cached primitive and
// re-pointed at the caller's buffers with set_data_handle on each call, so nothing is copied.
#pragma once

#include <napi.h>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <omp.h>

#include <algorithm>

#include "oneapi/dnnl/dnnl.hpp"

namespace dtri {

dnnl::engine& Engine();
dnnl::stream& Stream();

/** A ready primitive plus the memories it reads and writes, in the order the caller binds buffers. */
struct CachedOp {
  dnnl::primitive prim;
  std::vector<std::pair<int, dnnl::memory>> args;  // (DNNL_ARG_*, memory), handles set per call
  std::string impl;                                 // oneDNN's implementation name, for the bench
};

/** The primitive cache: primitives are built once per distinct shape/attrs and reused. */
class OpCache {
 public:
  CachedOp* Find(const std::string& key);
  CachedOp* Insert(const std::string& key, std::unique_ptr<CachedOp> op);
  size_t Size() const { return map_.size(); }
  void Clear() { map_.clear(); }
  std::vector<std::pair<std::string, std::string>> Impls() const;  // (op kind, impl) per entry
  uint64_t hits = 0, misses = 0;

 private:
  std::unordered_map<std::string, std::unique_ptr<CachedOp>> map_;
};

OpCache& Cache();

/** Runs `op` with its memories pointed at `ptrs` (same order as op->args). */
void Execute(CachedOp* op, const std::vector<void*>& ptrs);

/** The Float32Array at info[i]; throws a TypeError naming `what` otherwise. */
float* F32(const Napi::CallbackInfo& info, size_t i, const char* what, size_t* len = nullptr);
/** Like F32 but null/undefined gives nullptr. */
float* F32OrNull(const Napi::CallbackInfo& info, size_t i, const char* what, size_t* len = nullptr);
/** The Int32Array of call parameters at info[i]. */
const int32_t* I32(const Napi::CallbackInfo& info, size_t i, const char* what, size_t* len);

/** The cache key: the parameter words plus the float attributes, as raw bytes. */
std::string MakeKey(char tag, const int32_t* params, size_t n, const std::vector<float>& floats);

/** Runs f(begin, end) over [0, n) on up to all threads, each getting at least `grain` elements. */
template <typename F>
void ParallelRange(int64_t n, int64_t grain, F f) {
  const int maxThreads = omp_get_max_threads();
  const int64_t want = std::min<int64_t>(maxThreads, n / std::max<int64_t>(grain, 1));
  if (want <= 1) {
    f(int64_t(0), n);
    return;
  }
#pragma omp parallel num_threads(int(want))
  {
    const int64_t t = omp_get_thread_num(), k = omp_get_num_threads();
    f(n * t / k, n * (t + 1) / k);
  }
}

/** d[0..n) += s[0..n) */
inline void AddInto(float* __restrict d, const float* __restrict s, int64_t n) {
  for (int64_t i = 0; i < n; ++i) d[i] += s[i];
}

/** The cached matmul primitive for matmul.cc's parameter words (12 int32) and alpha; with `accumulate`
 * it adds into the output instead of overwriting it. */
CachedOp* MatMulOp(const int32_t* params, float alpha, bool accumulate);

/** Activation codes shared with lib/backend/native.ts (ACTIVATION_CODE there). */
enum Activation : int32_t {
  kLinear = 0,
  kRelu = 1,
  kLeakyRelu = 2,
  kRelu6 = 3,
  kElu = 4,
  kSigmoid = 5,
};

/** The post-op attribute fusing `act` into a convolution or matmul. */
dnnl::primitive_attr ActivationAttr(int32_t act, float alpha);

/** Runs `body`, turning any C++ exception (oneDNN's included) into a JS Error that names `where`:
 * node-addon-api only forwards Napi::Error, anything else would terminate the process. */
template <typename F>
Napi::Value Guard(Napi::Env env, const char* where, F body) {
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (const dnnl::error& e) {
    throw Napi::Error::New(env, std::string("native engine: oneDNN ") + where + " failed: " + e.what());
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, std::string("native engine: ") + where + ": " + e.what());
  }
}

/** Throws a JS RangeError unless `have` == `want` (guards every buffer before oneDNN touches it). */
void CheckLen(Napi::Env env, const char* what, size_t have, size_t want);

}  // namespace dtri
