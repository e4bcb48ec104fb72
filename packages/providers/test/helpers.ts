import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ModelFiles, WeightRef, WeightsProvider } from '@onnxstream/core';

/** The shared test data folder: $ONNXSTREAM_SHARED/testdata, else ../shared/testdata beside the repo. */
export function testdata(...parts: string[]): string {
  const shared =
    process.env.ONNXSTREAM_SHARED ?? resolve(dirname(fileURLToPath(import.meta.url)), '../../../../shared');
  const dir = join(shared, 'testdata');
  if (!existsSync(dir)) throw new Error(`shared test data not found at ${dir} (set ONNXSTREAM_SHARED)`);
  return join(dir, ...parts);
}

/** Fresh temporary folders, removed by `cleanup()`. */
export class TempDirs {
  readonly #dirs: string[] = [];

  async make(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'onnxstream-providers-'));
    this.#dirs.push(dir);
    return dir;
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.#dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  }
}

export function f32Bytes(values: ArrayLike<number>): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}

/** Writes raw little-endian float32 files (OnnxStream's .bin weights) into `dir`, creating it. */
export async function writeWeights(dir: string, weights: Record<string, ArrayLike<number>>): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [file, values] of Object.entries(weights)) await writeFile(join(dir, file), f32Bytes(values));
}

/** Writes an OnnxStream model folder: model.txt plus its weights. */
export async function writeModel(
  dir: string,
  lines: readonly string[],
  weights: Record<string, ArrayLike<number>>,
): Promise<void> {
  await writeWeights(dir, weights);
  await writeFile(join(dir, 'model.txt'), `${lines.join('\n')}\n`);
}

/** A float32 vector weight stored alone in `name` (for driving providers without a session). */
export function vectorRef(name: string, count: number): WeightRef {
  return { name, file: name, offset: 0, byteLength: count * 4, type: 'float32', dims: [count] };
}

/**
 * ModelFiles that records the reads it forwards: `started` at call time (path and length), `done`
 * for reads that returned bytes.
 */
export class CountingFiles implements ModelFiles {
  readonly started: { path: string; length: number }[] = [];
  readonly done: string[] = [];
  constructor(readonly inner: ModelFiles) {}

  get root(): string {
    return this.inner.root;
  }

  size(path: string): Promise<number> {
    return this.inner.size(path);
  }

  exists(path: string): Promise<boolean> {
    return this.inner.exists(path);
  }

  async read(path: string, offset: number, length: number, into?: Uint8Array): Promise<Uint8Array> {
    this.started.push({ path, length });
    const bytes = await this.inner.read(path, offset, length, into);
    this.done.push(path);
    return bytes;
  }

  get startedBytes(): number {
    return this.started.reduce((s, r) => s + r.length, 0);
  }
}

/**
 * Wraps a provider so that its `init` receives the session's own (sandboxed) model files behind a
 * CountingFiles spy.
 */
export function withFileSpy(inner: WeightsProvider): { provider: WeightsProvider; spy: () => CountingFiles } {
  let spy: CountingFiles | undefined;
  const provider: WeightsProvider = {
    name: inner.name,
    init: (files, weights) => {
      spy = new CountingFiles(files);
      return inner.init?.(spy, weights);
    },
    beginRun: (order) => inner.beginRun?.(order),
    get: (ref) => inner.get(ref),
    ...(inner.getRows && { getRows: (ref, rows) => inner.getRows!(ref, rows) }),
    endRun: () => inner.endRun?.(),
    release: (ref, t) => inner.release?.(ref, t),
    update: (ref, converted) => inner.update?.(ref, converted) ?? false,
    dispose: () => inner.dispose?.(),
  };
  return {
    provider,
    spy: () => {
      if (!spy) throw new Error('the provider was not initialised');
      return spy;
    },
  };
}

/** Lets pending I/O callbacks and promise reactions run. */
export function settle(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}
