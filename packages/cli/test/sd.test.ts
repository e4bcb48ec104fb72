import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseNpy } from '@onnxstream/core';
import { testdata } from '@onnxstream/core/testing';
import { decodePng } from '@onnxstream/stable-diffusion';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

/** The tiny-model folder writer of @onnxstream/stable-diffusion's build (not a package export). */
type WriteTinySd15 = (
  dir: string,
  options: { clipDir: string; format?: 'diffusers' | 'onnxstream' },
) => Promise<string>;
const FIXTURES = new URL('../../stable-diffusion/dist/pipeline/fixtures.js', import.meta.url).href;

const cli = runCli;

let dir: string;
let diffusers: string;
let onnxstream: string;
let server: Server;
let endpoint: string;

beforeAll(async () => {
  const { writeTinySd15 } = (await import(FIXTURES)) as { writeTinySd15: WriteTinySd15 };
  dir = await mkdtemp(join(tmpdir(), 'onnxstream-sd-'));
  diffusers = await writeTinySd15(join(dir, 'diffusers'), { clipDir: testdata('clip') });
  onnxstream = await writeTinySd15(join(dir, 'onnxstream'), {
    clipDir: testdata('clip'),
    format: 'onnxstream',
  });
  server = createServer(async (req, res) => {
    const prefix = '/vitoplantamura/stable-diffusion-1.5-onnxstream/resolve/main/';
    const rel = decodeURIComponent((req.url ?? '').slice(prefix.length));
    const file = join(onnxstream, rel);
    try {
      if (!req.url?.startsWith(prefix) || rel.includes('..')) throw new Error('not found');
      const { size } = await stat(file);
      res.writeHead(200, { 'content-length': String(size) });
      createReadStream(file).pipe(res);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 300_000);

afterAll(async () => {
  await new Promise((r) => server.close(r));
  await rm(dir, { recursive: true, force: true });
});

const base = (models: string, out: string) => [
  'sd',
  '--models-path',
  models,
  '--res',
  '64x64',
  '--steps',
  '3',
  '--seed',
  '5',
  '--rpi',
  '--output',
  out,
];

describe('onnxstream tokenize', () => {
  it('prints the token ids, or JSON with tokens and chunks', async () => {
    const r = await cli(['tokenize', 'Hello World!', '--tokenizer', testdata('clip')]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('3306 1002 256');
    const j = await cli(['tokenize', 'a cat', '--models-path', diffusers, '--json']);
    expect(JSON.parse(j.stdout)).toEqual({ ids: [320, 2368], tokens: ['a</w>', 'cat</w>'], chunks: 1 });
    const c = await cli(['tokenize', 'a cat', '--tokenizer', testdata('clip'), '--chunks']);
    expect(c.stdout.trim().split(' ').slice(0, 4)).toEqual(['49406', '320', '2368', '49407']);
    expect(c.stdout.trim().split(' ')).toHaveLength(77);
    const bad = await cli(['tokenize', 'x', '--tokenizer', join(dir, 'none')]);
    expect(bad.code).toBe(2);
  });
});

describe('onnxstream sd', () => {
  it('writes a PNG with its parameters, the latents, and reports JSON', async () => {
    const out = join(dir, 'a', 'result.png');
    const r = await cli([
      ...base(diffusers, out),
      '--embed-parameters',
      '--save-latents',
      join(dir, 'a', 'latents.npy'),
      '--sampler',
      'euler',
      '--prompt',
      'a red car',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ kind: 'sd15', images: [out], seeds: [5], width: 64, height: 64 });
    expect(report.peakRssBytes).toBeGreaterThan(0);
    const png = decodePng(await readFile(out));
    expect([png.width, png.height]).toEqual([64, 64]);
    expect(png.text.parameters).toMatch(
      /^a red car\nNegative prompt: ugly, blurry\nSteps: 3, Seed: 5, Size: 64x64, Model: ".*diffusers" \(SD 1\.5\), Sampler: euler, CFG scale: 7, Version: OnnxStream$/,
    );
    const latents = parseNpy(await readFile(join(dir, 'a', 'latents.npy')));
    expect(latents.dims).toEqual([1, 4, 8, 8]);

    const again = join(dir, 'a', 'decoded.png');
    const d = await cli([...base(diffusers, again), '--decode-latents', join(dir, 'a', 'latents.npy')]);
    expect(d.code, d.stderr).toBe(0);
    expect(d.stdout).toMatch(/elapsed: [\d.]+ s, peak RSS: [\d.]+ MiB/);
    const dec = decodePng(await readFile(again));
    expect(dec.data).toEqual(png.data);
    expect(dec.text.parameters).toBeUndefined();
  }, 120_000);

  it('deterministic samplers give identical results with every weights provider', async () => {
    const run = async (name: string, ...extra: string[]) => {
      const out = join(dir, name, 'r.png');
      const r = await cli([
        ...base(onnxstream, out),
        '--sampler',
        'dpm++2m',
        '--save-latents',
        join(dir, name, 'l.npy'),
        ...extra,
      ]);
      expect(r.code, r.stderr).toBe(0);
      return {
        png: await readFile(out),
        latents: await readFile(join(dir, name, 'l.npy')),
        stderr: r.stderr,
      };
    };
    const prefetch = await run('p');
    const ram = await run('r', '--ram');
    const lowmem = await run('n', '--rpi-lowmem');
    expect(ram.png).toEqual(prefetch.png);
    expect(ram.latents).toEqual(prefetch.latents);
    expect(lowmem.latents).toEqual(prefetch.latents); // the UNet streams from disk; the W8A8 VAE differs
    // Started without a small young generation, --rpi-lowmem says how to get one.
    expect(lowmem.stderr).toContain('start Node with --max-semi-space-size=1');
    expect(prefetch.stderr).not.toContain('--max-semi-space-size');
  }, 180_000);

  it('the native, wasm and reference backends make the same image', async () => {
    const run = async (backend: string) => {
      const out = join(dir, `backend-${backend}`, 'r.png');
      const latents = join(dir, `backend-${backend}`, 'l.npy');
      const r = await cli([
        ...base(diffusers, out),
        '--sampler',
        'euler',
        '--save-latents',
        latents,
        '--backend',
        backend,
      ]);
      expect(r.code, r.stderr).toBe(0);
      return {
        png: decodePng(await readFile(out)).data,
        latents: parseNpy(await readFile(latents)).data as Float32Array,
      };
    };
    const native = await run('native');
    let scale = 0;
    for (const v of native.latents) scale = Math.max(scale, Math.abs(v));
    for (const other of [await run('wasm'), await run('reference')]) {
      // Kernels differ in summation order only (SIMD widths): latents agree to float32 rounding
      // accumulated over the steps, and pixels, rounded to 8 bits, differ by at most one level.
      let worst = 0;
      for (let i = 0; i < native.latents.length; i++) {
        worst = Math.max(worst, Math.abs(native.latents[i] - other.latents[i]));
      }
      expect(worst).toBeLessThan(1e-5 * scale);
      let pixels = 0;
      for (let i = 0; i < native.png.length; i++)
        pixels = Math.max(pixels, Math.abs(native.png[i] - other.png[i]));
      expect(pixels).toBeLessThanOrEqual(1);
    }
  }, 300_000);

  it('--num writes one image per seed, previews per step', async () => {
    const out = join(dir, 'num', 'img.png');
    const r = await cli([...base(diffusers, out), '--num', '2', '--preview-steps', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).seeds).toEqual([5, 6]);
    const files = (await readdir(join(dir, 'num'))).sort();
    expect(files).toEqual(
      [
        'img_0.png',
        'img_1.png',
        ...[0, 1].flatMap((k) => [1, 2, 3].map((s) => `img_${k}.png_preview_${s}.png`)),
      ].sort(),
    );
    const preview = decodePng(await readFile(join(dir, 'num', 'img_0.png_preview_1.png')));
    expect([preview.width, preview.height]).toEqual([8, 8]);
  }, 120_000);

  it('downloads the published SD 1.5 folder into --models-path (HF_ENDPOINT) and generates', async () => {
    const models = join(dir, 'dl');
    await mkdir(models);
    const out = join(dir, 'dl-out', 'r.png');
    const r = await cli([...base(models, out), '--curl-parallel', '3'], { env: { HF_ENDPOINT: endpoint } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/weights \d+\/\d+/);
    await stat(join(models, 'stable-diffusion-1.5-onnxstream', 'unet_fp16', 'model.txt'));
    await stat(out);
    const never = await cli([...base(join(dir, 'empty'), out), '--download', 'never']);
    expect(never.code).toBe(2);
    expect(never.stderr).toMatch(/--download never/);
  }, 120_000);

  it('offline without --models-path fails fast and says how to use local weights', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const cwd = await mkdtemp(join(tmpdir(), 'onnxstream-sd-cwd-'));
    const start = Date.now();
    const r = await cli(['sd', '--steps', '3'], {
      cwd,
      env: { HF_ENDPOINT: `http://127.0.0.1:${port}`, ONNXSTREAM_CACHE: join(cwd, 'cache') },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot download vitoplantamura\/stable-diffusion-1\.5-onnxstream/);
    expect(r.stderr).toMatch(/--models-path/);
    expect(Date.now() - start).toBeLessThan(15_000);
    await rm(cwd, { recursive: true, force: true });
  });

  it('rejects bad options', async () => {
    const out = join(dir, 'bad.png');
    expect((await cli([...base(diffusers, out), '--steps', '2'])).stderr).toMatch(/at least 3/);
    expect((await cli([...base(diffusers, out), '--sampler', 'nope'])).code).toBe(2);
    expect((await cli([...base(diffusers, out), '--download', 'sometimes'])).code).toBe(2);
    const big = await cli([...base(diffusers, out), '--res', '128x128']);
    expect(big.code).toBe(1);
    expect(big.stderr).toMatch(/only takes 64x64/);
  }, 60_000);
});
