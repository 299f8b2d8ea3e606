// Elementwise kernels (filled in after profiling a training iteration).
#include "common.h"

namespace dtri {

void InitElementwise(Napi::Env env, Napi::Object exports) {
  (void)env;
  (void)exports;
}

}  // namespace dtri
