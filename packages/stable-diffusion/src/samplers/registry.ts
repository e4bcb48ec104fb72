/**
 * The 22 samplers OnnxStream offers through `--sampler` (reference section 7.7), by their exact names.
 */
import { ddim, ddimAncestral } from './ddim.js';
import { ddpm, ddpmAncestral } from './ddpm.js';
import { dpm2 } from './dpm2.js';
import { dpmpp2m, dpmpp2mV2 } from './dpmpp-2m.js';
import { dpmpp2s, dpmpp2sAncestral } from './dpmpp-2s.js';
import { dpmpp3mSde, dpmpp3mSdeAncestral } from './dpmpp-3m-sde.js';
import { euler, eulerAncestral } from './euler.js';
import { heun } from './heun.js';
import { ipndm, ipndmV, ipndmVo } from './ipndm.js';
import { lcm } from './lcm.js';
import { lms } from './lms.js';
import { taylor3 } from './taylor3.js';
import { tcd, tcdAncestral } from './tcd.js';
import type { Sampler } from './types.js';

/** Sampler names accepted by OnnxStream's `--sampler`, in the order of its table. */
export const SAMPLER_NAMES = [
  'euler_a',
  'euler',
  'heun',
  'dpm2',
  'dpm++2m',
  'dpm++2mv2',
  'dpm++2s',
  'dpm++2s_a',
  'dpm++3msde',
  'dpm++3msde_a',
  'ipndm',
  'ipndm_v',
  'ipndm_vo',
  'taylor3',
  'ddpm',
  'ddpm_a',
  'ddim',
  'ddim_a',
  'tcd',
  'tcd_a',
  'lms',
  'lcm',
] as const;

/** One of the 22 sampler names. */
export type SamplerName = (typeof SAMPLER_NAMES)[number];

/** OnnxStream's default sampler. */
export const DEFAULT_SAMPLER: SamplerName = 'euler_a';

/** Static facts about a sampler. */
export interface SamplerInfo {
  /** The sampler function. */
  sampler: Sampler;
  /** Denoiser evaluations per step (the last step may need fewer). */
  evalsPerStep: 1 | 2;
  /** Whether it consumes noise from `options.noise` during sampling. */
  stochastic: boolean;
}

/** All samplers by name. */
export const SAMPLERS: Readonly<Record<SamplerName, SamplerInfo>> = {
  euler_a: { sampler: eulerAncestral, evalsPerStep: 1, stochastic: true },
  euler: { sampler: euler, evalsPerStep: 1, stochastic: false },
  heun: { sampler: heun, evalsPerStep: 2, stochastic: false },
  dpm2: { sampler: dpm2, evalsPerStep: 2, stochastic: false },
  'dpm++2m': { sampler: dpmpp2m, evalsPerStep: 1, stochastic: false },
  'dpm++2mv2': { sampler: dpmpp2mV2, evalsPerStep: 1, stochastic: false },
  'dpm++2s': { sampler: dpmpp2s, evalsPerStep: 2, stochastic: false },
  'dpm++2s_a': { sampler: dpmpp2sAncestral, evalsPerStep: 2, stochastic: true },
  'dpm++3msde': { sampler: dpmpp3mSde, evalsPerStep: 1, stochastic: false },
  'dpm++3msde_a': { sampler: dpmpp3mSdeAncestral, evalsPerStep: 1, stochastic: true },
  ipndm: { sampler: ipndm, evalsPerStep: 1, stochastic: false },
  ipndm_v: { sampler: ipndmV, evalsPerStep: 1, stochastic: false },
  ipndm_vo: { sampler: ipndmVo, evalsPerStep: 1, stochastic: false },
  taylor3: { sampler: taylor3, evalsPerStep: 1, stochastic: false },
  ddpm: { sampler: ddpm, evalsPerStep: 1, stochastic: false },
  ddpm_a: { sampler: ddpmAncestral, evalsPerStep: 1, stochastic: true },
  ddim: { sampler: ddim, evalsPerStep: 1, stochastic: false },
  ddim_a: { sampler: ddimAncestral, evalsPerStep: 1, stochastic: true },
  tcd: { sampler: tcd, evalsPerStep: 1, stochastic: false },
  tcd_a: { sampler: tcdAncestral, evalsPerStep: 1, stochastic: true },
  lms: { sampler: lms, evalsPerStep: 1, stochastic: false },
  lcm: { sampler: lcm, evalsPerStep: 1, stochastic: true },
};

/** True when `name` is one of {@link SAMPLER_NAMES}. */
export function isSamplerName(name: string): name is SamplerName {
  return Object.hasOwn(SAMPLERS, name);
}

/** The sampler called `name`; throws listing the valid names otherwise. */
export function getSampler(name: string): Sampler {
  if (!isSamplerName(name))
    throw new Error(`unknown sampler "${name}"; expected one of: ${SAMPLER_NAMES.join(', ')}`);
  return SAMPLERS[name].sampler;
}
