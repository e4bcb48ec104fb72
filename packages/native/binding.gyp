{
  "target_defaults": {
    "cflags!": ["-fno-exceptions"],
    "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
    "cflags": ["-fPIC", "-fvisibility=hidden"],
    "cflags_cc": ["-std=c++20", "-fexceptions", "-fvisibility-inlines-hidden"],
    "xcode_settings": {
      "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
      "CLANG_CXX_LANGUAGE_STANDARD": "c++20",
      "GCC_SYMBOLS_PRIVATE_EXTERN": "YES",
      "GCC_INLINES_ARE_PRIVATE_EXTERN": "YES"
    },
    "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"]
  },
  "targets": [
    {
      "target_name": "onnxstream_native",
      "sources": ["binding/addon.cc", "<!@(node scripts/sources.cjs portable)"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "ldflags": ["-pthread"],
      "conditions": [
        ["target_arch=='x64'", { "dependencies": ["os_isa_avx2", "os_isa_avx512"] }],
        ["target_arch=='arm64'", { "dependencies": ["os_isa_neon", "os_isa_neonfp16"] }]
      ]
    }
  ],
  "conditions": [
    ["target_arch=='x64'", {
      "targets": [
        {
          "target_name": "os_isa_avx2",
          "type": "static_library",
          "sources": ["<!@(node scripts/sources.cjs avx2)"],
          "cflags_cc": ["-mavx2", "-mfma", "-mf16c"]
        },
        {
          "target_name": "os_isa_avx512",
          "type": "static_library",
          "sources": ["<!@(node scripts/sources.cjs avx512)"],
          "cflags_cc": ["-mavx512f", "-mavx512bw", "-mavx512dq", "-mavx512vl", "-mavx2", "-mfma", "-mf16c", "-Wno-maybe-uninitialized", "-Wno-uninitialized"]
        }
      ]
    }],
    ["target_arch=='arm64'", {
      "targets": [
        {
          "target_name": "os_isa_neon",
          "type": "static_library",
          "sources": ["<!@(node scripts/sources.cjs neon)"]
        },
        {
          "target_name": "os_isa_neonfp16",
          "type": "static_library",
          "sources": ["<!@(node scripts/sources.cjs neonfp16)"],
          "cflags_cc": ["-march=armv8.2-a+fp16"]
        }
      ]
    }]
  ]
}
