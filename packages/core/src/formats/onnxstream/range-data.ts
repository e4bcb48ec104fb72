/**
 * OnnxStream's `range_data.txt`: per operator (node) name, the activation range static uint8
 * arithmetic quantises its output with. One `<op name>,<min>,<max>` line per operator; OnnxStream
 * writes the numbers with `std::to_string` (fixed, six decimals) and CRLF line ends, and reads a line
 * as exactly three comma-separated fields, skipping empty lines.
 */
import { ModelFormatError } from '../../errors.js';

/** [min, max] per operator name. */
export type RangeData = Map<string, readonly [number, number]>;

export function parseRangeData(text: string, file = 'range_data.txt'): RangeData {
  const out: RangeData = new Map();
  text.split('\n').forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '') return;
    const fields = line.split(',');
    if (fields.length !== 3) {
      throw new ModelFormatError(file, `expected 'op name,min,max', got ${fields.length} fields`, i + 1);
    }
    const [name, min, max] = [fields[0], parseFloatField(fields[1]), parseFloatField(fields[2])];
    if (min === undefined || max === undefined) {
      throw new ModelFormatError(
        file,
        `min and max must be numbers, got '${fields[1]}', '${fields[2]}'`,
        i + 1,
      );
    }
    out.set(name, [min, max]);
  });
  return out;
}

/** As `std::stof`: a leading number, the rest ignored; undefined when there is none. */
function parseFloatField(text: string): number | undefined {
  const v = Number.parseFloat(text);
  return Number.isNaN(v) && !/^\s*[+-]?nan/i.test(text) ? undefined : v;
}

/** The file OnnxStream writes for these ranges (in the map's order). */
export function formatRangeData(ranges: RangeData): string {
  let s = '';
  for (const [name, [min, max]] of ranges) s += `${name},${toStdString(min)},${toStdString(max)}\r\n`;
  return s;
}

/**
 * `std::to_string(float)`: printf's `%f` of the float's exact binary value, six decimals, ties to
 * even (glibc's default rounding). JavaScript's toFixed breaks ties upwards, so round by hand.
 */
export function toStdString(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v < 0 ? '-inf' : 'inf';
  const f = Math.fround(v);
  const sign = f < 0 || Object.is(f, -0) ? '-' : '';
  // Exact: a float32 has at most 40 fractional bits where a tie at the seventh decimal is possible.
  const [int, frac] = Math.abs(f).toFixed(40).split('.');
  let units = BigInt(int + frac.slice(0, 6));
  const rest = frac.slice(6);
  const half = '5'.padEnd(rest.length, '0');
  if (rest > half || (rest === half && units % 2n === 1n)) units++;
  const digits = units.toString().padStart(7, '0');
  return `${sign}${digits.slice(0, -6)}.${digits.slice(-6)}`;
}
