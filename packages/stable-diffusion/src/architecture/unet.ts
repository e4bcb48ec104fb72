/**
 * diffusers UNet2DConditionModel as an ONNX graph: SD 1.5 (default) and SDXL configurations.
 *
 *   conv_in -> down_blocks (DownBlock2D or CrossAttnDownBlock2D each) -> mid_block (resnet,
 *   transformer, resnet) -> up_blocks (the mirror image, skip concatenations) -> GroupNorm, SiLU,
 *   conv_out; time_proj (sinusoidal) -> time_embedding (linear_1, SiLU, linear_2) into every resnet,
 *   plus SDXL's "text_time" embedding (pooled text embeds and sinusoidal time ids -> add_embedding).
 *
 * I/O (diffusers' ONNX export, OnnxStream's unet_fp16 / sdxl_unet_fp16 folders, reference 7.1):
 * `sample` [B, 4, H/8, W/8] f32, `timestep` [1] f32, `encoder_hidden_states` [B, 77, 768 | 2048] f32,
 * SDXL also `text_embeds` [B, 1280] and `time_ids` [B, 6] -> `out_sample`.
 */
import { GraphBuilder, type GraphSpec } from './graph-builder.js';
import {
  conv2d,
  downsample,
  groupNorm,
  resnetBlock,
  silu,
  timestepEmbedding,
  timestepEmbeddingMlp,
  transformer2d,
  upsample,
} from './layers.js';

/** SDXL's `addition_embed_type: "text_time"` (projection input 6 x timeIdDim + textEmbedsDim). */
export interface TextTimeConfig {
  /** Sinusoidal width of each of the 6 time ids (diffusers' addition_time_embed_dim, 256). */
  readonly timeIdDim: number;
  /** Width of the pooled text embedding input `text_embeds` (1280). */
  readonly textEmbedsDim: number;
}

export interface UNetConfig {
  readonly inChannels: number;
  readonly outChannels: number;
  /** Output channels of each down block (reversed for the up blocks). */
  readonly blockOutChannels: readonly number[];
  /** Whether each down block has cross-attention transformers (reversed for the up blocks). */
  readonly crossAttention: readonly boolean[];
  readonly layersPerBlock: number;
  /**
   * Attention heads of each down block's transformers, or one count for all; the mid block takes the
   * last block's, the up blocks the reverse. (diffusers' `attention_head_dim`, 8 in SD 1.5 and
   * [5, 10, 20] in SDXL, is really the head count.)
   */
  readonly heads: number | readonly number[];
  /** BasicTransformerBlocks per transformer, per down block or one for all (diffusers' transformer_layers_per_block). */
  readonly transformerDepth: number | readonly number[];
  /** Transformer proj_in/proj_out as Linear layers (diffusers' use_linear_projection: SDXL) instead of 1x1 convs. */
  readonly linearProjection: boolean;
  readonly crossAttentionDim: number;
  readonly normGroups: number;
  readonly normEps: number;
  /** Time embedding width (4 x blockOutChannels[0]). */
  readonly timeEmbedDim: number;
  readonly flipSinToCos: boolean;
  readonly freqShift: number;
  /** SDXL's pooled-text and time-ids embedding (inputs `text_embeds`, `time_ids`); none in SD 1.5. */
  readonly textTime?: TextTimeConfig;
  /** Text context length (77). */
  readonly contextLength: number;
  /** Latent height and width (64 for 512x512 images). */
  readonly latentHeight: number;
  readonly latentWidth: number;
  /**
   * Any latent size (OnnxStream's `sdxl_unet_anyshape_fp16`): `sample` and `out_sample` have symbolic
   * height and width (`height`, `width`) and no node holds the size the graph is built at
   * (`latentHeight`/`latentWidth` are then only nominal). Latent sides must still be multiples of
   * 2^(blocks - 1) (the downsamplers halve them).
   */
  readonly dynamicSize: boolean;
  readonly batch: number;
  /**
   * Module every node and parameter sits in: '' (diffusers' export, OnnxStream's SD 1.5 UNet) or
   * 'unet' (OnnxStream's SDXL UNets were exported inside a wrapper: `/unet/conv_in/Conv`, the names
   * its `--rpi-lowmem` storage set refers to).
   */
  readonly scope: string;
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
  linearProjection: false,
  crossAttentionDim: 768,
  normGroups: 32,
  normEps: 1e-5,
  timeEmbedDim: 1280,
  flipSinToCos: true,
  freqShift: 0,
  contextLength: 77,
  latentHeight: 64,
  latentWidth: 64,
  dynamicSize: false,
  batch: 1,
  scope: '',
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

/**
 * Stable Diffusion XL 1.0 base (stabilityai/stable-diffusion-xl-base-1.0 unet/config.json):
 * 2,567,463,684 parameters. SDXL Turbo's UNet is the same architecture.
 */
export const SDXL_UNET: UNetConfig = {
  ...SD15_UNET,
  blockOutChannels: [320, 640, 1280],
  crossAttention: [false, true, true],
  heads: [5, 10, 20],
  transformerDepth: [1, 2, 10],
  linearProjection: true,
  crossAttentionDim: 2048,
  textTime: { timeIdDim: 256, textEmbedsDim: 1280 },
  latentHeight: 128,
  latentWidth: 128,
};

/**
 * A tiny SDXL UNet (channels 32/32/64, per-block heads and depths, linear projections, text_time
 * embedding, 8x8 latent) for tests; its context (80 = 32 + 48) and text_embeds (48) widths match
 * TINY_SDXL_TEXT_ENCODER and TINY_SDXL_TEXT_ENCODER_2.
 */
export const TINY_SDXL_UNET: UNetConfig = {
  ...SDXL_UNET,
  blockOutChannels: [32, 32, 64],
  heads: [1, 2, 4],
  transformerDepth: [1, 1, 2],
  crossAttentionDim: 80,
  normGroups: 8,
  timeEmbedDim: 128,
  textTime: { timeIdDim: 8, textEmbedsDim: 48 },
  latentHeight: 8,
  latentWidth: 8,
};

/** A per-block setting: the value of block `i` (one number applies to all). */
const perBlock = (v: number | readonly number[], i: number): number => (typeof v === 'number' ? v : v[i]);

export function buildUNet(config: Partial<UNetConfig> = {}): GraphSpec {
  const c: UNetConfig = { ...SD15_UNET, ...config };
  const b = new GraphBuilder('unet', 17, { dynamic: c.dynamicSize });
  const sampleDims = [c.batch, c.inChannels, c.latentHeight, c.latentWidth];
  const spatial = (channels: number) =>
    c.dynamicSize
      ? [c.batch, channels, 'height', 'width']
      : [c.batch, channels, c.latentHeight, c.latentWidth];
  const sample = b.input('sample', 'float32', sampleDims, spatial(c.inChannels));
  const timestep = b.input('timestep', 'float32', [1]);
  const context = b.input('encoder_hidden_states', 'float32', [
    c.batch,
    c.contextLength,
    c.crossAttentionDim,
  ]);
  const textEmbeds = c.textTime && b.input('text_embeds', 'float32', [c.batch, c.textTime.textEmbedsDim]);
  const timeIds = c.textTime && b.input('time_ids', 'float32', [c.batch, 6]);
  const ch = c.blockOutChannels;
  const last = ch.length - 1;
  const res = { groups: c.normGroups, eps: c.normEps };
  const transformer = (block: number) => ({
    heads: perBlock(c.heads, block),
    depth: perBlock(c.transformerDepth, block),
    groups: c.normGroups,
    context,
    linearProjection: c.linearProjection,
  });

  const out = b.scope(c.scope, () => {
    const tproj = timestepEmbedding(b, 'time_proj', timestep, ch[0], c.flipSinToCos, c.freqShift);
    let temb = timestepEmbeddingMlp(b, 'time_embedding', tproj, c.timeEmbedDim);
    if (c.textTime && textEmbeds && timeIds) {
      // diffusers: add_time_proj(time_ids.flatten()).reshape(B, -1), after the text embeds.
      const flat = b.reshape(timeIds, [c.batch * 6]);
      const timeEmbeds = b.reshape(
        timestepEmbedding(b, 'add_time_proj', flat, c.textTime.timeIdDim, c.flipSinToCos, c.freqShift),
        [c.batch, -1],
      );
      const addEmbeds = b.concat([textEmbeds, timeEmbeds], -1);
      temb = b.add(temb, timestepEmbeddingMlp(b, 'add_embedding', addEmbeds, c.timeEmbedDim));
    }

    let h = conv2d(b, 'conv_in', sample, ch[0]);
    const skips: string[] = [h];
    for (let i = 0; i < ch.length; i++) {
      h = b.scope(`down_blocks.${i}`, () => {
        let x = h;
        for (let j = 0; j < c.layersPerBlock; j++) {
          x = resnetBlock(b, `resnets.${j}`, x, ch[i], { ...res, temb });
          if (c.crossAttention[i]) x = transformer2d(b, `attentions.${j}`, x, transformer(i));
          skips.push(x);
        }
        if (i < last) {
          x = downsample(b, 'downsamplers.0', x);
          skips.push(x);
        }
        return x;
      });
    }

    h = b.scope('mid_block', () => {
      let x = resnetBlock(b, 'resnets.0', h, ch[last], { ...res, temb });
      x = transformer2d(b, 'attentions.0', x, transformer(last));
      return resnetBlock(b, 'resnets.1', x, ch[last], { ...res, temb });
    });

    for (let i = 0; i < ch.length; i++) {
      const block = last - i;
      h = b.scope(`up_blocks.${i}`, () => {
        let x = h;
        for (let j = 0; j <= c.layersPerBlock; j++) {
          x = b.concat([x, skips.pop()!], 1);
          x = resnetBlock(b, `resnets.${j}`, x, ch[block], { ...res, temb });
          if (c.crossAttention[block]) x = transformer2d(b, `attentions.${j}`, x, transformer(block));
        }
        if (i < last) x = upsample(b, 'upsamplers.0', x);
        return x;
      });
    }

    h = silu(b, groupNorm(b, 'conv_norm_out', h, c.normGroups, c.normEps));
    return conv2d(b, 'conv_out', h, c.outChannels);
  });
  b.output(out, 'out_sample', spatial(c.outChannels));
  return b.build();
}
