// Prints the extra C++ flags binding.gyp gives one ISA group (target os_isa_<isa>), so builds outside
// node-gyp (csrc/test/Makefile) compile each -<isa>.cc file exactly as the addon does.
//   node scripts/gyp-flags.cjs avx2|avx512|neon|wasmsimd
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

const isa = process.argv[2];
// gyp files are Python literals; ours stays within JSON apart from '#' comment lines.
const text = readFileSync(join(__dirname, '..', 'binding.gyp'), 'utf8')
  .split('\n')
  .filter((line) => !line.trim().startsWith('#'))
  .join('\n');
const gyp = JSON.parse(text);

// Targets sit at the top level or inside [condition, { targets }] pairs.
const targets = [
  ...(gyp.targets ?? []),
  ...(gyp.conditions ?? []).flatMap(([, then, otherwise]) => [
    ...(then?.targets ?? []),
    ...(otherwise?.targets ?? []),
  ]),
];
const target = targets.find((t) => t.target_name === `os_isa_${isa}`);
if (!isa || !target) {
  console.error(`usage: gyp-flags.cjs <isa>; binding.gyp has no target os_isa_${isa}`);
  process.exit(2);
}
process.stdout.write((target.cflags_cc ?? []).join(' '));
