/**
 * Writes full-size (or any-size) SD 1.5 UNet, VAE decoder and text encoder ONNX files with random
 * weights into a folder, diffusers' ONNX layout: `<dir>/<component>/model.onnx` plus
 * `model.onnx_data` (external data). Used by the benchmarks.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type Float16Mode, toFloat16 } from './float16.js';
import { type GraphSpec, parameterCount } from './graph-builder.js';
import { type WriteProgress, type WriteResult, writeOnnxModel } from './onnx-writer.js';
import { buildTextEncoder, type TextEncoderConfig } from './text-encoder.js';
import { buildUNet, type UNetConfig } from './unet.js';
import { buildVaeDecoder, type VaeDecoderConfig } from './vae-decoder.js';

export type SdComponent = 'unet' | 'vae_decoder' | 'text_encoder';

export interface MakeSdModelsOptions {
  /** Which models (default all three). */
  readonly components?: readonly SdComponent[];
  /** Weight storage: 'fp32' (default) or 'fp16' (see float16.ts; `float16Mode` default 'weights'). */
  readonly precision?: 'fp32' | 'fp16';
  readonly float16Mode?: Float16Mode;
  readonly seed?: number;
  readonly unet?: Partial<UNetConfig>;
  readonly vaeDecoder?: Partial<VaeDecoderConfig>;
  readonly textEncoder?: Partial<TextEncoderConfig>;
  /** Progress lines (default: none). */
  readonly log?: (line: string) => void;
}

export interface MadeModel extends WriteResult {
  readonly component: SdComponent;
  readonly parameters: number;
  readonly nodes: number;
  readonly seconds: number;
}

const BUILDERS: Record<SdComponent, (o: MakeSdModelsOptions) => GraphSpec> = {
  unet: (o) => buildUNet(o.unet),
  vae_decoder: (o) => buildVaeDecoder(o.vaeDecoder),
  text_encoder: (o) => buildTextEncoder(o.textEncoder),
};

const mb = (n: number) => `${(n / 2 ** 20).toFixed(0)} MB`;

export async function makeSdModels(dir: string, options: MakeSdModelsOptions = {}): Promise<MadeModel[]> {
  const log = options.log ?? (() => {});
  const made: MadeModel[] = [];
  for (const component of options.components ?? (['text_encoder', 'unet', 'vae_decoder'] as const)) {
    const start = performance.now();
    let graph = BUILDERS[component](options);
    const parameters = parameterCount(graph);
    if (options.precision === 'fp16') graph = toFloat16(graph, options.float16Mode);
    const folder = join(dir, component);
    await mkdir(folder, { recursive: true });
    log(
      `${component}: ${graph.nodes.length} nodes, ${parameters.toLocaleString('en-US')} parameters -> ${folder}`,
    );
    let lastPct = -1;
    const onProgress = (p: WriteProgress) => {
      const pct = Math.floor((100 * p.bytes) / p.totalBytes);
      if (pct >= lastPct + 5 || p.tensors === p.totalTensors) {
        lastPct = pct;
        log(
          `  ${component}: ${pct}% (${p.tensors}/${p.totalTensors} tensors, ${mb(p.bytes)} of ${mb(p.totalBytes)})`,
        );
      }
    };
    const result = await writeOnnxModel(graph, join(folder, 'model.onnx'), {
      seed: options.seed,
      onProgress,
    });
    const seconds = (performance.now() - start) / 1000;
    log(`  ${component}: wrote ${mb(result.modelBytes + result.dataBytes)} in ${seconds.toFixed(1)} s`);
    made.push({ ...result, component, parameters, nodes: graph.nodes.length, seconds });
  }
  return made;
}
