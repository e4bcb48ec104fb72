/**
 * The browser flavour (dist/wasm/web: ES module glue) in headless Chromium, from a module Web Worker
 * on a cross-origin isolated page, through the package's own browser loader (dist/loader-web.js):
 * each build loads, finds its .wasm (and the pthreads worker script) next to the loader, and runs a
 * kernel; the threaded builds get shared memory and their pool (Chromium runs relaxed SIMD). Skipped
 * without Chromium unless CI is set.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const dist = fileURLToPath(new URL('../dist/', import.meta.url));

const PAGE = `<!doctype html><script type="module">
const w = new Worker('/worker.js', { type: 'module' });
w.onmessage = (e) => { window.result = e.data; };
w.onerror = (e) => { window.result = { error: String(e.message) }; };
</script>`;

// Runs Relu over 65536 floats in each build with the raw exports (the TypeScript layer above the
// loader needs @onnxstream/core, which a page would bundle).
const WORKER = `
import { instantiate } from '/loader-web.js';
const out = {};
for (const variant of ['plain', 'simd', 'threads', 'relaxed']) {
  try {
    const m = await instantiate(variant, 2);
    const mem = m.wasmMemory ?? Object.values(m.asm).find((a) => a instanceof WebAssembly.Memory);
    const n = 1 << 16;
    const x = m._os_alloc(n * 4), y = m._os_alloc(n * 4), args = m._malloc(64);
    new Float32Array(mem.buffer, x, n).fill(-2).fill(3, 0, 10);
    new Uint32Array(mem.buffer, args, 4).set([x, n * 4, y, n * 4]);
    new Float64Array(mem.buffer, args + 16, 4).set([0, 0, 0, n]);
    const relu = Array.from({ length: m._os_kernel_count() }, (_, i) => m.UTF8ToString(m._os_kernel_name(i))).indexOf('unary_f32');
    const err = m._os_run(relu, args, 2, args + 16, 4);
    const y32 = new Float32Array(mem.buffer, y, n);
    out[variant] = {
      isa: m.UTF8ToString(m._os_isa()), threads: m._os_threads(), err,
      sum: y32.reduce((a, b) => a + b, 0), shared: mem.buffer instanceof SharedArrayBuffer,
    };
  } catch (e) { out[variant] = { error: String(e) }; }
}
postMessage(out);`;

const TYPES: Record<string, string> = {
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
};

let server: Server | undefined;
afterAll(() => server?.close());

describe.runIf(CHROMIUM || process.env.CI)('the browser build in Chromium (module worker)', () => {
  it('loads plain, simd, threads and relaxed through loader-web.js and runs a kernel', async () => {
    const { chromium } = await import('playwright-core');
    server = createServer(async (req, res) => {
      // Cross-origin isolation: without it the page gets no SharedArrayBuffer.
      const headers = {
        'Cross-Origin-Opener-Policy': 'same-origin',
        'Cross-Origin-Embedder-Policy': 'require-corp',
      };
      const url = (req.url ?? '/').split('?')[0];
      if (url === '/') return res.writeHead(200, { ...headers, 'content-type': 'text/html' }).end(PAGE);
      if (url === '/worker.js') {
        return res.writeHead(200, { ...headers, 'content-type': 'text/javascript' }).end(WORKER);
      }
      const file = normalize(join(dist, url));
      if (!file.startsWith(dist) || !existsSync(file)) return res.writeHead(404).end();
      const type = TYPES[extname(file)] ?? 'application/octet-stream';
      res.writeHead(200, { ...headers, 'content-type': type }).end(await readFile(file));
    }).listen(0, '127.0.0.1');
    await new Promise((r) => server!.once('listening', r));
    const { port } = server.address() as AddressInfo;
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update'],
    });
    try {
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${port}/`);
      expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
      await page.waitForFunction(() => (window as { result?: unknown }).result !== undefined, null, {
        timeout: 60_000,
      });
      const result = await page.evaluate(() => (window as { result?: unknown }).result);
      // Ten 3s survive Relu: 30.
      expect(result).toEqual({
        plain: { isa: 'scalar', threads: 1, err: 0, sum: 30, shared: false },
        simd: { isa: 'wasmsimd', threads: 1, err: 0, sum: 30, shared: false },
        threads: { isa: 'wasmsimd', threads: 2, err: 0, sum: 30, shared: true },
        relaxed: { isa: 'wasmsimd', threads: 2, err: 0, sum: 30, shared: true },
      });
    } finally {
      await browser.close();
    }
  });
});
