/**
 * Neural-network layers as ONNX subgraphs, in the form torch.onnx.export (opset 17) gives for the
 * diffusers / transformers modules they stand for. Each layer opens a scope named like the module, so
 * parameter names match the PyTorch state dict.
 *
 * Initialisation ("sane scale", so activations stay finite and non-trivial through full-size models):
 * Linear and Conv weights and biases are uniform in ±1/sqrt(fan_in) (PyTorch's default
 * kaiming_uniform(a=√5) rule), norm scales are 1 and norm biases 0, embeddings uniform in ±√3·0.02
 * (standard deviation 0.02 as CLIP initialises them). Every block renormalises its input, so the
 * residual streams grow only slowly with depth.
 *
 * Dynamic sizes (`b.dynamic`): reshapes that would hold a spatial size (H, W, H*W) use -1 / 0 or
 * read it at run time with Shape -> Gather, as torch's export with dynamic axes writes them, so the
 * graph runs at any size; otherwise (static exports, after constant folding) they are constants.
 *
 * Layout notes: nn.Linear weights are stored as torch's export stores them: [in, out] for MatMul on
 * 3-D activations, [out, in] for Gemm(transB=1) on 2-D ones. GroupNorm scale/bias are stored as
 * [C, 1, 1] (the shape the export's constant folding gives them).
 */
import type { GraphBuilder } from './graph-builder.js';

const kaiming = (fanIn: number) => ({ kind: 'uniform', bound: 1 / Math.sqrt(fanIn) }) as const;
const ONES = { kind: 'fill', value: 1 } as const;
const ZEROS = { kind: 'fill', value: 0 } as const;

export interface ConvOptions {
  readonly kernel?: number;
  readonly stride?: number;
  readonly pad?: number;
  readonly bias?: boolean;
}

/** nn.Conv2d(in, out, kernel, stride, padding) named `name`. */
export function conv2d(
  b: GraphBuilder,
  name: string,
  x: string,
  out: number,
  opts: ConvOptions = {},
): string {
  const k = opts.kernel ?? 3;
  const cin = b.dims(x)[1];
  return b.scope(name, () => {
    const fanIn = cin * k * k;
    const w = b.param('weight', [out, cin, k, k], kaiming(fanIn));
    const bias = opts.bias === false ? undefined : b.param('bias', [out], kaiming(fanIn));
    return b.conv(x, w, bias, { stride: opts.stride ?? 1, pad: opts.pad ?? Math.floor(k / 2) });
  });
}

/** nn.Linear(in, out) named `name`: Gemm(transB=1) on 2-D input, MatMul (+ Add) otherwise. */
export function linear(b: GraphBuilder, name: string, x: string, out: number, bias = true): string {
  const d = b.dims(x);
  const cin = d[d.length - 1];
  return b.scope(name, () => {
    if (d.length === 2) {
      const w = b.param('weight', [out, cin], kaiming(cin));
      const c = bias ? b.param('bias', [out], kaiming(cin)) : b.constant('float32', [out], ZEROS);
      return b.gemmTransB(x, w, c);
    }
    const w = b.param('weight', [cin, out], kaiming(cin));
    const y = b.matmul(x, w);
    return bias ? b.add(b.param('bias', [out], kaiming(cin)), y) : y;
  });
}

/**
 * nn.GroupNorm(groups, C, eps) named `name` on [N, C, ...], as torch's opset-17 export writes it:
 * Reshape [N, G, -1] -> InstanceNormalization(ones(G), zeros(G)) -> Reshape back -> Mul(gamma) ->
 * Add(beta); with dynamic sizes Reshape [0, G, -1] and back to Shape(x), the unfolded export. (Both
 * our engine and onnxruntime run this; GroupNormalization-18 changed meaning in opset 21 and is not
 * what the SD exports contain.)
 */
export function groupNorm(b: GraphBuilder, name: string, x: string, groups: number, eps: number): string {
  const d = b.dims(x);
  const c = d[1];
  if (c % groups !== 0) throw new Error(`GroupNorm: ${c} channels are not divisible into ${groups} groups`);
  return b.scope(name, () => {
    const grouped = b.reshape(x, [b.dynamic ? 0 : d[0], groups, -1]);
    const ones = b.constant('float32', [groups], ONES);
    const zeros = b.constant('float32', [groups], ZEROS);
    const normed = b.instanceNormalization(grouped, ones, zeros, eps);
    const back = b.reshape(normed, b.dynamic ? b.shapeOf(x) : d);
    const tail = d.slice(2).map(() => 1);
    const gamma = b.param('weight', [c, ...tail], ONES);
    const beta = b.param('bias', [c, ...tail], ZEROS);
    return b.add(b.mul(back, gamma), beta);
  });
}

/** nn.LayerNorm(C, eps) named `name` over the last axis (LayerNormalization-17). */
export function layerNorm(b: GraphBuilder, name: string, x: string, eps = 1e-5): string {
  const d = b.dims(x);
  const c = d[d.length - 1];
  return b.scope(name, () =>
    b.layerNormalization(x, b.param('weight', [c], ONES), b.param('bias', [c], ZEROS), eps),
  );
}

/** SiLU as torch exports it: x * Sigmoid(x). */
export function silu(b: GraphBuilder, x: string): string {
  return b.mul(x, b.sigmoid(x));
}

/** Exact GELU as torch's opset-17 export writes it: x * (1 + erf(x / √2)) * 0.5. */
export function gelu(b: GraphBuilder, x: string): string {
  const e = b.erf(b.div(x, b.scalar(Math.SQRT2)));
  return b.mul(b.mul(x, b.add(e, b.scalar(1))), b.scalar(0.5));
}

/** CLIP's quick_gelu: x * Sigmoid(1.702 x). */
export function quickGelu(b: GraphBuilder, x: string): string {
  return b.mul(x, b.sigmoid(b.mul(x, b.scalar(1.702))));
}

/** diffusers GEGLU(dim, inner) named `name`: proj to 2*inner, split, h * gelu(gate). */
export function geglu(b: GraphBuilder, name: string, x: string, inner: number): string {
  return b.scope(name, () => {
    const p = linear(b, 'proj', x, inner * 2);
    const [h, gate] = b.split(p, [inner, inner], -1);
    return b.mul(h, gelu(b, gate));
  });
}

/** [B, L, heads*d] -> [B*heads, L, d] (3-D) or [B, heads, L, d] (4-D); L is -1 with dynamic sizes. */
function toHeads(b: GraphBuilder, x: string, heads: number, rank: 3 | 4): string {
  const [n, len, c] = b.dims(x);
  const l = b.dynamic ? -1 : len;
  const d = c / heads;
  const t = b.transpose(b.reshape(x, [n, l, heads, d]), [0, 2, 1, 3]);
  return rank === 4 ? t : b.reshape(t, [n * heads, l, d]);
}

/** Inverse of toHeads: -> [B, L, heads*d]. */
function fromHeads(b: GraphBuilder, x: string, heads: number): string {
  const dims = b.dims(x);
  const [len, d] = dims.slice(-2);
  const l = b.dynamic ? -1 : len;
  const n = dims.length === 4 ? dims[0] : dims[0] / heads;
  const h4 = dims.length === 4 ? x : b.reshape(x, [n, heads, l, d]);
  return b.reshape(b.transpose(h4, [0, 2, 1, 3]), [n, l, heads * d]);
}

/**
 * Scaled dot-product attention core on per-head tensors q [..., L, d], k [..., S, d], v [..., S, dv]
 * (3-D [B*heads, ., .] or 4-D [B, heads, ., .]): MatMul(q, Transpose(k, last two axes)) ->
 * Mul(rank-0 scale) -> [Add(mask)] -> Softmax(-1) -> MatMul(., v), the chain torch's export of
 * diffusers/transformers attention gives. Our planner's attention fusion turns it into
 * AttentionFusedOps (no mask; 3-D, or 4-D with batch 1) or ScaledDotProductAttention (mask; 4-D).
 */
export function sdpa(b: GraphBuilder, q: string, k: string, v: string, mask?: string): string {
  const qd = b.dims(q);
  const d = qd[qd.length - 1];
  const kt = b.transpose(k, qd.length === 4 ? [0, 1, 3, 2] : [0, 2, 1]);
  let s = b.mul(b.matmul(q, kt), b.scalar(1 / Math.sqrt(d)));
  if (mask) s = b.add(s, mask);
  return b.matmul(b.softmax(s, -1), v);
}

export interface AttentionOptions {
  readonly heads: number;
  /** heads * head_dim (default: the query width). */
  readonly inner?: number;
  /** Bias on the q/k/v projections (CLIP: true, diffusers UNet: false). */
  readonly qkvBias: boolean;
  readonly names: { readonly q: string; readonly k: string; readonly v: string; readonly out: string };
  /** Additive mask broadcast onto the scores ([B*heads, L, S] or [B, heads, L, S]). */
  readonly mask?: string;
  /**
   * Per-head layout: 3 = [B*heads, L, d] (diffusers' head_to_batch_dim, default), 4 = [B, heads, L, d]
   * (transformers' eager attention; needed for a masked attention to fuse).
   */
  readonly rank?: 3 | 4;
}

/** Multi-head attention named `name` of x [B, L, C] over context [B, S, Cc] (x itself if omitted). */
export function attention(
  b: GraphBuilder,
  name: string,
  x: string,
  context: string | undefined,
  o: AttentionOptions,
): string {
  const dims = b.dims(x);
  const c = dims[dims.length - 1];
  const inner = o.inner ?? c;
  return b.scope(name, () => {
    const ctx = context ?? x;
    const rank = o.rank ?? 3;
    const q = toHeads(b, linear(b, o.names.q, x, inner, o.qkvBias), o.heads, rank);
    const k = toHeads(b, linear(b, o.names.k, ctx, inner, o.qkvBias), o.heads, rank);
    const v = toHeads(b, linear(b, o.names.v, ctx, inner, o.qkvBias), o.heads, rank);
    const a = fromHeads(b, sdpa(b, q, k, v, o.mask), o.heads);
    return linear(b, o.names.out, a, c);
  });
}

const DIFFUSERS_ATTN = { q: 'to_q', k: 'to_k', v: 'to_v', out: 'to_out.0' } as const;

export interface ResnetOptions {
  readonly groups: number;
  readonly eps: number;
  /** SiLU'd time embedding is projected by `time_emb_proj` and added after conv1 (UNet); none in the VAE. */
  readonly temb?: string;
}

/** diffusers ResnetBlock2D named `name` (in -> out channels; 1x1 conv_shortcut when they differ). */
export function resnetBlock(b: GraphBuilder, name: string, x: string, out: number, o: ResnetOptions): string {
  const cin = b.dims(x)[1];
  return b.scope(name, () => {
    let h = silu(b, groupNorm(b, 'norm1', x, o.groups, o.eps));
    h = conv2d(b, 'conv1', h, out);
    if (o.temb) {
      const t = linear(b, 'time_emb_proj', silu(b, o.temb), out);
      h = b.add(h, b.unsqueeze(t, [2, 3]));
    }
    h = silu(b, groupNorm(b, 'norm2', h, o.groups, o.eps));
    h = conv2d(b, 'conv2', h, out);
    const shortcut = cin === out ? x : conv2d(b, 'conv_shortcut', x, out, { kernel: 1 });
    return b.add(shortcut, h);
  });
}

export interface TransformerOptions {
  readonly heads: number;
  readonly groups: number;
  /** Number of BasicTransformerBlocks. */
  readonly depth: number;
  /** Cross-attention context [B, S, Cc]. */
  readonly context: string;
  /** Feed-forward expansion (4 in SD). */
  readonly ffMult?: number;
  /** proj_in / proj_out as Linear layers on [B, HW, C] (SDXL's use_linear_projection) instead of 1x1 convs. */
  readonly linearProjection?: boolean;
}

/** diffusers BasicTransformerBlock named `name` on [B, L, C]: self-attn, cross-attn, GEGLU FF. */
export function basicTransformerBlock(
  b: GraphBuilder,
  name: string,
  x: string,
  o: Omit<TransformerOptions, 'groups' | 'depth'>,
): string {
  const dims = b.dims(x);
  const c = dims[dims.length - 1];
  return b.scope(name, () => {
    let h = x;
    const a1 = attention(b, 'attn1', layerNorm(b, 'norm1', h), undefined, {
      heads: o.heads,
      qkvBias: false,
      names: DIFFUSERS_ATTN,
    });
    h = b.add(a1, h);
    const a2 = attention(b, 'attn2', layerNorm(b, 'norm2', h), o.context, {
      heads: o.heads,
      qkvBias: false,
      names: DIFFUSERS_ATTN,
    });
    h = b.add(a2, h);
    const n3 = layerNorm(b, 'norm3', h);
    const inner = c * (o.ffMult ?? 4);
    const ff = b.scope('ff', () => linear(b, 'net.2', geglu(b, 'net.0', n3, inner), c));
    return b.add(ff, h);
  });
}

/**
 * diffusers Transformer2DModel named `name`: GroupNorm(eps 1e-6) -> proj_in -> [B, HW, C] -> blocks ->
 * proj_out -> [B, C, H, W] -> + x. proj_in/out are 1x1 convs on [B, C, H, W] (SD 1.5), or Linear
 * layers on [B, HW, C] (`linearProjection`, SDXL), in diffusers' order. With dynamic sizes the
 * tokens are [B, -1, C] and the image's H and W are read from x's shape.
 */
export function transformer2d(b: GraphBuilder, name: string, x: string, o: TransformerOptions): string {
  const [n, c, h, w] = b.dims(x);
  const tokens = b.dynamic ? [n, -1, c] : [n, h * w, c];
  const toTokens = (t: string) => b.reshape(b.transpose(t, [0, 2, 3, 1]), tokens);
  const image = () =>
    b.dynamic ? b.shapeFrom([n, { of: x, axis: 2 }, { of: x, axis: 3 }, c]) : [n, h, w, c];
  const toImage = (t: string) => b.transpose(b.reshape(t, image()), [0, 3, 1, 2]);
  return b.scope(name, () => {
    let t = groupNorm(b, 'norm', x, o.groups, 1e-6);
    t = o.linearProjection
      ? linear(b, 'proj_in', toTokens(t), c)
      : toTokens(conv2d(b, 'proj_in', t, c, { kernel: 1 }));
    for (let i = 0; i < o.depth; i++) t = basicTransformerBlock(b, `transformer_blocks.${i}`, t, o);
    t = o.linearProjection
      ? toImage(linear(b, 'proj_out', t, c))
      : conv2d(b, 'proj_out', toImage(t), c, { kernel: 1 });
    return b.add(t, x);
  });
}

/** diffusers Downsample2D (conv 3x3 stride 2, padding 1) named `name`. */
export function downsample(b: GraphBuilder, name: string, x: string): string {
  return b.scope(name, () => conv2d(b, 'conv', x, b.dims(x)[1], { stride: 2, pad: 1 }));
}

/** diffusers Upsample2D (nearest x2, then conv 3x3) named `name`. */
export function upsample(b: GraphBuilder, name: string, x: string): string {
  return b.scope(name, () => conv2d(b, 'conv', b.resizeNearest(x, 2), b.dims(x)[1]));
}

/**
 * diffusers Timesteps named `name` (`time_proj`; SDXL's `add_time_proj` for the time ids): sinusoidal
 * embedding of t [N] into [N, dim]: freqs_i = exp(-ln(10000) * i / (dim/2 - shift)),
 * emb = [cos(t f), sin(t f)] when flipSinToCos (SD: true, shift 0), else [sin, cos]. The frequencies
 * are a constant (torch's export folds them).
 */
export function timestepEmbedding(
  b: GraphBuilder,
  name: string,
  t: string,
  dim: number,
  flipSinToCos = true,
  shift = 0,
): string {
  const half = dim / 2;
  const freqs = Array.from({ length: half }, (_, i) => Math.exp((-Math.log(10000) * i) / (half - shift)));
  return b.scope(name, () => {
    const arg = b.mul(b.unsqueeze(t, [1]), b.constant('float32', [1, half], freqs));
    const s = b.sin(arg);
    const c = b.cos(arg);
    return b.concat(flipSinToCos ? [c, s] : [s, c], 1);
  });
}

/**
 * diffusers TimestepEmbedding named `name` (`time_embedding`; SDXL's `add_embedding`): linear_1 ->
 * SiLU -> linear_2, both `dim` wide.
 */
export function timestepEmbeddingMlp(b: GraphBuilder, name: string, x: string, dim: number): string {
  return b.scope(name, () => linear(b, 'linear_2', silu(b, linear(b, 'linear_1', x, dim)), dim));
}
