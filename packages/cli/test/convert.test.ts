import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertOnnxFile } from '@onnxstream/core/onnx';
import { testdata } from '@onnxstream/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './run-cli.js';

const MNIST = testdata('models', 'mnist-pytorch-opset18', 'mnist.onnx');
const MNIST8 = testdata('models', 'mnist-8', 'model.onnx');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'onnxstream-cli-convert-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('onnxstream convert', () => {
  it('writes the folder the library writes and prints the per-op summary', async () => {
    const out = join(dir, 'mnist');
    const r = await cli('convert', MNIST, out);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // The notebook's summary: op -> count in first-seen order, then TOTAL.
    expect(r.stdout).toContain(
      'Conv -> 3\nRelu -> 3\nMaxPool -> 2\nReduceMean -> 1\nReshape -> 1\nGemm -> 1\nTOTAL -> 11\n',
    );
    const lib = join(dir, 'mnist-lib');
    await convertOnnxFile(MNIST, lib);
    const files = (await readdir(out)).sort();
    expect(files).toEqual((await readdir(lib)).sort());
    for (const f of files)
      expect((await readFile(join(out, f))).equals(await readFile(join(lib, f))), f).toBe(true);
    const text = await readFile(join(out, 'model.txt'), 'utf8');
    expect(text.split('\n')[0]).toBe(
      'node_Conv_0:Conv*input:input(1,1,28,28);conv1_2E_weight_nchw.bin(float32:32,1,3,3);conv1_2E_bias.bin(float32:32)*output:conv2d(1,32,28,28)*auto_pad:NOTSET;dilations:1,1;group:1;pads:1,1,1,1;strides:1,1',
    );
  });

  it('--fp16 and --uint8 change the weight dtypes', async () => {
    const fp16 = await cli('convert', MNIST, join(dir, 'fp16'), '--fp16');
    expect(fp16.code).toBe(0);
    const t16 = await readFile(join(dir, 'fp16', 'model.txt'), 'utf8');
    expect(t16).toContain('conv1_2E_weight_nchw.bin(float16:32,1,3,3);conv1_2E_bias.bin(float16:32)');
    const u8 = await cli('convert', MNIST, join(dir, 'uint8'), '--uint8');
    expect(u8.code).toBe(0);
    const t8 = await readFile(join(dir, 'uint8', 'model.txt'), 'utf8');
    // Conv weights are quantized, Conv biases (input 2) stay float32.
    expect(t8).toMatch(
      /conv1_2E_weight_nchw\.bin\(uint8\[[0-9.e-]+,\d+\]:32,1,3,3\);conv1_2E_bias\.bin\(float32:32\)/,
    );
    // Per output channel: the parameters beside the weight (32 float32 scales, 32 zero points).
    const pc = await cli('convert', MNIST, join(dir, 'per-channel'), '--uint8-per-channel');
    expect(pc.code).toBe(0);
    const tpc = await readFile(join(dir, 'per-channel', 'model.txt'), 'utf8');
    expect(tpc).toContain('conv1_2E_weight_nchw.bin(uint8[axis=0]:32,1,3,3);conv1_2E_bias.bin(float32:32)');
    expect((await readFile(join(dir, 'per-channel', 'conv1_2E_weight_nchw.bin.qparams'))).length).toBe(
      32 * 5,
    );
  });

  it('--simplify folds constant subgraphs; --json reports it; warnings go to stderr', async () => {
    const r = await cli('convert', MNIST8, join(dir, 'mnist8'), '--simplify', '--json');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ lines: 11, folded: 1, removed: 0 });
    expect(report.ops).toMatchObject({ Conv: 2, Add: 3, MatMul: 1, Reshape: 1 });
    expect(report.files).toContain('model.txt');
    // mnist-8 is IR 3: its initializers are also graph inputs (onnx2txt refuses that, we warn).
    expect(r.stderr).toMatch(/^warning: 6 weight\(s\) are also listed as graph inputs/); // 8, less the 2 folded away
  });

  it('--no-infer-shapes uses value_info as is', async () => {
    const a = await cli('convert', MNIST8, join(dir, 'm8-a'));
    const b = await cli('convert', MNIST8, join(dir, 'm8-b'), '--no-infer-shapes');
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(await readFile(join(dir, 'm8-b', 'model.txt'), 'utf8')).toBe(
      await readFile(join(dir, 'm8-a', 'model.txt'), 'utf8'),
    );
  });

  it('replaces model.txt and .bin files already in the folder, and leaves other files alone', async () => {
    const out = join(dir, 'reuse');
    await mkdir(out, { recursive: true });
    await writeFile(join(out, 'stale.bin'), 'x');
    await writeFile(join(out, 'model.txt'), 'old\n');
    await writeFile(join(out, 'notes.md'), 'keep');
    expect((await cli('convert', MNIST, out)).code).toBe(0);
    const files = await readdir(out);
    expect(files).not.toContain('stale.bin');
    expect(files).toContain('notes.md');
    expect(await readFile(join(out, 'model.txt'), 'utf8')).toMatch(/^node_Conv_0:Conv\*/);
  });

  it('the converted folder runs: info reads it as an OnnxStream folder', async () => {
    const r = await cli('info', join(dir, 'mnist'), '--json');
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info.format).toBe('onnxstream');
    expect(info.nodes).toBe(11);
  });

  it('fails with a message for a missing input', async () => {
    const r = await cli('convert', join(dir, 'nope.onnx'), join(dir, 'nope'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^onnxstream: .*nope\.onnx/);
  });
});
