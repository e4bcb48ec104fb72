/**
 * Writes full-size (or any-size) SD 1.5 or SDXL UNet, VAE decoder and text encoder(s) ONNX files with
 * random weights into a folder, diffusers' ONNX layout: `<dir>/<component>/model.onnx` plus
 * `model.onnx_data` (external data). Used by the benchmarks and the tiny test fixtures.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type Float16Mode, toFloat16 } from './float16.js';
import { type GraphSpec, parameterCount } from './graph-builder.js';
import { type WriteProgress, type WriteResult, writeOnnxModel } from './onnx-writer.js';
import { buildSdxlTextEncoder, buildTextEncoder, type TextEncoderConfig } from './text-encoder.js';
import { buildUNet, SDXL_UNET, type UNetConfig } from './unet.js';
import { buildVaeDecoder, type VaeDecoderConfig } from './vae-decoder.js';

export type SdComponent = 'unet' | 'vae_decoder' | 'text_encoder' | 'text_encoder_2';

/** The model families: SDXL base and Turbo share their architectures (and SD 1.5's VAE decoder). */
export type SdArchitecture = 'sd15' | 'sdxl';

export interface MakeSdModelsOptions {
  /** 'sd15' (default) or 'sdxl'. */
  readonly architecture?: SdArchitecture;
  /** Which models (default: all of the architecture's). */
  readonly components?: readonly SdComponent[];
  /** Weight storage: 'fp32' (default) or 'fp16' (see float16.ts; `float16Mode` default 'weights'). */
  readonly precision?: 'fp32' | 'fp16';
  readonly float16Mode?: Float16Mode;
  readonly seed?: number;
  /** Settings over the architecture's preset (e.g. a latent size, or tiny widths). */
  readonly unet?: Partial<UNetConfig>;
  readonly vaeDecoder?: Partial<VaeDecoderConfig>;
  readonly textEncoder?: Partial<TextEncoderConfig>;
  /** SDXL's second text encoder. */
  readonly textEncoder2?: Partial<TextEncoderConfig>;
  /** Progress lines (default: none). */
  readonly log?: (line: string) => void;
}

export interface MadeModel extends WriteResult {
  readonly component: SdComponent;
  readonly parameters: number;
  readonly nodes: number;
  readonly seconds: number;
}

const COMPONENTS: Readonly<Record<SdArchitecture, readonly SdComponent[]>> = {
  sd15: ['text_encoder', 'unet', 'vae_decoder'],
  sdxl: ['text_encoder', 'text_encoder_2', 'unet', 'vae_decoder'],
};

/** The graph of one component of an architecture. */
export function buildSdComponent(
  architecture: SdArchitecture,
  component: SdComponent,
  o: Omit<MakeSdModelsOptions, 'architecture' | 'components'> = {},
): GraphSpec {
  const xl = architecture === 'sdxl';
  switch (component) {
    case 'unet':
      return buildUNet(xl ? { ...SDXL_UNET, ...o.unet } : o.unet);
    case 'vae_decoder':
      // SDXL's VAE is SD 1.5's architecture (only its latent scaling factor differs).
      return buildVaeDecoder(o.vaeDecoder);
    case 'text_encoder':
      return xl ? buildSdxlTextEncoder(1, o.textEncoder) : buildTextEncoder(o.textEncoder);
    case 'text_encoder_2':
      if (!xl) throw new Error('text_encoder_2 is an SDXL component');
      return buildSdxlTextEncoder(2, o.textEncoder2);
  }
}

const mb = (n: number) => `${(n / 2 ** 20).toFixed(0)} MB`;

export async function makeSdModels(dir: string, options: MakeSdModelsOptions = {}): Promise<MadeModel[]> {
  const log = options.log ?? (() => {});
  const made: MadeModel[] = [];
  const architecture = options.architecture ?? 'sd15';
  for (const component of options.components ?? COMPONENTS[architecture]) {
    const start = performance.now();
    let graph = buildSdComponent(architecture, component, options);
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
