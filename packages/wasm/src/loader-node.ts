/**
 * Loads a build in Node: the CommonJS glue (dist/wasm/node/*.cjs; its directory's package.json says
 * "commonjs" for the pthreads worker script) with the wasm bytes passed in (emscripten 3.1.6 would
 * otherwise fetch() a file path under Node 18+). Selected by the "#loader" import condition.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { type EmModule, relaxedSimdSupported, type WasmVariant } from './module.js';

export const environment = 'node';

const glue = (variant: WasmVariant) =>
  fileURLToPath(new URL(`./wasm/node/onnxstream-${variant}.cjs`, import.meta.url));

/** Why the build is missing from this installation, or undefined when its files are there. */
export function buildMissing(variant: WasmVariant): string | undefined {
  const file = glue(variant);
  return existsSync(file) && existsSync(file.replace(/\.cjs$/, '.wasm'))
    ? undefined
    : `${file} is not built (build @onnxstream/wasm with emscripten: pnpm build)`;
}

/** Logical CPUs, as the module's pool counts them (emscripten: os.cpus()). */
export function hardwareThreads(): number {
  return Math.max(1, cpus().length);
}

/** The variant forced by ONNXSTREAM_WASM_VARIANT, if set. */
export function forcedVariant(): string | undefined {
  return process.env.ONNXSTREAM_WASM_VARIANT || undefined;
}

export async function instantiate(variant: WasmVariant, poolSize: number): Promise<EmModule> {
  const missing = buildMissing(variant);
  if (missing) throw new Error(missing);
  const file = glue(variant);
  const factory = createRequire(import.meta.url)(file) as (m: object) => Promise<EmModule>;
  const m = await factory({
    wasmBinary: readFileSync(file.replace(/\.cjs$/, '.wasm')),
    osPoolSize: poolSize,
  });
  return m;
}

/**
 * Lets this process run the relaxed build: where relaxed SIMD is off (Node 20), sets V8's
 * --experimental-wasm-relaxed-simd, which is process-wide and applies to modules compiled afterwards.
 * For applications that own their process (the onnxstream CLI calls it first); the library itself
 * never sets flags. Returns whether relaxed SIMD is available now.
 */
export function enableRelaxedSimd(): boolean {
  if (!relaxedSimdSupported()) setFlagsFromString('--experimental-wasm-relaxed-simd');
  return relaxedSimdSupported();
}
