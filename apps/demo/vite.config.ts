import { defineConfig } from 'vite';
import { modelsPlugin } from './server/models.js';
import { WASM_WEB_FILE, wasmAssetFileNames, wasmDevPlugin } from './server/wasm-assets.js';
import { CROSS_ORIGIN_ISOLATION_HEADERS } from './src/headers.js';

// @onnxstream/wasm's browser files (glue, .wasm, pthreads worker script): in a build never inlined
// and emitted side by side under their own names; in dev served untransformed (server/wasm-assets.ts).
const output = { assetFileNames: wasmAssetFileNames() };

// Cross-origin isolation (COOP + COEP) on every response, in dev and in preview: it gives the page
// SharedArrayBuffer, which the wasm threads build needs. Model folders on disk are served at /models/.
export default defineConfig({
  server: { headers: { ...CROSS_ORIGIN_ISOLATION_HEADERS } },
  preview: { headers: { ...CROSS_ORIGIN_ISOLATION_HEADERS } },
  // The inference worker (which loads the wasm backend) is an ES module worker, bundled on its own.
  worker: { format: 'es', rollupOptions: { output } },
  build: {
    target: 'es2022',
    assetsInlineLimit: (file) => (WASM_WEB_FILE.test(file) ? false : undefined),
    rollupOptions: { output },
  },
  plugins: [modelsPlugin(), wasmDevPlugin()],
});
