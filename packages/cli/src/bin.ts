#!/usr/bin/env node
import { createRequire } from 'node:module';
import { errorMessage } from '@onnxstream/core';
import { Command, Option } from 'commander';
import { calibrateCommand } from './commands/calibrate.js';
import { conformanceCommand } from './commands/conformance.js';
import { convertCommand } from './commands/convert.js';
import { infoCommand } from './commands/info.js';
import { runCommand } from './commands/run.js';
import { SD_DEFAULT_NEG_PROMPT, SD_DEFAULT_PROMPT, sdCommand } from './commands/sd.js';
import { tokenizeCommand } from './commands/tokenize.js';
import { addEngineFlags, collect, positiveInt } from './options.js';
import { UsageError } from './usage.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

const program = new Command()
  .name('onnxstream')
  .version(version)
  .description('Low-memory streaming inference for OnnxStream model folders and ONNX files')
  .showHelpAfterError()
  .exitOverride();

const providerOption = () =>
  new Option('--provider <name>', 'weights provider')
    .choices(['prefetch', 'nocache', 'ram'])
    .default('prefetch');

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
    .addOption(providerOption())
    .option('--threads <N>', 'compute threads (default: all cores)', positiveInt('--threads'))
    .option('--repeat <N>', 'run N times (RAM provider and timings)', positiveInt('--repeat'), 1)
    .option('--profile', 'print time per operator type and the slowest nodes')
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
    '--uint8-per-channel',
    "quantize Conv, ConvTranspose, MatMul and Gemm weights per output channel (uint8[axis=A] + .qparams; ours, not OnnxStream's), the others as --uint8",
  )
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
    .addOption(providerOption())
    .option('--threads <N>', 'compute threads (default: all cores)', positiveInt('--threads'))
    .option('--json', 'print {runs, operators, output} as JSON'),
).action(async (model: string, opts) => {
  process.exitCode = await calibrateCommand(model, opts);
});

program
  .command('sd')
  .description(
    "Stable Diffusion 1.5 / SDXL / SDXL Turbo text-to-image with OnnxStream's options (OnnxStream or diffusers ONNX model folders)",
  )
  .option('--xl', 'SDXL 1.0 base (1024x1024)')
  .option('--turbo', 'SDXL Turbo (implies --xl)')
  .option('--models-path <path>', 'model folder (default: ./ if it holds the model, else the user cache)')
  .option('--threads <N>', 'compute threads: > 0 exact, <= 0 all cores + N (default: all cores)')
  .option('--ops-printf', 'print each operator as it runs')
  .option('--output <file>', 'output PNG', './result.png')
  .option('--decode-latents <file>', 'only decode these latents (.npy, or OnnxStream raw float32)')
  .option('--prompt <text>', 'prompt', SD_DEFAULT_PROMPT)
  .option('--neg-prompt <text>', 'negative prompt', SD_DEFAULT_NEG_PROMPT)
  .option('--steps <N>', 'sampler steps (at least 3 unless --turbo)', '10')
  .option('--num <N>', 'images (image k uses seed + k; one weight stream for all)', '1')
  .option('--seed <N>', 'seed (default: (time % 1024) * 1024)')
  .option(
    '--save-latents <file>',
    'save the final latents (.npy: all images; other names: raw float32 of the first)',
  )
  .option(
    '--decoder-calibrate',
    'SD 1.5: calibrate the VAE decoder and overwrite vae_decoder_qu8/range_data.txt',
  )
  .option('--not-tiled', 'decode the whole latent at once instead of in tiles')
  .option('--res <WxH>', 'image size (default 512x512; 1024x1024 with --xl)')
  .option('--ram', 'keep the UNet weights in RAM (sets --not-tiled)')
  .option(
    '--download [mode]',
    'auto: fetch missing model files, force (no value): fetch again, never',
    'auto',
  )
  .option('--curl-parallel <N>', 'parallel downloads (1..128)', '16')
  .option(
    '--rpi [mode]',
    'fp32 arithmetic: auto (CPU has fast fp16?), yes (no value), force, no, disable',
    'auto',
  )
  .option(
    '--rpi-lowmem',
    'lowest memory (RPi Zero 2): W8A8 VAE, UNet weights read per use, no reuse cache of native blocks; implies --rpi',
  )
  .option('--preview-steps', 'write a low-resolution preview PNG after each step')
  .option('--preview-steps-x8', 'previews upscaled 8x')
  .addOption(new Option('--preview-steps-8x').hideHelp())
  .option('--decode-steps', 'full VAE decode after each step but the last')
  .option('--embed-parameters', 'write the generation parameters into the PNG (parameters tEXt chunk)')
  .option('--sampler <name>', 'sampler (22 names, e.g. euler_a, euler, dpm++2m, lcm)', 'euler_a')
  .option('--cfg <scale>', 'classifier-free guidance scale (default 7; Turbo: none)')
  .option(
    '--cfg-batch',
    "run a step's two guidance branches as one multi-sample run (weights read once, twice the activations)",
  )
  .option('--width <N>', 'image width (overrides --res)')
  .option('--height <N>', 'image height (overrides --res)')
  .option('--rng <name>', "noise: onnxstream (OnnxStream's exact streams) or philox", 'onnxstream')
  .option('--init-noise <file.npy>', 'initial standard-normal noise (4, H/8, W/8) or (n, 4, H/8, W/8)')
  .addOption(
    new Option('--tokenizer-mode <mode>', 'tokenizer').choices(['clip', 'onnxstream']).default('clip'),
  )
  .addOption(backendOption())
  .addOption(new Option('--disable-download').hideHelp())
  .addOption(new Option('--not-download').hideHelp())
  .addOption(new Option('--disable-rpi').hideHelp())
  .addOption(new Option('--not-rpi').hideHelp())
  .addOption(new Option('--rpi-disable').hideHelp())
  .option('--json', 'print {images, seeds, width, height, elapsedMs, peakRssBytes, ...} as JSON')
  .action(async (opts) => {
    process.exitCode = await sdCommand({
      ...opts,
      disableDownload: opts.disableDownload || opts.notDownload,
      disableRpi: opts.disableRpi || opts.notRpi || opts.rpiDisable,
    });
  });

program
  .command('tokenize')
  .description('print the CLIP token ids of a prompt')
  .argument('<prompt>', 'text')
  .option('--tokenizer <dir>', 'folder with vocab.json or vocab.txt, and merges.txt')
  .option('--models-path <path>', 'a model folder whose tokenizer to use')
  .addOption(
    new Option('--mode <mode>', 'tokenizer behaviour').choices(['clip', 'onnxstream']).default('clip'),
  )
  .option('--chunks', 'print the 77-id chunks the pipeline encodes')
  .option('--json', 'print {ids, tokens, chunks} as JSON')
  .action(async (prompt: string, opts) => {
    process.exitCode = await tokenizeCommand(prompt, opts);
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
