# The native engine: oneDNN (Debian libdnnl-dev) kernels for TensorFlow.js's cpu backend.
# Built by environment/build-native.sh; loaded by lib/backend/native.ts.
{
  "targets": [
    {
      "target_name": "dtri_native",
      "sources": ["src/addon.cc", "src/conv.cc", "src/matmul.cc", "src/elementwise.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions", "-O2"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-O2"],
      "cflags_cc": ["-std=c++17", "-O3", "-fno-math-errno", "-fno-trapping-math", "-fexceptions", "-frtti", "-fopenmp"],
      "ldflags": ["-fopenmp"],
      "libraries": ["-ldnnl"]
    }
  ]
}
