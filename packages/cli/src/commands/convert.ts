import { convertOnnxFile } from '@onnxstream/core/onnx';

export interface ConvertCommandOptions {
  fp16?: boolean;
  uint8?: boolean;
  uint8PerChannel?: boolean;
  /** commander's `--no-infer-shapes` sets this to false. */
  inferShapes?: boolean;
  simplify?: boolean;
  json?: boolean;
  verbose?: boolean;
}

/**
 * `onnxstream convert <in.onnx> <outdir>`: writes an OnnxStream model folder (model.txt + .bin files)
 * identical to what OnnxStream's onnx2txt notebook writes with the same options.
 */
export async function convertCommand(
  input: string,
  outDir: string,
  opts: ConvertCommandOptions,
): Promise<number> {
  const report = await convertOnnxFile(input, outDir, {
    fp16: opts.fp16 === true,
    uint8: opts.uint8 === true,
    uint8PerChannel: opts.uint8PerChannel === true,
    inferShapes: opts.inferShapes !== false,
    simplify: opts.simplify === true,
    onLine: opts.verbose ? (line) => process.stdout.write(`${line}\n`) : undefined,
  });
  if (opts.json) {
    process.stdout.write(
      `${JSON.stringify(
        {
          lines: report.lines,
          ops: Object.fromEntries(report.opCounts),
          files: report.files,
          folded: report.folded,
          removed: report.removed,
          warnings: report.warnings,
        },
        null,
        2,
      )}\n`,
    );
  } else {
    // The notebook's summary: count per op type, then the total.
    for (const [op, n] of report.opCounts) process.stdout.write(`${op} -> ${n}\n`);
    process.stdout.write(`TOTAL -> ${report.lines}\n`);
    if (opts.simplify) process.stdout.write(`simplify: ${report.folded} folded, ${report.removed} removed\n`);
    process.stdout.write(`wrote ${report.files.length} files to ${outDir}\n`);
  }
  for (const w of report.warnings) process.stderr.write(`warning: ${w}\n`);
  return 0;
}
