/**
 * The compute thread pool (csrc/threads/pool.cc) through the addon: thousands of small kernel calls
 * that each split into a few parallel chunks, with 1 to 4 threads, on the JavaScript thread and as
 * asynchronous works (libuv threads, several at once: concurrent callers of the pool), and the
 * backend's choice of the JavaScript thread for calls measured short. The C++ stress test
 * (csrc/test/threads-test.cc) covers lost wake-ups, failing chunks and resizes under load.
 */
import { UnaryOp } from '@onnxstream/core/kernel';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { adaptiveRun, SYNC_BELOW_US, YIELD_AFTER_US } from '../src/backend.js';
import { binding, type NativeBinding } from '../src/binding.js';
import { nativeInfo } from '../src/index.js';

const addon: NativeBinding = binding();
const initialThreads = nativeInfo().threads;
const unary = addon.info().kernels.indexOf('unary_f32');
// unary_f32 splits n elements into chunks of at least 16384 (ops/unary.cc): these sizes make 1 to 8.
const SIZES = [1000, 16384, 20000, 40000, 65536, 100000, 131072];

/** x and y in native memory, x filled with -i - 1 + the seed (so that neg(x) is known). */
function buffers(n: number, seed: number): { x: Float32Array; y: Float32Array; release: () => void } {
  const xb = addon.alloc(n * 4);
  const yb = addon.alloc(n * 4);
  const x = new Float32Array(xb);
  for (let i = 0; i < n; i++) x[i] = -i - 1 + seed;
  return {
    x,
    y: new Float32Array(yb),
    release: () => {
      addon.free(xb);
      addon.free(yb);
    },
  };
}

/** The first index where y is not neg(x), or -1. */
function wrong(x: Float32Array, y: Float32Array): number {
  for (let i = 0; i < x.length; i++) if (y[i] !== -x[i]) return i;
  return -1;
}

const params = (n: number) => Float64Array.from([UnaryOp.neg, 0, 0, n]);

afterAll(() => addon.setThreads(initialThreads));

describe.each([1, 2, 3, 4])('the pool with %i threads', (threads) => {
  it('runs 2000 small parallel calls on the JavaScript thread, each element once', () => {
    addon.setThreads(threads);
    expect(addon.info().threads).toBe(threads);
    const bufs = SIZES.map((n, k) => buffers(n, k));
    try {
      for (let call = 0; call < 2000; call++) {
        const { x, y } = bufs[call % bufs.length];
        y.fill(Number.NaN);
        addon.runSync(unary, [x, y], params(x.length));
        const at = wrong(x, y);
        if (at >= 0) expect.fail(`call ${call}, n=${x.length}: element ${at} is ${y[at]}`);
      }
    } finally {
      for (const b of bufs) b.release();
    }
  });

  it('runs 1000 asynchronous calls, 8 at a time (concurrent callers), and 300 in sequence', async () => {
    addon.setThreads(threads);
    const bufs = Array.from({ length: 8 }, (_, k) => buffers(SIZES[k % SIZES.length], k));
    try {
      for (let round = 0; round < 125; round++) {
        for (const { y } of bufs) y.fill(Number.NaN);
        const times = await Promise.all(bufs.map(({ x, y }) => addon.run(unary, [x, y], params(x.length))));
        for (const [k, { x, y }] of bufs.entries()) {
          const at = wrong(x, y);
          if (at >= 0) expect.fail(`round ${round}, call ${k}, n=${x.length}: element ${at} is ${y[at]}`);
        }
        for (const us of times) expect(us).toBeGreaterThanOrEqual(0);
      }
      // One at a time, alternating with calls on the JavaScript thread (a worker that slept or spun).
      for (let call = 0; call < 300; call++) {
        const { x, y } = bufs[call % bufs.length];
        y.fill(Number.NaN);
        if (call % 2) await addon.run(unary, [x, y], params(x.length));
        else addon.runSync(unary, [x, y], params(x.length));
        const at = wrong(x, y);
        if (at >= 0) expect.fail(`call ${call}, n=${x.length}: element ${at} is ${y[at]}`);
        if (call % 50 === 0) await new Promise((r) => setTimeout(r, 2));
      }
    } finally {
      for (const b of bufs) b.release();
    }
  });
});

/**
 * performance.now() as adaptiveRun sees it, moved by the test's kernels only: what it decides then
 * depends on the times the test gives, not on this machine's load (a busy CI machine can stall a
 * 40000-element kernel for milliseconds).
 */
function fakeClock(): { advance: (ms: number) => void; restore: () => void } {
  let now = 0;
  const spy = vi.spyOn(performance, 'now').mockImplementation(() => now);
  return {
    advance: (ms) => {
      now += ms;
    },
    restore: () => spy.mockRestore(),
  };
}

/** The addon, with each kernel taking `ms` on the fake clock and the calls logged by path. */
function timedAddon(clock: ReturnType<typeof fakeClock>, ms: number, calls: string[]): NativeBinding {
  return {
    ...addon,
    run: async (k, b, p) => {
      calls.push('run');
      await addon.run(k, b, p);
      clock.advance(ms);
      return ms * 1000;
    },
    runSync: (k, b, p) => {
      calls.push('runSync');
      addon.runSync(k, b, p);
      clock.advance(ms);
    },
  };
}

describe('adaptiveRun', () => {
  it('moves a call to the JavaScript thread once it was measured short, and keeps results right', async () => {
    addon.setThreads(2);
    const clock = fakeClock();
    const calls: string[] = [];
    const run = adaptiveRun(timedAddon(clock, 0.05, calls));
    const { x, y, release } = buffers(40000, 3);
    try {
      for (let i = 0; i < 5; i++) {
        y.fill(Number.NaN);
        await run(unary, [x, y], params(x.length));
        expect(wrong(x, y)).toBe(-1);
      }
      // The first call measures 50 us; the others run inline.
      expect(calls).toEqual(['run', 'runSync', 'runSync', 'runSync', 'runSync']);
      // Another shape is measured on its own.
      const other = buffers(65536, 1);
      try {
        await run(unary, [other.x, other.y], params(other.x.length));
        expect(calls[5]).toBe('run');
        expect(wrong(other.x, other.y)).toBe(-1);
      } finally {
        other.release();
      }
    } finally {
      release();
      clock.restore();
    }
  });

  it('keeps a call measured longer than SYNC_BELOW_US off the JavaScript thread', async () => {
    const clock = fakeClock();
    const calls: string[] = [];
    const run = adaptiveRun(timedAddon(clock, (SYNC_BELOW_US + 1) / 1000, calls));
    const { x, y, release } = buffers(40000, 3);
    try {
      for (let i = 0; i < 3; i++) await run(unary, [x, y], params(x.length));
      expect(calls).toEqual(['run', 'run', 'run']);
      expect(wrong(x, y)).toBe(-1);
    } finally {
      release();
      clock.restore();
    }
  });

  it('gives the event loop a turn after YIELD_AFTER_US of kernels on the JavaScript thread', async () => {
    const clock = fakeClock();
    const calls: string[] = [];
    const KERNEL_MS = 3;
    const run = adaptiveRun(timedAddon(clock, KERNEL_MS, calls));
    const { x, y, release } = buffers(40000, 3);
    // The counter below re-arms itself until the test ends.
    let counting = true;
    try {
      await run(unary, [x, y], params(x.length)); // measured: 3 ms, inline from now on
      // Inline calls alone never let a setImmediate callback run: the turns seen before each call
      // show where the run yielded.
      let turns = 0;
      const count = () => {
        turns++;
        if (counting) setImmediate(count);
      };
      setImmediate(count);
      const turnsBefore: number[] = [];
      for (let i = 0; i < 12; i++) {
        turnsBefore.push(turns);
        y.fill(Number.NaN);
        await run(unary, [x, y], params(x.length));
        expect(wrong(x, y)).toBe(-1);
      }
      // The measuring call leaves the clock at 3 ms: calls 0-3 run inline (3 to 15 ms), call 4 finds
      // 12 ms gone since the last turn and yields first (turn 1 at 15 ms), calls 5-7 inline again,
      // call 8 yields (turn 2 at 27 ms).
      expect(YIELD_AFTER_US).toBe(10_000);
      expect(turnsBefore).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2]);
      expect(calls.slice(1).every((c) => c === 'runSync')).toBe(true);
    } finally {
      counting = false;
      release();
      clock.restore();
    }
  });

  it('reports a failing kernel either way', async () => {
    const run = adaptiveRun(addon);
    const { x, y, release } = buffers(100, 0);
    try {
      // n larger than the buffers: the kernel's argument check fails.
      for (let i = 0; i < 3; i++) {
        await expect(run(unary, [x, y], params(1000))).rejects.toThrow(/unary_f32/);
      }
    } finally {
      release();
    }
  });
});
