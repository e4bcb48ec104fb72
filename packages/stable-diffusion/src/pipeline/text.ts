/**
 * Text conditioning (reference sections 7.2-7.3): prompts become 77-token chunks, every chunk goes
 * through the text encoder(s) and the chunk embeddings are concatenated along the token axis
 * (AUTOMATIC1111's long prompts). A UNet whose context length is fixed takes as many chunks as it
 * holds: with 77 tokens, that is OnnxStream's behaviour of keeping the last chunk.
 *
 * - SD 1.5: last hidden state (77 x 768) per chunk; emphasis weights multiply the token rows, then
 *   the chunk is rescaled to its pre-weighting mean (as OnnxStream and A1111).
 * - SDXL: text encoder 1's and 2's penultimate hidden states concatenated per token (768 + 1280 =
 *   2048), text encoder 2's pooled projection of the first chunk; ids for encoder 2 are padded with 0
 *   after the first end-of-text token. Emphasis is not applied (as OnnxStream and diffusers).
 */
import { promptToChunks } from '../prompt/chunks.js';
import type { ClipTokenizer } from '../tokenizer/clip-tokenizer.js';
import {
  findName,
  floats,
  idsFeed,
  infoOf,
  type ModelRunner,
  type RunnerRunOptions,
  type RunnerValueInfo,
  requireName,
} from './runner.js';

/** One prompt's conditioning. */
export interface TextConditioning {
  /** (tokens, width) row-major: the UNet's `encoder_hidden_states` without the batch axis. */
  readonly context: Float32Array;
  readonly tokens: number;
  readonly width: number;
  /** SDXL: text encoder 2's pooled output of the first chunk (`text_embeds`, 1280). */
  readonly pooled?: Float32Array;
  /** The token ids of each chunk (77 each), as fed to text encoder 1. */
  readonly ids: number[][];
}

const CHUNK = 77;

/** The chunks of each prompt, all padded (with empty chunks) or cut (keeping the last ones) to one count. */
export function alignedChunks(
  tokenizer: ClipTokenizer,
  prompts: readonly string[],
  fixedChunks: number | undefined,
): { ids: number[]; weights: number[] }[][] {
  const lists = prompts.map((p) => promptToChunks(tokenizer, p));
  const empty = promptToChunks(tokenizer, '')[0];
  const count = fixedChunks ?? Math.max(...lists.map((l) => l.length));
  return lists.map((l) => {
    const cut = l.length > count ? l.slice(l.length - count) : l;
    const out = [...cut];
    while (out.length < count) out.push({ ids: [...empty.ids], weights: [...empty.weights] });
    return out;
  });
}

/** A1111 / OnnxStream weighting: rows times weights, then rescaled to the original mean. */
export function applyEmphasis(z: Float32Array, weights: readonly number[], width: number): Float32Array {
  if (weights.every((w) => w === 1)) return z;
  let before = 0;
  for (let i = 0; i < z.length; i++) before += z[i];
  const out = new Float32Array(z.length);
  let after = 0;
  for (let t = 0; t < weights.length; t++) {
    for (let c = 0; c < width; c++) {
      const v = z[t * width + c] * weights[t];
      out[t * width + c] = v;
      after += v;
    }
  }
  const scale = after === 0 ? 1 : before / after;
  for (let i = 0; i < out.length; i++) out[i] *= scale;
  return out;
}

/** The input ids name of a text encoder. */
function idsInput(runner: ModelRunner): RunnerValueInfo {
  const name = requireName(runner.inputs, ['input_ids', 'onnx::Reshape_0', 'input.1'], 'text encoder input');
  return infoOf(runner.inputs, name)!;
}

/**
 * The penultimate hidden state output of an SDXL text encoder: diffusers' `hidden_states.<n-1>` where
 * `hidden_states.<n>` is the last one, else OnnxStream's name for it (`out_13`, `out_33`: given
 * escaped or not). In OnnxStream's folders that value is an intermediate one (the last layer reads
 * it), which model.txt does not list among the outputs: OnnxStream asks for it by name
 * (`m_extra_outputs`), and so does the pipeline (the engine reports it if the graph has no such value).
 */
export function penultimateOutput(outputs: readonly RunnerValueInfo[], onnxstreamName: string): string {
  const names = outputs.map((o) => o.name);
  const hs = names
    .map((n) => /^hidden_states\.(\d+)$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]));
  if (hs.length > 0) return `hidden_states.${Math.max(...hs) - 1}`;
  return findName(outputs, [onnxstreamName]) ?? onnxstreamName;
}

/** SD 1.5 conditioning of each prompt (all chunk runs share one weight stream). */
export async function encodeSd15(
  runner: ModelRunner,
  tokenizer: ClipTokenizer,
  prompts: readonly string[],
  fixedChunks: number | undefined,
  options: RunnerRunOptions = {},
): Promise<TextConditioning[]> {
  const chunks = alignedChunks(tokenizer, prompts, fixedChunks);
  const input = idsInput(runner);
  const out = runner.outputs[0].name;
  const flat = chunks.flat();
  const results = await runner.run(
    flat.map((c) => ({ [input.name]: idsFeed(c.ids, [1, CHUNK], input) })),
    { ...options, outputs: [out] },
  );
  const perChunk = results.map((r, i) => {
    const z = floats(r[out], 'text encoder');
    const width = z.length / CHUNK;
    return { z: applyEmphasis(z, flat[i].weights, width), width };
  });
  let k = 0;
  return chunks.map((list) => {
    const parts = list.map(() => perChunk[k++]);
    const width = parts[0].width;
    const context = new Float32Array(parts.length * CHUNK * width);
    parts.forEach((p, i) => {
      context.set(p.z, i * CHUNK * width);
    });
    return { context, tokens: parts.length * CHUNK, width, ids: list.map((c) => c.ids) };
  });
}

/** Encoder-2 ids: everything after the first end-of-text token becomes 0 (OpenCLIP padding). */
export function openClipIds(ids: readonly number[], eosId: number): number[] {
  const at = ids.indexOf(eosId);
  return at < 0 ? [...ids] : ids.map((v, i) => (i > at ? 0 : v));
}

/** SDXL conditioning of each prompt: concatenated penultimate states and the pooled embedding. */
export async function encodeSdxl(
  runner1: ModelRunner,
  runner2: ModelRunner,
  tokenizer: ClipTokenizer,
  prompts: readonly string[],
  fixedChunks: number | undefined,
  options: RunnerRunOptions = {},
): Promise<TextConditioning[]> {
  const chunks = alignedChunks(tokenizer, prompts, fixedChunks);
  const flat = chunks.flat();
  const in1 = idsInput(runner1);
  const in2 = idsInput(runner2);
  const h1 = penultimateOutput(runner1.outputs, 'out_13');
  const h2 = penultimateOutput(runner2.outputs, 'out_33');
  const pooledName = requireName(runner2.outputs, ['text_embeds', 'out_0'], 'text encoder 2 pooled output');
  const r1 = await runner1.run(
    flat.map((c) => ({ [in1.name]: idsFeed(c.ids, [1, CHUNK], in1) })),
    { ...options, outputs: [h1] },
  );
  const r2 = await runner2.run(
    flat.map((c) => ({ [in2.name]: idsFeed(openClipIds(c.ids, tokenizer.eosId), [1, CHUNK], in2) })),
    { ...options, outputs: [h2, pooledName] },
  );
  let k = 0;
  return chunks.map((list) => {
    const first = k;
    const parts = list.map(() => {
      const a = floats(r1[k][h1], 'text encoder 1');
      const b = floats(r2[k][h2], 'text encoder 2');
      k++;
      return { a, b };
    });
    const w1 = parts[0].a.length / CHUNK;
    const w2 = parts[0].b.length / CHUNK;
    const width = w1 + w2;
    const context = new Float32Array(parts.length * CHUNK * width);
    parts.forEach((p, i) => {
      for (let t = 0; t < CHUNK; t++) {
        const row = (i * CHUNK + t) * width;
        context.set(p.a.subarray(t * w1, (t + 1) * w1), row);
        context.set(p.b.subarray(t * w2, (t + 1) * w2), row + w1);
      }
    });
    const pooled = floats(r2[first][pooledName], 'text encoder 2 pooled').slice();
    return { context, tokens: parts.length * CHUNK, width, pooled, ids: list.map((c) => c.ids) };
  });
}
