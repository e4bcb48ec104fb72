/**
 * End to end: builds the demo, serves it with the cross-origin isolation headers (vite preview,
 * model folders at /models/), loads YOLOv8n over HTTP in headless Chromium and detects objects in
 * the test pictures with the wasm backend's threaded build (SIMD128 + pthreads, more than one
 * thread, with relaxed SIMD's multiply-adds); the detections must match what the reference backend
 * finds in Node with the same code.
 * Served without the headers, the page warns and the worker takes the single-threaded SIMD build;
 * the dev server (`vite`) serves the relaxed build as well.
 * Screenshots go to apps/demo/e2e-output/ (git-ignored).
 *
 * Needs Debian's chromium (`apt-get install chromium`, done by scripts/setup.sh), or
 * CHROMIUM_PATH. Set ONNXSTREAM_SKIP_E2E=1 to skip.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import type { InferenceSession } from '@onnxstream/core';
import { testdata } from '@onnxstream/core/testing';
import { type PreviewServer, createServer as viteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResultInfo } from '../src/protocol.js';
import type { Detection } from '../src/yolo.js';
import {
  CHROMIUM_PATH,
  DEMO_ROOT,
  freePort,
  type HeadlessChromium,
  launchChromium,
  previewBuiltDemo,
  waitFor,
} from './chromium.js';
import { compareDetections, detectInNode, formatBox, TEST_IMAGES, yoloSession } from './node-detect.js';

const output = join(DEMO_ROOT, 'e2e-output');
const skip = process.env.ONNXSTREAM_SKIP_E2E === '1';

if (!skip && !existsSync(CHROMIUM_PATH)) {
  throw new Error(`Chromium not found at ${CHROMIUM_PATH}: run scripts/setup.sh (apt-get install chromium)`);
}

/** The built demo served without any isolation header, to see the fallback message. */
async function plainServer(dir: string): Promise<Server> {
  const types: Record<string, string> = {
    '.html': 'text/html',
    '.js': 'text/javascript',
    '.mjs': 'text/javascript',
    '.wasm': 'application/wasm',
    '.css': 'text/css',
  };
  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const full = normalize(join(dir, path === '/' ? 'index.html' : path));
    if (!full.startsWith(dir + sep)) return void res.writeHead(404).end();
    try {
      const body = await readFile(full);
      res.writeHead(200, { 'Content-Type': types[extname(full)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return server;
}

function describeDetections(ds: readonly Detection[]): string {
  return ds.map((d) => `${d.label} ${d.score.toFixed(2)} ${formatBox(d.box)}`).join('; ');
}

describe.skipIf(skip)('the demo in headless Chromium', () => {
  let server: PreviewServer;
  let browser: HeadlessChromium;
  let url: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    await mkdir(output, { recursive: true });
    ({ server, url } = await previewBuiltDemo());
    browser = await launchChromium();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('warns and takes the single-threaded wasm build when the page is not cross-origin isolated', async () => {
    const plain = await plainServer(join(DEMO_ROOT, 'dist'));
    try {
      const page = await browser.context.newPage();
      await page.goto(`http://127.0.0.1:${(plain.address() as AddressInfo).port}/`);
      expect(await page.evaluate(() => globalThis.crossOriginIsolated)).toBe(false);
      expect(await page.locator('#isolation-warning').isVisible()).toBe(true);
      // No SharedArrayBuffer: the worker loads the SIMD build, one thread.
      const { backend } = await waitFor(page, 'the worker', (d) => d.backend !== undefined, 30_000);
      expect(backend).toMatchObject({ name: 'wasm', variant: 'simd', isa: 'wasmsimd', threads: 1 });
      expect(await page.locator('#backend-note').textContent()).toMatch(/wasm, simd build .*, 1 thread,/);
      await page.close();
    } finally {
      await new Promise((r) => plain.close(r));
    }
  });

  it('loads the wasm relaxed (threaded) build from the dev server too', async () => {
    const port = await freePort();
    const dev = await viteDevServer({
      root: DEMO_ROOT,
      configFile: join(DEMO_ROOT, 'vite.config.ts'),
      logLevel: 'warn',
      server: { host: '127.0.0.1', port, strictPort: true, open: false, watch: null, hmr: false },
    });
    await dev.listen();
    try {
      const page = await browser.context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(`http://127.0.0.1:${port}/`);
      expect(await page.evaluate(() => globalThis.crossOriginIsolated)).toBe(true);
      const { backend } = await waitFor(page, 'the worker', (d) => d.backend !== undefined, 60_000);
      expect(backend).toMatchObject({ name: 'wasm', variant: 'relaxed', isa: 'wasmsimd' });
      expect(backend!.threads).toBeGreaterThan(1);
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      await dev.close();
    }
  });

  it('loads YOLOv8n over HTTP and finds with wasm threads what the engine finds in Node', {
    timeout: 180_000,
  }, async () => {
    const page = await browser.context.newPage();
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error' && !/favicon/.test(m.text())) pageErrors.push(m.text());
    });
    await page.goto(url);
    expect(await page.evaluate(() => globalThis.crossOriginIsolated)).toBe(true);
    expect(await page.locator('#isolation-warning').isVisible()).toBe(false);
    // Cross-origin isolated: the worker loads the wasm threads build (SIMD128 + pthreads), the one
    // with relaxed SIMD's multiply-adds (Chromium has had relaxed SIMD since 114).
    const hello = await waitFor(page, 'the worker', (d) => d.backend !== undefined, 30_000);
    expect(hello.backend).toMatchObject({ name: 'wasm', variant: 'relaxed', isa: 'wasmsimd' });
    expect(hello.backend!.fallback).toBeUndefined();
    expect(await page.locator('#backend-note').textContent()).toMatch(/^Backend: wasm, relaxed build/);

    // The default URL is the shared YOLOv8n folder, served by the preview server at /models/.
    expect(await page.inputValue('#model-url')).toBe('models/yolov8n-onnxstream/');
    await page.click('#load-url');
    const loaded = await waitFor(page, 'the model', (d) => d.state === 'ready', 60_000);
    expect(loaded.crossOriginIsolated).toBe(true);
    const cpus = await page.evaluate(() => navigator.hardwareConcurrency);
    expect(cpus, 'the threads build needs more than one logical CPU').toBeGreaterThan(1);
    expect(loaded.backend).toMatchObject({ variant: 'relaxed', threads: cpus });

    const results: ResultInfo[] = [];
    for (const [i, image] of TEST_IMAGES.entries()) {
      await page.setInputFiles('#image-input', testdata('images', image));
      const d = await waitFor(page, `detections on ${image}`, (x) => x.runs === i + 1, 60_000);
      results.push(d.lastResult!);
      await page.screenshot({ path: join(output, `yolov8n-${i}.png`), fullPage: true });
    }

    // The same pictures in Node, afterwards: the threads build's pool busy-waits, and sharing the two
    // cores with the reference backend would make the browser's timings meaningless.
    let session: InferenceSession | undefined;
    const expected: Detection[][] = [];
    try {
      session = await yoloSession();
      for (const image of TEST_IMAGES) expected.push((await detectInNode(session, image)).detections);
    } finally {
      await session?.release();
    }
    console.info(
      `browser: wasm ${results[0].backend.variant} build, ${results[0].threads} threads, ` +
        `${results.map((r) => `${(r.wallMs / 1000).toFixed(2)} s`).join(' and ')} per picture, ` +
        `wasm heap ${((results[1].backend.heapBytes ?? 0) / 2 ** 20).toFixed(1)} MiB`,
    );
    for (const [i, r] of results.entries()) {
      const mismatches = compareDetections(expected[i], r.detections);
      expect(
        mismatches.map((m) => `${m.side}: ${m.reason}: ${m.detection.label} ${formatBox(m.detection.box)}`),
        `${TEST_IMAGES[i]}\n  node:    ${describeDetections(expected[i])}\n  browser: ${describeDetections(r.detections)}`,
      ).toEqual([]);
      expect(r.detections.length).toBeGreaterThan(0);
      // The threaded build ran, with every logical CPU, and its heap stayed bounded.
      expect(r.backend).toMatchObject({ name: 'wasm', variant: 'relaxed', isa: 'wasmsimd' });
      expect(r.threads).toBeGreaterThan(1);
      expect(r.threads).toBe(r.backend.threads);
      expect(r.backend.heapBytes).toBeGreaterThanOrEqual(16 * 2 ** 20);
      expect(r.backend.heapBytes).toBeLessThan(256 * 2 ** 20);
      expect(r.wallMs).toBeGreaterThan(0);
      expect(r.peakTensorBytes).toBeGreaterThan(0);
      expect(r.readAheadPeakBytes).toBeGreaterThan(0);
    }
    // The first picture downloaded the weights (and stored them in the Cache API); the second read
    // them all from there.
    const [first, second] = results;
    expect(first.download!.downloaded).toBeGreaterThan(0);
    expect(second.download!.downloaded).toBe(first.download!.downloaded);
    expect(second.download!.fromCache - first.download!.fromCache).toBeGreaterThanOrEqual(second.weightBytes);
    // The heap only grows: the second run's is at least the first's.
    expect(second.backend.heapBytes).toBeGreaterThanOrEqual(first.backend.heapBytes!);
    const stats = await page.locator('#stats').textContent();
    expect(stats).toMatch(/wasm build\s*relaxed/);
    expect(stats).toMatch(new RegExp(`threads used\\s*${second.threads}`));
    expect(stats).toMatch(/wasm heap high-water\s*[\d.]+ MB/);
    expect(stats).toMatch(/engine high-water\s*[\d.]+ MB \(engine tensors/);
    expect(stats).toMatch(/wall time\s*[\d.]+ m?s/);
    const shown = await page.locator('#detections li').allTextContents();
    expect(shown.length).toBe(results[1].detections.length);
    expect(pageErrors).toEqual([]);
    await page.close();
  });
});
