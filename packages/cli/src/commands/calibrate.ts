import { writeFile } from 'node:fs/promises';
import { formatRangeData, InferenceSession, type Tensor } from '@onnxstream/core';
import { createProvider, type ProviderName } from '@onnxstream/providers';
import { type BackendChoice, chooseBackend } from '../backends.js';
import { type EngineFlags, engineOptions, splitAssignment } from '../options.js';
import { UsageError } from '../usage.js';
import { readNpyInput } from './run.js';

export interface CalibrateCommandOptions extends EngineFlags {
  input?: string[];
  output: string;
  backend: BackendChoice;
  provider: ProviderName;
  threads?: number;
  json?: boolean;
}

/**
 * `onnxstream calibrate <model> --input NAME=FILE.npy ...`: runs the model once per set of inputs
 * (the k-th `--input` of each name forms run k) and writes each operator's activation range as
 * OnnxStream's range_data.txt, for `--uint8-arithmetic`.
 */
export async function calibrateCommand(model: string, opts: CalibrateCommandOptions): Promise<number> {
  const byName = new Map<string, Tensor[]>();
  for (const item of opts.input ?? []) {
    const [name, file] = splitAssignment(item, '--input');
    byName.set(name, [...(byName.get(name) ?? []), await readNpyInput(name, file)]);
  }
  const counts = new Set([...byName.values()].map((l) => l.length));
  if (byName.size === 0)
    throw new UsageError('calibrate needs --input NAME=FILE.npy (repeat a name for more runs)');
  if (counts.size !== 1) {
    throw new UsageError(
      `every input needs the same number of files: ${[...byName].map(([n, l]) => `${n} has ${l.length}`).join(', ')}`,
    );
  }
  const runs = [...counts][0];
  const feeds = Array.from({ length: runs }, (_, k) =>
    Object.fromEntries([...byName].map(([name, list]) => [name, list[k]])),
  );
  const backend = await chooseBackend(opts.backend, (line) => process.stderr.write(`${line}\n`));
  const session = await InferenceSession.create(model, {
    backend,
    threads: opts.threads,
    weightsProvider: createProvider(opts.provider),
    ...engineOptions({ ...opts, uint8Arithmetic: false }),
  });
  try {
    const ranges = await session.calibrate(feeds, {
      onRun: (k) => {
        if (!opts.json) process.stderr.write(`calibrated run ${k}/${runs}\n`);
      },
    });
    await writeFile(opts.output, formatRangeData(ranges));
    if (opts.json)
      process.stdout.write(`${JSON.stringify({ runs, operators: ranges.size, output: opts.output })}\n`);
    else process.stdout.write(`${ranges.size} operator ranges from ${runs} runs -> ${opts.output}\n`);
    return 0;
  } finally {
    await session.release();
  }
}
