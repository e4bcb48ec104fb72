/**
 * Structure of the generated SD graphs (full size, no weights materialised), the weight PRNG and the
 * ONNX writer.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InferenceSession, MemoryFiles, Tensor } from '@onnxstream/core';
import { describe, expect, it } from 'vitest';
import {
  buildTextEncoder,
  buildUNet,
  buildVaeDecoder,
  encodeModel,
  fillUniform,
  type GraphSpec,
  mulberry32,
  parameterBytes,
  parameterCount,
  TINY_TEXT_ENCODER,
  TINY_UNET,
  TINY_VAE_DECODER,
  toFloat16,
  writeOnnxModel,
} from '../src/architecture/index.js';

const dimsOf = (g: GraphSpec, name: string) => g.initializers.find((i) => i.name === name)?.dims;

describe('full-size parameter counts (computed from shapes, no weights)', () => {
  it('SD 1.5 UNet matches diffusers UNet2DConditionModel: 859,520,964', () => {
    expect(parameterCount(buildUNet())).toBe(859_520_964);
  });

  it('SD 1.5 VAE decoder matches diffusers Decoder: 49,490,179 (+20 for post_quant_conv)', () => {
    expect(parameterCount(buildVaeDecoder({ postQuantConv: false }))).toBe(49_490_179);
    expect(parameterCount(buildVaeDecoder())).toBe(49_490_199);
  });

  it('CLIP ViT-L/14 text model matches transformers CLIPTextModel: 123,060,480', () => {
    expect(parameterCount(buildTextEncoder())).toBe(123_060_480);
  });
});

describe('full-size graph structure', () => {
  it('names parameters like the PyTorch state dicts', () => {
    const unet = buildUNet();
    expect(dimsOf(unet, 'conv_in.weight')).toEqual([320, 4, 3, 3]);
    expect(dimsOf(unet, 'time_embedding.linear_1.weight')).toEqual([1280, 320]);
    // MatMul weights are stored [in, out], as torch's export stores them.
    expect(dimsOf(unet, 'down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight')).toEqual([
      768, 320,
    ]);
    expect(dimsOf(unet, 'mid_block.attentions.0.transformer_blocks.0.ff.net.0.proj.weight')).toEqual([
      1280, 10240,
    ]);
    expect(dimsOf(unet, 'up_blocks.3.resnets.2.conv_shortcut.weight')).toEqual([320, 640, 1, 1]);
    expect(dimsOf(unet, 'conv_out.weight')).toEqual([4, 320, 3, 3]);
    const vae = buildVaeDecoder();
    expect(dimsOf(vae, 'decoder.mid_block.attentions.0.to_q.weight')).toEqual([512, 512]);
    expect(dimsOf(vae, 'decoder.up_blocks.3.resnets.0.conv_shortcut.weight')).toEqual([128, 256, 1, 1]);
    const te = buildTextEncoder();
    expect(dimsOf(te, 'text_model.embeddings.token_embedding.weight')).toEqual([49408, 768]);
    expect(dimsOf(te, 'text_model.encoder.layers.11.mlp.fc1.weight')).toEqual([768, 3072]);
  });

  it('uses the I/O names and shapes of the SD 1.5 exports', () => {
    const io = (g: GraphSpec) => [
      g.inputs.map((v) => [v.name, v.type, v.dims]),
      g.outputs.map((v) => [v.name, v.type, v.dims]),
    ];
    expect(io(buildUNet())).toEqual([
      [
        ['sample', 'float32', [1, 4, 64, 64]],
        ['timestep', 'float32', [1]],
        ['encoder_hidden_states', 'float32', [1, 77, 768]],
      ],
      [['out_sample', 'float32', [1, 4, 64, 64]]],
    ]);
    expect(io(buildVaeDecoder())).toEqual([
      [['latent_sample', 'float32', [1, 4, 64, 64]]],
      [['sample', 'float32', [1, 3, 512, 512]]],
    ]);
    expect(io(buildVaeDecoder({ naming: 'onnxstream' }))[0]).toEqual([
      ['input.1', 'float32', [1, 4, 64, 64]],
    ]);
    expect(io(buildTextEncoder())).toEqual([
      [['input_ids', 'int32', [1, 77]]],
      [
        ['last_hidden_state', 'float32', [1, 77, 768]],
        ['pooler_output', 'float32', [1, 768]],
      ],
    ]);
    expect(io(buildTextEncoder({ naming: 'onnxstream' }))).toEqual([
      [['onnx::Reshape_0', 'int64', [1, 77]]],
      [['last_hidden_state', 'float32', [1, 77, 768]]],
    ]);
  });

  it('writes every attention as MatMul -> Mul(rank-0 scale) -> Softmax(-1) -> MatMul (32 in the UNet)', () => {
    const g = buildUNet();
    const producer = new Map(g.nodes.flatMap((n) => n.outputs.map((o) => [o, n] as const)));
    const consumers = (v: string) => g.nodes.filter((n) => n.inputs.includes(v));
    const scalars = new Set(g.initializers.filter((i) => i.dims.length === 0).map((i) => i.name));
    const chains = g.nodes.filter((sm) => {
      if (sm.op !== 'Softmax' || !('i' in sm.attrs.axis) || sm.attrs.axis.i !== -1) return false;
      const mul = producer.get(sm.inputs[0]);
      const mm = mul && producer.get(mul.inputs[0]);
      const after = consumers(sm.outputs[0]);
      return (
        mul?.op === 'Mul' &&
        scalars.has(mul.inputs[1]) &&
        mm?.op === 'MatMul' &&
        after.length === 1 &&
        after[0].op === 'MatMul'
      );
    });
    expect(chains).toHaveLength(32);
    // Highest resolution self-attention: Q (8 heads, 4096, 40) as in the reference's slicing example.
    const q = (n: GraphSpec['nodes'][number]) =>
      producer.get(producer.get(n.inputs[0])!.inputs[0])!.inputs[0];
    const first = chains[0];
    const qName = q(first);
    const reshape = producer.get(qName)!;
    const shape = g.initializers.find((i) => i.name === reshape.inputs[1])!;
    expect(Array.from((shape.init as { data: BigInt64Array }).data, Number)).toEqual([8, 4096, 40]);
  });
});

describe("our planner's attention fusion", () => {
  /** Operator counts of our engine's plan for a graph. */
  async function planned(g: GraphSpec): Promise<Record<string, number>> {
    const { model } = encodeModel(g);
    const s = await InferenceSession.create(
      { files: new MemoryFiles([['model.onnx', model]]), entry: 'model.onnx' },
      { backend: 'reference' },
    );
    const feeds = new Map(
      g.inputs.map((i) => {
        const dims = i.dims as number[];
        const n = dims.reduce((a, b) => a * b, 1);
        const t =
          i.type === 'float32'
            ? new Tensor('float32', new Float32Array(n), dims)
            : new Tensor('int32', new Int32Array(n), dims);
        return [i.name, t] as const;
      }),
    );
    const counts: Record<string, number> = {};
    for (const step of (await s.plan(feeds)).steps)
      counts[step.node.opType] = (counts[step.node.opType] ?? 0) + 1;
    return counts;
  }

  it('fuses every attention of the generated models', async () => {
    // Tiny UNet: 4 transformers (down 1, mid 1, up 2) x (self + cross).
    const unet = await planned(buildUNet(TINY_UNET));
    expect(unet.AttentionFusedOps).toBe(8);
    expect(unet.Softmax).toBeUndefined();
    expect((await planned(buildVaeDecoder(TINY_VAE_DECODER))).AttentionFusedOps).toBe(1);
    // CLIP's causal (masked) attention, 4-D: ScaledDotProductAttention.
    const te = await planned(buildTextEncoder(TINY_TEXT_ENCODER));
    expect(te.ScaledDotProductAttention).toBe(1);
    expect(te.Softmax).toBeUndefined();
  });
});

describe('weights and writer', () => {
  it('mulberry32 streams are deterministic and uniform in ±bound', () => {
    const r = mulberry32(1);
    // The published mulberry32 sequence for seed 1: 0.6270739405881613, 0.002735721180215478, 0.5274470399599522.
    expect([r(), r(), r()]).toEqual([2693262067, 11749833, 2265367787]);
    const a = fillUniform(new Float32Array(100_000), 0.5, 7, 'w');
    const b = fillUniform(new Float32Array(100_000), 0.5, 7, 'w');
    const c = fillUniform(new Float32Array(100_000), 0.5, 8, 'w');
    const same = (x: Float32Array, y: Float32Array) => Buffer.from(x.buffer).equals(Buffer.from(y.buffer));
    expect(same(a, b)).toBe(true);
    expect(same(a, c)).toBe(false);
    let sum = 0;
    let sq = 0;
    let max = 0;
    for (const v of a) {
      max = Math.max(max, Math.abs(v));
      sum += v;
      sq += v * v;
    }
    expect(max).toBeLessThanOrEqual(0.5);
    expect(max).toBeGreaterThan(0.49);
    expect(Math.abs(sum / a.length)).toBeLessThan(0.005);
    expect(sq / a.length).toBeCloseTo(0.25 / 3, 2);
  });

  it('streams the same bytes the in-memory encoder makes; fp16 weights halve the data', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sd-writer-'));
    try {
      const g = buildUNet(TINY_UNET);
      const res = await writeOnnxModel(g, join(dir, 'model.onnx'), { seed: 5 });
      const mem = encodeModel(g, { seed: 5, externalData: 'model.onnx_data' });
      // Buffer.equals: vitest's deep equality is slow on megabytes.
      expect((await readFile(res.modelPath)).equals(mem.model)).toBe(true);
      expect((await readFile(res.dataPath)).equals(mem.externalData!)).toBe(true);
      expect(res.dataBytes).toBe(mem.externalData!.byteLength);
      const h = toFloat16(g);
      expect(parameterBytes(h)).toBe(parameterBytes(g) / 2);
      expect(parameterCount(h)).toBe(parameterCount(g));
      const half = await writeOnnxModel(h, join(dir, 'half.onnx'), { seed: 5 });
      expect(half.dataBytes).toBeLessThan(res.dataBytes / 2 + 64 * g.initializers.length);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
