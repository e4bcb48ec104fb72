/** Parsing helpers for repeatable NAME=VALUE options, and the engine flags commands share. */
import { readFile } from 'node:fs/promises';
import { parseRangeData, type RangeData } from '@onnxstream/core';
import type { Command } from 'commander';
import { UsageError } from './usage.js';

/** commander collector for repeatable options. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Splits NAME=VALUE at the first '='. */
export function splitAssignment(text: string, flag: string): [string, string] {
  const i = text.indexOf('=');
  if (i <= 0 || i === text.length - 1) throw new UsageError(`${flag} expects NAME=VALUE, got '${text}'`);
  return [text.slice(0, i), text.slice(i + 1)];
}

export function positiveInt(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1)
      throw new UsageError(`${flag} expects a positive integer, got '${value}'`);
    return n;
  };
}

/** A tensor/file-system-safe file name for a tensor name: path characters become '_'. */
export function safeFileName(name: string, taken: Set<string>): string {
  let base = name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
  if (base === '') base = '_';
  let candidate = base;
  for (let k = 1; taken.has(candidate.toLowerCase()); k++) candidate = `${base}_${k}`;
  taken.add(candidate.toLowerCase());
  return candidate;
}

/** The engine's memory and precision modes, as flags (same names in every command that plans a model). */
export interface EngineFlags {
  fp16Arithmetic?: boolean;
  fp16Storage?: boolean;
  /** true, or a comma-separated list of value names. */
  uint8Storage?: boolean | string;
  fuseAttention: boolean;
  attentionSlices?: number;
  uint8Arithmetic?: boolean;
  fuseUint8Io: boolean;
  rangeData?: string;
}

export function addEngineFlags(command: Command): Command {
  return command
    .option('--fp16-arithmetic', 'compute in float16 (weights and activations), as OnnxStream')
    .option(
      '--attention-slices <N>',
      "compute fused attention's score rows in N slices (OnnxStream's slicing; default: tiled)",
      nonNegativeInt('--attention-slices'),
    )
    .option('--fp16-storage', 'store activations held across operators as float16 (compute stays float32)')
    .option(
      '--uint8-storage [NAMES]',
      'store held activations as dynamically quantised uint8: all, or these comma-separated value names',
    )
    .option('--no-fuse-attention', 'run attention chains as separate operators')
    .option(
      '--uint8-arithmetic',
      "store operator outputs as uint8 with calibrated ranges (OnnxStream's uint8 arithmetic)",
    )
    .option(
      '--range-data <FILE>',
      'activation ranges for --uint8-arithmetic (default: range_data.txt in the model folder)',
    )
    .option(
      '--no-fuse-uint8-io',
      'with --uint8-arithmetic: dequantise and quantise around every operator (whole float32 copies)',
    );
}

/** InferenceSession options for the engine flags. */
export function engineOptions(flags: EngineFlags): {
  fp16Arithmetic?: boolean;
  fp16Storage?: boolean;
  uint8Storage?: boolean | string[];
  fuseAttention: boolean;
  attentionSlices?: number;
  uint8Arithmetic?: boolean;
  fuseUint8Io: boolean;
} {
  const u = flags.uint8Storage;
  return {
    fp16Arithmetic: flags.fp16Arithmetic,
    fp16Storage: flags.fp16Storage,
    uint8Storage: typeof u === 'string' ? u.split(',').filter((n) => n !== '') : u,
    fuseAttention: flags.fuseAttention,
    attentionSlices: flags.attentionSlices,
    uint8Arithmetic: flags.uint8Arithmetic,
    fuseUint8Io: flags.fuseUint8Io,
  };
}

/** engineOptions plus the ranges `--range-data FILE` names, read from disk. */
export async function engineOptionsWithRanges(
  flags: EngineFlags,
): Promise<ReturnType<typeof engineOptions> & { rangeData?: RangeData }> {
  const options = engineOptions(flags);
  if (!flags.rangeData) return options;
  if (!flags.uint8Arithmetic) throw new UsageError('--range-data needs --uint8-arithmetic');
  let text: string;
  try {
    text = await readFile(flags.rangeData, 'utf8');
  } catch (e) {
    throw new UsageError(`--range-data: cannot read '${flags.rangeData}': ${(e as Error).message}`);
  }
  return { ...options, rangeData: parseRangeData(text, flags.rangeData) };
}

export function nonNegativeInt(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0)
      throw new UsageError(`${flag} expects an integer >= 0, got '${value}'`);
    return n;
  };
}
