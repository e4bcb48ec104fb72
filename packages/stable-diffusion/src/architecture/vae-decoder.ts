/**
 * The decoding half of diffusers AutoencoderKL (SD 1.5 configuration by default) as an ONNX graph,
 * as diffusers exports `vae_decoder`: post_quant_conv (1x1) then Decoder:
 *
 *   conv_in -> mid_block (resnet, single-head attention, resnet) -> up_blocks (3 resnets each,
 *   nearest x2 + conv upsampler on all but the last) -> GroupNorm, SiLU -> conv_out (3 channels).
 *
 * I/O names: diffusers `latent_sample` -> `sample`; OnnxStream's SD 1.5 `vae_decoder_fp16` folder
 * reads `input.1` (reference 7.1).
 */
import { GraphBuilder, type GraphSpec } from './graph-builder.js';
import { attention, conv2d, groupNorm, resnetBlock, silu, upsample } from './layers.js';

export interface VaeDecoderConfig {
  readonly latentChannels: number;
  readonly outChannels: number;
  /** Encoder-order block channels; the decoder walks them reversed. */
  readonly blockOutChannels: readonly number[];
  readonly layersPerBlock: number;
  readonly normGroups: number;
  readonly normEps: number;
  /** Include AutoencoderKL.post_quant_conv (diffusers' vae_decoder export does). */
  readonly postQuantConv: boolean;
  readonly latentHeight: number;
  readonly latentWidth: number;
  readonly batch: number;
  /** 'diffusers': `latent_sample`; 'onnxstream': `input.1`. The output is `sample` in both. */
  readonly naming: 'diffusers' | 'onnxstream';
  /**
   * Any latent size (OnnxStream's `sdxl_vae_decoder_anyshape_fp16`): the input's height and width are
   * symbolic (`height`, `width`; the output's `image_height`, `image_width`) and no node holds the
   * size the graph is built at (`latentHeight`/`latentWidth` are then only nominal).
   */
  readonly dynamicSize: boolean;
}

/** Stable Diffusion 1.5 VAE (vae/config.json): decoder 49,490,179 parameters, +20 with post_quant_conv. */
export const SD15_VAE_DECODER: VaeDecoderConfig = {
  latentChannels: 4,
  outChannels: 3,
  blockOutChannels: [128, 256, 512, 512],
  layersPerBlock: 2,
  normGroups: 32,
  normEps: 1e-6,
  postQuantConv: true,
  latentHeight: 64,
  latentWidth: 64,
  batch: 1,
  naming: 'diffusers',
  dynamicSize: false,
};

/** A tiny decoder of the same structure (channels 16/32, 1 layer, 8 groups, 4x4 latent -> 32x32 image). */
export const TINY_VAE_DECODER: VaeDecoderConfig = {
  ...SD15_VAE_DECODER,
  blockOutChannels: [16, 16, 32, 32],
  layersPerBlock: 1,
  normGroups: 8,
  latentHeight: 4,
  latentWidth: 4,
};

/**
 * diffusers' VAE mid-block Attention (one head over C, GroupNorm first, residual) named `name`. With
 * dynamic sizes: view [N, C, -1], and the reshape back reads H and W from x's shape.
 */
function vaeAttention(b: GraphBuilder, name: string, x: string, groups: number, eps: number): string {
  const [n, c, h, w] = b.dims(x);
  return b.scope(name, () => {
    let t = groupNorm(b, 'group_norm', x, groups, eps);
    t = b.transpose(b.reshape(t, [n, c, b.dynamic ? -1 : h * w]), [0, 2, 1]);
    t = attention(b, '', t, undefined, {
      heads: 1,
      qkvBias: true,
      names: { q: 'to_q', k: 'to_k', v: 'to_v', out: 'to_out.0' },
    });
    const back = b.dynamic ? b.shapeFrom([n, c, { of: x, axis: 2 }, { of: x, axis: 3 }]) : [n, c, h, w];
    t = b.reshape(b.transpose(t, [0, 2, 1]), back);
    return b.add(t, x);
  });
}

export function buildVaeDecoder(config: Partial<VaeDecoderConfig> = {}): GraphSpec {
  const c: VaeDecoderConfig = { ...SD15_VAE_DECODER, ...config };
  const b = new GraphBuilder('vae_decoder', 17, { dynamic: c.dynamicSize });
  const dims = [c.batch, c.latentChannels, c.latentHeight, c.latentWidth];
  const input = c.naming === 'onnxstream' ? 'input.1' : 'latent_sample';
  let h = b.input(
    input,
    'float32',
    dims,
    c.dynamicSize ? [c.batch, c.latentChannels, 'height', 'width'] : dims,
  );
  if (c.postQuantConv) h = conv2d(b, 'post_quant_conv', h, c.latentChannels, { kernel: 1 });
  const rev = [...c.blockOutChannels].reverse();
  const res = { groups: c.normGroups, eps: c.normEps };
  h = b.scope('decoder', () => {
    let x = conv2d(b, 'conv_in', h, rev[0]);
    x = b.scope('mid_block', () => {
      let m = resnetBlock(b, 'resnets.0', x, rev[0], res);
      m = vaeAttention(b, 'attentions.0', m, c.normGroups, c.normEps);
      return resnetBlock(b, 'resnets.1', m, rev[0], res);
    });
    for (let i = 0; i < rev.length; i++) {
      x = b.scope(`up_blocks.${i}`, () => {
        let u = x;
        for (let j = 0; j <= c.layersPerBlock; j++) u = resnetBlock(b, `resnets.${j}`, u, rev[i], res);
        if (i < rev.length - 1) u = upsample(b, 'upsamplers.0', u);
        return u;
      });
    }
    x = silu(b, groupNorm(b, 'conv_norm_out', x, c.normGroups, c.normEps));
    return conv2d(b, 'conv_out', x, c.outChannels);
  });
  b.output(h, 'sample', c.dynamicSize ? [c.batch, c.outChannels, 'image_height', 'image_width'] : b.dims(h));
  return b.build();
}
