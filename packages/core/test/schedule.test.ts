import { describe, expect, it } from 'vitest';
import { InferenceSession, MemoryFiles, Tensor } from '../src/index.js';

// x's last reader `s` runs in the file after x's other reader and its chain; its output is 8x
// smaller than x, so running it first lets x die after `a`.
const shrinking = [
  'a:Relu*input:x(1,8,16,16)*output:a(1,8,16,16)',
  'b:Sigmoid*input:a(1,8,16,16)*output:b(1,8,16,16)',
  's:ReduceMean*input:x(1,8,16,16)*output:s(1,1,16,16)*axes:1;keepdims:1',
  'y:Add*input:b(1,8,16,16);s(1,1,16,16)*output:y(1,8,16,16)',
];
// The same with a last reader as large as x: nothing to gain, the file's order stays.
const same = [
  ...shrinking.slice(0, 2),
  's:Neg*input:x(1,8,16,16)*output:s(1,8,16,16)',
  shrinking[3].replace('s(1,1,16,16)', 's(1,8,16,16)'),
];

async function session(lines: string[]) {
  const files = new MemoryFiles([['model.txt', new TextEncoder().encode(`${lines.join('\n')}\n`)]]);
  return InferenceSession.create({ files, entry: 'model.txt' });
}

const x = new Tensor(
  'float32',
  Float32Array.from({ length: 2048 }, (_, i) => Math.sin(i) * 3),
  [1, 8, 16, 16],
);
const T = 4 * 2048; // bytes of x, a, b, y

describe('memory-aware order', () => {
  it("runs a value's shrinking last reader before its other readers, lowering the peak", async () => {
    const s = await session(shrinking);
    const plan = await s.plan(new Map([['x', x]]));
    expect(plan.steps.map((st) => st.node.name)).toEqual(['s', 'a', 'b', 'y']);
    const { y } = await s.run({ x });
    const xs = x.data as Float32Array;
    const expected = Array.from({ length: 2048 }, (_, i) => {
      const p = i % 256;
      let mean = 0;
      for (let c = 0; c < 8; c++) mean += xs[c * 256 + p];
      mean = Math.fround(Math.fround(mean) / 8);
      return Math.fround(1 / (1 + Math.exp(-Math.max(0, xs[i]))) + mean);
    });
    const got = [...(y.data as Float32Array)];
    for (let i = 0; i < got.length; i++) expect(got[i]).toBeCloseTo(expected[i], 5);
    // File order would peak at x, a and b together (3T); here x dies after a: s, a, b at most.
    expect(s.lastRunStats!.peakTensorBytes).toBe(2 * T + T / 8);
  });

  it('keeps the order when the last reader does not shrink what it frees', async () => {
    const s = await session(same);
    const plan = await s.plan(new Map([['x', x]]));
    expect(plan.steps.map((st) => st.node.name)).toEqual(['a', 'b', 's', 'y']);
    await s.run({ x });
    expect(s.lastRunStats!.peakTensorBytes).toBe(3 * T);
  });
});
