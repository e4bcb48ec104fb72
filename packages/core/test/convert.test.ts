/**
 * The ONNX -> OnnxStream converter against expectations derived by hand from the reference spec
 * (onnxstream-reference.md section 1, the model folder format, and section 2, onnx2txt.ipynb):
 * small models built here, whose every model.txt line and .bin byte is written out below.
 */
import { describe, expect, it } from 'vitest';
import { MemoryFiles, type ModelFiles, Tensor } from '../src/index.js';
import {
  type ConvertOptions,
  convertOnnxModel,
  encodeOnnxModel,
  MemoryOutput,
  type OnnxModelSpec,
  pyFloatRepr,
  quantizeUint8,
} from '../src/onnx.js';

async function convert(spec: OnnxModelSpec, options: ConvertOptions = {}) {
  const { model, externalData } = encodeOnnxModel(spec);
  const files: [string, Uint8Array][] = [['m.onnx', model]];
  if (externalData && spec.external) files.push([spec.external, externalData]);
  const out = new MemoryOutput();
  const report = await convertOnnxModel(new MemoryFiles(files), 'm.onnx', out, options);
  const text = new TextDecoder().decode(out.files.get('model.txt'));
  return { lines: text.split('\n'), text, files: out.files, report };
}

const f32 = (...v: number[]) => new Uint8Array(new Float32Array(v).buffer);
const i64 = (...v: number[]) => new Uint8Array(new BigInt64Array(v.map(BigInt)).buffer);
const u16 = (...v: number[]) => new Uint8Array(new Uint16Array(v).buffer);
const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);

describe("pyFloatRepr (Python's str(float))", () => {
  it('prints shortest round-trip digits in the Python layout', () => {
    expect(pyFloatRepr(1)).toBe('1.0');
    expect(pyFloatRepr(-0.75)).toBe('-0.75');
    expect(pyFloatRepr(0)).toBe('0.0');
    expect(pyFloatRepr(-0)).toBe('-0.0');
    // float32 attributes are promoted to double before printing (spec 2, item 6).
    expect(pyFloatRepr(Math.fround(1e-5))).toBe('9.999999747378752e-06');
    expect(pyFloatRepr(Math.fround(0.1))).toBe('0.10000000149011612');
    // Positional for decimal exponents -4..15, scientific (two-digit exponent at least) outside.
    expect(pyFloatRepr(0.0001)).toBe('0.0001');
    expect(pyFloatRepr(0.00001)).toBe('1e-05');
    expect(pyFloatRepr(1e15)).toBe('1000000000000000.0');
    expect(pyFloatRepr(1e16)).toBe('1e+16');
    expect(pyFloatRepr(1.5e300)).toBe('1.5e+300');
    expect(pyFloatRepr(123.456)).toBe('123.456');
    expect(pyFloatRepr(Number.POSITIVE_INFINITY)).toBe('inf');
    expect(pyFloatRepr(Number.NaN)).toBe('nan');
    // The scale printed in the reference's uint8 example.
    expect(pyFloatRepr(0.0035054587850383684)).toBe('0.0035054587850383684');
  });
});

describe("quantizeUint8 (onnx2txt's quantize)", () => {
  it('uses the 0.1 % percentiles, a range containing 0, a truncated zero point and truncated values', () => {
    // n = 3: k = int(3 * 0.001) = 0, so left = min = -1, right = max = 3; scale = 4/255;
    // zero = int(1 / scale) = int(63.75) = 63; q = trunc(v / scale + 63) in float32:
    // -1 -> -0.75 -> clipped to 0; 0.5 -> 94.87 -> 94; 3 -> 254.25 -> 254.
    const q = quantizeUint8(new Float32Array([-1, 0.5, 3]));
    expect(q?.dtype).toBe('uint8[0.01568627450980392,63]');
    expect([...(q?.data ?? [])]).toEqual([0, 94, 254]);
  });

  it('drops the extreme 0.1 % on each side', () => {
    // n = 2000 values -4..1995 with the ends replaced by -1e6 and 1e6: k = int(2000 * 0.001) = 2, so
    // left = s[2] = -2 and right = s[int(-2 - 1)] = s[-3] = 1993; outliers saturate at 0 and 255.
    const a = new Float32Array(range(2000, -4));
    a[0] = -1e6;
    a[1999] = 1e6;
    const q = quantizeUint8(a);
    const scale = (1993 - -2) / 255;
    expect(q?.dtype).toBe(`uint8[${pyFloatRepr(scale)},${Math.trunc(2 / scale)}]`);
    expect(q?.data[0]).toBe(0);
    expect(q?.data[1999]).toBe(255);
  });

  it('single values become byte 1 with scale |v| and zero 0 or 2; constants stay float32', () => {
    expect(quantizeUint8(new Float32Array([2]))).toMatchObject({
      dtype: 'uint8[2.0,0]',
      data: Uint8Array.of(1),
    });
    expect(quantizeUint8(new Float32Array([-3]))).toMatchObject({
      dtype: 'uint8[3.0,2]',
      data: Uint8Array.of(1),
    });
    // All equal: the range is [0, 5]... unless all are 0: right <= left keeps float32.
    expect(quantizeUint8(new Float32Array([0, 0, 0]))).toBeUndefined();
    expect(quantizeUint8(new Float32Array([Number.NaN, 1]))).toBeUndefined();
  });
});

/**
 * Model A: escaping, Constant nodes, Gemm transB, Mul's int64 input 1, float attributes, a
 * symbolic batch dim (written 0).
 */
const MODEL_A: OnnxModelSpec = {
  opset: 13,
  inputs: [{ name: 'x', type: 'float32', dims: ['N', 4] }],
  outputs: [{ name: 'y', type: 'float32', dims: ['N', 3] }],
  initializers: {
    W: new Tensor('float32', range(12, 1), [3, 4]),
    b: new Tensor('float32', [-1, 0.5, 3], [3]),
    k: new Tensor('int64', [2n], []),
    neg: new Tensor('float32', [-3], []),
  },
  nodes: [
    {
      name: 'c0',
      op: 'Constant',
      inputs: [],
      outputs: ['cst.0'],
      attrs: { value: { t: new Tensor('float32', [0.5], []) } },
    },
    {
      name: 'gemm/0',
      op: 'Gemm',
      inputs: ['x', 'W', 'b'],
      outputs: ['g:0'],
      attrs: { alpha: { f: 0.1 }, transB: { i: 1 } },
    },
    { name: 'mul', op: 'Mul', inputs: ['g:0', 'k'], outputs: ['m'] },
    { name: 'mul2', op: 'Mul', inputs: ['m', 'cst.0'], outputs: ['m2'] },
    { name: 'lrelu', op: 'LeakyRelu', inputs: ['m2'], outputs: ['l'], attrs: { alpha: { f: 0.01 } } },
    { name: 'sub', op: 'Sub', inputs: ['l', 'neg'], outputs: ['y'] },
  ],
};

// W (3,4) = 1..12 transposed to (4,3): column j of W becomes row j.
const W_T = [1, 5, 9, 2, 6, 10, 3, 7, 11, 4, 8, 12];

describe('convert: model A (float32)', () => {
  it('writes the lines onnx2txt writes', async () => {
    const { text, report } = await convert(MODEL_A);
    expect(text).toBe(
      [
        // The Constant node is no line: its tensor becomes cst_2E_0.bin. Op names are raw, tensor
        // names escaped (':' -> _3A_, '.' -> _2E_). transB is dropped and W transposed to (4,3),
        // '_transposed' appended. alpha is float32 0.1 printed as a Python double. The symbolic
        // batch N is printed 0.
        'gemm/0:Gemm*input:x(0,4);W_transposed.bin(float32:4,3);b.bin(float32:3)*output:g_3A_0(0,3)*alpha:0.10000000149011612',
        // Mul's int64 input 1 is cast to float32; rank-0 weights have an empty shape.
        'mul:Mul*input:g_3A_0(0,3);k.bin(float32:)*output:m(0,3)',
        'mul2:Mul*input:m(0,3);cst_2E_0.bin(float32:)*output:m2(0,3)',
        'lrelu:LeakyRelu*input:m2(0,3)*output:l(0,3)*alpha:0.009999999776482582',
        // The graph output's shape comes from graph.output.
        'sub:Sub*input:l(0,3);neg.bin(float32:)*output:y(0,3)',
        '',
      ].join('\n'),
    );
    expect([...report.opCounts]).toEqual([
      ['Gemm', 1],
      ['Mul', 2],
      ['LeakyRelu', 1],
      ['Sub', 1],
    ]);
    expect(report.warnings).toEqual([]);
  });

  it('writes raw little-endian .bin files', async () => {
    const { files } = await convert(MODEL_A);
    expect([...files.keys()].sort()).toEqual(
      ['W_transposed.bin', 'b.bin', 'cst_2E_0.bin', 'k.bin', 'model.txt', 'neg.bin'].sort(),
    );
    expect(files.get('W_transposed.bin')).toEqual(f32(...W_T));
    expect(files.get('b.bin')).toEqual(f32(-1, 0.5, 3));
    expect(files.get('k.bin')).toEqual(f32(2));
    expect(files.get('cst_2E_0.bin')).toEqual(f32(0.5));
    expect(files.get('neg.bin')).toEqual(f32(-3));
  });

  it('--fp16 writes every float32 weight (also the cast Mul input) as IEEE half', async () => {
    const { lines, files } = await convert(MODEL_A, { fp16: true });
    expect(lines[0]).toContain('W_transposed.bin(float16:4,3);b.bin(float16:3)');
    expect(lines[1]).toContain('k.bin(float16:)');
    // 1..12 as halves: 1 = 0x3C00, 2 = 0x4000, 3 = 0x4200, 4 = 0x4400, 5..8 = 0x4500..0x4800,
    // 9 = 0x4880, 10 = 0x4900, 11 = 0x4980, 12 = 0x4A00.
    const h = [
      0, 0x3c00, 0x4000, 0x4200, 0x4400, 0x4500, 0x4600, 0x4700, 0x4800, 0x4880, 0x4900, 0x4980, 0x4a00,
    ];
    expect(files.get('W_transposed.bin')).toEqual(u16(...W_T.map((v) => h[v])));
    expect(files.get('b.bin')).toEqual(u16(0xbc00, 0x3800, 0x4200));
    expect(files.get('k.bin')).toEqual(u16(0x4000));
  });

  it('--uint8 quantizes float32 weights per tensor', async () => {
    const { lines, files } = await convert(MODEL_A, { uint8: true });
    // W = 1..12: n = 12, k = 0, left = 1 > 0 and right = 12 > 0 so left = 0; scale = 12/255;
    // zero = 0; q = trunc(v * 21.25) in float32 = 21, 42, 63, 85, 106, 127, 148, 170, 191, 212, 233, 255
    // (3 * 21.25 = 63.75 -> 63: truncation, not rounding), then transposed like the float weight.
    // b = [-1, 0.5, 3] as in the quantizeUint8 test. Single values: byte 1, scale |v|, zero 0 or 2.
    expect(lines[0]).toBe(
      'gemm/0:Gemm*input:x(0,4);W_transposed.bin(uint8[0.047058823529411764,0]:4,3);b.bin(uint8[0.01568627450980392,63]:3)*output:g_3A_0(0,3)*alpha:0.10000000149011612',
    );
    expect(lines[1]).toBe('mul:Mul*input:g_3A_0(0,3);k.bin(uint8[2.0,0]:)*output:m(0,3)');
    expect(lines[2]).toBe('mul2:Mul*input:m(0,3);cst_2E_0.bin(uint8[0.5,0]:)*output:m2(0,3)');
    expect(lines[4]).toBe('sub:Sub*input:l(0,3);neg.bin(uint8[3.0,2]:)*output:y(0,3)');
    const q = [0, 21, 42, 63, 85, 106, 127, 148, 170, 191, 212, 233, 255];
    expect(files.get('W_transposed.bin')).toEqual(Uint8Array.from(W_T.map((v) => q[v])));
    expect(files.get('b.bin')).toEqual(Uint8Array.of(0, 94, 254));
    expect(files.get('neg.bin')).toEqual(Uint8Array.of(1));
  });

  it('--fp16 with --uint8 quantizes nothing (fp16 comes first)', async () => {
    const both = await convert(MODEL_A, { fp16: true, uint8: true });
    const fp16 = await convert(MODEL_A, { fp16: true });
    expect(both.text).toBe(fp16.text);
    expect(both.files).toEqual(fp16.files);
  });

  it('reads weights from external data the same way', async () => {
    const inline = await convert(MODEL_A);
    const external = await convert({ ...MODEL_A, external: 'm.onnx.data' });
    expect(external.text).toBe(inline.text);
    expect(external.files).toEqual(inline.files);
  });
});

/** Model B: Conv1D weight pair, a skipped bias, a one-element tensor attribute, string attributes. */
const W_B = range(24); // (O=4, I=2, K=3)
const MODEL_B: OnnxModelSpec = {
  opset: 13,
  inputs: [{ name: 'x', type: 'float32', dims: [1, 2, 5] }],
  outputs: [{ name: 'y', type: 'float32', dims: [1, 4, 5] }],
  initializers: {
    W: new Tensor('float32', W_B, [4, 2, 3]),
    B: new Tensor('float32', [0.5, -0.5, 1, 2], [4]),
    s: new Tensor('int64', [1n, 4n, 5n], [3]),
  },
  nodes: [
    {
      name: 'conv1d',
      op: 'Conv',
      inputs: ['x', 'W', 'B'],
      outputs: ['c'],
      attrs: {
        kernel_shape: { ints: [3] },
        pads: { ints: [1, 1] },
        strides: { ints: [1] },
        auto_pad: { s: 'NOTSET' },
      },
    },
    {
      name: 'cos',
      op: 'ConstantOfShape',
      inputs: ['s'],
      outputs: ['z'],
      attrs: { value: { t: new Tensor('float32', [0.25], [1]) } },
    },
    { name: 'add', op: 'Add', inputs: ['c', 'z'], outputs: ['y'] },
  ],
};

describe('convert: model B (Conv1D)', () => {
  it('writes the _nchw/_nhwc pair with a trailing unit axis and infers shapes', async () => {
    const { text, files } = await convert(MODEL_B);
    expect(text).toBe(
      [
        // Conv input 1: (4,2,3) -> (4,2,3,1); model.txt names the _nchw file and the NCHW shape.
        // Conv1D over length 5, kernel 3, pads 1,1 keeps length 5.
        'conv1d:Conv*input:x(1,2,5);W_nchw.bin(float32:4,2,3,1);B.bin(float32:4)*output:c(1,4,5)*kernel_shape:3;pads:1,1;strides:1;auto_pad:NOTSET',
        // int64 weights stay int64; a one-element TENSOR attribute prints str(value).
        'cos:ConstantOfShape*input:s.bin(int64:3)*output:z(1,4,5)*value:0.25',
        'add:Add*input:c(1,4,5);z(1,4,5)*output:y(1,4,5)',
        '',
      ].join('\n'),
    );
    expect(files.get('W_nchw.bin')).toEqual(f32(...W_B));
    // _nhwc = transpose (0,2,3,1) of (O,I,K,1): element (o,k,0,i) = W[o][i][k].
    const nhwc: number[] = [];
    for (let o = 0; o < 4; o++)
      for (let k = 0; k < 3; k++) for (let i = 0; i < 2; i++) nhwc.push(W_B[o * 6 + i * 3 + k]);
    expect(files.get('W_nhwc.bin')).toEqual(f32(...nhwc));
    expect(files.get('B.bin')).toEqual(f32(0.5, -0.5, 1, 2));
    expect(files.get('s.bin')).toEqual(i64(1, 4, 5));
  });

  it('--uint8 quantizes the Conv weight pair but never the Conv bias (input 2)', async () => {
    const { lines, files } = await convert(MODEL_B, { uint8: true });
    // W = 0..23: left = 0, right = 23, scale = 23/255, zero = 0, q = trunc(v * 255/23).
    expect(lines[0]).toContain('W_nchw.bin(uint8[0.09019607843137255,0]:4,2,3,1);B.bin(float32:4)');
    const q = files.get('W_nchw.bin');
    expect(q?.[0]).toBe(0);
    expect(q?.[1]).toBe(11); // 255/23 = 11.09
    expect(q?.[23]).toBe(255);
  });
});

describe('convert: --simplify', () => {
  // y = Reshape(x, Concat(Unsqueeze(Gather(Shape(x), 0)), [-1])): torch's flatten arithmetic.
  const spec: OnnxModelSpec = {
    opset: 13,
    inputs: [{ name: 'x', type: 'float32', dims: [1, 3, 4, 4] }],
    outputs: [{ name: 'y', type: 'float32', dims: [1, 48] }],
    initializers: {
      zero: new Tensor('int64', [0n], []),
      ax: new Tensor('int64', [0n], [1]),
      minus1: new Tensor('int64', [-1n], [1]),
    },
    nodes: [
      { name: 'shape', op: 'Shape', inputs: ['x'], outputs: ['s'] },
      { name: 'gather', op: 'Gather', inputs: ['s', 'zero'], outputs: ['g'], attrs: { axis: { i: 0 } } },
      { name: 'unsq', op: 'Unsqueeze', inputs: ['g', 'ax'], outputs: ['u'] },
      { name: 'cat', op: 'Concat', inputs: ['u', 'minus1'], outputs: ['c'], attrs: { axis: { i: 0 } } },
      { name: 'reshape', op: 'Reshape', inputs: ['x', 'c'], outputs: ['y'] },
    ],
  };

  it('without it, every node is a line and computed shapes are not data-propagated', async () => {
    const { lines } = await convert(spec);
    expect(lines.slice(0, 5)).toEqual([
      'shape:Shape*input:x(1,3,4,4)*output:s(4)',
      'gather:Gather*input:s(4);zero.bin(int64:)*output:g()*axis:0',
      'unsq:Unsqueeze*input:g();ax.bin(int64:1)*output:u(1)',
      'cat:Concat*input:u(1);minus1.bin(int64:1)*output:c(2)*axis:0',
      'reshape:Reshape*input:x(1,3,4,4);c(2)*output:y(1,48)',
    ]);
  });

  it('with it, the shape arithmetic becomes one int64 weight named after its value', async () => {
    const { text, files, report } = await convert(spec, { simplify: true });
    expect(text).toBe('reshape:Reshape*input:x(1,3,4,4);c.bin(int64:2)*output:y(1,48)\n');
    expect(files.get('c.bin')).toEqual(i64(1, -1));
    expect(report.folded).toBe(4);
  });
});

describe('convert: shape inference with symbolic dims', () => {
  it('keeps what does not depend on them, as ONNX does, and prints the rest as 0', async () => {
    // x is (B, S, 4); pos (1, 3, 4) broadcast against it fixes S = 3 (ONNX merges symbolic S with 3);
    // the Reshape to (0, -1) copies B, and the -1 is 3 * 4 = 12 whatever B is (ONNX's Reshape
    // inference cancels a symbolic dim copied by a 0 the same way).
    const spec: OnnxModelSpec = {
      opset: 13,
      inputs: [{ name: 'x', type: 'float32', dims: ['B', 'S', 4] }],
      outputs: [{ name: 'y', type: 'float32', dims: ['B', null] }],
      initializers: {
        pos: new Tensor('float32', range(12), [1, 3, 4]),
        shape: new Tensor('int64', [0n, -1n], [2]),
      },
      nodes: [
        { name: 'add', op: 'Add', inputs: ['x', 'pos'], outputs: ['a'] },
        { name: 'flat', op: 'Reshape', inputs: ['a', 'shape'], outputs: ['y'] },
      ],
    };
    const { lines } = await convert(spec);
    expect(lines.slice(0, 2)).toEqual([
      'add:Add*input:x(0,0,4);pos.bin(float32:1,3,4)*output:a(0,3,4)',
      'flat:Reshape*input:a(0,3,4);shape.bin(int64:2)*output:y(0,12)',
    ]);
  });
});

describe('convert: errors and leniency', () => {
  it('refuses weights of types OnnxStream cannot store', async () => {
    const spec: OnnxModelSpec = {
      inputs: [{ name: 'x', type: 'int32', dims: [2] }],
      outputs: [{ name: 'y', type: 'int32', dims: [2] }],
      initializers: { w: new Tensor('int32', [1, 2], [2]) },
      nodes: [{ op: 'Add', inputs: ['x', 'w'], outputs: ['y'] }],
    };
    await expect(convert(spec)).rejects.toThrow(
      /int32; OnnxStream weights must be float32, float16 or int64/,
    );
  });

  it("refuses '*' in a line and unsupported attribute types", async () => {
    const star: OnnxModelSpec = {
      inputs: [{ name: 'x', type: 'float32', dims: [2] }],
      outputs: [{ name: 'y', type: 'float32', dims: [2] }],
      nodes: [{ name: 'a*b', op: 'Relu', inputs: ['x'], outputs: ['y'] }],
    };
    await expect(convert(star)).rejects.toThrow(/'\*'/);
    const floats: OnnxModelSpec = {
      ...star,
      nodes: [{ name: 'r', op: 'Relu', inputs: ['x'], outputs: ['y'], attrs: { f: { floats: [1, 2] } } }],
    };
    await expect(convert(floats)).rejects.toThrow(/attribute 'f'/);
  });

  it('writes unknown shapes as () with a warning (onnx2txt would stop)', async () => {
    const spec: OnnxModelSpec = {
      inputs: [{ name: 'x', type: 'float32', dims: [2] }],
      outputs: [{ name: 'y', type: 'float32', dims: [2] }],
      nodes: [
        { name: 'a', op: 'Relu', inputs: ['x'], outputs: ['t'] },
        { name: 'b', op: 'Relu', inputs: ['t'], outputs: ['y'] },
      ],
    };
    // With inference, t is (2); without it (no value_info in the file) its shape is unknown.
    expect((await convert(spec)).lines[0]).toBe('a:Relu*input:x(2)*output:t(2)');
    const raw = await convert(spec, { inferShapes: false });
    expect(raw.lines[0]).toBe('a:Relu*input:x(2)*output:t()');
    expect(raw.report.warnings).toEqual([expect.stringContaining("no shape known for 't'")]);
  });
});

describe('convert: large weights stream', () => {
  it('copies (and casts) big weights in chunks of at most 16 MiB, never whole', async () => {
    const n = 5_000_000; // 20 MB of float32, in an external-data file
    const w = new Float32Array(n).map((_, i) => (i % 1000) / 8);
    const spec: OnnxModelSpec = {
      inputs: [{ name: 'x', type: 'float32', dims: [n] }],
      outputs: [{ name: 'y', type: 'float32', dims: [n] }],
      initializers: { w: new Tensor('float32', w, [n]) },
      nodes: [{ name: 'add', op: 'Add', inputs: ['x', 'w'], outputs: ['y'] }],
      external: 'm.onnx.data',
    };
    const { model, externalData } = encodeOnnxModel(spec);
    const reads: number[] = [];
    const files = new MemoryFiles([
      ['m.onnx', model],
      ['m.onnx.data', externalData as Uint8Array],
    ]);
    const spy: ModelFiles = {
      root: files.root,
      size: (path) => files.size(path),
      exists: (path) => files.exists(path),
      read: (path, offset, length) => {
        if (path === 'm.onnx.data') reads.push(length);
        return files.read(path, offset, length);
      },
    };
    const out = new MemoryOutput();
    await convertOnnxModel(spy, 'm.onnx', out);
    expect(Math.max(...reads)).toBeLessThanOrEqual(16 * 1024 * 1024);
    expect(reads.reduce((a, b) => a + b, 0)).toBe(n * 4);
    // (Buffer#equals: a deep toEqual on 20 MB would be slow and memory-hungry.)
    expect(Buffer.from(out.files.get('w.bin') ?? []).equals(Buffer.from(w.buffer))).toBe(true);
    const half = new MemoryOutput();
    await convertOnnxModel(spy, 'm.onnx', half, { fp16: true });
    const h = new Uint16Array(half.files.get('w.bin')?.slice().buffer ?? new ArrayBuffer(0));
    expect(h.length).toBe(n);
    // (i % 1000) / 8 is exact in half precision up to 124.875: e.g. 999/8 = 124.875 = 0x57CE.
    expect(h[999]).toBe(0x57ce);
    expect(h[1]).toBe(0x3000); // 0.125
  });
});
