/**
 * scripts/relaxed-opcodes.mjs on a module written by hand: LLVM 14's early f32x4.fma / f32x4.fms
 * become the standard relaxed_madd / relaxed_nmadd (run here: vitest's setup enables relaxed SIMD),
 * the same bytes inside immediates (a v128.const, a memarg) stay as they are, and a module that is
 * not one, or whose code runs past a function's end, is refused.
 */
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a build script (plain JavaScript, no declarations).
import { standardizeRelaxedOpcodes } from '../scripts/relaxed-opcodes.mjs';

const EARLY_FMA = [0xfd, 0xaf, 0x01];
const EARLY_FMS = [0xfd, 0xb0, 0x01];
const uleb = (n: number): number[] => (n < 0x80 ? [n] : [(n & 0x7f) | 0x80, ...uleb(n >> 7)]);
const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];
const name = (s: string) => [s.length, ...Array.from(s, (c) => c.charCodeAt(0))];

/**
 * out (bytes 48..63) = op(a, b, c) for a, b, c at bytes 0, 16 and 32, then a v128.const holding the
 * early opcodes' bytes, dropped.
 */
function body(op: number[]): number[] {
  const load = (at: number) => [0x41, at, 0xfd, 0x00, 0x04, 0x00];
  const code = [
    0x00, // no locals
    0x41,
    48,
    ...load(0),
    ...load(16),
    ...load(32),
    ...op,
    0xfd,
    0x0b,
    0x04,
    0x00, // v128.store
    0xfd,
    0x0c,
    ...EARLY_FMA,
    ...EARLY_FMS,
    ...EARLY_FMA,
    ...EARLY_FMS,
    ...EARLY_FMA,
    0xaf, // v128.const: 16 bytes
    0x1a, // drop
    0x0b,
  ];
  return [...uleb(code.length), ...code];
}

function module(ops: number[][]): Uint8Array<ArrayBuffer> {
  return new Uint8Array([
    ...[0, 0x61, 0x73, 0x6d, 1, 0, 0, 0],
    ...section(1, [1, 0x60, 0, 0]),
    ...section(3, [ops.length, ...ops.map(() => 0)]),
    ...section(5, [1, 0, 1]),
    ...section(7, [ops.length + 1, ...name('mem'), 2, 0, ...ops.flatMap((_, i) => [...name(`f${i}`), 0, i])]),
    ...section(10, [ops.length, ...ops.flatMap(body)]),
  ]);
}

describe('relaxed-opcodes.mjs', () => {
  it('renumbers the early multiply-adds to relaxed_madd and relaxed_nmadd, and nothing else', async () => {
    const bytes = module([EARLY_FMA, EARLY_FMS]);
    const before = bytes.slice();
    expect(WebAssembly.validate(bytes)).toBe(false);
    expect(standardizeRelaxedOpcodes(bytes)).toBe(2);
    const changed = [...bytes.keys()].filter((i) => bytes[i] !== before[i]);
    // Two opcodes of two bytes each: the v128.const's copies of the early bytes are data.
    expect(changed).toHaveLength(4);
    expect(WebAssembly.validate(bytes)).toBe(true);

    const { instance } = await WebAssembly.instantiate(bytes);
    const { mem, f0, f1 } = instance.exports as { mem: WebAssembly.Memory; f0: () => void; f1: () => void };
    const f = new Float32Array(mem.buffer);
    f.set([1, 2, -3, 0.5], 0);
    f.set([4, -5, 6, 8], 4);
    f.set([10, 20, 30, -1], 8);
    f0();
    expect(Array.from(f.subarray(12, 16))).toEqual([14, 10, 12, 3]); // a * b + c
    f1();
    expect(Array.from(f.subarray(12, 16))).toEqual([6, 30, 48, -5]); // c - a * b
  });

  it('leaves a module without them unchanged', () => {
    const bytes = module([[0xfd, 0x52]]); // v128.bitselect, of three vectors too
    const before = bytes.slice();
    expect(standardizeRelaxedOpcodes(bytes)).toBe(0);
    expect(bytes).toEqual(before);
    expect(WebAssembly.validate(bytes)).toBe(true);
  });

  it('refuses what is not a module, and code that runs past its function', () => {
    expect(() => standardizeRelaxedOpcodes(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]))).toThrow(
      /not a wasm module/,
    );
    const bytes = module([EARLY_FMA]);
    // The function body's size 5 bytes short: it then ends inside the v128.const.
    const at = bytes.indexOf(0x0a) + 3;
    bytes[at] -= 5;
    expect(() => standardizeRelaxedOpcodes(bytes)).toThrow(/past its end/);
  });
});
