#!/usr/bin/env node
import { errorMessage } from '@onnxstream/core';
import { Command, Option } from 'commander';
import { conformanceCommand } from './commands/conformance.js';
import { UsageError } from './usage.js';

const program = new Command()
  .name('onnxstream')
  .description('Low-memory streaming inference for OnnxStream model folders and ONNX files')
  .showHelpAfterError()
  .exitOverride();

const backendOption = () =>
  new Option('--backend <name>', 'compute backend').choices(['auto', 'reference', 'native', 'wasm']).default('auto');

program
  .command('conformance')
  .description('run ONNX backend test cases (model.onnx + test_data_set_*) found below <dir>')
  .argument('<dir>', 'folder with case folders, e.g. onnx-node')
  .addOption(backendOption().default('reference'))
  .option('--json', 'print per-case results as JSON')
  .option('--filter <regexp>', 'only cases whose folder name matches')
  .action(async (dir: string, opts) => {
    process.exitCode = await conformanceCommand(dir, opts);
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
