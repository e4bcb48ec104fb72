/**
 * The converter on the small real models of testdata/models: model.txt lines written out by hand
 * from the spec (onnxstream-reference.md sections 1-2), .bin bytes checked against the ONNX
 * initializers as an independent reader (readOnnxModel) sees them, and round trips: the converted
 * folder runs in InferenceSession and gives what the .onnx gives.
 */
import { cp, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Graph, InferenceSession, Tensor } from '../src/index.js';
import { convertOnnxFile, readOnnxModel } from '../src/onnx.js';
import { NodeModelFiles } from '../src/platform/node.js';
import { testdata } from '../src/testing/index.js';

const model = (...p: string[]) => testdata('models', ...p);
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'onnxstream-convert-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function convertTo(onnx: string, name: string, options = {}) {
  const out = join(dir, name);
  const report = await convertOnnxFile(onnx, out, options);
  const text = await readFile(join(out, 'model.txt'), 'utf8');
  return { out, report, lines: text.split('\n').slice(0, -1), text };
}

const bin = async (folder: string, f: string) => new Uint8Array(await readFile(join(folder, f)));

/** A weight's float32 values as the ONNX file holds them, read by the engine's own ONNX reader. */
async function onnxWeights(
  path: string,
): Promise<{ graph: Graph; f32: (name: string) => Promise<Float32Array> }> {
  const slash = path.lastIndexOf('/');
  const files = new NodeModelFiles(path.slice(0, slash));
  const graph = await readOnnxModel(files, path.slice(slash + 1));
  return {
    graph,
    async f32(name) {
      const c = graph.constants.get(name);
      if (c) return c.data as Float32Array;
      const w = graph.weights.get(name);
      if (!w) throw new Error(`no weight ${name}`);
      const bytes = await files.read(w.file, w.offset, w.byteLength);
      return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4).slice();
    },
  };
}

const asBytes = (a: Float32Array | BigInt64Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** (O,I,H,W) -> (O,H,W,I), the `_nhwc.bin` layout (spec 1.7). */
function toNhwc(w: Float32Array, [o, i, h, ww]: number[]): Float32Array {
  const out = new Float32Array(w.length);
  let p = 0;
  for (let a = 0; a < o; a++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < ww; x++) for (let c = 0; c < i; c++) out[p++] = w[((a * i + c) * h + y) * ww + x];
  return out;
}

function transpose2(w: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = w[r * cols + c];
  return out;
}

describe('convert mnist-pytorch-opset18 (IR 10, opset 18, PyTorch dynamo export)', () => {
  const onnx = model('mnist-pytorch-opset18', 'mnist.onnx');
  const external = model('mnist-pytorch-opset18', 'mnist-external', 'mnist.onnx');

  it('writes the expected model.txt', async () => {
    const { text, report } = await convertTo(onnx, 'mnist-pt');
    // Node names raw; tensor names escaped ('.' -> _2E_, '_' -> _5F_). Conv weights become
    // <name>_nchw.bin with the ONNX shape; shapes follow from inference: 3x3 pad-1 convs keep 28
    // and 14, the 2x2 stride-2 pools halve, ReduceMean over axes (-1,-2) with keepdims gives
    // (1,64,1,1), Reshape to (1,64). The two Constant nodes become val_5F_4.bin/val_5F_6.bin.
    // Gemm transB=1 on fc.weight: transposed to (64,10), '_transposed', transB dropped.
    // Attributes are printed in file order, ints as str(i), alpha/beta as Python floats.
    const convAttrs = (pads: string) => `auto_pad:NOTSET;dilations:1,1;group:1;pads:${pads};strides:1,1`;
    const poolAttrs =
      'auto_pad:NOTSET;ceil_mode:0;dilations:1,1;kernel_shape:2,2;pads:0,0,0,0;storage_order:0;strides:2,2';
    expect(text).toBe(
      [
        `node_Conv_0:Conv*input:input(1,1,28,28);conv1_2E_weight_nchw.bin(float32:32,1,3,3);conv1_2E_bias.bin(float32:32)*output:conv2d(1,32,28,28)*${convAttrs('1,1,1,1')}`,
        'node_Relu_1:Relu*input:conv2d(1,32,28,28)*output:relu(1,32,28,28)',
        `node_MaxPool_2:MaxPool*input:relu(1,32,28,28)*output:max_5F_pool2d(1,32,14,14)*${poolAttrs}`,
        `node_Conv_3:Conv*input:max_5F_pool2d(1,32,14,14);conv2_2E_weight_nchw.bin(float32:72,32,3,3);conv2_2E_bias.bin(float32:72)*output:conv2d_5F_1(1,72,14,14)*${convAttrs('1,1,1,1')}`,
        'node_Relu_4:Relu*input:conv2d_5F_1(1,72,14,14)*output:relu_5F_1(1,72,14,14)',
        `node_MaxPool_5:MaxPool*input:relu_5F_1(1,72,14,14)*output:max_5F_pool2d_5F_1(1,72,7,7)*${poolAttrs}`,
        `node_Conv_6:Conv*input:max_5F_pool2d_5F_1(1,72,7,7);pw_2E_weight_nchw.bin(float32:64,72,1,1);pw_2E_bias.bin(float32:64)*output:conv2d_5F_2(1,64,7,7)*${convAttrs('0,0,0,0')}`,
        'node_Relu_7:Relu*input:conv2d_5F_2(1,64,7,7)*output:relu_5F_2(1,64,7,7)',
        'node_ReduceMean_11:ReduceMean*input:relu_5F_2(1,64,7,7);val_5F_4.bin(int64:2)*output:mean(1,64,1,1)*keepdims:1;noop_with_empty_axes:0',
        'node_Reshape_14:Reshape*input:mean(1,64,1,1);val_5F_6.bin(int64:2)*output:view(1,64)*allowzero:0',
        'node_Gemm_15:Gemm*input:view(1,64);fc_2E_weight_transposed.bin(float32:64,10);fc_2E_bias.bin(float32:10)*output:logits(1,10)*alpha:1.0;beta:1.0;transA:0',
        '',
      ].join('\n'),
    );
    expect([...report.opCounts]).toEqual([
      ['Conv', 3],
      ['Relu', 3],
      ['MaxPool', 2],
      ['ReduceMean', 1],
      ['Reshape', 1],
      ['Gemm', 1],
    ]);
    expect(report.warnings).toEqual([]);
  });

  // The external-data copy (weights in mnist.onnx.data) holds other trained weights than the
  // inline file; each folder is checked against its own source.
  it.each([
    ['inline', onnx],
    ['external data', external],
  ])('writes every weight byte as onnx2txt does (%s)', async (label, path) => {
    const { out, text } = await convertTo(path, `mnist-pt-bytes-${label.replace(' ', '-')}`);
    expect(text).toBe((await convertTo(onnx, 'mnist-pt-text')).text);
    const { f32, graph } = await onnxWeights(path);
    const sources = new Set([...graph.weights.values()].map((w) => w.file));
    expect(sources.has('mnist.onnx.data')).toBe(label === 'external data');
    const names = (await readdir(out)).sort();
    expect(names).toEqual(
      [
        'conv1_2E_bias.bin',
        'conv1_2E_weight_nchw.bin',
        'conv1_2E_weight_nhwc.bin',
        'conv2_2E_bias.bin',
        'conv2_2E_weight_nchw.bin',
        'conv2_2E_weight_nhwc.bin',
        'fc_2E_bias.bin',
        'fc_2E_weight_transposed.bin',
        'model.txt',
        'pw_2E_bias.bin',
        'pw_2E_weight_nchw.bin',
        'pw_2E_weight_nhwc.bin',
        'val_5F_4.bin',
        'val_5F_6.bin',
      ].sort(),
    );
    const convs: [string, number[]][] = [
      ['conv1', [32, 1, 3, 3]],
      ['conv2', [72, 32, 3, 3]],
      ['pw', [64, 72, 1, 1]],
    ];
    for (const [n, dims] of convs) {
      const w = await f32(`${n}.weight`);
      expect(await bin(out, `${n}_2E_weight_nchw.bin`)).toEqual(asBytes(w));
      expect(await bin(out, `${n}_2E_weight_nhwc.bin`)).toEqual(asBytes(toNhwc(w, dims)));
      expect(await bin(out, `${n}_2E_bias.bin`)).toEqual(asBytes(await f32(`${n}.bias`)));
    }
    // fc.weight is (10,64) in the file.
    expect(await bin(out, 'fc_2E_weight_transposed.bin')).toEqual(
      asBytes(transpose2(await f32('fc.weight'), 10, 64)),
    );
    expect(await bin(out, 'fc_2E_bias.bin')).toEqual(asBytes(await f32('fc.bias')));
    // The Constant nodes: ReduceMean axes (-1,-2) and the Reshape target (1,64), int64.
    expect(await bin(out, 'val_5F_4.bin')).toEqual(asBytes(BigInt64Array.of(-1n, -2n)));
    expect(await bin(out, 'val_5F_6.bin')).toEqual(asBytes(BigInt64Array.of(1n, 64n)));
  });

  it('round trip: the folder runs and matches the .onnx (fp32, fp16 and uint8 weights)', async () => {
    const x = new Float32Array(784).map((_, i) => Math.sin(i * 0.37));
    const feeds = { input: new Tensor('float32', x, [1, 1, 28, 28]) };
    const ref = await InferenceSession.create(onnx);
    const want = (await ref.run(feeds)).logits.data as Float32Array;
    await ref.release();
    const maxDiff = async (options: object, name: string) => {
      const { out } = await convertTo(onnx, name, options);
      const s = await InferenceSession.create(out);
      expect(s.inputNames).toEqual(['input']);
      expect(s.outputNames).toEqual(['logits']);
      const got = (await s.run(feeds)).logits.data as Float32Array;
      await s.release();
      return Math.max(...got.map((v, i) => Math.abs(v - want[i])));
    };
    expect(await maxDiff({}, 'rt-fp32')).toBeLessThan(1e-5);
    expect(await maxDiff({ fp16: true }, 'rt-fp16')).toBeLessThan(0.05);
    // 8-bit weights (truncated, per tensor): logits of magnitude ~10 move by up to ~2.
    const spread = Math.max(...want) - Math.min(...want);
    expect(await maxDiff({ uint8: true }, 'rt-uint8')).toBeLessThan(0.25 * spread);
  });
});

describe('convertOnnxFile destination', () => {
  it("refuses the model's own folder (clearing it would delete external data)", async () => {
    const src = join(dir, 'own-folder');
    await cp(model('mnist-pytorch-opset18', 'mnist-external'), src, { recursive: true });
    await expect(convertOnnxFile(join(src, 'mnist.onnx'), src)).rejects.toThrow(/is the folder of/);
    expect((await readdir(src)).sort()).toEqual(['mnist.onnx', 'mnist.onnx.data']);
  });
});

describe('convert super-resolution-10 (symbolic batch, unnamed nodes, Constant nodes)', () => {
  it('writes the expected model.txt', async () => {
    const { lines } = await convertTo(model('super-resolution-10', 'model.onnx'), 'superres');
    // Nodes have no names: the line starts with ':' (the engine names them itself). The batch dim
    // 'batch_size' prints 0; convs keep 224x224; Reshape to the Constant (-1,1,3,3,224,224) leaves
    // the -1 unknown (0), as ONNX's inference without data propagation does; the Transpose permutes.
    const conv = (i: string, w: string, o: string, dims: string, k: number, p: number) =>
      `:Conv*input:${i};conv${w}_2E_weight_nchw.bin(float32:${dims});conv${w}_2E_bias.bin(float32:${dims.split(',')[0]})*output:${o}*dilations:1,1;group:1;kernel_shape:${k},${k};pads:${p},${p},${p},${p};strides:1,1`;
    expect(lines).toEqual([
      conv('input(0,1,224,224)', '1', '9(0,64,224,224)', '64,1,5,5', 5, 2),
      ':Relu*input:9(0,64,224,224)*output:10(0,64,224,224)',
      conv('10(0,64,224,224)', '2', '11(0,64,224,224)', '64,64,3,3', 3, 1),
      ':Relu*input:11(0,64,224,224)*output:12(0,64,224,224)',
      conv('12(0,64,224,224)', '3', '13(0,32,224,224)', '32,64,3,3', 3, 1),
      ':Relu*input:13(0,32,224,224)*output:14(0,32,224,224)',
      conv('14(0,32,224,224)', '4', '15(0,9,224,224)', '9,32,3,3', 3, 1),
      ':Reshape*input:15(0,9,224,224);16.bin(int64:6)*output:17(0,1,3,3,224,224)',
      ':Transpose*input:17(0,1,3,3,224,224)*output:18(0,1,224,3,224,3)*perm:0,1,4,2,5,3',
      ':Reshape*input:18(0,1,224,3,224,3);19.bin(int64:4)*output:output(0,1,672,672)',
    ]);
  });
});

describe('convert mnist-8 (IR 3: initializers also listed as graph inputs)', () => {
  const onnx = model('mnist-8', 'model.onnx');

  it('converts them as weights (onnx2txt refuses such files), with one warning', async () => {
    const { lines, report } = await convertTo(onnx, 'mnist8');
    expect(report.warnings).toEqual([expect.stringContaining('8 weight(s) are also listed as graph inputs')]);
    expect(lines).toHaveLength(12);
    // Reshape of a weight: both inputs are weights, the output an intermediate.
    expect(lines[0]).toBe(
      'Times212_reshape1:Reshape*input:Parameter193.bin(float32:16,4,4,10);Parameter193_5F_reshape1_5F_shape.bin(int64:2)*output:Parameter193_5F_reshape1(256,10)',
    );
    // STRING attributes are written as is (auto_pad: OnnxStream's engine rejects it, the converter does not care).
    expect(lines[1]).toBe(
      'Convolution28:Conv*input:Input3(1,1,28,28);Parameter5_nchw.bin(float32:8,1,5,5)*output:Convolution28_5F_Output_5F_0(1,8,28,28)*kernel_shape:5,5;strides:1,1;auto_pad:SAME_UPPER;group:1;dilations:1,1',
    );
    expect(lines[11]).toBe(
      'Plus214:Add*input:Times212_5F_Output_5F_0(1,10);Parameter194.bin(float32:1,10)*output:Plus214_5F_Output_5F_0(1,10)',
    );
  });

  it('--no-infer-shapes reads the same shapes from its value_info', async () => {
    const a = await convertTo(onnx, 'mnist8-a');
    const b = await convertTo(onnx, 'mnist8-b', { inferShapes: false });
    expect(b.text).toBe(a.text);
  });

  it('--simplify folds the weight-only Reshape into a weight', async () => {
    const { lines, report } = await convertTo(onnx, 'mnist8-s', { simplify: true });
    expect(report.folded).toBe(1);
    expect(lines).toHaveLength(11);
    expect(lines[9]).toBe(
      'Times212:MatMul*input:Pooling160_5F_Output_5F_0_5F_reshape0(1,256);Parameter193_5F_reshape1.bin(float32:256,10)*output:Times212_5F_Output_5F_0(1,10)',
    );
  });

  it('round trip: the folder gives what the .onnx gives', async () => {
    const { out } = await convertTo(onnx, 'mnist8-rt');
    const x = new Tensor(
      'float32',
      new Float32Array(784).map((_, i) => (i % 29) / 29),
      [1, 1, 28, 28],
    );
    const a = await InferenceSession.create(onnx);
    const b = await InferenceSession.create(out);
    const want = (await a.run({ Input3: x })).Plus214_Output_0.data as Float32Array;
    // model.txt names are escaped: the output is Plus214_5F_Output_5F_0.
    const got = (await b.run({ Input3: x })).Plus214_5F_Output_5F_0.data as Float32Array;
    expect(Math.max(...got.map((v, i) => Math.abs(v - want[i])))).toBeLessThan(1e-5);
  });
});

describe('convert ultraface-rfb-320 (IR 4, opset 9, 106 nodes)', () => {
  it('round trip: the folder gives what the .onnx gives', async () => {
    const onnx = model('ultraface-rfb-320', 'version-RFB-320.onnx');
    const { out, lines, report } = await convertTo(onnx, 'ultraface');
    expect(report.warnings).toEqual([]);
    expect(lines).toHaveLength(report.lines);
    expect(lines[0]).toMatch(/^:Conv\*input:input\(1,3,240,320\);.*\*output:246\(1,16,120,160\)\*/);
    const x = new Tensor(
      'float32',
      new Float32Array(3 * 240 * 320).map((_, i) => Math.sin(i * 0.01)),
      [1, 3, 240, 320],
    );
    const a = await InferenceSession.create(onnx);
    const b = await InferenceSession.create(out);
    const ra = await a.run({ input: x });
    const rb = await b.run({ input: x });
    for (const name of ['scores', 'boxes']) {
      expect(rb[name].dims).toEqual(ra[name].dims);
      const w = ra[name].data as Float32Array;
      const g = rb[name].data as Float32Array;
      let m = 0;
      for (let i = 0; i < w.length; i++) m = Math.max(m, Math.abs(g[i] - w[i]));
      expect(m, name).toBeLessThan(1e-4);
    }
  });
});

describe('convert teams-bg-segmentation (Resize with an empty roi initializer)', () => {
  it('writes the empty roi as a zero-byte weight, as onnx2txt does', async () => {
    const { out, lines } = await convertTo(model('teams-bg-segmentation', 'model.onnx'), 'teams');
    // numpy's tofile of an empty array writes an empty file and the token says float32:0. OnnxStream
    // rejects zero-byte weights (spec 1.6 quirk), and so does our model.txt reader: the folder
    // does not load, exactly like OnnxStream's own conversion of this file.
    const resize = lines.find((l) => l.startsWith('Resize_329:'));
    expect(resize).toMatch(
      /^Resize_329:Resize\*input:744\(0,24,0,0\);753\.bin\(float32:0\);fixed_5F_scales_5F_Resize_5F_329_5F_0_5F_520985\.bin\(float32:4\)\*/,
    );
    expect((await stat(join(out, '753.bin'))).size).toBe(0);
    // Symbolic H and W print 0; channel counts are known.
    expect(lines[0]).toMatch(/input:bgrm\(0,4,0,0\);.*output:316\(0,24,0,0\)/);
    await expect(InferenceSession.create(out)).rejects.toThrow(/753\.bin/);
  });
});
