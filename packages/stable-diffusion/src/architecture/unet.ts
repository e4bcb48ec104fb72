/**
 * diffusers UNet2DConditionModel (SD 1.5 configuration by default) as an ONNX graph.
 *
 *   conv_in -> down_blocks (CrossAttnDownBlock2D x3, DownBlock2D) -> mid_block (resnet, transformer,
 *   resnet) -> up_blocks (UpBlock2D, CrossAttnUpBlock2D x3, skip concatenations) -> GroupNorm, SiLU,
 *   conv_out; time_proj (sinusoidal) -> time_embedding (linear_1, SiLU, linear_2) into every resnet.
 *
 * I/O (diffusers' ONNX export and OnnxStream's unet_fp16 folder, reference 7.1): `sample`
 * [B, 4, H/8, W/8] f32, `timestep` [1] f32, `encoder_hidden_states` [B, 77, 768] f32 -> `out_sample`.
 */
import { GraphBuilder, type GraphSpec } from './graph-builder.js';
import {
  conv2d,
  downsample,
  groupNorm,
  linear,
  resnetBlock,
  silu,
  timestepEmbedding,
  transformer2d,
  upsample,
} from './layers.js';

export interface UNetConfig {
  readonly inChannels: number;
  readonly outChannels: number;
  /** Output channels of each down block (reversed for the up blocks). */
  readonly blockOutChannels: readonly number[];
  /** Whether each down block has cross-attention transformers (reversed for the up blocks). */
  readonly crossAttention: readonly boolean[];
  readonly layersPerBlock: number;
  /** Attention heads (diffusers' SD 1.5 `attention_head_dim: 8` is really the head count). */
  readonly heads: number;
  readonly transformerDepth: number;
  readonly crossAttentionDim: number;
  readonly normGroups: number;
  readonly normEps: number;
  /** Time embedding width (4 x blockOutChannels[0]). */
  readonly timeEmbedDim: number;
  readonly flipSinToCos: boolean;
  readonly freqShift: number;
  /** Text context length (77). */
  readonly contextLength: number;
  /** Latent height and width (64 for 512x512 images). */
  readonly latentHeight: number;
  readonly latentWidth: number;
  readonly batch: number;
}

/** Stable Diffusion 1.5 (runwayml/stable-diffusion-v1-5 unet/config.json): 859,520,964 parameters. */
export const SD15_UNET: UNetConfig = {
  inChannels: 4,
  outChannels: 4,
  blockOutChannels: [320, 640, 1280, 1280],
  crossAttention: [true, true, true, false],
  layersPerBlock: 2,
  heads: 8,
  transformerDepth: 1,
  crossAttentionDim: 768,
  normGroups: 32,
  normEps: 1e-5,
  timeEmbedDim: 1280,
  flipSinToCos: true,
  freqShift: 0,
  contextLength: 77,
  latentHeight: 64,
  latentWidth: 64,
  batch: 1,
};

/** A tiny UNet of the same structure for tests (channels 32/64, 1 layer, 2 heads, 8x8 latent). */
export const TINY_UNET: UNetConfig = {
  ...SD15_UNET,
  blockOutChannels: [32, 64],
  crossAttention: [true, false],
  layersPerBlock: 1,
  heads: 2,
  crossAttentionDim: 32,
  normGroups: 8,
  timeEmbedDim: 128,
  contextLength: 7,
  latentHeight: 8,
  latentWidth: 8,
};

export function buildUNet(config: Partial<UNetConfig> = {}): GraphSpec {
  const c: UNetConfig = { ...SD15_UNET, ...config };
  const b = new GraphBuilder('unet');
  const sample = b.input('sample', 'float32', [c.batch, c.inChannels, c.latentHeight, c.latentWidth]);
  const timestep = b.input('timestep', 'float32', [1]);
  const context = b.input('encoder_hidden_states', 'float32', [
    c.batch,
    c.contextLength,
    c.crossAttentionDim,
  ]);
  const ch = c.blockOutChannels;
  const res = { groups: c.normGroups, eps: c.normEps };
  const tf = { heads: c.heads, groups: c.normGroups, depth: c.transformerDepth, context };

  const tproj = timestepEmbedding(b, timestep, ch[0], c.flipSinToCos, c.freqShift);
  const temb = b.scope('time_embedding', () =>
    linear(b, 'linear_2', silu(b, linear(b, 'linear_1', tproj, c.timeEmbedDim)), c.timeEmbedDim),
  );

  let h = conv2d(b, 'conv_in', sample, ch[0]);
  const skips: string[] = [h];
  for (let i = 0; i < ch.length; i++) {
    h = b.scope(`down_blocks.${i}`, () => {
      let x = h;
      for (let j = 0; j < c.layersPerBlock; j++) {
        x = resnetBlock(b, `resnets.${j}`, x, ch[i], { ...res, temb });
        if (c.crossAttention[i]) x = transformer2d(b, `attentions.${j}`, x, tf);
        skips.push(x);
      }
      if (i < ch.length - 1) {
        x = downsample(b, 'downsamplers.0', x);
        skips.push(x);
      }
      return x;
    });
  }

  const last = ch[ch.length - 1];
  h = b.scope('mid_block', () => {
    let x = resnetBlock(b, 'resnets.0', h, last, { ...res, temb });
    x = transformer2d(b, 'attentions.0', x, tf);
    return resnetBlock(b, 'resnets.1', x, last, { ...res, temb });
  });

  const rev = [...ch].reverse();
  const revCross = [...c.crossAttention].reverse();
  for (let i = 0; i < rev.length; i++) {
    h = b.scope(`up_blocks.${i}`, () => {
      let x = h;
      for (let j = 0; j <= c.layersPerBlock; j++) {
        x = b.concat([x, skips.pop()!], 1);
        x = resnetBlock(b, `resnets.${j}`, x, rev[i], { ...res, temb });
        if (revCross[i]) x = transformer2d(b, `attentions.${j}`, x, tf);
      }
      if (i < rev.length - 1) x = upsample(b, 'upsamplers.0', x);
      return x;
    });
  }

  h = silu(b, groupNorm(b, 'conv_norm_out', h, c.normGroups, c.normEps));
  h = conv2d(b, 'conv_out', h, c.outChannels);
  b.output(h, 'out_sample');
  return b.build();
}
