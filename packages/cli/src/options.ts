/** Parsing helpers for repeatable NAME=VALUE options, and the engine flags commands share. */
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
    .option('--no-fuse-attention', 'run attention chains as separate operators');
}

/** InferenceSession options for the engine flags. */
export function engineOptions(flags: EngineFlags): {
  fp16Arithmetic?: boolean;
  fp16Storage?: boolean;
  uint8Storage?: boolean | string[];
  fuseAttention: boolean;
  attentionSlices?: number;
} {
  const u = flags.uint8Storage;
  return {
    fp16Arithmetic: flags.fp16Arithmetic,
    fp16Storage: flags.fp16Storage,
    uint8Storage: typeof u === 'string' ? u.split(',').filter((n) => n !== '') : u,
    fuseAttention: flags.fuseAttention,
    attentionSlices: flags.attentionSlices,
  };
}

export function nonNegativeInt(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0)
      throw new UsageError(`${flag} expects an integer >= 0, got '${value}'`);
    return n;
  };
}
