// 2-D and 3-D convolutions (forward with fused bias + activation, backward data, backward weights)
// on TensorFlow.js's own layouts: activations nhwc / ndhwc (or nchw), filters hwio / dhwio
// ([kh, kw, in, out]), so oneDNN reads and writes the JS buffers in place with no reorder.
#include <cstdlib>
#include <cstring>

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

// ---------------------------------------------------------------------------------------------
// Convolutions with few output pixels per image (Table 6's 7→3 and 3→1 layers, the generator's 1→3
// and 3→7 transposed ones). oneDNN's gemm convolution runs one GEMM per image with M = OH·OW = 9 rows
// (measured ~30 GFLOP per CPU-second on the 3→7 layer); lowered instead to im2col over the whole batch
// and a single GEMM with M = N·OH·OW. tfjs's hwio filter already is the [KH·KW·Cin, Cout] matrix, so
// only the activations are rearranged.

using i64 = int64_t;

struct Geo {
  i64 N, H, W, C, OH, OW, O, KH, KW, SH, SW, PT, PL;
  i64 M() const { return N * OH * OW; }
  i64 K() const { return KH * KW * C; }
};

Geo GeoOf(const int32_t* p) {
  return {p[kN], p[kIn], p[kIn + 1], p[kCin], p[kOut], p[kOut + 1], p[kCout], p[kKer], p[kKer + 1],
          p[kStride], p[kStride + 1], p[kPadL], p[kPadL + 1]};
}

/** Output pixels per image at or below which the GEMM lowering is used ($DTRI_NATIVE_GEMM_PIXELS;
 * measured on the 14→7 and 7→3 layers: 49 pixels 74 → 91 GFLOP/CPU-s, 9 pixels 30 → 95). */
i64 GemmMaxOutPixels() {
  static const i64 v = [] {
    const char* e = std::getenv("DTRI_NATIVE_GEMM_PIXELS");
    return e ? std::atoll(e) : i64(64);
  }();
  return v;
}

/** im2col scratch bound in floats (default 8 Mi = 32 MB; $DTRI_NATIVE_GEMM_COL_FLOATS); larger batches
 * are lowered a group of images at a time. */
i64 MaxColFloats() {
  static const i64 v = [] {
    const char* e = std::getenv("DTRI_NATIVE_GEMM_COL_FLOATS");
    return e ? std::max<i64>(1, std::atoll(e)) : (i64(8) << 20);
  }();
  return v;
}

bool UseGemmLowering(const int32_t* p) {
  return p[kSpatial] == 2 && p[kChannelsFirst] == 0 && p[kDilation] == 1 && p[kDilation + 1] == 1 &&
         i64(p[kOut]) * p[kOut + 1] <= GemmMaxOutPixels();
}

/** col[m, (kh, kw, c)] = x[n, oh·SH − PT + kh, ow·SW − PL + kw, c] (0 in the padding), m = (n, oh, ow). */
void Im2col(const float* x, float* col, const Geo& g) {
  const i64 K = g.K();
  const size_t rowBytes = size_t(g.C) * sizeof(float);
  ParallelRange(g.M(), std::max<i64>(1, (i64(1) << 14) / K), [&](i64 b, i64 e) {
    for (i64 m = b; m < e; ++m) {
      const i64 n = m / (g.OH * g.OW), r = m % (g.OH * g.OW), oh = r / g.OW, ow = r % g.OW;
      float* dst = col + m * K;
      for (i64 kh = 0; kh < g.KH; ++kh) {
        const i64 ih = oh * g.SH - g.PT + kh;
        for (i64 kw = 0; kw < g.KW; ++kw, dst += g.C) {
          const i64 iw = ow * g.SW - g.PL + kw;
          if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) {
            std::memset(dst, 0, rowBytes);
          } else {
            std::memcpy(dst, x + ((n * g.H + ih) * g.W + iw) * g.C, rowBytes);
          }
        }
      }
    }
  });
}

/** dx = the patches of dcol summed back into place (the adjoint of Im2col); split by image, so no races. */
void Col2im(const float* dcol, float* dx, const Geo& g) {
  const i64 K = g.K(), image = g.H * g.W * g.C;
  ParallelRange(g.N, 1, [&](i64 b, i64 e) {
    std::memset(dx + b * image, 0, size_t((e - b) * image) * sizeof(float));
    for (i64 n = b; n < e; ++n) {
      for (i64 oh = 0; oh < g.OH; ++oh) {
        for (i64 ow = 0; ow < g.OW; ++ow) {
          const float* src = dcol + ((n * g.OH + oh) * g.OW + ow) * K;
          for (i64 kh = 0; kh < g.KH; ++kh) {
            const i64 ih = oh * g.SH - g.PT + kh;
            for (i64 kw = 0; kw < g.KW; ++kw, src += g.C) {
              const i64 iw = ow * g.SW - g.PL + kw;
              if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) continue;
              AddInto(dx + ((n * g.H + ih) * g.W + iw) * g.C, src, g.C);
            }
          }
        }
      }
    }
  });
}

/** A scratch buffer reused across calls (only the JS thread calls in). */
float* Scratch(size_t n) {
  static std::vector<float> buf;
  if (buf.size() < n) buf.resize(n);
  return buf.data();
}

/** matmul.cc's primitive for out[M, N] (+)= act(A·B + bias), A [M, K] (stored transposed if transA), B [K, N]. */
CachedOp* Gemm(i64 M, i64 N, i64 K, bool transA, bool transB, bool bias, int32_t act, float alpha, bool accumulate = false) {
  const int32_t p[12] = {act, 1, 1, int32_t(M), int32_t(N), int32_t(K), transA, transB, bias, 1, 1, int32_t(N)};
  return MatMulOp(p, alpha, accumulate);
}

void RunGemmConv(const int32_t* p, float alpha, float* a, float* b, float* bias, float* out) {
  const Geo g = GeoOf(p);
  const i64 K = g.K(), pix = g.OH * g.OW;
  // Images per group so that the group's im2col matrix fits the scratch bound.
  const i64 group = std::max<i64>(1, std::min<i64>(g.N, MaxColFloats() / std::max<i64>(1, pix * K)));
  float* col = Scratch(size_t(group * pix * K));
  for (i64 n0 = 0; n0 < g.N; n0 += group) {
    Geo c = g;
    c.N = std::min(group, g.N - n0);
    const i64 M = c.M();
    const i64 xOff = n0 * g.H * g.W * g.C, yOff = n0 * pix * g.O;
    switch (p[kMode]) {
      case 0:  // y[M, O] = act(col[M, K] · W[K, O] + bias)
        Im2col(a + xOff, col, c);
        if (bias) {
          Execute(Gemm(M, g.O, K, false, false, true, p[kAct], alpha), {col, b, out + yOff, bias});
        } else {
          Execute(Gemm(M, g.O, K, false, false, false, p[kAct], alpha), {col, b, out + yOff});
        }
        break;
      case 1:  // dcol[M, K] = dy[M, O] · W[K, O]ᵀ; dx = col2im(dcol)
        Execute(Gemm(M, K, g.O, false, true, false, 0, 0.f), {a + yOff, b, col});
        Col2im(col, out + xOff, c);
        break;
      default:  // dW[K, O] (+)= col[M, K]ᵀ · dy[M, O], summed over the groups
        Im2col(a + xOff, col, c);
        Execute(Gemm(K, g.O, M, true, false, false, 0, 0.f, n0 > 0), {col, b + yOff, out});
        break;
    }
  }
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

    size_t src = size_t(p[kN]) * size_t(p[kCin]), wei = size_t(p[kCin]) * size_t(p[kCout]),
           dst = size_t(p[kN]) * size_t(p[kCout]);
    for (int i = 0; i < p[kSpatial] && i < 3; ++i) {
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
        }
        break;
      case 1:
        CheckLen(env, "dy", la, dst);
        CheckLen(env, "filter", lb, wei);
        CheckLen(env, "dx", lout, src);
        break;
      case 2:
        CheckLen(env, "x", la, src);
        CheckLen(env, "dy", lb, dst);
        CheckLen(env, "dw", lout, wei);
        break;
      default:
        throw Napi::RangeError::New(env, "native engine: unknown convolution mode " + std::to_string(p[kMode]));
    }
    if (UseGemmLowering(p)) {
      RunGemmConv(p, alpha, a, b, p[kHasBias] ? bias : nullptr, out);
      return env.Undefined();
    }
    const std::string key = MakeKey('c', p, np, {alpha});
    CachedOp* op = Cache().Find(key);
    if (!op) op = Cache().Insert(key, Build(p, alpha));
    if (p[kMode] == 0 && p[kHasBias]) {
      Execute(op, {a, b, out, bias});
    } else {
      Execute(op, {a, b, out});
    }
    return env.Undefined();
  });
}

}  // namespace dtri
