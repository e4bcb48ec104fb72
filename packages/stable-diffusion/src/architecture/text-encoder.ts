/**
 * transformers CLIPTextModel (the ViT-L/14 text tower of SD 1.5 by default) as an ONNX graph:
 *
 *   token + position embeddings -> N pre-LN encoder layers (causal self-attention, quick_gelu MLP)
 *   -> final_layer_norm = last_hidden_state; pooler_output = last_hidden_state at argmax(input_ids)
 *   (the end-of-text token, 49407, has the highest id).
 *
 * I/O names (reference 7.1): diffusers' export reads `input_ids` [B, 77] int32 and writes
 * `last_hidden_state` [B, 77, 768] and `pooler_output` [B, 768]; OnnxStream's `text_encoder_fp32`
 * folder reads `onnx::Reshape_0` [1, 77] int64 (the export's first op is `input_ids.view(-1, 77)`) and
 * uses the first output, `last_hidden_state`.
 */
import { GraphBuilder, type GraphSpec } from './graph-builder.js';
import { attention, layerNorm, linear, quickGelu } from './layers.js';

export interface TextEncoderConfig {
  readonly vocabSize: number;
  readonly maxPositions: number;
  /** Tokens per prompt (77). */
  readonly sequenceLength: number;
  readonly hidden: number;
  readonly layers: number;
  readonly heads: number;
  readonly intermediate: number;
  readonly eps: number;
  readonly batch: number;
  readonly naming: 'diffusers' | 'onnxstream';
  /** Also output `pooler_output` (default: with diffusers naming). */
  readonly pooled?: boolean;
  /**
   * Extra outputs of intermediate hidden states: `hidden_states[index]` (0 = embeddings, i = after
   * layer i) named `name`; e.g. SDXL's text encoder 1 adds the penultimate one as `out_13`.
   */
  readonly hiddenStates?: readonly { readonly index: number; readonly name: string }[];
}

/** openai/clip-vit-large-patch14 text model (SD 1.5 text_encoder): 123,060,480 parameters. */
export const SD15_TEXT_ENCODER: TextEncoderConfig = {
  vocabSize: 49408,
  maxPositions: 77,
  sequenceLength: 77,
  hidden: 768,
  layers: 12,
  heads: 12,
  intermediate: 3072,
  eps: 1e-5,
  batch: 1,
  naming: 'diffusers',
};

/** A tiny text encoder of the same structure (vocab 49408 so real token ids work, width 32, 1 layer, 2 heads). */
export const TINY_TEXT_ENCODER: TextEncoderConfig = {
  ...SD15_TEXT_ENCODER,
  hidden: 32,
  layers: 1,
  heads: 2,
  intermediate: 64,
};

export function buildTextEncoder(config: Partial<TextEncoderConfig> = {}): GraphSpec {
  const c: TextEncoderConfig = { ...SD15_TEXT_ENCODER, ...config };
  const L = c.sequenceLength;
  const b = new GraphBuilder('text_encoder');
  const onnxstream = c.naming === 'onnxstream';
  const input = onnxstream
    ? b.input('onnx::Reshape_0', 'int64', [c.batch, L])
    : b.input('input_ids', 'int32', [c.batch, L]);
  const extra = new Map((c.hiddenStates ?? []).map((h) => [h.index, h.name]));
  const outputs: [string, string][] = [];

  const ids = b.scope('text_model', () => b.reshape(input, [-1, L]));
  const last = b.scope('text_model', () => {
    let x = b.scope('embeddings', () => {
      const tok = b.scope('token_embedding', () =>
        b.gather(
          b.param('weight', [c.vocabSize, c.hidden], { kind: 'uniform', bound: Math.sqrt(3) * 0.02 }),
          ids,
        ),
      );
      const posIds = b.constant(
        'int64',
        [1, L],
        Array.from({ length: L }, (_, i) => i),
      );
      const pos = b.scope('position_embedding', () =>
        b.gather(
          b.param('weight', [c.maxPositions, c.hidden], { kind: 'uniform', bound: Math.sqrt(3) * 0.02 }),
          posIds,
        ),
      );
      return b.add(tok, pos);
    });
    if (extra.has(0)) outputs.push([x, extra.get(0)!]);
    // Causal mask: 0 on and below the diagonal, float32 min above (transformers' _create_4d_causal_attention_mask).
    const mask = b.constant(
      'float32',
      [L, L],
      Array.from({ length: L * L }, (_, k) => (k % L > Math.floor(k / L) ? -3.4028234663852886e38 : 0)),
    );
    b.scope('encoder', () => {
      for (let i = 0; i < c.layers; i++) {
        x = b.scope(`layers.${i}`, () => {
          const a = attention(b, 'self_attn', layerNorm(b, 'layer_norm1', x, c.eps), undefined, {
            heads: c.heads,
            qkvBias: true,
            names: { q: 'q_proj', k: 'k_proj', v: 'v_proj', out: 'out_proj' },
            mask,
            rank: 4,
          });
          const h = b.add(x, a);
          const n2 = layerNorm(b, 'layer_norm2', h, c.eps);
          const m = b.scope('mlp', () =>
            linear(b, 'fc2', quickGelu(b, linear(b, 'fc1', n2, c.intermediate)), c.hidden),
          );
          return b.add(h, m);
        });
        if (extra.has(i + 1)) outputs.push([x, extra.get(i + 1)!]);
      }
    });
    return layerNorm(b, 'final_layer_norm', x, c.eps);
  });
  return finish(b, c, ids, last, outputs);
}

function finish(
  b: GraphBuilder,
  c: TextEncoderConfig,
  ids: string,
  hidden: string,
  extra: readonly [string, string][],
): GraphSpec {
  const L = c.sequenceLength;
  const pooled = c.pooled ?? c.naming === 'diffusers';
  b.output(hidden, 'last_hidden_state');
  const last = 'last_hidden_state';
  if (pooled) {
    const pool = b.scope('text_model', () => {
      const flat = b.reshape(last, [c.batch * L, c.hidden]);
      const eos = b.argmax(ids, -1);
      const offsets = b.constant(
        'int64',
        [c.batch],
        Array.from({ length: c.batch }, (_, i) => i * L),
      );
      return b.gather(flat, b.add(eos, offsets), 0);
    });
    b.output(pool, 'pooler_output');
  }
  for (const [v, name] of extra) b.output(v, name);
  return b.build();
}
