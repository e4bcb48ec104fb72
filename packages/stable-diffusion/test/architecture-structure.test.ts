/**
 * Structure of the generated SD 1.5 and SDXL graphs (full size, no weights materialised), the weight
 * PRNG and the ONNX writer.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InferenceSession, MemoryFiles, Tensor } from '@onnxstream/core';
import { describe, expect, it } from 'vitest';
import {
  buildSdxlTextEncoder,
  buildTextEncoder,
  buildUNet,
  buildVaeDecoder,
  encodeModel,
  fillUniform,
  type GraphSpec,
  mulberry32,
  parameterBytes,
  parameterCount,
  SDXL_UNET,
  TINY_SDXL_UNET,
  TINY_TEXT_ENCODER,
  TINY_UNET,
  TINY_VAE_DECODER,
  toFloat16,
  writeOnnxModel,
} from '../src/architecture/index.js';
import { SDXL_LOWMEM_UINT8 } from '../src/pipeline/pipeline.js';

const dimsOf = (g: GraphSpec, name: string) => g.initializers.find((i) => i.name === name)?.dims;

const io = (g: GraphSpec) => [
  g.inputs.map((v) => [v.name, v.type, v.dims]),
  g.outputs.map((v) => [v.name, v.type, v.dims]),
];

type Node = GraphSpec['nodes'][number];

/**
 * The attention chains of a graph, MatMul -> Mul(rank-0 scale) -> Softmax(-1) -> MatMul, each with
 * the shape constant of the Reshape that made its Q.
 */
function attentionChains(g: GraphSpec): { softmax: Node; qShape: number[] }[] {
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
  return chains.map((softmax) => {
    const q = producer.get(producer.get(softmax.inputs[0])!.inputs[0])!.inputs[0];
    const reshape = producer.get(q)!;
    const shape = g.initializers.find((i) => i.name === reshape.inputs[1])!;
    return { softmax, qShape: Array.from((shape.init as { data: BigInt64Array }).data, Number) };
  });
}

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
    const chains = attentionChains(buildUNet());
    expect(chains).toHaveLength(32);
    // Highest resolution self-attention: Q (8 heads, 4096, 40) as in the reference's slicing example.
    expect(chains[0].qShape).toEqual([8, 4096, 40]);
  });
});

describe('SDXL (full size, no weights)', () => {
  const unet = buildUNet(SDXL_UNET);

  it('parameter counts match diffusers and transformers', () => {
    // stabilityai/stable-diffusion-xl-base-1.0: unet 2,567,463,684; text_encoder (CLIP ViT-L/14) and
    // text_encoder_2 (OpenCLIP ViT-bigG/14 with projection) 123,060,480 and 694,659,840.
    expect(parameterCount(unet)).toBe(2_567_463_684);
    expect(parameterCount(buildSdxlTextEncoder(1))).toBe(123_060_480);
    expect(parameterCount(buildSdxlTextEncoder(2))).toBe(694_659_840);
  });

  it('has the SDXL blocks: no attention in block 0, 2 and 10 transformer layers, text_time embedding', () => {
    expect(dimsOf(unet, 'add_embedding.linear_1.weight')).toEqual([1280, 2816]);
    expect(dimsOf(unet, 'time_embedding.linear_1.weight')).toEqual([1280, 320]);
    expect(unet.initializers.some((i) => i.name.startsWith('down_blocks.0.attentions'))).toBe(false);
    expect(unet.initializers.some((i) => i.name.startsWith('down_blocks.2.downsamplers'))).toBe(false);
    // Linear projections (MatMul weights, [in, out]), per-block depth, cross-attention from 2048.
    expect(dimsOf(unet, 'down_blocks.1.attentions.1.proj_in.weight')).toEqual([640, 640]);
    expect(dimsOf(unet, 'down_blocks.1.attentions.1.transformer_blocks.1.attn2.to_k.weight')).toEqual([
      2048, 640,
    ]);
    expect(dimsOf(unet, 'down_blocks.1.attentions.0.transformer_blocks.2.norm1.weight')).toBeUndefined();
    expect(dimsOf(unet, 'down_blocks.2.attentions.1.transformer_blocks.9.ff.net.0.proj.weight')).toEqual([
      1280, 10240,
    ]);
    expect(dimsOf(unet, 'mid_block.attentions.0.transformer_blocks.9.attn1.to_q.weight')).toEqual([
      1280, 1280,
    ]);
    expect(dimsOf(unet, 'up_blocks.0.attentions.2.transformer_blocks.9.norm3.weight')).toEqual([1280]);
    expect(dimsOf(unet, 'up_blocks.1.attentions.2.transformer_blocks.1.attn2.to_v.weight')).toEqual([
      2048, 640,
    ]);
    expect(unet.initializers.some((i) => i.name.startsWith('up_blocks.2.attentions'))).toBe(false);
    expect(dimsOf(unet, 'up_blocks.2.resnets.0.conv_shortcut.weight')).toEqual([320, 960, 1, 1]);
    // 70 transformer blocks x (self + cross); heads of 64 channels: 10 x (4096, 64) at 64x64 tokens.
    const chains = attentionChains(unet);
    expect(chains).toHaveLength(140);
    expect(chains[0].qShape).toEqual([10, 4096, 64]);
    expect(chains.at(-1)!.qShape).toEqual([10, 4096, 64]);
    const te2 = buildSdxlTextEncoder(2);
    expect(dimsOf(te2, 'text_projection.weight')).toEqual([1280, 1280]);
    expect(dimsOf(te2, 'text_model.encoder.layers.31.mlp.fc1.weight')).toEqual([1280, 5120]);
    expect(te2.nodes.some((n) => n.op === 'Erf')).toBe(true); // exact gelu, not quick_gelu
  });

  it("uses diffusers' and OnnxStream's I/O names", () => {
    const inputs = [
      ['sample', 'float32', [1, 4, 128, 128]],
      ['timestep', 'float32', [1]],
      ['encoder_hidden_states', 'float32', [1, 77, 2048]],
      ['text_embeds', 'float32', [1, 1280]],
      ['time_ids', 'float32', [1, 6]],
    ];
    expect(io(unet)).toEqual([inputs, [['out_sample', 'float32', [1, 4, 128, 128]]]]);
    expect(io(buildSdxlTextEncoder(1))).toEqual([
      [['input_ids', 'int32', [1, 77]]],
      [
        ['last_hidden_state', 'float32', [1, 77, 768]],
        ['pooler_output', 'float32', [1, 768]],
        ...Array.from({ length: 13 }, (_, i) => [`hidden_states.${i}`, 'float32', [1, 77, 768]]),
      ],
    ]);
    expect(io(buildSdxlTextEncoder(2))[1].slice(0, 3)).toEqual([
      ['text_embeds', 'float32', [1, 1280]],
      ['last_hidden_state', 'float32', [1, 77, 1280]],
      ['hidden_states.0', 'float32', [1, 77, 1280]],
    ]);
    expect(io(buildSdxlTextEncoder(2)).at(1)).toHaveLength(35);
    // OnnxStream's sdxl_text_encoder_{1,2}_fp32 (reference 7.1): input_ids int64, out_0 and the penultimate state.
    const os1 = buildSdxlTextEncoder(1, { naming: 'onnxstream-xl' });
    expect(io(os1)).toEqual([
      [['input_ids', 'int64', [1, 77]]],
      [
        ['out_0', 'float32', [1, 77, 768]],
        ['out_13', 'float32', [1, 77, 768]],
      ],
    ]);
    // As exported: the penultimate state is the value the last layer reads, not a copy.
    expect(os1.nodes.some((n) => n.inputs.includes('out_13'))).toBe(true);
    expect(io(buildSdxlTextEncoder(2, { naming: 'onnxstream-xl' }))[1]).toEqual([
      ['out_0', 'float32', [1, 1280]],
      ['out_33', 'float32', [1, 77, 1280]],
    ]);
  });

  it("OnnxStream's UNet sits in the `unet` module: its --rpi-lowmem value names exist", () => {
    const wrapped = buildUNet({ ...TINY_SDXL_UNET, scope: 'unet' });
    const values = new Set(wrapped.nodes.flatMap((n) => n.outputs));
    for (const v of SDXL_LOWMEM_UINT8) expect(values.has(v), v).toBe(true);
    expect(dimsOf(wrapped, 'unet.conv_in.weight')).toEqual([32, 4, 3, 3]);
    expect(io(wrapped)).toEqual(io(buildUNet(TINY_SDXL_UNET)));
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
