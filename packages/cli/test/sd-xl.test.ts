/** `onnxstream sd --xl` and `--turbo` on tiny SDXL models in OnnxStream's folders. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseNpy } from '@onnxstream/core';
import { testdata } from '@onnxstream/core/testing';
import { decodePng } from '@onnxstream/stable-diffusion';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli as cli } from './run-cli.js';

/** The tiny-model folder writer of @onnxstream/stable-diffusion's build (not a package export). */
type WriteTinySdxl = (
  dir: string,
  options: { clipDir: string; format?: 'diffusers' | 'onnxstream'; kind?: 'sdxl' | 'sdxl-turbo' },
) => Promise<string>;
const FIXTURES = new URL('../../stable-diffusion/dist/pipeline/fixtures.js', import.meta.url).href;

let dir: string;
let xl: string;
let turbo: string;

beforeAll(async () => {
  const { writeTinySdxl } = (await import(FIXTURES)) as { writeTinySdxl: WriteTinySdxl };
  dir = await mkdtemp(join(tmpdir(), 'onnxstream-sd-xl-'));
  xl = await writeTinySdxl(join(dir, 'xl'), { clipDir: testdata('clip'), format: 'onnxstream' });
  turbo = await writeTinySdxl(join(dir, 'turbo'), {
    clipDir: testdata('clip'),
    format: 'onnxstream',
    kind: 'sdxl-turbo',
  });
}, 300_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const base = (models: string, out: string) => [
  'sd',
  '--models-path',
  models,
  '--res',
  '64x64',
  '--seed',
  '5',
  '--rpi',
  '--sampler',
  'euler',
  '--output',
  out,
];

describe('onnxstream sd on SDXL folders', () => {
  it('--xl writes the image with its parameters; --rpi-lowmem runs the low-memory UNet settings', async () => {
    const out = join(dir, 'xl.png');
    const latents = join(dir, 'xl.npy');
    const r = await cli([
      ...base(xl, out),
      '--xl',
      '--steps',
      '3',
      '--prompt',
      'a red car',
      '--embed-parameters',
      '--save-latents',
      latents,
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ kind: 'sdxl', images: [out], width: 64, height: 64 });
    const png = decodePng(await readFile(out));
    expect([png.width, png.height]).toEqual([64, 64]);
    expect(png.text.parameters).toMatch(
      /^a red car\nNegative prompt: ugly, blurry\nSteps: 3, Seed: 5, Size: 64x64, Model: ".*xl" \(SDXL\), Sampler: euler/,
    );

    const lowOut = join(dir, 'xl-low.png');
    const low = await cli([
      ...base(xl, lowOut),
      '--xl',
      '--steps',
      '3',
      '--prompt',
      'a red car',
      '--rpi-lowmem',
      '--save-latents',
      join(dir, 'xl-low.npy'),
    ]);
    expect(low.code, low.stderr).toBe(0);
    // float16 storage of held activations: close to, not necessarily equal to, the plain run.
    const a = parseNpy(await readFile(latents)).data as Float32Array;
    const b = parseNpy(await readFile(join(dir, 'xl-low.npy'))).data as Float32Array;
    let diff = 0;
    let max = 0;
    for (let i = 0; i < a.length; i++) {
      diff = Math.max(diff, Math.abs(a[i] - b[i]));
      max = Math.max(max, Math.abs(a[i]));
    }
    expect(diff).toBeLessThan(0.02 * max);
  }, 180_000);

  it('--turbo runs one step without a negative prompt', async () => {
    const out = join(dir, 'turbo.png');
    const r = await cli([...base(turbo, out), '--turbo', '--steps', '1', '--embed-parameters', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ kind: 'sdxl-turbo', images: [out] });
    const png = decodePng(await readFile(out));
    expect([png.width, png.height]).toEqual([64, 64]);
    expect(png.text.parameters).toMatch(
      /^a photo of an astronaut riding a horse on mars\nSteps: 1, Seed: 5, Size: 64x64, Model: ".*turbo" \(SDXL-Turbo\), Sampler: euler, Version: OnnxStream$/,
    );
    // SDXL base sizes are multiples of 64 (Turbo's of 8).
    const bad = await cli([...base(xl, out), '--xl', '--steps', '3', '--res', '72x64']);
    expect(bad.stderr).toMatch(/multiple of 64/);
  }, 120_000);
});
