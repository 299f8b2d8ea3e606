// Batched matrix multiply with optional fused bias + activation (tfjs BatchMatMul / _FusedMatMul).
// Transposes are expressed as strides on the JS buffers, and a batch of 1 on either side broadcasts,
// so oneDNN reads the operands where they are.
#include "common.h"

namespace dtri {

namespace {

// Layout of the Int32Array of parameters; mirrors MATMUL_PARAMS in lib/backend/native.ts.
enum P {
  kAct = 0,
  kBatchA,
  kBatchB,
  kM,
  kN,
  kK,
  kTransA,
  kTransB,
  kHasBias,
  kBiasDims,  // 3 words: bias broadcast shape in [batch, M, N]
  kCount = 12,
};

using dt = dnnl::memory::data_type;
using dims = dnnl::memory::dims;

/** `accumulate`: out += A·B (a sum post-op; only without bias and activation). */
std::unique_ptr<CachedOp> Build(const int32_t* p, float alpha, bool accumulate) {
  const dnnl::memory::dim ba = p[kBatchA], bb = p[kBatchB], M = p[kM], N = p[kN], K = p[kK];
  const dnnl::memory::dim batch = std::max(ba, bb);
  // A is [ba, M, K] stored as such, or as [ba, K, M] when transposed (likewise B).
  dnnl::memory::desc a({ba, M, K}, dt::f32, p[kTransA] ? dims{M * K, 1, M} : dims{M * K, K, 1});
  dnnl::memory::desc b({bb, K, N}, dt::f32, p[kTransB] ? dims{K * N, 1, K} : dims{K * N, N, 1});
  dnnl::memory::desc c({batch, M, N}, dt::f32, dims{M * N, N, 1});
  const bool withBias = p[kHasBias] != 0;
  const dims biasDims = {p[kBiasDims], p[kBiasDims + 1], p[kBiasDims + 2]};
  dnnl::memory::desc bias(biasDims, dt::f32, dnnl::memory::format_tag::abc);
  auto d = withBias ? dnnl::matmul::desc(a, b, bias, c) : dnnl::matmul::desc(a, b, c);
  dnnl::primitive_attr attr = ActivationAttr(p[kAct], alpha);
  if (accumulate) {
    dnnl::post_ops ops;
    ops.append_sum(1.f);
    attr.set_post_ops(ops);
  }
  dnnl::matmul::primitive_desc pd(d, attr, Engine());
  auto op = std::make_unique<CachedOp>();
  op->prim = dnnl::matmul(pd);
  op->impl = pd.impl_info_str();
  auto mem = [&](const dnnl::memory::desc& md) { return dnnl::memory(md, Engine(), DNNL_MEMORY_NONE); };
  op->args = {{DNNL_ARG_SRC, mem(a)}, {DNNL_ARG_WEIGHTS, mem(b)}, {DNNL_ARG_DST, mem(c)}};
  if (withBias) op->args.emplace_back(DNNL_ARG_BIAS, mem(bias));
  return op;
}

}  // namespace

CachedOp* MatMulOp(const int32_t* p, float alpha, bool accumulate) {
  const std::string key = MakeKey(accumulate ? 'a' : 'm', p, kCount, {alpha});
  CachedOp* op = Cache().Find(key);
  return op ? op : Cache().Insert(key, Build(p, alpha, accumulate));
}

/** matmul(params: Int32Array, alpha: number, a, b, bias | null, out): void; out = act(a·b + bias). */
Napi::Value MatMul(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Guard(env, "matmul", [&]() -> Napi::Value {
    size_t np = 0, la = 0, lb = 0, lbias = 0, lout = 0;
    const int32_t* p = I32(info, 0, "params", &np);
    if (np != kCount) throw Napi::RangeError::New(env, "native engine: matmul params must have 12 entries");
    const float alpha = info[1].As<Napi::Number>().FloatValue();
    float* a = F32(info, 2, "a", &la);
    float* b = F32(info, 3, "b", &lb);
    float* bias = F32OrNull(info, 4, "bias", &lbias);
    float* out = F32(info, 5, "out", &lout);
    const size_t M = p[kM], N = p[kN], K = p[kK], ba = p[kBatchA], bb = p[kBatchB];
    if (!(ba == bb || ba == 1 || bb == 1)) throw Napi::RangeError::New(env, "native engine: batches must match or be 1");
    CheckLen(env, "a", la, ba * M * K);
    CheckLen(env, "b", lb, bb * K * N);
    CheckLen(env, "out", lout, std::max(ba, bb) * M * N);

    CachedOp* op = MatMulOp(p, alpha, false);
    if (p[kHasBias]) {
      if (!bias) throw Napi::TypeError::New(env, "native engine: matmul params say bias but none was passed");
      CheckLen(env, "bias", lbias, size_t(p[kBiasDims]) * size_t(p[kBiasDims + 1]) * size_t(p[kBiasDims + 2]));
      Execute(op, {a, b, out, bias});
    } else {
      Execute(op, {a, b, out});
    }
    return env.Undefined();
  });
}

}  // namespace dtri
