#!/usr/bin/env node
import { createRequire } from 'node:module';
import { errorMessage } from '@onnxstream/core';
import { Command, Option } from 'commander';
import { calibrateCommand } from './commands/calibrate.js';
import { conformanceCommand } from './commands/conformance.js';
import { convertCommand } from './commands/convert.js';
import { infoCommand } from './commands/info.js';
import { runCommand } from './commands/run.js';
import { addEngineFlags, collect, positiveInt } from './options.js';
import { UsageError } from './usage.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

const program = new Command()
  .name('onnxstream')
  .version(version)
  .description('Low-memory streaming inference for OnnxStream model folders and ONNX files')
  .showHelpAfterError()
  .exitOverride();

const backendOption = () =>
  new Option('--backend <name>', 'compute backend')
    .choices(['auto', 'reference', 'native', 'wasm'])
    .default('auto');

addEngineFlags(
  program
    .command('run')
    .description(
      'run a model (OnnxStream folder, model.txt or .onnx) on .npy inputs; writes one .npy per output',
    )
    .argument('<model>', 'OnnxStream model folder, model.txt, or .onnx file')
    .option('--input <NAME=FILE.npy>', 'an input tensor (repeatable)', collect)
    .option('--output <NAME>', 'an output to write (repeatable; default: the model outputs)', collect)
    .option('--output-dir <DIR>', 'where to write <output>.npy files', '.')
    .addOption(backendOption())
    .addOption(
      new Option('--provider <name>', 'weights provider')
        .choices(['prefetch', 'nocache', 'ram'])
        .default('prefetch'),
    )
    .option('--threads <N>', 'compute threads (default: all cores)', positiveInt('--threads'))
    .option('--repeat <N>', 'run N times (RAM provider and timings)', positiveInt('--repeat'), 1)
    .option('--profile', 'print time per operator type')
    .option('--json', 'print {outputs, runs, peakRssBytes, peakTensorBytes} as JSON'),
).action(async (model: string, opts) => {
  process.exitCode = await runCommand(model, opts);
});

addEngineFlags(
  program
    .command('info')
    .description('show inputs, outputs, operator histogram, weight bytes and estimated peak memory')
    .argument('<model>', 'OnnxStream model folder, model.txt, or .onnx file')
    .option(
      '--shape <NAME=D1,D2,...>',
      'input shape for the estimate when the model leaves dims open (repeatable)',
      collect,
    )
    .option('--json', 'print the report as JSON'),
).action(async (model: string, opts) => {
  process.exitCode = await infoCommand(model, opts);
});

program
  .command('conformance')
  .description('run ONNX backend test cases (model.onnx + test_data_set_*) found below <dir>')
  .argument('<dir>', 'folder with case folders, e.g. onnx-node')
  .addOption(backendOption().default('reference'))
  .option('--json', 'print per-case results as JSON')
  .option('--markdown', 'print the per-operator counts as a markdown table')
  .option('--filter <regexp>', 'only cases whose folder name matches')
  .action(async (dir: string, opts) => {
    process.exitCode = await conformanceCommand(dir, opts);
  });

program
  .command('convert')
  .description(
    "convert an .onnx file into an OnnxStream model folder (model.txt + .bin), as OnnxStream's onnx2txt does",
  )
  .argument('<in.onnx>', 'ONNX model (external data files are read from its folder)')
  .argument('<outdir>', 'destination folder (created; its model.txt and .bin files are replaced)')
  .option('--fp16', 'write float32 weights as float16 (CONVERT_TO_FP16)')
  .option('--uint8', 'quantize float32 weights to uint8[scale,zero] (QUANTIZE_UINT8)')
  .option(
    '--no-infer-shapes',
    "use the model's value_info as is instead of inferring shapes (INFER_SHAPES=False)",
  )
  .option('--simplify', 'fold constant subgraphs and drop unused nodes first')
  .option('--verbose', 'print each model.txt line (DBG_PRINT_OUT)')
  .option('--json', 'print {lines, ops, files, folded, removed, warnings} as JSON')
  .action(async (input: string, outDir: string, opts) => {
    process.exitCode = await convertCommand(input, outDir, opts);
  });

addEngineFlags(
  program
    .command('calibrate')
    .description("record each operator's activation range over runs and write OnnxStream's range_data.txt")
    .argument('<model>', 'OnnxStream model folder, model.txt, or .onnx file')
    .option('--input <NAME=FILE.npy>', 'an input tensor; repeat a name for more runs', collect)
    .option('--output <FILE>', 'where to write the ranges', 'range_data.txt')
    .addOption(backendOption())
    .addOption(
      new Option('--provider <name>', 'weights provider')
        .choices(['prefetch', 'nocache', 'ram'])
        .default('prefetch'),
    )
    .option('--threads <N>', 'compute threads (default: all cores)', positiveInt('--threads'))
    .option('--json', 'print {runs, operators, output} as JSON'),
).action(async (model: string, opts) => {
  process.exitCode = await calibrateCommand(model, opts);
});

// Output piped into a command that stops reading early (| head) is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

try {
  await program.parseAsync(process.argv);
} catch (e) {
  const code = (e as { code?: string }).code;
  if (code === 'commander.helpDisplayed' || code === 'commander.version' || code === 'commander.help') {
    process.exitCode = 0;
  } else if (code?.startsWith('commander.')) {
    process.exitCode = 2;
  } else {
    process.stderr.write(`onnxstream: ${errorMessage(e)}\n`);
    process.exitCode = e instanceof UsageError ? 2 : 1;
  }
}
