import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeNpy, parseNpy, Tensor } from '@onnxstream/core';
import { encodeOnnxModel } from '@onnxstream/core/onnx';
import { testdata } from '@onnxstream/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, cli } from './run-cli.js';

let dir: string;
/** YOLOv8n's peak tensor bytes as the run test measures them, for the info test to compare with. */
let measuredPeak = 0;
const f32 = (...v: number[]) => new Uint8Array(new Float32Array(v).buffer);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'onnxstream-cli-'));
});

/** A two-op model folder: y = x * w (streamed, 32 floats) + b. */
async function smallFolder(name: string, files: Record<string, Uint8Array | string>): Promise<string> {
  const folder = join(dir, name);
  await import('node:fs/promises').then((fs) => fs.mkdir(folder, { recursive: true }));
  for (const [f, content] of Object.entries(files)) await writeFile(join(folder, f), content);
  return folder;
}

const TEXT =
  'm:Mul*input:x(1,32);w.bin(float32:32)*output:t(1,32)\na:Add*input:t(1,32);b.bin(float32:1)*output:y(1,32)\n';

describe('onnxstream run', () => {
  it('runs YOLOv8n from its OnnxStream folder and writes output0.npy matching OnnxStream', async () => {
    const ref = await readFile(testdata('yolov8n-onnxstream-reference/synthetic_input_images.f32'));
    const input = join(dir, 'images.npy');
    await writeFile(
      input,
      encodeNpy(
        new Tensor(
          'float32',
          new Float32Array(ref.buffer, ref.byteOffset, ref.byteLength / 4),
          [1, 3, 640, 640],
        ),
      ),
    );
    const out = join(dir, 'yolo-out');
    const r = await cli(
      'run',
      testdata('yolov8n-onnxstream'),
      '--input',
      `images=${input}`,
      '--output-dir',
      out,
      // prefetch: the engine requests the next step's weights early, as info's estimate assumes
      // (nocache holds one step's weights at a time, which the estimate does not model).
      '--provider',
      'prefetch',
      '--backend',
      'reference',
      '--json',
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.outputs).toEqual([
      { name: 'output0', shape: [1, 84, 8400], dtype: 'float32', file: join(out, 'output0.npy') },
    ]);
    expect(report.runs).toHaveLength(1);
    // With Conv + SiLU fused, one 16 x 320 x 320 float32 plane and smaller ones are live at the peak.
    expect(report.peakTensorBytes).toBeGreaterThan(16 * 320 * 320 * 4);
    expect(report.peakTensorBytes).toBeLessThan(2 * 16 * 320 * 320 * 4);
    measuredPeak = report.peakTensorBytes;
    expect(report.peakRssBytes).toBeGreaterThan(report.peakTensorBytes);
    const got = parseNpy(await readFile(join(out, 'output0.npy'))).data as Float32Array;
    const wantBytes = await readFile(
      testdata('yolov8n-onnxstream-reference/synthetic_output0_onnxstream_fp32.f32'),
    );
    const want = new Float32Array(wantBytes.buffer, wantBytes.byteOffset, wantBytes.byteLength / 4);
    let bad = 0;
    for (let i = 0; i < want.length; i++)
      if (Math.abs(got[i] - want[i]) > 1e-4 + 1e-3 * Math.abs(want[i])) bad++;
    expect(bad).toBe(0);
  });

  it('writes requested outputs under safe file names and repeats runs', async () => {
    const { model } = encodeOnnxModel({
      inputs: [{ name: 'in:put', type: 'float32', dims: [3] }],
      outputs: [{ name: 'out/../y', type: 'float32' }],
      nodes: [
        { op: 'Add', inputs: ['in:put', 'in:put'], outputs: ['mid/x'] },
        { op: 'Mul', inputs: ['mid/x', 'in:put'], outputs: ['out/../y'] },
      ],
    });
    const file = join(dir, 'names.onnx');
    await writeFile(file, model);
    const x = join(dir, 'x.npy');
    await writeFile(x, encodeNpy(new Tensor('float32', [1, 2, 3], [3])));
    const out = join(dir, 'names-out');
    const r = await cli(
      'run',
      file,
      '--input',
      `in:put=${x}`,
      '--output',
      'out/../y',
      '--output',
      'mid/x',
      '--output-dir',
      out,
      '--repeat',
      '3',
      '--json',
    );
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.runs).toHaveLength(3);
    expect(report.outputs.map((o: { file: string }) => o.file)).toEqual([
      join(out, 'out_.._y.npy'),
      join(out, 'mid_x.npy'),
    ]);
    expect(parseNpy(await readFile(join(out, 'out_.._y.npy'))).data).toEqual(new Float32Array([2, 8, 18]));
    expect(parseNpy(await readFile(join(out, 'mid_x.npy'))).data).toEqual(new Float32Array([2, 4, 6]));
  });

  /** `onnxstream run --profile` on a Mul and an Add (x * 2 + 1), with `more` flags. */
  async function profiled(name: string, ...more: string[]) {
    const folder = await smallFolder(name, {
      'model.txt': TEXT,
      'w.bin': f32(...Array(32).fill(2)),
      'b.bin': f32(1),
    });
    const x = join(dir, `${name}.npy`);
    await writeFile(x, encodeNpy(new Tensor('float32', new Float32Array(32).fill(3), [1, 32])));
    const out = join(dir, `${name}-out`);
    const r = await cli('run', folder, '--input', `x=${x}`, '--output-dir', out, '--profile', ...more);
    expect(r.code).toBe(0);
    expect(parseNpy(await readFile(join(out, 'y.npy'))).data).toEqual(new Float32Array(32).fill(7));
    return r.stdout;
  }

  it('prints time per operator type and per node with --profile', async () => {
    const stdout = await profiled('profile');
    expect(stdout).toMatch(/time per operator type/);
    expect(stdout).toMatch(/\n {2}Mul +[\d.]+ ms/);
    expect(stdout).toMatch(/\n {2}Add +[\d.]+ ms/);
    // Per node: both nodes, by name and operator type.
    expect(stdout).toMatch(/time per node \(one run\): 2 nodes took [\d.]+ ms of [\d.]+ ms/);
    expect(stdout).toMatch(/\n {2}m +Mul +[\d.]+ ms/);
    expect(stdout).toMatch(/\n {2}a +Add +[\d.]+ ms/);
  });

  it('prints the mean time per node of the runs after the first with --profile --repeat', async () => {
    const stdout = await profiled('profile-repeat', '--repeat', '3');
    expect(stdout).toMatch(/time per node \(mean of runs 2-3\): 2 nodes took [\d.]+ ms of [\d.]+ ms/);
  });
});

describe('onnxstream info', () => {
  it('reports inputs, outputs, the operator histogram, weights and an estimated peak', async () => {
    const r = await cli('info', testdata('yolov8n-onnxstream'), '--json');
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info.format).toBe('onnxstream');
    expect(info.inputs).toEqual([{ name: 'images', dtype: null, shape: [1, 3, 640, 640] }]);
    expect(info.outputs).toEqual([{ name: 'output0', dtype: null, shape: [1, 84, 8400] }]);
    // OnnxStream's histogram for this model (reference section 1.10).
    expect(info.ops).toEqual({
      Conv: 64,
      Mul: 58,
      Sigmoid: 58,
      Concat: 19,
      Split: 9,
      Add: 8,
      Reshape: 5,
      MaxPool: 3,
      Resize: 2,
      Slice: 2,
      Sub: 2,
      Div: 1,
      Softmax: 1,
      Transpose: 1,
    });
    expect(info.nodes).toBe(233);
    expect(info.weightBytes).toBeGreaterThan(12_000_000);
    // Exactly what the run test measured.
    expect(info.estimatedPeakBytes).toBe(measuredPeak);
    expect(info.estimatedPeakExact).toBe(true);
    expect(info.estimatedPeakTypesAssumed).toBe(true);
  });
});

describe('attention flags', () => {
  /** Q (2,64,8) . K^T -> x0.35 -> Softmax -> . V: the chain attention fusion replaces. */
  async function attentionModel(): Promise<string> {
    const file = join(dir, 'attention.onnx');
    const { model } = encodeOnnxModel({
      inputs: [
        { name: 'q', type: 'float32', dims: [2, 64, 8] },
        { name: 'kt', type: 'float32', dims: [2, 8, 48] },
        { name: 'v', type: 'float32', dims: [2, 48, 8] },
      ],
      outputs: [{ name: 'y', type: 'float32', dims: [2, 64, 8] }],
      nodes: [
        { op: 'MatMul', inputs: ['q', 'kt'], outputs: ['s'] },
        { op: 'Mul', inputs: ['s', 'c'], outputs: ['z'] },
        { op: 'Softmax', inputs: ['z'], outputs: ['p'], attrs: { axis: { i: -1 } } },
        { op: 'MatMul', inputs: ['p', 'v'], outputs: ['y'] },
      ],
      initializers: { c: new Tensor('float32', [0.35], []) },
    });
    await writeFile(file, model);
    return file;
  }

  it('--no-fuse-attention and --attention-slices reach the planner in info and run', async () => {
    const model = await attentionModel();
    const fused = JSON.parse((await cli('info', model, '--json')).stdout);
    const plain = JSON.parse((await cli('info', model, '--json', '--no-fuse-attention')).stdout);
    // Unfused, two 2x64x48 float32 score matrices are live at once (scaled and softmaxed) where the
    // fused run holds Q, K^T, V and the output: 2 * 24576 - (4096 + 3072 + 4096) bytes more.
    expect(plain.estimatedPeakBytes - fused.estimatedPeakBytes).toBe(2 * 24576 - (4096 + 3072 + 4096));
    let seed = 3;
    const random = (dims: number[]) =>
      new Tensor(
        'float32',
        Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => {
          seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
          return seed / 2 ** 32 - 0.5;
        }),
        dims,
      );
    const inputs: string[] = [];
    for (const [name, dims] of [
      ['q', [2, 64, 8]],
      ['kt', [2, 8, 48]],
      ['v', [2, 48, 8]],
    ] as const) {
      const file = join(dir, `attention-${name}.npy`);
      await writeFile(file, encodeNpy(random([...dims])));
      inputs.push('--input', `${name}=${file}`);
    }
    const outputs: Float32Array[] = [];
    for (const flags of [['--no-fuse-attention'], [], ['--attention-slices', '3']]) {
      const out = join(dir, `attention-out-${flags.join('')}`);
      const r = await cli('run', model, ...inputs, '--backend', 'reference', '--output-dir', out, ...flags);
      expect(r.code, r.stderr).toBe(0);
      outputs.push(parseNpy(await readFile(join(out, 'y.npy'))).data as Float32Array);
    }
    for (const o of outputs.slice(1)) {
      for (let i = 0; i < o.length; i++) expect(Math.abs(o[i] - outputs[0][i])).toBeLessThan(1e-6);
    }
    const bad = await cli('run', model, ...inputs, '--attention-slices', 'x');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--attention-slices expects an integer >= 0, got 'x'/);
  });
});

describe('onnxstream calibrate and --uint8-arithmetic', () => {
  it("writes OnnxStream's range_data.txt for YOLOv8n and runs it with uint8 activations", async () => {
    const images = join(dir, 'calibrate-images.npy');
    const raw = await readFile(testdata('yolov8n-onnxstream-reference', 'synthetic_input_images.f32'));
    await writeFile(
      images,
      encodeNpy(
        new Tensor(
          'float32',
          new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4),
          [1, 3, 640, 640],
        ),
      ),
    );
    const ranges = join(dir, 'range_data.txt');
    const c = await cli(
      'calibrate',
      testdata('yolov8n-onnxstream'),
      '--input',
      `images=${images}`,
      '--output',
      ranges,
      '--json',
    );
    expect(c.code, c.stderr).toBe(0);
    expect(JSON.parse(c.stdout)).toEqual({ runs: 1, operators: 233, output: ranges });
    const text = await readFile(ranges, 'utf8');
    const lines = text.split('\r\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(233);
    for (const line of lines) expect(line).toMatch(/^[^,]+,-?\d+\.\d{6},-?\d+\.\d{6}$/);
    expect(lines).toContain('/model.0/act/Sigmoid,0.000000,1.000000');

    /** YOLOv8n in uint8 arithmetic with the calibrated ranges, output0.npy written to `outDir`. */
    const runUint8 = (outDir: string, ...flags: string[]) =>
      cli(
        'run',
        testdata('yolov8n-onnxstream'),
        '--input',
        `images=${images}`,
        '--uint8-arithmetic',
        '--range-data',
        ranges,
        ...flags,
        '--output-dir',
        outDir,
      );
    const out = join(dir, 'uint8-out');
    const r = await runUint8(out);
    expect(r.code, r.stderr).toBe(0);
    const got = parseNpy(await readFile(join(out, 'output0.npy'))).data as Float32Array;
    const ref = new Float32Array(
      (
        await readFile(testdata('yolov8n-onnxstream-reference', 'synthetic_output0_onnxstream_fp32.f32'))
      ).buffer.slice(0),
    );
    // Every Conv/Mul/Add/Sigmoid/Softmax output as uint8 with its calibrated range: measured 2.07 px
    // mean box error and 0.41 worst class-score error against OnnxStream's float32 output.
    let boxes = 0;
    let worstScore = 0;
    for (let i = 0; i < 4 * 8400; i++) boxes += Math.abs(got[i] - ref[i]);
    for (let i = 4 * 8400; i < ref.length; i++) worstScore = Math.max(worstScore, Math.abs(got[i] - ref[i]));
    expect(boxes / (4 * 8400)).toBeLessThan(3);
    expect(worstScore).toBeLessThan(0.6);
    expect(boxes).toBeGreaterThan(0);
    // Loads and stores not folded into the operators: the same values.
    const unfolded = join(dir, 'uint8-unfolded');
    const u = await runUint8(unfolded, '--no-fuse-uint8-io');
    expect(u.code, u.stderr).toBe(0);
    expect(parseNpy(await readFile(join(unfolded, 'output0.npy'))).data).toEqual(got);
    const missing = await cli(
      'run',
      testdata('yolov8n-onnxstream'),
      '--input',
      `images=${images}`,
      '--uint8-arithmetic',
    );
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(
      /uint8 arithmetic needs activation ranges: pass rangeData or put range_data.txt in/,
    );
  });
});

describe('storage flags', () => {
  it('--fp16-storage and --uint8-storage lower the estimated peak of a model with a held activation', async () => {
    // a (4x64x64 float32, 64 KiB) waits for the Add while the Concat's 128 KiB output is live.
    const file = join(dir, 'held.onnx');
    const dims = [1, 4, 64, 64];
    const { model } = encodeOnnxModel({
      inputs: [{ name: 'x', type: 'float32', dims }],
      outputs: [{ name: 'y', type: 'float32', dims }],
      nodes: [
        { op: 'Relu', inputs: ['x'], outputs: ['a'] },
        { op: 'Sigmoid', inputs: ['a'], outputs: ['b'] },
        { op: 'Concat', inputs: ['b', 'b'], outputs: ['c'], attrs: { axis: { i: 1 } } },
        {
          op: 'ReduceMean',
          inputs: ['c'],
          outputs: ['d'],
          attrs: { axes: { ints: [1] }, keepdims: { i: 1 } },
        },
        { op: 'Add', inputs: ['a', 'd'], outputs: ['y'] },
      ],
    });
    await writeFile(file, model);
    const peak = async (...flags: string[]) =>
      JSON.parse((await cli('info', file, '--json', ...flags)).stdout).estimatedPeakBytes as number;
    const plain = await peak();
    expect(plain - (await peak('--fp16-storage'))).toBe(32768);
    expect(plain - (await peak('--uint8-storage'))).toBe(49152);
    expect(plain - (await peak('--uint8-storage', 'a'))).toBe(49152);
    expect(await peak('--uint8-storage', 'b,d')).toBe(plain);
  });
});

describe('bad input: one clear error line and a non-zero exit', () => {
  const x32 = async () => {
    const x = join(dir, 'bad-x.npy');
    await writeFile(x, encodeNpy(new Tensor('float32', new Float32Array(32), [1, 32])));
    return x;
  };

  const expectOneLine = (r: CliResult, pattern: RegExp) => {
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(pattern);
  };

  it('a truncated .bin names the operator and the file', async () => {
    const folder = await smallFolder('truncated', {
      'model.txt': TEXT,
      'w.bin': f32(1, 2, 3),
      'b.bin': f32(1),
    });
    const r = await cli('run', folder, '--input', `x=${await x32()}`, '--output-dir', join(dir, 'o'));
    expectOneLine(
      r,
      /^onnxstream: Mul 'm' \(model\.txt:1\): cannot load weights: .*'w\.bin'.*(too short|truncated)/,
    );
  });

  it('a malformed model.txt line names the file and line', async () => {
    const folder = await smallFolder('malformed', {
      'model.txt': `${TEXT}z:Relu*input:y(1,32)`,
      'w.bin': f32(...Array(32).fill(1)),
      'b.bin': f32(1),
    });
    const r = await cli('run', folder, '--input', `x=${await x32()}`, '--output-dir', join(dir, 'o'));
    expectOneLine(r, /^onnxstream: model\.txt:3: expected 3 or 4 '\*'-separated parts/);
  });

  it('a corrupt .onnx names the file', async () => {
    const file = join(dir, 'corrupt.onnx');
    await writeFile(
      file,
      new Uint8Array(300).map((_, i) => (i * 131 + 7) & 0xff),
    );
    const r = await cli('run', file, '--input', `x=${await x32()}`, '--output-dir', join(dir, 'o'));
    expectOneLine(r, /^onnxstream: corrupt\.onnx: /);
  });

  it('a wrong input shape or dtype names the input', async () => {
    const folder = await smallFolder('shape', {
      'model.txt': TEXT,
      'w.bin': f32(...Array(32).fill(1)),
      'b.bin': f32(1),
    });
    const bad = join(dir, 'x8.npy');
    await writeFile(bad, encodeNpy(new Tensor('float32', new Float32Array(8), [1, 8])));
    expectOneLine(
      await cli('run', folder, '--input', `x=${bad}`, '--output-dir', join(dir, 'o')),
      /^onnxstream: input 'x' must have shape \[1,32\], got \[1,8\]/,
    );
    const { model } = encodeOnnxModel({
      inputs: [{ name: 'x', type: 'float32', dims: [1, 32] }],
      outputs: [{ name: 'y', type: 'float32' }],
      nodes: [{ op: 'Add', inputs: ['x', 'x'], outputs: ['y'] }],
    });
    await writeFile(join(dir, 'typed.onnx'), model);
    const ints = join(dir, 'ints.npy');
    await writeFile(ints, encodeNpy(new Tensor('int32', new Int32Array(32), [1, 32])));
    expectOneLine(
      await cli('run', join(dir, 'typed.onnx'), '--input', `x=${ints}`, '--output-dir', join(dir, 'o')),
      /^onnxstream: input 'x' must be float32, got int32/,
    );
  });

  it('usage mistakes exit with code 2', async () => {
    const r = await cli('run', testdata('yolov8n-onnxstream'), '--input', 'images');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--input expects NAME=VALUE, got 'images'/);
  });
});
