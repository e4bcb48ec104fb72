import { describe, expect, it } from 'vitest';
import type { Backend } from '../src/backend/backend.js';
import { referenceBackend } from '../src/backend/reference.js';
import { InferenceSession, MemoryFiles, Tensor } from '../src/index.js';
import { encodeOnnxModel } from '../src/onnx.js';
import { castTensor } from '../src/tensor/convert.js';

/** A backend with float32 Mul and Add kernels only (and the Casts between float16 and float32). */
function float32Backend(ran: string[]): Backend {
  return {
    name: 'f32only',
    supports: (node, types) =>
      (['Mul', 'Add', 'Cast'].includes(node.opType) && types.every((t) => t !== 'float16')) ||
      (node.opType === 'Cast' && types[0] === 'float16'),
    run(call) {
      ran.push(`${call.node.opType}:${call.inputs.map((t) => t?.type).join(',')}`);
      return referenceBackend.run(call);
    },
  };
}

const f32 = (values: number[]) => new Uint8Array(Float32Array.from(values).buffer);

describe('float16 operators on a backend with float32 kernels only', () => {
  it('run there between casts, weights loaded as float32, each result rounded to float16', async () => {
    // y = (x * w) + c: w is a streamed weight (more than 16 elements), c a model constant.
    const model =
      'm:Mul*input:x(20);w.bin(float32:20)*output:p(20)\na:Add*input:p(20);c.bin(float32:1)*output:y(20)\n';
    const files = () =>
      new MemoryFiles([
        ['model.txt', new TextEncoder().encode(model)],
        ['w.bin', f32([1.0001, 3, 1 / 3, ...Array(17).fill(0.5)])],
        ['c.bin', f32([1e-4])],
      ]);
    const ran: string[] = [];
    const x = new Tensor('float32', [1, 1000, 3, ...Array(17).fill(2)], [20]);
    const session = await InferenceSession.create(
      { files: files(), entry: 'model.txt' },
      { backend: float32Backend(ran), fp16Arithmetic: true },
    );
    const { y } = await session.run({ x });
    const reference = await InferenceSession.create(
      { files: files(), entry: 'model.txt' },
      { backend: 'reference', fp16Arithmetic: true },
    );
    const expected = (await reference.run({ x })).y;
    // Rounding the float32 result of each operator to float16 is what the float16 kernels do.
    expect([...(y.data as Float32Array)]).toEqual([...(expected.data as Float32Array)]);
    // 1 * fp16(1.0001) = 1 (fp16 step 2^-10 above 1); + 1e-4 -> 1. 1000 * 3 + 1e-4 -> 3000.
    // fp16(1/3) = 0.333251953125; times 3 = 0.999755859375, halfway between the fp16 neighbours
    // 0.99951171875 and 1: ties to even give 1; + 1e-4 -> 1. 2 * 0.5 + 1e-4 -> 1.
    expect([...(y.data as Float32Array)]).toEqual([1, 3000, ...Array(18).fill(1)]);
    // The session casts the feed to float16; each operator is upcast in, computed in float32, cast back.
    expect(ran).toEqual([
      'Cast:float16',
      'Mul:float32,float32',
      'Cast:float32',
      'Cast:float16',
      'Add:float32,float32',
      'Cast:float32',
    ]);
    await session.release();
    await reference.release();
  });
});

describe('float16 weights cast to float32 in the model, under fp16 arithmetic on a float32-only backend', () => {
  it('keeps the Cast to float16 (the fp16 rewrite of the Cast) as it is and computes right', async () => {
    // A float16 initializer, Cast to float32 before use: how fp16-weight exports store weights.
    const w = Float32Array.from({ length: 32 }, (_, i) => (i % 7) / 4 - 0.75);
    const { model } = encodeOnnxModel({
      inputs: [{ name: 'x', type: 'float32', dims: [32] }],
      outputs: [{ name: 'y', type: 'float32', dims: [32] }],
      nodes: [
        { op: 'Cast', inputs: ['w16'], outputs: ['w'], attrs: { to: { i: 1 } } },
        { op: 'Mul', inputs: ['x', 'w'], outputs: ['y'] },
      ],
      initializers: { w16: castTensor(new Tensor('float32', w, [32]), 'float16') },
    });
    const ran: string[] = [];
    const x = new Tensor(
      'float32',
      Float32Array.from({ length: 32 }, (_, i) => i - 16),
      [32],
    );
    const s = await InferenceSession.create(model, { backend: float32Backend(ran), fp16Arithmetic: true });
    const { y } = await s.run({ x });
    // Every product of these values (multiples of 1/4 up to 24) is exact in float16.
    expect([...(y.data as Float32Array)]).toEqual(Array.from(w, (v, i) => v * (i - 16)));
    expect(ran).toContain('Cast:float32');
  });
});
