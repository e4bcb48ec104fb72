import { defineConfig } from 'vite';
import { modelsPlugin } from './server/models.js';
import { CROSS_ORIGIN_ISOLATION_HEADERS } from './src/headers.js';

// Cross-origin isolation (COOP + COEP) on every response, in dev and in preview: it gives the page
// SharedArrayBuffer, which threaded wasm needs. Model folders on disk are served at /models/.
export default defineConfig({
  server: { headers: { ...CROSS_ORIGIN_ISOLATION_HEADERS } },
  preview: { headers: { ...CROSS_ORIGIN_ISOLATION_HEADERS } },
  worker: { format: 'es' },
  build: { target: 'es2022' },
  plugins: [modelsPlugin()],
});
