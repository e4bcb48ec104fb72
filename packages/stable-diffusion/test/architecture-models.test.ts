/**
 * Tiny generated SD 1.5 and SDXL models run in onnxruntime-node and in our engine (reference backend;
 * native too when its addon loads) and agree.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromHalf, InferenceSession, registeredBackends, Tensor, toHalf } from '@onnxstream/core';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildSdxlTextEncoder,
  buildTextEncoder,
  buildUNet,
  buildVaeDecoder,
  GraphBuilder,
  type GraphSpec,
  mulberry32,
  TINY_SDXL_TEXT_ENCODER,
  TINY_SDXL_TEXT_ENCODER_2,
  TINY_SDXL_UNET,
  TINY_TEXT_ENCODER,
  TINY_UNET,
  TINY_VAE_DECODER,
  toFloat16,
  writeOnnxModel,
} from '../src/architecture/index.js';

let dir: string;
let native = false;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sd-arch-'));
  try {
    await import('@onnxstream/native/register');
    native = registeredBackends().includes('native');
  } catch {
    native = false;
  }
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

type Feed =
  | { type: 'float32' | 'float16'; data: Float32Array; dims: number[] }
  | { type: 'int32' | 'int64'; data: number[]; dims: number[] };

const halves = (a: Float32Array) => Uint16Array.from(a, (v) => toHalf(v));

function randn(n: number, seed: number, scale = 1): Float32Array {
  const next = mulberry32(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    // Box-Muller
    const u = (next() + 1) / 4294967297;
    const v = next() / 4294967296;
    out[i] = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v) * scale;
  }
  return out;
}

function toOrt(f: Feed): ort.Tensor {
  if (f.type === 'int32') return new ort.Tensor('int32', Int32Array.from(f.data), f.dims);
  if (f.type === 'int64') return new ort.Tensor('int64', BigInt64Array.from(f.data.map(BigInt)), f.dims);
  if (f.type === 'float16') return new ort.Tensor('float16', halves(f.data), f.dims);
  return new ort.Tensor('float32', f.data, f.dims);
}

function toCore(f: Feed): Tensor {
  if (f.type === 'int32') return new Tensor('int32', Int32Array.from(f.data), f.dims);
  if (f.type === 'int64') return new Tensor('int64', BigInt64Array.from(f.data.map(BigInt)), f.dims);
  if (f.type === 'float16') return new Tensor('float16', halves(f.data), f.dims);
  return new Tensor('float32', f.data, f.dims);
}

async function write(graph: GraphSpec, name: string): Promise<string> {
  const path = join(dir, `${name}.onnx`);
  await writeOnnxModel(graph, path, { seed: 1234 });
  return path;
}

async function runOrt(path: string, feeds: Record<string, Feed>): Promise<Record<string, Float32Array>> {
  const s = await ort.InferenceSession.create(path);
  const out = await s.run(Object.fromEntries(Object.entries(feeds).map(([k, f]) => [k, toOrt(f)])));
  const r: Record<string, Float32Array> = {};
  for (const [k, t] of Object.entries(out)) r[k] = floats(t.type, t.data as Float32Array | Uint16Array);
  await s.release();
  return r;
}

async function runOurs(
  path: string,
  feeds: Record<string, Feed>,
  backend: string,
  fp16Arithmetic = false,
): Promise<Record<string, Float32Array>> {
  const s = await InferenceSession.create(path, { backend, fp16Arithmetic });
  const out = await s.run(Object.fromEntries(Object.entries(feeds).map(([k, f]) => [k, toCore(f)])));
  const r: Record<string, Float32Array> = {};
  for (const [k, t] of Object.entries(out)) r[k] = floats(t.type, t.data as Float32Array | Uint16Array);
  return r;
}

function floats(type: string, data: Float32Array | Uint16Array): Float32Array {
  return type === 'float16' ? Float32Array.from(data, (h) => fromHalf(h)) : Float32Array.from(data);
}

function stats(a: Float32Array) {
  let sum = 0;
  let sq = 0;
  let finite = true;
  for (const v of a) {
    if (!Number.isFinite(v)) finite = false;
    sum += v;
    sq += v * v;
  }
  const mean = sum / a.length;
  return { finite, mean, std: Math.sqrt(Math.max(0, sq / a.length - mean * mean)) };
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/**
 * Runs onnxruntime (the reference values) and our backends on one model; checks every output is finite
 * with non-trivial variance and that max |ours - ort| / std(ort) < tolerance. Returns ORT's outputs.
 */
async function compare(
  label: string,
  path: string,
  feeds: Record<string, Feed>,
  tolerance: number,
): Promise<Record<string, Float32Array>> {
  const expected = await runOrt(path, feeds);
  for (const [name, e] of Object.entries(expected)) {
    const s = stats(e);
    expect(s.finite, `${name} finite`).toBe(true);
    expect(s.std, `${name} has non-trivial variance`).toBeGreaterThan(1e-2);
  }
  const report: string[] = [];
  for (const backend of native ? ['reference', 'native'] : ['reference']) {
    const got = await runOurs(path, feeds, backend);
    for (const [name, e] of Object.entries(expected)) {
      const g = got[name];
      expect(g, `${backend} output ${name}`).toBeDefined();
      const rel = maxDiff(g, e) / stats(e).std;
      report.push(`${backend} ${name} ${rel.toExponential(2)}`);
      expect(rel, `${label}: ${backend} ${name} max |diff| / std`).toBeLessThan(tolerance);
    }
  }
  console.log(`${label}: max |ours - ort| / std(ort): ${report.join(', ')}`);
  return expected;
}

const relDiff = (a: Float32Array, b: Float32Array) => maxDiff(a, b) / stats(b).std;

const unetFeeds = (batch = 1, type: 'float32' | 'float16' = 'float32'): Record<string, Feed> => {
  const c = TINY_UNET;
  const n = 4 * c.latentHeight * c.latentWidth;
  const m = c.contextLength * c.crossAttentionDim;
  const sample = new Float32Array(batch * n);
  const ctx = new Float32Array(batch * m);
  for (let i = 0; i < batch; i++) {
    sample.set(randn(n, 1 + i), i * n);
    ctx.set(randn(m, 11 + i), i * m);
  }
  return {
    sample: { type, data: sample, dims: [batch, 4, c.latentHeight, c.latentWidth] },
    timestep: { type, data: Float32Array.of(637), dims: [1] },
    encoder_hidden_states: { type, data: ctx, dims: [batch, c.contextLength, c.crossAttentionDim] },
  };
};

const vaeFeeds = (name = 'latent_sample', type: 'float32' | 'float16' = 'float32'): Record<string, Feed> => {
  const c = TINY_VAE_DECODER;
  return {
    [name]: {
      type,
      data: randn(4 * c.latentHeight * c.latentWidth, 3),
      dims: [1, 4, c.latentHeight, c.latentWidth],
    },
  };
};

/** "a photo of a cat in the snow" style ids: BOS, tokens, EOS, EOS padding. */
const ids = (): number[] => {
  const prompt = [49406, 320, 1125, 539, 320, 2368, 530, 518, 4143, 49407];
  return [...prompt, ...new Array(77 - prompt.length).fill(49407)];
};

// Tolerances: fp32 models vs onnxruntime 1e-4 of the output's standard deviation (observed ~1e-6..2e-5);
// fp16-weight models (fp32 arithmetic) the same, and within 2e-2 of the fp32 model; all-fp16 models
// (fp16 arithmetic in both engines) within 5e-2.
const FP32_TOL = 1e-4;

describe('generated SD architectures (tiny) agree with onnxruntime-node', () => {
  it('UNet: sample [1,4,8,8], timestep [1], encoder_hidden_states [1,7,32] -> out_sample', async () => {
    const graph = buildUNet(TINY_UNET);
    expect(graph.inputs.map((i) => i.name)).toEqual(['sample', 'timestep', 'encoder_hidden_states']);
    expect(graph.outputs.map((o) => [o.name, o.dims])).toEqual([['out_sample', [1, 4, 8, 8]]]);
    await compare('unet', await write(graph, 'unet'), unetFeeds(), FP32_TOL);
  });

  it('UNet with batch 2 gives each item what batch 1 gives it', async () => {
    const one = await runOrt(await write(buildUNet(TINY_UNET), 'unet1'), unetFeeds(1));
    const two = await compare(
      'unet batch 2',
      await write(buildUNet({ ...TINY_UNET, batch: 2 }), 'unet2'),
      unetFeeds(2),
      FP32_TOL,
    );
    expect(relDiff(two.out_sample.subarray(0, one.out_sample.length), one.out_sample)).toBeLessThan(1e-5);
  });

  it('UNet with float16 weights (Cast to float32) and all-float16', async () => {
    const fp32 = await runOrt(await write(buildUNet(TINY_UNET), 'unet32'), unetFeeds());
    const w16 = await compare(
      'unet fp16 weights',
      await write(toFloat16(buildUNet(TINY_UNET)), 'unet16w'),
      unetFeeds(),
      FP32_TOL,
    );
    expect(relDiff(w16.out_sample, fp32.out_sample)).toBeLessThan(2e-2);
    const f16 = await compare(
      'unet all-fp16',
      await write(toFloat16(buildUNet(TINY_UNET), 'full'), 'unet16'),
      unetFeeds(1, 'float16'),
      5e-2,
    );
    expect(relDiff(f16.out_sample, fp32.out_sample)).toBeLessThan(5e-2);
  });

  it('SDXL UNet: + text_embeds [1,48], time_ids [1,6]; both conditionings matter', async () => {
    const c = TINY_SDXL_UNET;
    const graph = buildUNet(c);
    expect(graph.inputs.map((i) => [i.name, i.dims])).toEqual([
      ['sample', [1, 4, 8, 8]],
      ['timestep', [1]],
      ['encoder_hidden_states', [1, 77, 80]],
      ['text_embeds', [1, 48]],
      ['time_ids', [1, 6]],
    ]);
    const feeds = (timeIds: number[]): Record<string, Feed> => ({
      sample: { type: 'float32', data: randn(4 * 8 * 8, 1), dims: [1, 4, 8, 8] },
      timestep: { type: 'float32', data: Float32Array.of(637), dims: [1] },
      encoder_hidden_states: { type: 'float32', data: randn(77 * 80, 11), dims: [1, 77, 80] },
      text_embeds: { type: 'float32', data: randn(48, 21), dims: [1, 48] },
      time_ids: { type: 'float32', data: Float32Array.from(timeIds), dims: [1, 6] },
    });
    const path = await write(graph, 'sdxl-unet');
    const out = await compare('sdxl unet', path, feeds([64, 64, 0, 0, 64, 64]), FP32_TOL);
    const other = await runOrt(path, feeds([1024, 1024, 0, 0, 1024, 1024]));
    expect(relDiff(other.out_sample, out.out_sample)).toBeGreaterThan(1e-3);
  });

  it('SDXL text encoders: hidden states of encoder 1; gelu, projection and 0-padding of encoder 2', async () => {
    const prompt = ids();
    const te1 = buildSdxlTextEncoder(1, TINY_SDXL_TEXT_ENCODER);
    const one = await compare(
      'sdxl text encoder 1',
      await write(te1, 'sdxl-te1'),
      { input_ids: { type: 'int32', data: prompt, dims: [1, 77] } },
      FP32_TOL,
    );
    expect(Object.keys(one)).toEqual([
      'last_hidden_state',
      'pooler_output',
      'hidden_states.0',
      'hidden_states.1',
      'hidden_states.2',
    ]);
    // OpenCLIP ids: 0 after the end-of-text token; pooled at that token (the argmax).
    const padded = prompt.map((v, i) => (i > 9 ? 0 : v));
    const te2 = buildSdxlTextEncoder(2, TINY_SDXL_TEXT_ENCODER_2);
    const two = await compare(
      'sdxl text encoder 2',
      await write(te2, 'sdxl-te2'),
      { input_ids: { type: 'int32', data: padded, dims: [1, 77] } },
      FP32_TOL,
    );
    expect(two.text_embeds).toHaveLength(48);
    expect(two['hidden_states.2']).toHaveLength(77 * 48);
    // OnnxStream's naming computes the same values (up to the kernels onnxruntime picks when fewer
    // intermediate values are outputs).
    const os = await compare(
      'sdxl text encoder 2 onnxstream naming',
      await write(
        buildSdxlTextEncoder(2, { ...TINY_SDXL_TEXT_ENCODER_2, naming: 'onnxstream-xl' }),
        'sdxl-te2-os',
      ),
      { input_ids: { type: 'int64', data: padded, dims: [1, 77] } },
      FP32_TOL,
    );
    expect(relDiff(os.out_0, two.text_embeds)).toBeLessThan(FP32_TOL);
    expect(relDiff(os.out_33, two['hidden_states.2'])).toBeLessThan(FP32_TOL);
  });

  it('VAE decoder: latent_sample [1,4,4,4] -> sample [1,3,32,32]', async () => {
    const graph = buildVaeDecoder(TINY_VAE_DECODER);
    expect(graph.outputs.map((o) => [o.name, o.dims])).toEqual([['sample', [1, 3, 32, 32]]]);
    await compare('vae decoder', await write(graph, 'vae'), vaeFeeds(), FP32_TOL);
  });

  it('VAE decoder with OnnxStream naming (input.1), float16 weights and all-float16', async () => {
    const fp32 = await runOrt(await write(buildVaeDecoder(TINY_VAE_DECODER), 'vae32'), vaeFeeds());
    const os = buildVaeDecoder({ ...TINY_VAE_DECODER, naming: 'onnxstream' });
    expect(os.inputs.map((i) => i.name)).toEqual(['input.1']);
    const named = await compare(
      'vae onnxstream naming',
      await write(os, 'vae-os'),
      vaeFeeds('input.1'),
      FP32_TOL,
    );
    expect(relDiff(named.sample, fp32.sample)).toBe(0);
    const w16 = await compare(
      'vae fp16 weights',
      await write(toFloat16(buildVaeDecoder(TINY_VAE_DECODER)), 'vae16w'),
      vaeFeeds(),
      FP32_TOL,
    );
    expect(relDiff(w16.sample, fp32.sample)).toBeLessThan(2e-2);
    const f16 = await compare(
      'vae all-fp16',
      await write(toFloat16(buildVaeDecoder(TINY_VAE_DECODER), 'full'), 'vae16'),
      vaeFeeds('latent_sample', 'float16'),
      5e-2,
    );
    expect(relDiff(f16.sample, fp32.sample)).toBeLessThan(5e-2);
  });

  it('text encoder: input_ids [1,77] int32 -> last_hidden_state [1,77,32], pooler_output [1,32]', async () => {
    const graph = buildTextEncoder(TINY_TEXT_ENCODER);
    expect(graph.inputs.map((i) => [i.name, i.type])).toEqual([['input_ids', 'int32']]);
    expect(graph.outputs.map((o) => [o.name, o.dims])).toEqual([
      ['last_hidden_state', [1, 77, 32]],
      ['pooler_output', [1, 32]],
    ]);
    const out = await compare(
      'text encoder',
      await write(graph, 'te'),
      { input_ids: { type: 'int32', data: ids(), dims: [1, 77] } },
      FP32_TOL,
    );
    // pooler_output is last_hidden_state at the first end-of-text token (position 9).
    expect([...out.pooler_output]).toEqual([...out.last_hidden_state.subarray(9 * 32, 10 * 32)]);
    // Causal: the hidden state of token 3 does not depend on later tokens.
    const changed = ids();
    changed[5] = 1000;
    const other = await runOrt(await write(graph, 'te-b'), {
      input_ids: { type: 'int32', data: changed, dims: [1, 77] },
    });
    expect([...other.last_hidden_state.subarray(0, 5 * 32)]).toEqual([
      ...out.last_hidden_state.subarray(0, 5 * 32),
    ]);
    expect(
      relDiff(
        other.last_hidden_state.subarray(5 * 32, 6 * 32),
        out.last_hidden_state.subarray(5 * 32, 6 * 32),
      ),
    ).toBeGreaterThan(0.01);
  });

  it('text encoder with OnnxStream naming: onnx::Reshape_0 [1,77] int64 -> last_hidden_state', async () => {
    const graph = buildTextEncoder({
      ...TINY_TEXT_ENCODER,
      naming: 'onnxstream',
      hiddenStates: [{ index: 0, name: 'out_0' }],
    });
    expect(graph.inputs.map((i) => [i.name, i.type])).toEqual([['onnx::Reshape_0', 'int64']]);
    expect(graph.outputs.map((o) => o.name)).toEqual(['last_hidden_state', 'out_0']);
    const os = await compare(
      'text encoder onnxstream naming',
      await write(graph, 'te-os'),
      { 'onnx::Reshape_0': { type: 'int64', data: ids(), dims: [1, 77] } },
      FP32_TOL,
    );
    const ref = await runOrt(await write(buildTextEncoder(TINY_TEXT_ENCODER), 'te-ref'), {
      input_ids: { type: 'int32', data: ids(), dims: [1, 77] },
    });
    expect(relDiff(os.last_hidden_state, ref.last_hidden_state)).toBe(0);
  });

  it('text encoder with float16 weights', async () => {
    const feeds: Record<string, Feed> = { input_ids: { type: 'int32', data: ids(), dims: [1, 77] } };
    const fp32 = await runOrt(await write(buildTextEncoder(TINY_TEXT_ENCODER), 'te32'), feeds);
    const w16 = await compare(
      'text encoder fp16 weights',
      await write(toFloat16(buildTextEncoder(TINY_TEXT_ENCODER)), 'te16w'),
      feeds,
      FP32_TOL,
    );
    expect(relDiff(w16.last_hidden_state, fp32.last_hidden_state)).toBeLessThan(2e-2);
  });

  it("runs in our engine's fp16 arithmetic within 5e-2 of onnxruntime's fp32", async () => {
    const fp32Path = await write(buildUNet(TINY_UNET), 'unet-a32');
    const w16Path = await write(toFloat16(buildUNet(TINY_UNET)), 'unet-a16w');
    const expected = (await runOrt(fp32Path, unetFeeds())).out_sample;
    const cases: [string, string][] = [
      ['reference', fp32Path],
      ['reference', w16Path],
    ];
    if (native) cases.push(['native', fp32Path], ['native', w16Path]);
    for (const [backend, path] of cases) {
      const got = (await runOurs(path, unetFeeds(), backend, true)).out_sample;
      expect(stats(got).finite).toBe(true);
      expect(relDiff(got, expected), `${backend} ${path}`).toBeLessThan(5e-2);
    }
  });
});

describe('anyshape (dynamic height and width) UNet and VAE decoder', () => {
  /** JSON of a graph (typed arrays and bigints as lists of strings), to compare whole graphs. */
  const json = (g: GraphSpec) =>
    JSON.stringify(g, (_, v) =>
      typeof v === 'bigint' ? String(v) : ArrayBuffer.isView(v) ? Array.from(v as Float32Array, String) : v,
    );
  const sdxlUnet = (lh: number, lw: number) =>
    buildUNet({ ...TINY_SDXL_UNET, dynamicSize: true, latentHeight: lh, latentWidth: lw });
  const vae = (lh: number, lw: number) =>
    buildVaeDecoder({ ...TINY_VAE_DECODER, dynamicSize: true, latentHeight: lh, latentWidth: lw });

  it('declare symbolic dims, and no node depends on the size the graph is built at', () => {
    const unet = sdxlUnet(8, 8);
    expect(unet.inputs[0]).toMatchObject({ name: 'sample', dims: [1, 4, 'height', 'width'] });
    expect(unet.outputs.map((o) => [o.name, o.dims])).toEqual([['out_sample', [1, 4, 'height', 'width']]]);
    const dec = vae(4, 4);
    expect(dec.inputs.map((i) => [i.name, i.dims])).toEqual([['latent_sample', [1, 4, 'height', 'width']]]);
    expect(dec.outputs.map((o) => [o.name, o.dims])).toEqual([
      ['sample', [1, 3, 'image_height', 'image_width']],
    ]);
    // Built at other sizes, the graphs are the same: nothing holds a nominal H, W or H*W.
    expect(json(sdxlUnet(16, 4))).toBe(json(unet));
    expect(json(vae(7, 3))).toBe(json(dec));
    expect(json(buildUNet({ ...TINY_UNET, dynamicSize: true, latentHeight: 12 }))).toBe(
      json(buildUNet({ ...TINY_UNET, dynamicSize: true })),
    );
    // The static graphs do (their reshape targets hold the spatial sizes).
    expect(json(buildUNet({ ...TINY_SDXL_UNET, latentHeight: 16 }))).not.toBe(
      json(buildUNet(TINY_SDXL_UNET)),
    );
    // Declared dims keep the rank, and their numbers are the nominal ones.
    expect(() => new GraphBuilder('g').input('x', 'float32', [1, 4, 8], [1, 4, 'h', 'w'])).toThrow(
      /declared/,
    );
    expect(() => new GraphBuilder('g').input('x', 'float32', [1, 4, 8], [1, 3, 'h'])).toThrow(/declared/);
    // Same parameters either way.
    expect(unet.initializers.filter((i) => i.parameter)).toEqual(
      buildUNet(TINY_SDXL_UNET).initializers.filter((i) => i.parameter),
    );
  });

  const unetFeedsAt = (lh: number, lw: number): Record<string, Feed> => ({
    sample: { type: 'float32', data: randn(4 * lh * lw, 1), dims: [1, 4, lh, lw] },
    timestep: { type: 'float32', data: Float32Array.of(637), dims: [1] },
    encoder_hidden_states: { type: 'float32', data: randn(77 * 80, 11), dims: [1, 77, 80] },
    text_embeds: { type: 'float32', data: randn(48, 21), dims: [1, 48] },
    time_ids: { type: 'float32', data: Float32Array.of(lh * 8, lw * 8, 0, 0, lh * 8, lw * 8), dims: [1, 6] },
  });

  it('one SDXL UNet file runs at 8x8, 16x8, 8x4 and 4x12 latents, as onnxruntime', async () => {
    const path = await write(sdxlUnet(8, 8), 'sdxl-unet-any');
    const fixed = await write(buildUNet(TINY_SDXL_UNET), 'sdxl-unet-fixed');
    for (const [lh, lw] of [
      [8, 8],
      [16, 8],
      [8, 4],
      [4, 12],
    ]) {
      const out = await compare(`anyshape unet ${lh}x${lw}`, path, unetFeedsAt(lh, lw), FP32_TOL);
      expect(out.out_sample).toHaveLength(4 * lh * lw);
    }
    // At its own size the anyshape graph computes what the static one does.
    const a = await runOrt(path, unetFeedsAt(8, 8));
    const b = await runOrt(fixed, unetFeedsAt(8, 8));
    expect(relDiff(a.out_sample, b.out_sample)).toBeLessThan(FP32_TOL);
  });

  it('one VAE decoder file decodes 4x4 tiles, 8x8 and 16x8 latents, as onnxruntime', async () => {
    const path = await write(vae(4, 4), 'vae-any');
    for (const [lh, lw] of [
      [4, 4],
      [8, 8],
      [16, 8],
    ]) {
      const feeds: Record<string, Feed> = {
        latent_sample: { type: 'float32', data: randn(4 * lh * lw, 3), dims: [1, 4, lh, lw] },
      };
      const out = await compare(`anyshape vae ${lh}x${lw}`, path, feeds, FP32_TOL);
      expect(out.sample).toHaveLength(3 * 64 * lh * lw);
    }
  });

  it("keeps our planner's attention fusion (no Softmax left) at any size", async () => {
    const count = async (path: string, feeds: Record<string, Feed>) => {
      const s = await InferenceSession.create(path, { backend: 'reference' });
      const plan = await s.plan(new Map(Object.entries(feeds).map(([k, f]) => [k, toCore(f)])));
      const ops: Record<string, number> = {};
      for (const step of plan.steps) ops[step.node.opType] = (ops[step.node.opType] ?? 0) + 1;
      await s.release();
      return ops;
    };
    const unet = await count(await write(sdxlUnet(8, 8), 'sdxl-unet-any-plan'), unetFeedsAt(16, 8));
    // 2 layers per block: down blocks 1 and 2 (2 x 1 and 2 x 2 transformer blocks), mid (2), up
    // blocks 0 and 1 (3 x 2 and 3 x 1): 17 transformer blocks, self + cross attention each, as the
    // static graph.
    expect(unet.AttentionFusedOps).toBe(34);
    expect(unet.Softmax).toBeUndefined();
    const fixed = await count(
      await write(buildUNet(TINY_SDXL_UNET), 'sdxl-unet-fixed-plan'),
      unetFeedsAt(8, 8),
    );
    expect(fixed.AttentionFusedOps).toBe(34);
    const dec = await count(await write(vae(4, 4), 'vae-any-plan'), {
      latent_sample: { type: 'float32', data: randn(4 * 8 * 16, 3), dims: [1, 4, 8, 16] },
    });
    expect(dec.AttentionFusedOps).toBe(1);
    expect(dec.Softmax).toBeUndefined();
  });
});
