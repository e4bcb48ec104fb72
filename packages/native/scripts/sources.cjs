// Lists the C++ sources of one build group, relative to the package root, for binding.gyp and the
// wasm build. A file whose name ends in -<isa>.cc belongs to that ISA and is compiled with its
// flags only; csrc/test/ holds the kernel tests.
//   node scripts/sources.cjs portable|avx2|avx512|neon|neonfp16|wasmsimd
const { readdirSync } = require('node:fs');
const { join, relative } = require('node:path');

const ISAS = ['scalar', 'avx2', 'avx512', 'neon', 'neonfp16', 'wasmsimd'];
const root = join(__dirname, '..');
const group = process.argv[2];
if (group !== 'portable' && !ISAS.includes(group)) {
  console.error(`usage: sources.cjs portable|${ISAS.join('|')}`);
  process.exit(2);
}

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? (e.name === 'test' ? [] : walk(join(dir, e.name))) : [join(dir, e.name)],
  );
}

const isaOf = (file) => ISAS.find((isa) => isa !== 'scalar' && file.endsWith(`-${isa}.cc`));
const files = walk(join(root, 'csrc'))
  .filter((f) => f.endsWith('.cc'))
  .filter((f) => (group === 'portable' ? !isaOf(f) : isaOf(f) === group))
  .map((f) => relative(root, f).split('\\').join('/'))
  .sort();
process.stdout.write(files.join(' '));
