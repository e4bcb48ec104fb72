/**
 * Node-only helpers for tests and benchmarks of the OnnxStream packages (`@onnxstream/core/testing`):
 * locating the shared test data and comparing numbers with a tolerance.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ModelFiles } from '../files/model-files.js';
import { weightTensor } from '../formats/weights.js';
import type { WeightRef } from '../graph/graph.js';
import type { WeightsProvider } from '../provider/weights-provider.js';
import type { Tensor } from '../tensor/tensor.js';

/** Path inside the shared test data: $ONNXSTREAM_SHARED/testdata, else `../shared/testdata` next to the repository. */
export function testdata(...parts: string[]): string {
  const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
  const base = process.env.ONNXSTREAM_SHARED ?? join(repo, '..', 'shared');
  const dir = join(base, 'testdata');
  if (!existsSync(dir)) throw new Error(`shared test data not found at ${dir} (set ONNXSTREAM_SHARED)`);
  return join(dir, ...parts);
}

/** Reads a raw little-endian float32 file. */
export async function readFloat32(path: string): Promise<Float32Array> {
  const b = await readFile(path);
  const out = new Float32Array(b.byteLength / 4);
  new Uint8Array(out.buffer).set(b);
  return out;
}

/**
 * Checks |a - e| <= atol + rtol * |e| elementwise. Returns undefined when all hold, else a message
 * naming the number of failures and the worst element.
 */
export function closeness(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rtol: number,
  atol: number,
) {
  if (actual.length !== expected.length) return `length ${actual.length}, expected ${expected.length}`;
  let worst = -1;
  let ratio = 0;
  let bad = 0;
  for (let i = 0; i < expected.length; i++) {
    const tol = atol + rtol * Math.abs(expected[i]);
    const err = Math.abs(actual[i] - expected[i]);
    if (!(err <= tol)) bad++;
    if (!(err / tol <= ratio)) {
      ratio = err / tol;
      worst = i;
    }
  }
  return bad === 0
    ? undefined
    : `${bad} of ${expected.length} elements off; worst at ${worst}: ${actual[worst]} vs ${expected[worst]} (${ratio.toFixed(1)}x tolerance)`;
}

/**
 * Reads each weight once and keeps the form the engine offers back (packed panels), as the RAM
 * provider does, without depending on @onnxstream/providers: backends' tests check runs from kept
 * prepared weights with it.
 */
export class KeepingProvider implements WeightsProvider {
  readonly name = 'keeping';
  readonly kept = new Map<string, Tensor>();
  #files: ModelFiles | undefined;

  init(files: ModelFiles): void {
    this.#files = files;
  }

  async get(ref: WeightRef): Promise<Tensor> {
    const kept = this.kept.get(ref.name);
    if (kept) return kept;
    if (!this.#files) throw new Error('KeepingProvider: init() was not called');
    return weightTensor(ref, await this.#files.read(ref.file, ref.offset, ref.byteLength));
  }

  update(ref: WeightRef, converted: Tensor): boolean {
    this.kept.set(ref.name, converted);
    return true;
  }

  held(ref: WeightRef): Tensor | undefined {
    return this.kept.get(ref.name);
  }
}

/**
 * A KeepingProvider that also keeps every weight as it read it, as @onnxstream/providers'
 * RamProvider does: later runs get the very same tensors (what replayed runs need).
 */
export class HoldingProvider extends KeepingProvider {
  override async get(ref: WeightRef): Promise<Tensor> {
    const t = await super.get(ref);
    if (!this.kept.has(ref.name)) this.kept.set(ref.name, t);
    return t;
  }
}

export { runUint8Io, runUint8IoModel, type Uint8IoRun } from './uint8-io.js';
