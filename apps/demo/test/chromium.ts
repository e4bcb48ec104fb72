/**
 * Driving the demo in headless Chromium (Debian's `chromium` through playwright-core, no downloaded
 * browser): shared by the end-to-end test and the Chromium benchmark (bench/chromium.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { build, type PreviewServer, preview } from 'vite';
import type { BackendReport, ResultInfo } from '../src/protocol.js';

/** The demo's folder: this file runs from test/ (vitest) and from build/test/ (the compiled benchmark). */
const testDir = dirname(fileURLToPath(import.meta.url));
export const DEMO_ROOT =
  basename(dirname(testDir)) === 'build' ? dirname(dirname(testDir)) : dirname(testDir);

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Builds the demo into dist/ and serves it with `vite preview` (cross-origin isolated, /models/). */
export async function previewBuiltDemo(): Promise<{ server: PreviewServer; url: string }> {
  const configFile = join(DEMO_ROOT, 'vite.config.ts');
  await build({ root: DEMO_ROOT, configFile, logLevel: 'warn' });
  const port = await freePort();
  const server = await preview({
    root: DEMO_ROOT,
    configFile,
    logLevel: 'warn',
    preview: { host: '127.0.0.1', port, strictPort: true, open: false },
  });
  return { server, url: `http://127.0.0.1:${port}/` };
}

export interface HeadlessChromium {
  readonly context: BrowserContext;
  /** Closes the browser and removes its profile. */
  close(): Promise<void>;
}

/** Headless Chromium with a fresh profile. */
export async function launchChromium(): Promise<HeadlessChromium> {
  const userDataDir = await mkdtemp(join(tmpdir(), 'onnxstream-demo-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}

/** `window.onnxstreamDemo`, the page's state. */
export interface PageDemo {
  state: string;
  runs: number;
  lastResult?: ResultInfo;
  lastError?: string;
  crossOriginIsolated: boolean;
  backend?: BackendReport;
}

export function demoState(page: Page): Promise<PageDemo> {
  return page.evaluate(() => (window as unknown as { onnxstreamDemo: PageDemo }).onnxstreamDemo);
}

/** Polls the page's state until `test` holds; throws the page's error, or on timeout. */
export async function waitFor(page: Page, what: string, test: (d: PageDemo) => boolean, timeout: number) {
  const t0 = Date.now();
  for (;;) {
    const d = await demoState(page);
    if (d.state === 'error') throw new Error(`the page failed while waiting for ${what}: ${d.lastError}`);
    if (test(d)) return d;
    if (Date.now() - t0 > timeout) throw new Error(`timed out waiting for ${what} (state ${d.state})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
