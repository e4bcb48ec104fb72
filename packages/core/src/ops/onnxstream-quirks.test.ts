/**
 * OnnxStream model.txt semantics of the tensor operators (../shared/docs/onnxstream-reference.md §5):
 * model.txt is opset 17 with OnnxStream's own defaults, and attributes arrive as text.
 */
import { describe, expect, it } from 'vitest';
import { MemoryFiles } from '../files/model-files.js';
import { InferenceSession } from '../session/inference-session.js';
import { Tensor } from '../tensor/tensor.js';

const enc = new TextEncoder();
const i64 = (...v: number[]) => new Uint8Array(BigInt64Array.from(v, BigInt).buffer);
const f32 = (n: number, dims: number[]) =>
  new Tensor(
    'float32',
    Float32Array.from({ length: n }, (_, i) => i),
    dims,
  );

/** A session over model.txt text, with `.bin` weight files when the model needs them. */
function session(text: string, weights: Record<string, Uint8Array> = {}): Promise<InferenceSession> {
  if (Object.keys(weights).length === 0)
    return InferenceSession.create(enc.encode(text), { format: 'onnxstream' });
  const files = new MemoryFiles([['model.txt', enc.encode(text)], ...Object.entries(weights)]);
  return InferenceSession.create({ files, entry: 'model.txt' }, { format: 'onnxstream' });
}

async function run(text: string, feeds: Record<string, Tensor>, weights?: Record<string, Uint8Array>) {
  return (await session(text, weights)).run(feeds);
}

describe('OnnxStream model.txt semantics of the tensor operators', () => {
  it('Split defaults to the last axis (ONNX: axis 0), sizes from input 1', async () => {
    const out = await run(
      's:Split*input:x(2,4);sp.bin(int64:2)*output:a(2,1);b(2,3)',
      { x: f32(8, [2, 4]) },
      { 'sp.bin': i64(1, 3) },
    );
    expect(out.a.dims).toEqual([2, 1]);
    expect(Array.from(out.a.data as Float32Array)).toEqual([0, 4]);
    expect(Array.from(out.b.data as Float32Array)).toEqual([1, 2, 3, 5, 6, 7]);
  });

  it('Split keeps an explicit axis', async () => {
    const out = await run(
      's:Split*input:x(2,4);sp.bin(int64:2)*output:a(1,4);b(1,4)*axis:0',
      { x: f32(8, [2, 4]) },
      { 'sp.bin': i64(1, 1) },
    );
    expect(Array.from(out.b.data as Float32Array)).toEqual([4, 5, 6, 7]);
  });

  it('Slice without an axes input slices the last axes (ONNX: the first ones)', async () => {
    const x = f32(24, [2, 3, 4]);
    const one = await run(
      's:Slice*input:x(2,3,4);st.bin(int64:1);en.bin(int64:1)*output:y(2,3,2)',
      { x },
      { 'st.bin': i64(1), 'en.bin': i64(3) },
    );
    // Columns 1..2 of every row: row r starts at 4r.
    expect(Array.from(one.y.data as Float32Array)).toEqual([1, 2, 5, 6, 9, 10, 13, 14, 17, 18, 21, 22]);
    const two = await run(
      's:Slice*input:x(2,3,4);st.bin(int64:2);en.bin(int64:2)*output:y(2,1,2)',
      { x },
      { 'st.bin': i64(2, 0), 'en.bin': i64(3, 2) },
    );
    // Row 2 of each 3x4 block, columns 0..1.
    expect(Array.from(two.y.data as Float32Array)).toEqual([8, 9, 20, 21]);
  });

  it('Slice with an axes input follows it', async () => {
    const out = await run(
      's:Slice*input:x(2,3,4);st.bin(int64:1);en.bin(int64:1);ax.bin(int64:1)*output:y(1,3,4)',
      { x: f32(24, [2, 3, 4]) },
      { 'st.bin': i64(1), 'en.bin': i64(2), 'ax.bin': i64(0) },
    );
    expect(Array.from(out.y.data as Float32Array)).toEqual(Array.from({ length: 12 }, (_, i) => i + 12));
  });

  it('Unsqueeze and Squeeze take their axes as input 1', async () => {
    const out = await run(
      'u:Unsqueeze*input:x(3);a0.bin(int64:2)*output:y(1,3,1)\nq:Squeeze*input:y(1,3,1);a1.bin(int64:1)*output:z(1,3)',
      { x: f32(3, [3]) },
      { 'a0.bin': i64(0, -1), 'a1.bin': i64(2) },
    );
    expect(out.z.dims).toEqual([1, 3]);
    expect(Array.from(out.z.data as Float32Array)).toEqual([0, 1, 2]);
  });

  it('ReduceMean reads its axes attribute (the pre-opset-18 form) from text', async () => {
    const x = new Tensor('float32', [1, 2, 3, 4, 5, 9], [2, 3]);
    const kept = await run('r:ReduceMean*input:x(2,3)*output:y(2,1)*axes:-1;keepdims:1', { x });
    expect(Array.from(kept.y.data as Float32Array)).toEqual([2, 6]);
    const dropped = await run('r:ReduceMean*input:x(2,3)*output:y(3)*axes:0;keepdims:0', { x });
    expect(Array.from(dropped.y.data as Float32Array)).toEqual([2.5, 3.5, 6]);
  });

  it('ConstantOfShape reads its text value as float32', async () => {
    const out = await run(
      'c:ConstantOfShape*input:sh.bin(int64:2)*output:y(2,3)*value:1.5\na:Add*input:y(2,3);x(2,3)*output:z(2,3)',
      { x: f32(6, [2, 3]) },
      { 'sh.bin': i64(2, 3) },
    );
    expect(out.z.type).toBe('float32');
    expect(Array.from(out.z.data as Float32Array)).toEqual([1.5, 2.5, 3.5, 4.5, 5.5, 6.5]);
  });

  it('Gather, Transpose and Concat with text attributes', async () => {
    const out = await run(
      [
        'g:Gather*input:x(3,2);ix.bin(int64:2)*output:y(2,2)*axis:0',
        't:Transpose*input:y(2,2)*output:t(2,2)*perm:1,0',
        'c:Concat*input:t(2,2);y(2,2)*output:z(2,4)*axis:-1',
      ].join('\n'),
      { x: f32(6, [3, 2]) },
      { 'ix.bin': i64(-1, 0) },
    );
    // y = rows 2 and 0 = [[4,5],[0,1]]; t = [[4,0],[5,1]].
    expect(Array.from(out.z.data as Float32Array)).toEqual([4, 0, 4, 5, 5, 1, 0, 1]);
  });
});
