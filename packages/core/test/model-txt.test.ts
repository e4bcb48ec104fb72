import { describe, expect, it } from 'vitest';
import { parseModelTxt } from '../src/formats/onnxstream/model-txt.js';
import { InferenceSession, MemoryFiles, ModelFormatError, readModelTxt, Tensor } from '../src/index.js';

const enc = new TextEncoder();
const f32 = (...v: number[]) => new Uint8Array(new Float32Array(v).buffer);
const i64 = (...v: number[]) => new Uint8Array(BigInt64Array.from(v, BigInt).buffer);

function folder(text: string, files: Record<string, Uint8Array> = {}) {
  return new MemoryFiles([['model.txt', enc.encode(text)], ...Object.entries(files)], 'testmodel');
}

describe('model.txt grammar', () => {
  it('splits lines on CR, LF and CRLF and skips blank lines', () => {
    const text =
      'a:Relu*input:x(2)*output:y(2)\r\n\r\nb:Relu*input:y(2)*output:z(2)\rc:Relu*input:z(2)*output:w(2)\n\n';
    expect(parseModelTxt(text).map((o) => o.name)).toEqual(['a', 'b', 'c']);
  });

  it('names an unnamed op after its byte offset, as OnnxStream does', () => {
    const text = 'a:Relu*input:x(2)*output:y(2)\n:Relu*input:y(2)*output:z(2)';
    expect(parseModelTxt(text)[1].name).toBe('onnxstream_fallback_name_30');
  });

  it('keeps empty optional inputs, dtypes, quantisation and rank-0 weights', () => {
    const [op] = parseModelTxt(
      'r:Resize*input:x(1,2,3,4);;s.bin(float32:4);q.bin(uint8[0.0035054587850383684,134]:4,4,1,1);k.bin(float32:)*output:y(1,2,6,8)*mode:nearest',
    );
    expect(op.inputs[1]).toBeNull();
    expect(op.inputs[2]).toEqual({ name: 's.bin', type: 'float32', quant: undefined, dims: [4] });
    expect(op.inputs[3]?.quant).toEqual({ scale: 0.0035054587850383684, zeroPoint: 134 });
    expect(op.inputs[4]).toEqual({ name: 'k.bin', type: 'float32', quant: undefined, dims: undefined });
    expect(op.attrs.get('mode')).toBe('nearest');
  });

  it('reads 0 dims and () as unknown (dynamic shapes)', () => {
    const [op] = parseModelTxt('t:Transpose*input:x()*output:y(0,3,0)*perm:0,2,1');
    expect(op.inputs[0]?.dims).toBeUndefined();
    expect(op.outputs[0]?.dims).toEqual([null, 3, null]);
  });

  it.each([
    ['a:Relu*input:x(2)', /model\.txt:1: expected 3 or 4 '\*'-separated parts/],
    ['a:b:Relu*input:x(2)*output:y(2)', /model\.txt:1: expected 'name:OpType'/],
    ['a:Relu*inputs:x(2)*output:y(2)', /must start with 'input:'/],
    ['a:Relu*input:x(2*output:y(2)*k:v', /malformed tensor 'x\(2'/],
    ['a:Relu*input:x(-2)*output:y(2)', /bad dimension '-2'/],
    ['a:Relu*input:x(float33:2)*output:y(2)', /unknown dtype 'float33'/],
    ['a:Relu*input:x(2)*output:y(2)*axis:1:2', /attribute 'axis:1:2' must be 'key:value'/],
    ['a:Relu*input:x(2)*output:y(2)\nb:Relu*input:y(2)*output', /model\.txt:2: /],
  ])('rejects %j with the file and line', (text, message) => {
    expect(() => parseModelTxt(text)).toThrow(ModelFormatError);
    expect(() => parseModelTxt(text)).toThrow(message);
  });
});

describe('model folders', () => {
  it('derives inputs (first use) and outputs (never consumed), and streams big weights', async () => {
    const w = new Float32Array(32).map((_, i) => i / 8);
    const g = await readModelTxt(
      folder(
        'm:Mul*input:x(32);w.bin(float32:32)*output:y(32)\na:Add*input:y(32);b.bin(float32:)*output:z(32)',
        {
          'w.bin': new Uint8Array(w.buffer),
          'b.bin': f32(0.5),
        },
      ),
      'model.txt',
    );
    expect(g.inputs.map((i) => [i.name, i.dims])).toEqual([['x', [32]]]);
    expect(g.outputs.map((o) => o.name)).toEqual(['z']);
    expect([...g.weights.keys()]).toEqual(['w.bin']);
    // A rank-0 weight is tiny: read at load time and kept as a constant.
    expect(g.constants.get('b.bin')?.dims).toEqual([]);
  });

  it('reads _nchw conv weights from their _nhwc twin when only that exists, and agrees with the NCHW file', async () => {
    // 2 output channels, 3 input channels, 2x2 kernel; OIHW values 0..23.
    const oihw = new Float32Array(24).map((_, i) => i - 11);
    const ohwi = new Float32Array(24);
    for (let o = 0; o < 2; o++)
      for (let i = 0; i < 3; i++)
        for (let h = 0; h < 2; h++)
          for (let x = 0; x < 2; x++)
            ohwi[((o * 2 + h) * 2 + x) * 3 + i] = oihw[((o * 3 + i) * 2 + h) * 2 + x];
    const text =
      'c:Conv*input:x(1,3,3,3);w_nchw.bin(float32:2,3,2,2)*output:y(1,2,2,2)*dilations:1,1;group:1;kernel_shape:2,2;pads:0,0,0,0;strides:1,1';
    const x = new Tensor(
      'float32',
      new Float32Array(27).map((_, i) => (i % 5) - 2),
      [1, 3, 3, 3],
    );
    const viaNhwc = await InferenceSession.create({
      files: folder(text, { 'w_nhwc.bin': new Uint8Array(ohwi.buffer) }),
      entry: 'model.txt',
    });
    expect([...viaNhwc.graph.weights.values()].map((w) => [w.name, w.file, w.dims])).toEqual([
      ['w_nchw.bin', 'w_nhwc.bin', [2, 3, 2, 2]],
    ]);
    const viaNchw = await InferenceSession.create({
      files: folder(text, { 'w_nchw.bin': new Uint8Array(oihw.buffer) }),
      entry: 'model.txt',
    });
    const a = (await viaNhwc.run({ x })).y.data as Float32Array;
    const b = (await viaNchw.run({ x })).y.data as Float32Array;
    expect([...a]).toEqual([...b]);
    // y[0,0,0,0] by hand: sum over i,h,w of W[0,i,h,w] * x[0,i,h,w].
    let expected = 0;
    for (let i = 0; i < 3; i++)
      for (let h = 0; h < 2; h++)
        for (let w = 0; w < 2; w++) expected += oihw[(i * 2 + h) * 2 + w] * ((((i * 3 + h) * 3 + w) % 5) - 2);
    expect(a[0]).toBe(expected);
  });

  it('returns an output that a later op also consumes when asked for it by name', async () => {
    const s = await InferenceSession.create({
      files: folder('a:Add*input:x(2);one.bin(float32:)*output:y(2)\nb:Mul*input:y(2);y(2)*output:z(2)', {
        'one.bin': f32(1),
      }),
      entry: 'model.txt',
    });
    expect(s.outputNames).toEqual(['z']);
    const x = new Tensor('float32', [1, 2], [2]);
    expect((await s.run({ x })).z.data).toEqual(new Float32Array([4, 9]));
    const both = await s.run({ x }, { outputs: ['y', 'z'] });
    expect(both.y.data).toEqual(new Float32Array([2, 3]));
    expect(both.z.data).toEqual(new Float32Array([4, 9]));
  });

  it('accepts unescaped ONNX names for escaped model.txt inputs', async () => {
    const s = await InferenceSession.create({
      files: folder('a:Add*input:input_5F_ids(2);one.bin(float32:)*output:out_5F_0(2)', {
        'one.bin': f32(1),
      }),
      entry: 'model.txt',
    });
    const x = new Tensor('float32', [1, 2], [2]);
    expect((await s.run({ input_ids: x })).out_5F_0.data).toEqual(new Float32Array([2, 3]));
    // An output asked for by its unescaped name comes back under that name.
    const asked = await s.run({ input_ids: x }, { outputs: ['out_0'] });
    expect(Object.keys(asked)).toEqual(['out_0']);
    expect(asked.out_0.data).toEqual(new Float32Array([2, 3]));
  });

  it('checks computed shapes against the declared ones', async () => {
    const s = await InferenceSession.create({
      files: folder('r:Reshape*input:x(6);shape.bin(int64:2)*output:y(2,4)', { 'shape.bin': i64(2, 3) }),
      entry: 'model.txt',
    });
    await expect(s.run({ x: new Tensor('float32', new Float32Array(6), [6]) })).rejects.toThrow(
      /Reshape 'r' \(model\.txt:1\): output 'y' is declared \[2,4\] but computes \[2,3\]/,
    );
  });

  it('reports a truncated weight file with the operator and file name', async () => {
    const s = await InferenceSession.create({
      files: folder('m:Mul*input:x(32);w.bin(float32:32)*output:y(32)', { 'w.bin': new Uint8Array(100) }),
      entry: 'model.txt',
    });
    await expect(s.run({ x: new Tensor('float32', new Float32Array(32), [32]) })).rejects.toThrow(
      /Mul 'm' \(model\.txt:1\): cannot load weights: file 'w\.bin' in testmodel is too short: need bytes 0\.\.128, it has 100/,
    );
  });

  it('refuses weight names that leave the model folder', async () => {
    await expect(
      readModelTxt(folder('m:Mul*input:x(1);../up.bin(float32:)*output:y(1)'), 'model.txt'),
    ).rejects.toThrow(/'\.\.\/up\.bin' refused: '\.\.' would leave the model folder/);
  });
});
