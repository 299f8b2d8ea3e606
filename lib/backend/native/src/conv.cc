// 2-D and 3-D convolutions (forward with fused bias + activation, backward data, backward weights)
// on TensorFlow.js's own layouts: activations nhwc / ndhwc (or nchw), filters hwio / dhwio
// ([kh, kw, in, out]), so oneDNN reads and writes the JS buffers in place with no reorder.
#include "common.h"

namespace dtri {

namespace {

// Layout of the Int32Array of parameters; mirrors CONV_PARAMS in lib/backend/native.ts.
enum P {
  kMode = 0,  // 0 forward, 1 backward data, 2 backward weights
  kSpatial,   // 2 or 3
  kChannelsFirst,
  kAct,
  kHasBias,
  kN,
  kCin,
  kCout,
  kIn = 8,         // 3 words: input spatial size (d, h, w), first kSpatial used
  kKer = 11,       // filter spatial size
  kOut = 14,       // output spatial size
  kStride = 17,
  kDilation = 20,  // TF convention: 1 = no dilation
  kPadL = 23,
  kPadR = 26,
  kCount = 29,
};

using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;
using dims = dnnl::memory::dims;

struct ConvGeometry {
  dnnl::memory::desc src, wei, dst, bias;
  dims strides, dilates, padL, padR;
  size_t srcSize = 1, weiSize = 1, dstSize = 1;
};

ConvGeometry Geometry(const int32_t* p) {
  const int sp = p[kSpatial];
  if (sp != 2 && sp != 3) throw std::invalid_argument("spatial rank must be 2 or 3");
  ConvGeometry g;
  dims src = {p[kN], p[kCin]}, wei = {p[kCout], p[kCin]}, dst = {p[kN], p[kCout]};
  for (int i = 0; i < sp; ++i) {
    src.push_back(p[kIn + i]);
    wei.push_back(p[kKer + i]);
    dst.push_back(p[kOut + i]);
    g.strides.push_back(p[kStride + i]);
    g.dilates.push_back(p[kDilation + i] - 1);  // oneDNN counts the gaps: 0 = dense
    g.padL.push_back(p[kPadL + i]);
    g.padR.push_back(p[kPadR + i]);
  }
  for (auto d : src) g.srcSize *= size_t(d);
  for (auto d : wei) g.weiSize *= size_t(d);
  for (auto d : dst) g.dstSize *= size_t(d);
  const bool first = p[kChannelsFirst] != 0;
  const tag act = sp == 2 ? (first ? tag::nchw : tag::nhwc) : (first ? tag::ncdhw : tag::ndhwc);
  const tag filt = sp == 2 ? tag::hwio : tag::dhwio;
  g.src = dnnl::memory::desc(src, dt::f32, act);
  g.wei = dnnl::memory::desc(wei, dt::f32, filt);
  g.dst = dnnl::memory::desc(dst, dt::f32, act);
  g.bias = dnnl::memory::desc({p[kCout]}, dt::f32, tag::a);
  return g;
}

dnnl::convolution_forward::desc ForwardDesc(const ConvGeometry& g, bool withBias, dnnl::prop_kind kind) {
  using F = dnnl::convolution_forward;
  if (withBias) {
    return F::desc(kind, dnnl::algorithm::convolution_direct, g.src, g.wei, g.bias, g.dst, g.strides, g.dilates,
                   g.padL, g.padR);
  }
  return F::desc(kind, dnnl::algorithm::convolution_direct, g.src, g.wei, g.dst, g.strides, g.dilates, g.padL,
                 g.padR);
}

std::unique_ptr<CachedOp> Build(const int32_t* p, float alpha) {
  const ConvGeometry g = Geometry(p);
  const dnnl::engine& eng = Engine();
  auto op = std::make_unique<CachedOp>();
  auto mem = [&](const dnnl::memory::desc& d) { return dnnl::memory(d, eng, DNNL_MEMORY_NONE); };
  switch (p[kMode]) {
    case 0: {
      const bool withBias = p[kHasBias] != 0;
      dnnl::convolution_forward::primitive_desc pd(ForwardDesc(g, withBias, dnnl::prop_kind::forward_inference),
                                                   ActivationAttr(p[kAct], alpha), eng);
      op->prim = dnnl::convolution_forward(pd);
      op->impl = pd.impl_info_str();
      op->args = {{DNNL_ARG_SRC, mem(g.src)}, {DNNL_ARG_WEIGHTS, mem(g.wei)}, {DNNL_ARG_DST, mem(g.dst)}};
      if (withBias) op->args.emplace_back(DNNL_ARG_BIAS, mem(g.bias));
      break;
    }
    case 1: {
      dnnl::convolution_forward::primitive_desc hint(ForwardDesc(g, false, dnnl::prop_kind::forward_training), eng);
      dnnl::convolution_backward_data::desc d(dnnl::algorithm::convolution_direct, g.src, g.wei, g.dst, g.strides,
                                              g.dilates, g.padL, g.padR);
      dnnl::convolution_backward_data::primitive_desc pd(d, eng, hint);
      op->prim = dnnl::convolution_backward_data(pd);
      op->impl = pd.impl_info_str();
      op->args = {{DNNL_ARG_DIFF_DST, mem(g.dst)}, {DNNL_ARG_WEIGHTS, mem(g.wei)}, {DNNL_ARG_DIFF_SRC, mem(g.src)}};
      break;
    }
    case 2: {
      dnnl::convolution_forward::primitive_desc hint(ForwardDesc(g, false, dnnl::prop_kind::forward_training), eng);
      dnnl::convolution_backward_weights::desc d(dnnl::algorithm::convolution_direct, g.src, g.wei, g.dst,
                                                 g.strides, g.dilates, g.padL, g.padR);
      dnnl::convolution_backward_weights::primitive_desc pd(d, eng, hint);
      op->prim = dnnl::convolution_backward_weights(pd);
      op->impl = pd.impl_info_str();
      op->args = {{DNNL_ARG_SRC, mem(g.src)}, {DNNL_ARG_DIFF_DST, mem(g.dst)}, {DNNL_ARG_DIFF_WEIGHTS, mem(g.wei)}};
      break;
    }
    default:
      throw std::invalid_argument("unknown convolution mode " + std::to_string(p[kMode]));
  }
  return op;
}

}  // namespace

/**
 * conv(params: Int32Array, alpha: number, a, b, bias | null, out): void
 *   mode 0: a = x, b = filter, bias = [Cout] or null, out = y   (y = act(conv(x, w) + bias))
 *   mode 1: a = dy, b = filter, out = dx
 *   mode 2: a = x, b = dy, out = dw
 */
Napi::Value Conv(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Guard(env, "convolution", [&]() -> Napi::Value {
    size_t np = 0, la = 0, lb = 0, lbias = 0, lout = 0;
    const int32_t* p = I32(info, 0, "params", &np);
    if (np != kCount) throw Napi::RangeError::New(env, "native engine: conv params must have 29 entries");
    const float alpha = info[1].As<Napi::Number>().FloatValue();
    float* a = F32(info, 2, "a", &la);
    float* b = F32(info, 3, "b", &lb);
    float* bias = F32OrNull(info, 4, "bias", &lbias);
    float* out = F32(info, 5, "out", &lout);

    const std::string key = MakeKey('c', p, np, {alpha});
    CachedOp* op = Cache().Find(key);
    if (!op) op = Cache().Insert(key, Build(p, alpha));

    size_t src = 1, wei = size_t(p[kCin]) * size_t(p[kCout]), dst = 1;
    src = size_t(p[kN]) * size_t(p[kCin]);
    dst = size_t(p[kN]) * size_t(p[kCout]);
    for (int i = 0; i < p[kSpatial]; ++i) {
      src *= size_t(p[kIn + i]);
      wei *= size_t(p[kKer + i]);
      dst *= size_t(p[kOut + i]);
    }
    switch (p[kMode]) {
      case 0:
        CheckLen(env, "x", la, src);
        CheckLen(env, "filter", lb, wei);
        CheckLen(env, "y", lout, dst);
        if (p[kHasBias]) {
          if (!bias) throw Napi::TypeError::New(env, "native engine: conv params say bias but none was passed");
          CheckLen(env, "bias", lbias, size_t(p[kCout]));
          Execute(op, {a, b, out, bias});
        } else {
          Execute(op, {a, b, out});
        }
        break;
      case 1:
        CheckLen(env, "dy", la, dst);
        CheckLen(env, "filter", lb, wei);
        CheckLen(env, "dx", lout, src);
        Execute(op, {a, b, out});
        break;
      default:
        CheckLen(env, "x", la, src);
        CheckLen(env, "dy", lb, dst);
        CheckLen(env, "dw", lout, wei);
        Execute(op, {a, b, out});
        break;
    }
    return env.Undefined();
  });
}

}  // namespace dtri
