// Rebundles tsc's output into a few files: Node keeps every ES module it loads in memory, and the
// engine is hundreds of small modules (one per operator), which cost ~10 MB of RSS loaded one by
// one. Entry points keep their paths; code they share goes into dist/chunks/. Declarations (.d.ts)
// stay as tsc wrote them.
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { rolldown } from 'rolldown';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const entries = {
  index: `${dist}index.js`,
  onnx: `${dist}onnx.js`,
  'backend/kernel/index': `${dist}backend/kernel/index.js`,
  'testing/index': `${dist}testing/index.js`,
  'platform/node': `${dist}platform/node.js`,
  'platform/browser': `${dist}platform/browser.js`,
};
const bundle = await rolldown({
  input: entries,
  platform: 'neutral',
  // '#platform' picks node.js or browser.js at run time by import condition; protobufjs stays a dependency.
  external: [/^node:/, 'protobufjs', '#platform'],
});
const out = `${dist}.bundle`;
await bundle.write({
  dir: out,
  format: 'esm',
  entryFileNames: '[name].js',
  chunkFileNames: 'chunks/[name]-[hash].js',
});
await bundle.close();
// Swap: remove tsc's JavaScript (keep .d.ts and maps), move the bundle in.
const { readdir, rename, stat } = await import('node:fs/promises');
async function removeJs(dir) {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory() && e.name !== '.bundle') await removeJs(p);
    else if (e.name.endsWith('.js') || e.name.endsWith('.js.map')) await rm(p);
  }
}
await removeJs(dist.slice(0, -1));
async function moveAll(from, to) {
  for (const e of await readdir(from, { withFileTypes: true })) {
    const src = `${from}/${e.name}`;
    const dst = `${to}/${e.name}`;
    if (e.isDirectory()) {
      const exists = await stat(dst).then(
        () => true,
        () => false,
      );
      if (!exists) await rename(src, dst);
      else await moveAll(src, dst);
    } else await rename(src, dst);
  }
}
await moveAll(out, dist.slice(0, -1));
await rm(out, { recursive: true, force: true });
