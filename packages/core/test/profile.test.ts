import { describe, expect, it } from 'vitest';
import { InferenceSession, MemoryFiles, Tensor } from '../src/index.js';

const f32 = (values: number[]) => new Uint8Array(Float32Array.from(values).buffer);
const MODEL =
  'm:Mul*input:x(4);w1.bin(float32:4)*output:p(4)\na:Add*input:p(4);w2.bin(float32:4)*output:y(4)\n';

const create = () =>
  InferenceSession.create(
    {
      files: new MemoryFiles([
        ['model.txt', new TextEncoder().encode(MODEL)],
        ['w1.bin', f32([1, 2, 3, 4])],
        ['w2.bin', f32([10, 20, 30, 40])],
      ]),
      entry: 'model.txt',
    },
    { backend: 'reference' },
  );
const x = new Tensor('float32', new Float32Array([1, 1, 2, 2]), [4]);

describe('run profile', () => {
  it('times each node in the order it ran, within the run', async () => {
    const model = await create();
    const { y } = await model.run({ x }, { profile: true });
    expect([...(y.data as Float32Array)]).toEqual([11, 22, 36, 48]);
    const stats = model.lastRunStats!;
    expect(stats.nodeTimes?.map((t) => [t.nodeName, t.opType])).toEqual([
      ['m', 'Mul'],
      ['a', 'Add'],
    ]);
    const sum = stats.nodeTimes!.reduce((s, t) => s + t.ms, 0);
    for (const t of stats.nodeTimes!) expect(t.ms).toBeGreaterThanOrEqual(0);
    expect(sum).toBeLessThanOrEqual(stats.ms);
    // The same times by operator type.
    const byType = Object.fromEntries(stats.opTimes!.map((t) => [t.opType, t.ms]));
    expect(byType.Mul).toBe(stats.nodeTimes![0].ms);
    expect(byType.Add).toBe(stats.nodeTimes![1].ms);
    await model.release();
  });

  it('counts every sample of a batch in its node, and nothing without profile', async () => {
    const model = await create();
    await model.runSamples([{ x }, { x }], { profile: true });
    expect(model.lastRunStats!.nodeTimes).toHaveLength(2);
    expect(model.lastRunStats!.opTimes!.map((t) => t.count).sort()).toEqual([2, 2]);
    await model.run({ x });
    expect(model.lastRunStats!.nodeTimes).toBeUndefined();
    expect(model.lastRunStats!.opTimes).toBeUndefined();
    await model.release();
  });
});
