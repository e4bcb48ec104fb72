/**
 * transformers CLIPTextModel / CLIPTextModelWithProjection as an ONNX graph: the ViT-L/14 text tower
 * of SD 1.5 (default) and SDXL's first encoder, and OpenCLIP ViT-bigG/14, SDXL's second:
 *
 *   token + position embeddings -> N pre-LN encoder layers (causal self-attention, quick_gelu or gelu
 *   MLP) -> final_layer_norm = last_hidden_state; pooled = last_hidden_state at argmax(input_ids)
 *   (the end-of-text token, 49407, has the highest id; SDXL's encoder 2 pads with 0 after it), then
 *   `text_projection` (no bias) for the projection model's `text_embeds`.
 *
 * I/O names (reference 7.1), by `naming`:
 * - 'diffusers' (optimum's export): `input_ids` [B, 77] int32 -> `last_hidden_state` [B, 77, hidden]
 *   and `pooler_output` [B, hidden], or `text_embeds` [B, projection] then `last_hidden_state` for the
 *   projection model; SDXL's exports add every hidden state as `hidden_states.<i>`.
 * - 'onnxstream' (SD 1.5 `text_encoder_fp32`): `onnx::Reshape_0` [1, 77] int64 (the export's first op
 *   is `input_ids.view(-1, 77)`) -> `last_hidden_state`.
 * - 'onnxstream-xl' (`sdxl_text_encoder_{1,2}_fp32`): `input_ids` [1, 77] int64 -> `out_0` (the
 *   projection model's text_embeds, else last_hidden_state), and the penultimate hidden state as
 *   `out_13` (encoder 1) or `out_33` (encoder 2), the names OnnxStream reads as extra outputs.
 */
import { GraphBuilder, type GraphSpec } from './graph-builder.js';
import { attention, gelu, layerNorm, linear, quickGelu } from './layers.js';

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
  /** MLP activation: CLIP's quick_gelu (ViT-L/14) or exact gelu (OpenCLIP ViT-bigG/14). */
  readonly activation: 'quick_gelu' | 'gelu';
  /** CLIPTextModelWithProjection: `text_projection` width; the pooled output is then `text_embeds`. */
  readonly projectionDim?: number;
  readonly batch: number;
  readonly naming: 'diffusers' | 'onnxstream' | 'onnxstream-xl';
  /** Also output `pooler_output` (default: with diffusers naming; always with a projection). */
  readonly pooled?: boolean;
  /**
   * Extra outputs of intermediate hidden states: `hidden_states[index]` (0 = embeddings, i = after
   * layer i) named `name`, read further on by the next layer (see {@link buildSdxlTextEncoder}).
   */
  readonly hiddenStates?: readonly HiddenStateOutput[];
}

export interface HiddenStateOutput {
  readonly index: number;
  readonly name: string;
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
  activation: 'quick_gelu',
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

/** SDXL's text encoder 1 is SD 1.5's (openai/clip-vit-large-patch14 text model, 123,060,480 parameters). */
export const SDXL_TEXT_ENCODER: TextEncoderConfig = SD15_TEXT_ENCODER;

/**
 * SDXL's text encoder 2 (stabilityai/stable-diffusion-xl-base-1.0 text_encoder_2, OpenCLIP
 * ViT-bigG/14 as CLIPTextModelWithProjection): 694,659,840 parameters.
 */
export const SDXL_TEXT_ENCODER_2: TextEncoderConfig = {
  ...SD15_TEXT_ENCODER,
  hidden: 1280,
  layers: 32,
  heads: 20,
  intermediate: 5120,
  activation: 'gelu',
  projectionDim: 1280,
};

/** Tiny SDXL encoder 1 (width 32, 2 layers so that the penultimate state follows a layer). */
export const TINY_SDXL_TEXT_ENCODER: TextEncoderConfig = { ...TINY_TEXT_ENCODER, layers: 2 };

/** Tiny SDXL encoder 2 (width 48, 3 layers, 2 heads, gelu, projection 48). */
export const TINY_SDXL_TEXT_ENCODER_2: TextEncoderConfig = {
  ...SDXL_TEXT_ENCODER_2,
  hidden: 48,
  layers: 3,
  heads: 2,
  intermediate: 96,
  projectionDim: 48,
};

/**
 * The hidden-state outputs SDXL pipelines read from encoder `encoder` (1 or 2) of `layers` layers:
 * every state as `hidden_states.<i>` (optimum's export; the pipeline takes the penultimate), or with
 * 'onnxstream-xl' naming the penultimate one under OnnxStream's name (`out_13`, `out_33`).
 */
function sdxlHiddenStateOutputs(
  encoder: 1 | 2,
  layers: number,
  naming: TextEncoderConfig['naming'],
): HiddenStateOutput[] {
  if (naming === 'onnxstream-xl') return [{ index: layers - 1, name: encoder === 1 ? 'out_13' : 'out_33' }];
  return Array.from({ length: layers + 1 }, (_, index) => ({ index, name: `hidden_states.${index}` }));
}

/**
 * SDXL's text encoder `encoder` (1: SDXL_TEXT_ENCODER, 2: SDXL_TEXT_ENCODER_2, with `config` over it)
 * with the hidden-state outputs SDXL pipelines read: every state with diffusers naming, the
 * penultimate one under OnnxStream's name with 'onnxstream-xl' (unless `config` lists its own).
 */
export function buildSdxlTextEncoder(encoder: 1 | 2, config: Partial<TextEncoderConfig> = {}): GraphSpec {
  const c: TextEncoderConfig = { ...(encoder === 1 ? SDXL_TEXT_ENCODER : SDXL_TEXT_ENCODER_2), ...config };
  return buildTextEncoder({ hiddenStates: sdxlHiddenStateOutputs(encoder, c.layers, c.naming), ...c });
}

export function buildTextEncoder(config: Partial<TextEncoderConfig> = {}): GraphSpec {
  const c: TextEncoderConfig = { ...SD15_TEXT_ENCODER, ...config };
  const L = c.sequenceLength;
  const b = new GraphBuilder('text_encoder');
  const input =
    c.naming === 'diffusers'
      ? b.input('input_ids', 'int32', [c.batch, L])
      : b.input(c.naming === 'onnxstream' ? 'onnx::Reshape_0' : 'input_ids', 'int64', [c.batch, L]);
  const extra = new Map((c.hiddenStates ?? []).map((h) => [h.index, h.name]));
  // Intermediate outputs keep being read by the next layer, under their output name (as exported).
  const hiddenState = (x: string, index: number) => {
    const name = extra.get(index);
    return name === undefined ? x : b.rename(x, name);
  };
  const act = c.activation === 'gelu' ? gelu : quickGelu;

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
    x = hiddenState(x, 0);
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
            linear(b, 'fc2', act(b, linear(b, 'fc1', n2, c.intermediate)), c.hidden),
          );
          return b.add(h, m);
        });
        x = hiddenState(x, i + 1);
      }
    });
    return layerNorm(b, 'final_layer_norm', x, c.eps);
  });

  const projection = c.projectionDim !== undefined;
  const lastName = c.naming === 'onnxstream-xl' ? (projection ? undefined : 'out_0') : 'last_hidden_state';
  const hidden = lastName === undefined ? last : b.rename(last, lastName);
  let pooled: string | undefined;
  if (projection || (c.pooled ?? c.naming === 'diffusers')) {
    pooled = b.scope('text_model', () => {
      const flat = b.reshape(hidden, [c.batch * L, c.hidden]);
      const eos = b.argmax(ids, -1);
      const offsets = b.constant(
        'int64',
        [c.batch],
        Array.from({ length: c.batch }, (_, i) => i * L),
      );
      return b.gather(flat, b.add(eos, offsets), 0);
    });
    if (c.projectionDim !== undefined) pooled = linear(b, 'text_projection', pooled, c.projectionDim, false);
  }
  const pooledName = c.naming === 'onnxstream-xl' ? 'out_0' : projection ? 'text_embeds' : 'pooler_output';
  const lastOutput: [string, string][] = lastName === undefined ? [] : [[hidden, lastName]];
  const pooledOutput: [string, string][] = pooled === undefined ? [] : [[pooled, pooledName]];
  // Export order: CLIPTextModel (last_hidden_state, pooler_output), WithProjection (text_embeds, last_hidden_state).
  const outputs = projection ? [...pooledOutput, ...lastOutput] : [...lastOutput, ...pooledOutput];
  for (const [, name] of [...extra].sort(([p], [q]) => p - q)) outputs.push([name, name]);
  for (const [v, name] of outputs) b.output(v, name);
  return b.build();
}
