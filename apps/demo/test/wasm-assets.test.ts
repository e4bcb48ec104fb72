import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { referenceBackend } from '@onnxstream/core';
import { afterAll, describe, expect, it } from 'vitest';
import { folderHash, WASM_WEB_FILE, wasmAssetFileNames, wasmWebDir } from '../server/wasm-assets.js';
import { reportBackend } from '../src/backend.js';

describe("the wasm package's browser files in the build", () => {
  const dirs: string[] = [];
  afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it('are found in the resolved package', () => {
    expect(wasmWebDir()).toMatch(/[\\/]packages[\\/]wasm[\\/]dist[\\/]wasm[\\/]web$/);
  });

  it('keep their names side by side in a folder named by their contents', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'demo-wasm-'));
    dirs.push(dir);
    await writeFile(join(dir, 'onnxstream-threads.mjs'), 'glue');
    const before = folderHash(dir);
    expect(before).toMatch(/^[0-9a-f]{10}$/);
    expect(folderHash(dir)).toBe(before);
    const names = wasmAssetFileNames(dir);
    const worker = '../../packages/wasm/dist/wasm/web/onnxstream-threads.worker.js';
    expect(names({ originalFileNames: [worker] })).toBe(`assets/wasm-${before}/[name][extname]`);
    expect(names({ originalFileNames: ['src/style.css'] })).toBe('assets/[name]-[hash][extname]');
    expect(names({})).toBe('assets/[name]-[hash][extname]');
    await writeFile(join(dir, 'onnxstream-threads.mjs'), 'another glue');
    expect(folderHash(dir)).not.toBe(before);
    expect(folderHash(join(dir, 'missing'))).toMatch(/^[0-9a-f]{10}$/);
  });

  it('are recognised by path', () => {
    for (const f of ['onnxstream-plain.wasm', 'onnxstream-simd.mjs', 'onnxstream-threads.worker.js']) {
      expect(WASM_WEB_FILE.test(`/x/packages/wasm/dist/wasm/web/${f}`)).toBe(true);
    }
    expect(WASM_WEB_FILE.test('/x/apps/demo/src/worker.js')).toBe(false);
    expect(WASM_WEB_FILE.test('/x/packages/wasm/dist/wasm/node/onnxstream-simd.cjs')).toBe(false);
  });
});

describe('the backend report', () => {
  it('says why the reference backend is used when no wasm build loads', () => {
    const r = reportBackend({ backend: referenceBackend, fallback: 'no WebAssembly' });
    expect(r).toMatchObject({ name: 'reference', threads: 1, fallback: 'no WebAssembly' });
    expect(r.variant).toBeUndefined();
    expect(r.heapBytes).toBeUndefined();
    expect(r.description).toMatch(/the wasm backend did not load: no WebAssembly/);
  });
});
