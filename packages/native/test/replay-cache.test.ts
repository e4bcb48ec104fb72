import '../src/register.js';
import { InferenceSession } from '@onnxstream/core';
import { encodeOnnxModel } from '@onnxstream/core/onnx';
import { HoldingProvider } from '@onnxstream/core/testing';
import { describe, expect, it } from 'vitest';
import { binding } from '../src/binding.js';
import { tensor } from './helpers.js';

// Alone in its file (its own process): the block cache is the process's, and native tensors other
// tests leave to the garbage collector return their blocks to it whenever they are collected.
describe('a recorded run and the block cache', () => {
  it('gives back the blocks its recorded run left cached, and only those: replays use their arena', async () => {
    // y = Transpose(Transpose(x)) + x over 2 MiB tensors (mapped blocks, never parked buffers):
    // neither Transpose writes in place, so the run frees an intermediate block.
    const n = 1 << 19;
    const { model } = encodeOnnxModel({
      inputs: [{ name: 'x', type: 'float32', dims: [512, 1024] }],
      outputs: [{ name: 'y', type: 'float32' }],
      nodes: [
        { op: 'Transpose', name: 't', inputs: ['x'], outputs: ['t'], attrs: { perm: { ints: [1, 0] } } },
        { op: 'Transpose', name: 'u', inputs: ['t'], outputs: ['u'], attrs: { perm: { ints: [1, 0] } } },
        { op: 'Add', name: 'add', inputs: ['u', 'x'], outputs: ['y'] },
      ],
    });
    const addon = binding();
    const x = tensor([512, 1024], 3);
    const want = Array.from(x.data as Float32Array, (v) => v + v);
    const replayed = await InferenceSession.create(model, {
      backend: 'native',
      weightsProvider: new HoldingProvider(),
    });
    const executed = await InferenceSession.create(model, {
      backend: 'native',
      weightsProvider: new HoldingProvider(),
      replay: false,
    });
    // A high-water mark of live bytes well above this model's peak (another session's), so that
    // under the recorded run's lean hold its blocks and the one below all fit.
    addon.free(addon.alloc(24 << 20));
    addon.trimCache(0);
    // Another session's freed block, too large for this model's tensors to take, stays cached.
    addon.free(addon.alloc(5 << 20));
    const before = addon.cacheLevel();
    expect(before).toBeGreaterThanOrEqual(5 << 20);
    // The recorded run, and it alone, runs under a lean hold on the cache.
    const holds: boolean[] = [];
    const hold = addon.holdCacheLean;
    addon.holdCacheLean = (on: boolean) => {
      holds.push(on);
      hold.call(addon, on);
    };
    const recorded = await replayed.run({ x });
    expect(holds).toEqual([true, false]);
    expect(replayed.lastRunStats!.replayed).toBeUndefined();
    expect(addon.cacheLevel()).toBe(before);
    expect(Array.from(recorded.y.data as Float32Array)).toEqual(want);
    recorded.y.dispose();
    // The executor's runs keep theirs cached for the next run.
    (await executed.run({ x })).y.dispose();
    expect(addon.cacheLevel()).toBeGreaterThanOrEqual(before + 2 * n * 4);
    addon.trimCache(0);
    for (let k = 0; k < 3; k++) {
      const got = await replayed.run({ x });
      const { arenaBytes } = replayed.lastRunStats!.replayed!;
      expect(arenaBytes).toBeGreaterThan(0);
      expect(Array.from(got.y.data as Float32Array)).toEqual(want);
      got.y.dispose();
      // The arena and the output, freed after each replay, are all that is cached.
      expect(addon.cacheLevel()).toBeLessThanOrEqual(arenaBytes + 2 * n * 4);
    }
    addon.holdCacheLean = hold;
    expect(holds).toEqual([true, false]);
    expect(() => addon.trimCache(-1)).toThrow(/trimCache: bad byte count/);
  });
});
