/**
 * YOLOv8n in headless Chromium: the demo, built and served as the end-to-end test does it (vite
 * preview, cross-origin isolated, so the worker loads the wasm threads build with every logical
 * CPU), loads the shared YOLOv8n folder over HTTP and detects objects in the test pictures, one
 * warm-up picture (which downloads the weights into the Cache API and packs them) and then `runs`
 * timed ones. The time is the engine's run alone (`ResultInfo.runMs`: no pre- or postprocessing),
 * with the weights streamed from the Cache API.
 *
 *   pnpm --filter @onnxstream/demo bench:chromium [runs=5]
 *
 * Prints one JSON line as packages/cli/bench/worker.ts does (`pnpm bench` with BENCH_CHROMIUM=1
 * adds it as a YOLOv8n row); Chromium's memory is not measured (peakRssBytes null).
 */
import { testdata } from '@onnxstream/core/testing';
import type { ResultInfo } from '../src/protocol.js';
import { launchChromium, previewBuiltDemo, waitFor } from '../test/chromium.js';
import { TEST_IMAGES } from '../test/node-detect.js';

const runs = Number(process.argv[2] ?? 5);

const { server, url } = await previewBuiltDemo();
const browser = await launchChromium();
try {
  const page = await browser.context.newPage();
  await page.goto(url);
  const { crossOriginIsolated } = await waitFor(page, 'the worker', (d) => d.backend !== undefined, 60_000);
  await page.click('#load-url');
  const loaded = await waitFor(page, 'the model', (d) => d.state === 'ready', 120_000);
  const runMs: number[] = [];
  let last: ResultInfo | undefined;
  for (let i = 0; i <= runs; i++) {
    await page.setInputFiles('#image-input', testdata('images', TEST_IMAGES[i % TEST_IMAGES.length]));
    last = (await waitFor(page, `picture ${i}`, (x) => x.runs === i + 1, 120_000)).lastResult!;
    if (i > 0) runMs.push(last.runMs);
  }
  runMs.sort((a, b) => a - b);
  const browserVersion = (await page.evaluate(() => navigator.userAgent)).match(/Chrome\/[\d.]+/)?.[0];
  process.stderr.write(
    `${browserVersion}: crossOriginIsolated ${crossOriginIsolated}, wasm ${loaded.backend?.variant} build, ` +
      `${last?.threads} threads, runs (ms) ${runMs.map((t) => t.toFixed(0)).join(' ')}\n`,
  );
  process.stdout.write(
    `${JSON.stringify({
      engine: 'chromium',
      medianMs: runMs[Math.floor(runMs.length / 2)],
      minMs: runMs[0],
      runs: runMs.length,
      peakRssBytes: null,
      peakTensorBytes: last?.peakTensorBytes ?? null,
    })}\n`,
  );
} finally {
  await browser.close();
  await server.close();
}
