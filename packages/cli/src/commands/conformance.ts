import { type BackendChoice, chooseBackend } from '../backends.js';
import { type CaseResult, countsByOp, isDirectory, runConformance, summary } from '../conformance.js';
import { UsageError } from '../usage.js';

export interface ConformanceCommandOptions {
  backend: BackendChoice;
  json?: boolean;
  markdown?: boolean;
  filter?: string;
}

/** `onnxstream conformance <dir>`: per-operator counts and a final `N passed, M failed, K unsupported` line. */
export async function conformanceCommand(dir: string, opts: ConformanceCommandOptions): Promise<number> {
  if (!(await isDirectory(dir))) throw new UsageError(`conformance: '${dir}' is not a folder`);
  const backend = await chooseBackend(opts.backend, (line) => process.stderr.write(`${line}\n`));
  const results = await runConformance(dir, {
    backend,
    filter: opts.filter ? new RegExp(opts.filter) : undefined,
  });
  const s = summary(results);
  if (opts.json) {
    process.stdout.write(
      `${JSON.stringify({ backend: opts.backend, summary: s, cases: results }, null, 1)}\n`,
    );
    return 0;
  }
  if (opts.markdown) printMarkdown(results);
  else printTable(results);
  process.stdout.write(`${s.passed} passed, ${s.failed} failed, ${s.unsupported} unsupported\n`);
  return 0;
}

function printTable(results: readonly CaseResult[]): void {
  const rows = [...countsByOp(results)];
  const width = Math.max(8, ...rows.map(([op]) => op.length));
  const line = (a: string, b: string, c: string, d: string) =>
    `${a.padEnd(width)}  ${b.padStart(6)}  ${c.padStart(6)}  ${d.padStart(11)}\n`;
  process.stdout.write(line('operator', 'passed', 'failed', 'unsupported'));
  for (const [op, c] of rows)
    process.stdout.write(line(op, String(c.passed), String(c.failed), String(c.unsupported)));
}

/** The same counts as a markdown table (for READMEs). */
function printMarkdown(results: readonly CaseResult[]): void {
  process.stdout.write('| operator | passed | failed | unsupported |\n|---|---:|---:|---:|\n');
  for (const [op, c] of countsByOp(results)) {
    process.stdout.write(`| ${op} | ${c.passed} | ${c.failed} | ${c.unsupported} |\n`);
  }
}
