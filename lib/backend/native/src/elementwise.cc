// Elementwise, reduction and batch-norm kernels. Profiling a divergence-triangle iteration with only the
// convolutions native showed the cpu backend's JS loops taking >90% of the time (broadcast multiplies in
// gradients of sums and means, reductions that transpose first, Adam's updates), so the hot ones are here:
// plain loops the compiler vectorizes, split across OpenMP threads when the tensor is large enough to pay
// for waking them.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "common.h"

namespace dtri {

namespace {

using i64 = int64_t;

// Below these sizes a second thread costs more than it saves (a futex wake is ~10-50 µs).
constexpr i64 kGrainCheap = 1 << 16;
constexpr i64 kGrainMath = 1 << 13;

uint8_t* U8(const Napi::CallbackInfo& info, size_t i, const char* what, size_t* len) {
  if (i >= info.Length() || !info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw Napi::TypeError::New(info.Env(), std::string("native engine: ") + what + " must be a Uint8Array");
  }
  auto arr = info[i].As<Napi::Uint8Array>();
  *len = arr.ElementLength();
  return arr.Data();
}

// ---------------------------------------------------------------------------------------------
// Unary ops. Codes mirror UNARY_CODE in lib/backend/native.ts; semantics mirror the cpu kernels.

enum Unary : int32_t {
  kRelu = 0, kLeakyRelu, kRelu6, kElu, kSigmoid, kTanh, kSoftplus, kExp, kLog, kLog1p,
  kSqrt, kRsqrt, kSquare, kNeg, kAbs, kStep, kReciprocal,
};

// The loops live in functions taking __restrict pointers and the op by value: without that the compiler
// must assume a store to y may change the op's captured constants (alpha), reloads them per element and
// keeps a data-dependent branch (measured 18 ns/element for leaky relu instead of ~0.3).
template <typename T, typename Op>
inline void Map1(const float* __restrict x, T* __restrict y, i64 b, i64 e, const Op op) {
  for (i64 i = b; i < e; ++i) y[i] = op(x[i]);
}

template <typename T, typename Op>
inline void Map2(const float* __restrict a, const float* __restrict b, T* __restrict y, i64 j0, i64 j1, const Op op) {
  for (i64 j = j0; j < j1; ++j) y[j] = op(a[j], b[j]);
}

template <typename T, typename Op>
inline void Map2ScalarA(const float va, const float* __restrict b, T* __restrict y, i64 j0, i64 j1, const Op op) {
  for (i64 j = j0; j < j1; ++j) y[j] = op(va, b[j]);
}

template <typename T, typename Op>
inline void Map2ScalarB(const float* __restrict a, const float vb, T* __restrict y, i64 j0, i64 j1, const Op op) {
  for (i64 j = j0; j < j1; ++j) y[j] = op(a[j], vb);
}

template <typename Op>
void UnaryLoop(const float* x, float* y, i64 n, i64 grain, Op op) {
  ParallelRange(n, grain, [=](i64 b, i64 e) { Map1(x, y, b, e, op); });
}

void RunUnary(int32_t op, float alpha, const float* x, float* y, i64 n) {
  switch (op) {
    case kRelu: return UnaryLoop(x, y, n, kGrainCheap, [](float v) { return v < 0.f ? 0.f : v; });
    case kLeakyRelu:
      // The product is taken unconditionally so the select compiles to a blend, not a branch on the sign.
      return UnaryLoop(x, y, n, kGrainCheap, [alpha](float v) {
        const float m = alpha * v;
        return v < 0.f ? m : v;
      });
    case kRelu6: return UnaryLoop(x, y, n, kGrainCheap, [](float v) { return v < 0.f ? 0.f : (v > 6.f ? 6.f : v); });
    case kElu: return UnaryLoop(x, y, n, kGrainMath, [](float v) { return v >= 0.f ? v : std::expm1(v); });
    case kSigmoid: return UnaryLoop(x, y, n, kGrainMath, [](float v) { return 1.f / (1.f + std::exp(-v)); });
    case kTanh: return UnaryLoop(x, y, n, kGrainMath, [](float v) { return std::tanh(v); });
    case kSoftplus: {
      // tf.nn.softplus's thresholds (as the cpu kernel): exp(x) below, x above, log1p(exp x) between.
      const float threshold = std::log(1.1920928955078125e-7f) + 2.f;
      return UnaryLoop(x, y, n, kGrainMath, [threshold](float v) {
        if (v < threshold) return std::exp(v);
        if (v > -threshold) return v;
        return std::log(1.f + std::exp(v));
      });
    }
    case kExp: return UnaryLoop(x, y, n, kGrainMath, [](float v) { return std::exp(v); });
    case kLog: return UnaryLoop(x, y, n, kGrainMath, [](float v) { return std::log(v); });
    case kLog1p: return UnaryLoop(x, y, n, kGrainMath, [](float v) { return std::log1p(v); });
    case kSqrt: return UnaryLoop(x, y, n, kGrainCheap, [](float v) { return std::sqrt(v); });
    case kRsqrt: return UnaryLoop(x, y, n, kGrainCheap, [](float v) { return 1.f / std::sqrt(v); });
    case kSquare: return UnaryLoop(x, y, n, kGrainCheap, [](float v) { return v * v; });
    case kNeg: return UnaryLoop(x, y, n, kGrainCheap, [](float v) { return -v; });
    case kAbs: return UnaryLoop(x, y, n, kGrainCheap, [](float v) { return std::fabs(v); });
    case kStep: return UnaryLoop(x, y, n, kGrainCheap, [alpha](float v) { return std::isnan(v) ? v : (v > 0.f ? 1.f : alpha); });
    case kReciprocal: return UnaryLoop(x, y, n, kGrainCheap, [](float v) { return 1.f / v; });
    default: throw std::invalid_argument("unknown unary op " + std::to_string(op));
  }
}

// ---------------------------------------------------------------------------------------------
// Binary ops with broadcasting. The JS side collapses the broadcast into at most 4 dims with
// per-operand strides (0 along broadcast dims); the innermost dim gets specialised loops.

enum Binary : int32_t {
  kAdd = 0, kSub, kMul, kDiv, kSquaredDifference, kMaximum, kMinimum,
  kGreater, kGreaterEqual, kLess, kLessEqual, kEqual, kNotEqual,  // bool (Uint8Array) output
};

struct Broadcast {
  i64 dims[4];
  i64 sa[4];
  i64 sb[4];
};

template <typename T, typename Op>
void BinaryLoop(const float* a, const float* b, T* out, const Broadcast& s, Op op) {
  const i64 inner = s.dims[3];
  const i64 total = s.dims[0] * s.dims[1] * s.dims[2] * inner;
  const i64 sa3 = s.sa[3], sb3 = s.sb[3];
  ParallelRange(total, kGrainCheap, [&](i64 begin, i64 end) {
    i64 i = begin;
    while (i < end) {
      const i64 row = i / inner, j0 = i % inner, j1 = std::min(inner, j0 + (end - i));
      const i64 i2 = row % s.dims[2], r1 = row / s.dims[2], i1 = r1 % s.dims[1], i0 = r1 / s.dims[1];
      const float* pa = a + i0 * s.sa[0] + i1 * s.sa[1] + i2 * s.sa[2];
      const float* pb = b + i0 * s.sb[0] + i1 * s.sb[1] + i2 * s.sb[2];
      T* po = out + row * inner;
      if (sa3 == 1 && sb3 == 1) {
        Map2(pa, pb, po, j0, j1, op);
      } else if (sa3 == 0 && sb3 == 1) {
        Map2ScalarA(pa[0], pb, po, j0, j1, op);
      } else if (sa3 == 1 && sb3 == 0) {
        Map2ScalarB(pa, pb[0], po, j0, j1, op);
      } else {
        for (i64 j = j0; j < j1; ++j) po[j] = op(pa[j * sa3], pb[j * sb3]);
      }
      i += j1 - j0;
    }
  });
}

void RunBinaryF32(int32_t op, const float* a, const float* b, float* out, const Broadcast& s) {
  switch (op) {
    case kAdd: return BinaryLoop(a, b, out, s, [](float x, float y) { return x + y; });
    case kSub: return BinaryLoop(a, b, out, s, [](float x, float y) { return x - y; });
    case kMul: return BinaryLoop(a, b, out, s, [](float x, float y) { return x * y; });
    case kDiv: return BinaryLoop(a, b, out, s, [](float x, float y) { return x / y; });
    case kSquaredDifference: return BinaryLoop(a, b, out, s, [](float x, float y) { return (x - y) * (x - y); });
    // NaN propagates as in the cpu kernels (Math.max / Math.min).
    case kMaximum: return BinaryLoop(a, b, out, s, [](float x, float y) { return (std::isnan(x) || std::isnan(y)) ? NAN : (x > y ? x : y); });
    case kMinimum: return BinaryLoop(a, b, out, s, [](float x, float y) { return (std::isnan(x) || std::isnan(y)) ? NAN : (x < y ? x : y); });
    default: throw std::invalid_argument("binary op " + std::to_string(op) + " has no float32 output");
  }
}

void RunBinaryBool(int32_t op, const float* a, const float* b, uint8_t* out, const Broadcast& s) {
  switch (op) {
    case kGreater: return BinaryLoop(a, b, out, s, [](float x, float y) { return uint8_t(x > y); });
    case kGreaterEqual: return BinaryLoop(a, b, out, s, [](float x, float y) { return uint8_t(x >= y); });
    case kLess: return BinaryLoop(a, b, out, s, [](float x, float y) { return uint8_t(x < y); });
    case kLessEqual: return BinaryLoop(a, b, out, s, [](float x, float y) { return uint8_t(x <= y); });
    case kEqual: return BinaryLoop(a, b, out, s, [](float x, float y) { return uint8_t(x == y); });
    case kNotEqual: return BinaryLoop(a, b, out, s, [](float x, float y) { return uint8_t(x != y); });
    default: throw std::invalid_argument("binary op " + std::to_string(op) + " has no bool output");
  }
}

// ---------------------------------------------------------------------------------------------
// Reductions of x viewed as [A, R, B] over R (the JS side maps any contiguous block of axes to it).
// Sums accumulate in double, like the cpu kernels' JS numbers; max/min keep the first NaN, as they do.

enum Reduce : int32_t { kSum = 0, kMean, kMax, kMin };

struct SumFold {
  using T = double;
  static T Init() { return 0.0; }
  static T Fold(T acc, float v) { return acc + double(v); }
  static T Combine(T a, T b) { return a + b; }
};
struct MaxFold {
  using T = float;
  static T Init() { return -INFINITY; }
  // Branch-free select; once acc is NaN neither test is true, so it stays NaN.
  static T Fold(T acc, float v) { return (v > acc || v != v) ? v : acc; }
  static T Combine(T a, T b) { return Fold(a, b); }
};
struct MinFold {
  using T = float;
  static T Init() { return INFINITY; }
  static T Fold(T acc, float v) { return (v < acc || v != v) ? v : acc; }
  static T Combine(T a, T b) { return Fold(a, b); }
};

/** Folds p[0..n) with 8 independent lanes, so the loop vectorizes without reassociating one chain. */
template <typename F>
typename F::T FoldRow(const float* __restrict p, i64 n) {
  typename F::T acc[8];
  for (auto& a : acc) a = F::Init();
  i64 i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int k = 0; k < 8; ++k) acc[k] = F::Fold(acc[k], p[i + k]);
  }
  for (; i < n; ++i) acc[0] = F::Fold(acc[0], p[i]);
  typename F::T r = acc[0];
  for (int k = 1; k < 8; ++k) r = F::Combine(r, acc[k]);
  return r;
}

/** acc[j] = fold(acc[j], x[r·stride + j]) for r in [r0, r1), j < width: lane-wise, so it vectorizes. */
template <typename F>
void FoldRows(const float* __restrict x, typename F::T* __restrict acc, i64 r0, i64 r1, i64 stride, i64 width) {
  for (i64 r = r0; r < r1; ++r) {
    const float* __restrict p = x + r * stride;
    for (i64 j = 0; j < width; ++j) acc[j] = F::Fold(acc[j], p[j]);
  }
}

template <typename F>
void ReduceWith(const float* x, float* out, i64 A, i64 R, i64 B, double scale) {
  using T = typename F::T;
  const int threads = omp_get_max_threads();
  const i64 total = A * R * B;
  const bool splitA = A >= threads || total < 2 * kGrainCheap;
  if (B == 1) {
    if (splitA) {
      ParallelRange(A, std::max<i64>(1, kGrainCheap / R), [=](i64 b, i64 e) {
        for (i64 a = b; a < e; ++a) out[a] = float(double(FoldRow<F>(x + a * R, R)) * scale);
      });
      return;
    }
    for (i64 a = 0; a < A; ++a) {  // few long rows: split each across threads
      std::vector<T> part(threads, F::Init());
      ParallelRange(R, kGrainCheap, [&](i64 b, i64 e) { part[omp_get_thread_num()] = FoldRow<F>(x + a * R + b, e - b); });
      T r = part[0];
      for (int t = 1; t < threads; ++t) r = F::Combine(r, part[t]);
      out[a] = float(double(r) * scale);
    }
    return;
  }
  if (splitA) {
    ParallelRange(A, std::max<i64>(1, kGrainCheap / (R * B)), [=](i64 b, i64 e) {
      std::vector<T> acc(B);
      for (i64 a = b; a < e; ++a) {
        std::fill(acc.begin(), acc.end(), F::Init());
        FoldRows<F>(x + a * R * B, acc.data(), 0, R, B, B);
        for (i64 j = 0; j < B; ++j) out[a * B + j] = float(double(acc[j]) * scale);
      }
    });
    return;
  }
  for (i64 a = 0; a < A; ++a) {  // few [R, B] blocks
    const float* xa = x + a * R * B;
    if (B >= 4096) {  // wide rows: split the columns, nothing to combine
      ParallelRange(B, std::max<i64>(1, kGrainCheap / R), [&](i64 j0, i64 j1) {
        std::vector<T> acc(size_t(j1 - j0), F::Init());
        FoldRows<F>(xa + j0, acc.data(), 0, R, B, j1 - j0);
        for (i64 j = j0; j < j1; ++j) out[a * B + j] = float(double(acc[size_t(j - j0)]) * scale);
      });
      continue;
    }
    // narrow rows (batch-norm statistics: R = N·H·W, B = C): split R, combine the partial rows
    std::vector<std::vector<T>> part(threads, std::vector<T>(B, F::Init()));
    ParallelRange(R, std::max<i64>(1, kGrainCheap / B), [&](i64 b, i64 e) {
      FoldRows<F>(xa, part[omp_get_thread_num()].data(), b, e, B, B);
    });
    for (i64 j = 0; j < B; ++j) {
      T r = part[0][j];
      for (int t = 1; t < threads; ++t) r = F::Combine(r, part[t][j]);
      out[a * B + j] = float(double(r) * scale);
    }
  }
}

void RunReduce(int32_t op, const float* x, float* out, i64 A, i64 R, i64 B) {
  switch (op) {
    case kSum: return ReduceWith<SumFold>(x, out, A, R, B, 1.0);
    case kMean: return ReduceWith<SumFold>(x, out, A, R, B, 1.0 / double(R));
    case kMax: return ReduceWith<MaxFold>(x, out, A, R, B, 1.0);
    case kMin: return ReduceWith<MinFold>(x, out, A, R, B, 1.0);
    default: throw std::invalid_argument("unknown reduction " + std::to_string(op));
  }
}

void SelectBits(const uint8_t* __restrict c, const uint32_t* __restrict t, const uint32_t* __restrict e,
                uint32_t* __restrict out, i64 b, i64 en) {
  for (i64 i = b; i < en; ++i) {
    const uint32_t m = 0u - uint32_t(c[i] != 0);
    out[i] = (t[i] & m) | (e[i] & ~m);
  }
}

}  // namespace

/** unary(op, alpha, x, out) */
static Napi::Value UnaryFn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Guard(env, "unary op", [&]() -> Napi::Value {
    size_t nx = 0, ny = 0;
    const int32_t op = info[0].As<Napi::Number>().Int32Value();
    const float alpha = info[1].As<Napi::Number>().FloatValue();
    const float* x = F32(info, 2, "x", &nx);
    float* y = F32(info, 3, "out", &ny);
    CheckLen(env, "out", ny, nx);
    RunUnary(op, alpha, x, y, i64(nx));
    return env.Undefined();
  });
}

/** binary(op, params: Int32Array[12] = dims[4], aStrides[4], bStrides[4], a, b, out: Float32Array | Uint8Array) */
static Napi::Value BinaryFn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Guard(env, "binary op", [&]() -> Napi::Value {
    size_t np = 0, na = 0, nb = 0, no = 0;
    const int32_t op = info[0].As<Napi::Number>().Int32Value();
    const int32_t* p = I32(info, 1, "params", &np);
    if (np != 12) throw Napi::RangeError::New(env, "native engine: binary params must have 12 entries");
    const float* a = F32(info, 2, "a", &na);
    const float* b = F32(info, 3, "b", &nb);
    Broadcast s;
    i64 total = 1, lastA = 0, lastB = 0;
    for (int d = 0; d < 4; ++d) {
      s.dims[d] = p[d];
      s.sa[d] = p[4 + d];
      s.sb[d] = p[8 + d];
      if (s.dims[d] < 1) throw Napi::RangeError::New(env, "native engine: binary dims must be >= 1");
      total *= s.dims[d];
      lastA += (s.dims[d] - 1) * s.sa[d];
      lastB += (s.dims[d] - 1) * s.sb[d];
    }
    // The furthest element each operand is read at must lie inside it.
    if (lastA >= i64(na) || lastB >= i64(nb) || lastA < 0 || lastB < 0) {
      throw Napi::RangeError::New(env, "native engine: binary strides reach outside an operand");
    }
    if (op >= kGreater) {
      uint8_t* out = U8(info, 4, "out", &no);
      CheckLen(env, "out", no, size_t(total));
      RunBinaryBool(op, a, b, out, s);
    } else {
      float* out = F32(info, 4, "out", &no);
      CheckLen(env, "out", no, size_t(total));
      RunBinaryF32(op, a, b, out, s);
    }
    return env.Undefined();
  });
}

/** reduce(op, A, R, B, x, out): out[a, b] = op over r of x[a, r, b] */
static Napi::Value ReduceFn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Guard(env, "reduction", [&]() -> Napi::Value {
    size_t nx = 0, no = 0;
    const int32_t op = info[0].As<Napi::Number>().Int32Value();
    const i64 A = info[1].As<Napi::Number>().Int64Value(), R = info[2].As<Napi::Number>().Int64Value(),
              B = info[3].As<Napi::Number>().Int64Value();
    const float* x = F32(info, 4, "x", &nx);
    float* out = F32(info, 5, "out", &no);
    if (A < 1 || R < 1 || B < 1 || op < kSum || op > kMin) throw Napi::RangeError::New(env, "native engine: bad reduction");
    CheckLen(env, "x", nx, size_t(A * R * B));
    CheckLen(env, "out", no, size_t(A * B));
    RunReduce(op, x, out, A, R, B);
    return env.Undefined();
  });
}

/**
 * batchNorm(x, mean, variance, offset | null, scale | null, eps, out):
 *   out[i] = offset[i % |offset|] + (x[i] − mean[i % |mean|]) · scale[i % |scale|] / sqrt(var[i % |var|] + eps)
 * exactly the cpu kernel's indexing (parameters repeat along the flattened tensor).
 */
static Napi::Value BatchNormFn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Guard(env, "batch norm", [&]() -> Napi::Value {
    size_t nx = 0, nm = 0, nv = 0, noff = 0, nsc = 0, no = 0;
    const float* x = F32(info, 0, "x", &nx);
    const float* mean = F32(info, 1, "mean", &nm);
    const float* var = F32(info, 2, "variance", &nv);
    const float* off = F32OrNull(info, 3, "offset", &noff);
    const float* sc = F32OrNull(info, 4, "scale", &nsc);
    const float eps = info[5].As<Napi::Number>().FloatValue();
    float* out = F32(info, 6, "out", &no);
    CheckLen(env, "out", no, nx);
    if (nm == 0 || nv == 0 || (off && noff == 0) || (sc && nsc == 0)) throw Napi::RangeError::New(env, "native engine: empty batch-norm parameter");
    const float zero = 0.f, one = 1.f;
    if (!off) { off = &zero; noff = 1; }
    if (!sc) { sc = &one; nsc = 1; }
    // Common case: every parameter has length 1 or C and C divides the tensor: per-channel factors.
    const size_t C = std::max({nm, nv, noff, nsc});
    const bool perChannel = nx % C == 0 && (nm == 1 || nm == C) && (nv == 1 || nv == C) && (noff == 1 || noff == C) &&
                            (nsc == 1 || nsc == C);
    if (perChannel) {
      std::vector<float> m(C), k(C), o(C);
      for (size_t c = 0; c < C; ++c) {
        m[c] = mean[nm == 1 ? 0 : c];
        k[c] = sc[nsc == 1 ? 0 : c] / std::sqrt(var[nv == 1 ? 0 : c] + eps);
        o[c] = off[noff == 1 ? 0 : c];
      }
      const i64 rows = i64(nx / C);
      ParallelRange(rows, std::max<i64>(1, kGrainCheap / i64(C)), [&](i64 b, i64 e) {
        for (i64 r = b; r < e; ++r) {
          const float* px = x + r * i64(C);
          float* py = out + r * i64(C);
          for (size_t c = 0; c < C; ++c) py[c] = o[c] + (px[c] - m[c]) * k[c];
        }
      });
    } else {
      ParallelRange(i64(nx), kGrainCheap, [&](i64 b, i64 e) {
        for (i64 i = b; i < e; ++i) {
          out[i] = off[i % noff] + (x[i] - mean[i % nm]) * sc[i % nsc] / std::sqrt(var[i % nv] + eps);
        }
      });
    }
    return env.Undefined();
  });
}

/** select(cond: Uint8Array, t, e, out, rowSize): out[i] = cond[i / rowSize] ? t[i] : e[i] */
static Napi::Value SelectFn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Guard(env, "select", [&]() -> Napi::Value {
    size_t nc = 0, nt = 0, ne = 0, no = 0;
    const uint8_t* c = U8(info, 0, "condition", &nc);
    const float* t = F32(info, 1, "t", &nt);
    const float* e = F32(info, 2, "e", &ne);
    float* out = F32(info, 3, "out", &no);
    const i64 row = info[4].As<Napi::Number>().Int64Value();
    CheckLen(env, "e", ne, nt);
    CheckLen(env, "out", no, nt);
    if (row < 1 || i64(nc) * row != i64(nt)) throw Napi::RangeError::New(env, "native engine: select condition does not match");
    // Selecting the bits with a mask (no branch on the random condition, and NaN payloads kept).
    const uint32_t* tb = reinterpret_cast<const uint32_t*>(t);
    const uint32_t* eb = reinterpret_cast<const uint32_t*>(e);
    uint32_t* ob = reinterpret_cast<uint32_t*>(out);
    ParallelRange(i64(nt), kGrainCheap, [=](i64 b, i64 en) {
      if (row == 1) {
        SelectBits(c, tb, eb, ob, b, en);
      } else {
        for (i64 i = b; i < en; ++i) ob[i] = c[i / row] ? tb[i] : eb[i];
      }
    });
    return env.Undefined();
  });
}

/** tile(params: Int32Array = [rank, xShape..., outShape...], x, out); rank ≤ 6. */
static Napi::Value TileFn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Guard(env, "tile", [&]() -> Napi::Value {
    size_t np = 0, nx = 0, no = 0;
    const int32_t* p = I32(info, 0, "params", &np);
    const float* x = F32(info, 1, "x", &nx);
    float* out = F32(info, 2, "out", &no);
    const int rank = p[0];
    if (rank < 1 || rank > 6 || np != size_t(1 + 2 * rank)) throw Napi::RangeError::New(env, "native engine: bad tile params");
    i64 xs[6], os[6], xStride[6];
    i64 nIn = 1, nOut = 1;
    for (int d = 0; d < rank; ++d) {
      xs[d] = p[1 + d];
      os[d] = p[1 + rank + d];
      if (xs[d] < 1 || os[d] < xs[d] || os[d] % xs[d] != 0) throw Napi::RangeError::New(env, "native engine: bad tile shape");
      nIn *= xs[d];
      nOut *= os[d];
    }
    CheckLen(env, "x", nx, size_t(nIn));
    CheckLen(env, "out", no, size_t(nOut));
    xStride[rank - 1] = 1;
    for (int d = rank - 2; d >= 0; --d) xStride[d] = xStride[d + 1] * xs[d + 1];
    const i64 inner = os[rank - 1], innerX = xs[rank - 1];
    const i64 rows = nOut / inner;
    ParallelRange(rows, std::max<i64>(1, kGrainCheap / inner), [&](i64 b, i64 e) {
      for (i64 r = b; r < e; ++r) {
        // Source row: each outer output index modulo the input's extent.
        i64 rem = r, src = 0;
        for (int d = rank - 2; d >= 0; --d) {
          const i64 o = rem % os[d];
          rem /= os[d];
          src += (o % xs[d]) * xStride[d];
        }
        const float* px = x + src;
        float* po = out + r * inner;
        for (i64 j = 0; j < inner; j += innerX) std::memcpy(po + j, px, size_t(innerX) * sizeof(float));
      }
    });
    return env.Undefined();
  });
}

void InitElementwise(Napi::Env env, Napi::Object exports) {
  exports.Set("unary", Napi::Function::New(env, UnaryFn, "unary"));
  exports.Set("binary", Napi::Function::New(env, BinaryFn, "binary"));
  exports.Set("reduce", Napi::Function::New(env, ReduceFn, "reduce"));
  exports.Set("batchNorm", Napi::Function::New(env, BatchNormFn, "batchNorm"));
  exports.Set("select", Napi::Function::New(env, SelectFn, "select"));
  exports.Set("tile", Napi::Function::New(env, TileFn, "tile"));
}

}  // namespace dtri
