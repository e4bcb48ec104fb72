// Renumbers a WebAssembly module's relaxed-SIMD multiply-adds from the proposal's early opcodes,
// the only ones Debian's emscripten 3.1.6 (LLVM 14) emits for -mrelaxed-simd, to the standard
// ones that engines run (V8 11.4+ / Chromium 114+ by default, Node 20 with
// --experimental-wasm-relaxed-simd):
//
//   f32x4.fma  0xfd 0xaf 0x01  ->  f32x4.relaxed_madd   0xfd 0x85 0x02   (a * b + c)
//   f32x4.fms  0xfd 0xb0 0x01  ->  f32x4.relaxed_nmadd  0xfd 0x86 0x02   (-(a * b) + c)
//
// Both encodings are three bytes, so the module's layout does not move: the code section is decoded
// instruction by instruction (every immediate of the MVP, sign-extension, bulk-memory, SIMD and
// threads instructions a C++ build emits). 0xaf and 0xb0 are unassigned in the standard SIMD set;
// any other early relaxed opcode (the kernels use none) is unassigned too, so an engine rejects
// the module: the build validates it (build-wasm.mjs).
//   node scripts/relaxed-opcodes.mjs <module.wasm>   rewrites it in place, prints the count

import { readFileSync, writeFileSync } from 'node:fs';

const RENUMBERED = new Map([
  [0xaf, 0x105],
  [0xb0, 0x106],
]);

/** Rewrites `bytes` (a module) in place; returns how many instructions were renumbered. */
export function standardizeRelaxedOpcodes(bytes) {
  let at = 8;
  let renumbered = 0;
  const fail = (what) => {
    throw new Error(`relaxed-opcodes: ${what} at byte ${at}`);
  };
  const u32 = () => {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = bytes[at++];
      if (b === undefined) fail('truncated LEB128');
      result += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if ((b & 0x80) === 0) return result;
    }
  };
  const skipLeb = () => {
    while (bytes[at++] & 0x80) if (at > bytes.length) fail('truncated LEB128');
  };
  const memarg = () => {
    skipLeb();
    skipLeb();
  };
  const blockType = () => {
    const b = bytes[at];
    if (b === 0x40 || (b >= 0x6f && b <= 0x7f)) at++;
    else skipLeb();
  };
  const simd = (opcodeAt) => {
    const op = u32();
    if (RENUMBERED.has(op)) {
      // Both encodings are a prefix byte and a two-byte LEB128.
      if (at - opcodeAt !== 3) fail(`unexpected encoding of SIMD opcode 0x${op.toString(16)}`);
      const to = RENUMBERED.get(op);
      bytes[opcodeAt + 1] = (to & 0x7f) | 0x80;
      bytes[opcodeAt + 2] = to >> 7;
      renumbered++;
      return;
    }
    if (op <= 0x0b || op === 0x5c || op === 0x5d) memarg();
    else if (op === 0x0c || op === 0x0d) at += 16;
    else if (op >= 0x15 && op <= 0x22) at += 1;
    else if (op >= 0x54 && op <= 0x5b) {
      memarg();
      at += 1;
    }
  };
  const instruction = () => {
    const start = at;
    const op = bytes[at++];
    if (op === 0x02 || op === 0x03 || op === 0x04 || op === 0x06) blockType();
    else if (
      (op >= 0x07 && op <= 0x09) ||
      op === 0x0c ||
      op === 0x0d ||
      op === 0x10 ||
      op === 0x12 ||
      op === 0x18
    )
      skipLeb();
    else if (op === 0x0e) {
      for (let n = u32(); n > 0; n--) skipLeb();
      skipLeb();
    } else if (op === 0x11 || op === 0x13) {
      skipLeb();
      skipLeb();
    } else if (op === 0x1c) at += u32();
    else if ((op >= 0x20 && op <= 0x26) || op === 0xd2) skipLeb();
    else if (op >= 0x28 && op <= 0x3e) memarg();
    else if (op === 0x3f || op === 0x40 || op === 0xd0) at += 1;
    else if (op === 0x41 || op === 0x42) skipLeb();
    else if (op === 0x43) at += 4;
    else if (op === 0x44) at += 8;
    else if (op === 0xfc) {
      const sub = u32();
      if (sub === 8) {
        skipLeb();
        at += 1;
      } else if (sub === 10) at += 2;
      else if (sub === 11) at += 1;
      else if (sub === 12 || sub === 14) {
        skipLeb();
        skipLeb();
      } else if (sub === 9 || sub === 13 || (sub >= 15 && sub <= 17)) skipLeb();
      else if (sub > 7) fail(`unknown 0xfc instruction ${sub}`);
    } else if (op === 0xfd) simd(start);
    else if (op === 0xfe) {
      if (u32() === 0x03) at += 1;
      else memarg();
    } else if (op > 0xc4 && op !== 0xd1) fail(`unknown opcode 0x${op.toString(16)}`);
  };

  if (bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d)
    fail('not a wasm module');
  while (at < bytes.length) {
    const id = bytes[at++];
    const size = u32();
    const end = at + size;
    if (id === 10) {
      for (let n = u32(); n > 0; n--) {
        const bodySize = u32();
        const bodyEnd = at + bodySize;
        for (let groups = u32(); groups > 0; groups--) {
          skipLeb();
          at += 1;
        }
        while (at < bodyEnd) instruction();
        if (at !== bodyEnd) fail('a function body decoded past its end');
      }
    }
    at = end;
  }
  return renumbered;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const file = process.argv[2];
  const bytes = readFileSync(file);
  const n = standardizeRelaxedOpcodes(bytes);
  writeFileSync(file, bytes);
  console.log(`${file}: ${n} relaxed multiply-adds renumbered`);
}
