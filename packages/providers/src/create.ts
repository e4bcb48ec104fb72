import type { WeightsProvider } from '@onnxstream/core';
import { DiskNoCacheProvider } from './disk-nocache.js';
import { DiskPrefetchProvider } from './disk-prefetch.js';
import { HttpProvider, type HttpProviderOptions } from './http-provider.js';
import { RamProvider } from './ram.js';

export type ProviderName = 'prefetch' | 'nocache' | 'ram' | 'http';

/** Options of every built-in provider; each provider uses the ones that apply to it. */
export interface ProviderOptions extends HttpProviderOptions {
  /** RAM provider: keep the engine's converted weights (default true). */
  keepConverted?: boolean;
}

/**
 * A built-in provider by name, for the CLI and configuration files: 'prefetch' (the default of
 * OnnxStream), 'nocache', 'ram' (RAM cache filled through a prefetching reader), or 'http' (read-ahead
 * tuned for a model served over HTTP: `url` and the HTTP options apply).
 */
export function createProvider(name: ProviderName, options: ProviderOptions = {}): WeightsProvider {
  switch (name) {
    case 'prefetch':
      return new DiskPrefetchProvider(options);
    case 'nocache':
      return new DiskNoCacheProvider(options);
    case 'ram':
      return new RamProvider({
        source: new DiskPrefetchProvider(options),
        keepConverted: options.keepConverted,
      });
    case 'http':
      return new HttpProvider(options);
    default:
      throw new Error(
        `unknown weights provider '${String(name)}': use prefetch, nocache or ram, or http for a model served over HTTP`,
      );
  }
}
