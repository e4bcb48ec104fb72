import { describe, expect, it } from 'vitest';
import {
  type Backend,
  InferenceSession,
  InputError,
  MemoryFiles,
  type ModelFiles,
  ModelFormatError,
  referenceBackend,
  Tensor,
  type WeightsProvider,
  weightTensor,
} from '../src/index.js';
import { encodeOnnxModel, readOnnxModel } from '../src/onnx.js';

/** ModelFiles that records every read. */
class SpyFiles implements ModelFiles {
  reads: { path: string; offset: number; length: number }[] = [];
  constructor(readonly inner: ModelFiles) {}
  get root() {
    return this.inner.root;
  }
  size(p: string) {
    return this.inner.size(p);
  }
  exists(p: string) {
    return this.inner.exists(p);
  }
  read(path: string, offset: number, length: number) {
    this.reads.push({ path, offset, length });
    return this.inner.read(path, offset, length);
  }
  get bytesRead() {
    return this.reads.reduce((s, r) => s + r.length, 0);
  }
}

const ramp = (n: number, scale = 1) => new Float32Array(n).map((_, i) => (i % 97) * scale);

describe('ONNX model reader', () => {
  it('records initializer offsets at load and reads the payload only when the operator runs', async () => {
    const n = 512 * 1024; // 2 MiB of weights
    const w = ramp(n, 0.01);
    const { model } = encodeOnnxModel({
      inputs: [{ name: 'x', type: 'float32', dims: [n] }],
      outputs: [{ name: 'y', type: 'float32', dims: [n] }],
      nodes: [{ op: 'Mul', inputs: ['x', 'w'], outputs: ['y'] }],
      initializers: { w: new Tensor('float32', w, [n]) },
    });
    const files = new SpyFiles(new MemoryFiles([['model.onnx', model]]));
    const graph = await readOnnxModel(files, 'model.onnx');
    const ref = graph.weights.get('w')!;
    expect(ref.byteLength).toBe(n * 4);
    // Loading read the structure through small windows, never the 2 MiB payload.
    expect(files.bytesRead).toBeLessThan(200 * 1024);
    const payload = await files.read('model.onnx', ref.offset, ref.byteLength);
    expect([...weightTensor(ref, payload).data.slice(0, 3)]).toEqual([0, 0.01, 0.02].map(Math.fround));

    const session = await InferenceSession.create({ files, entry: 'model.onnx' });
    files.reads = [];
    const x = new Tensor('float32', new Float32Array(n).fill(2), [n]);
    const { y } = await session.run({ x });
    expect(y.data[1000]).toBe(Math.fround(w[1000] * 2));
    expect(files.reads).toEqual([{ path: 'model.onnx', offset: ref.offset, length: n * 4 }]);
  });

  it('reads external data from its own file at the recorded offsets', async () => {
    const a = ramp(3000, 0.5);
    const b = ramp(3000, -0.25);
    const { model, externalData } = encodeOnnxModel({
      inputs: [{ name: 'x', type: 'float32', dims: [3000] }],
      outputs: [{ name: 'y', type: 'float32', dims: [3000] }],
      nodes: [
        { op: 'Mul', inputs: ['x', 'a'], outputs: ['t'] },
        { op: 'Add', inputs: ['t', 'b'], outputs: ['y'] },
      ],
      initializers: { a: new Tensor('float32', a, [3000]), b: new Tensor('float32', b, [3000]) },
      external: 'weights.data',
    });
    const files = new SpyFiles(
      new MemoryFiles([
        ['m.onnx', model],
        ['weights.data', externalData!],
      ]),
    );
    const session = await InferenceSession.create({ files, entry: 'm.onnx' });
    expect(files.reads.every((r) => r.path === 'm.onnx')).toBe(true);
    const { y } = await session.run({ x: new Tensor('float32', new Float32Array(3000).fill(3), [3000]) });
    expect(y.data[7]).toBe(Math.fround(Math.fround(a[7] * 3) + b[7]));
    expect(files.reads.filter((r) => r.path === 'weights.data').map((r) => r.length)).toEqual([12000, 12000]);
  });

  it('refuses external data that points outside the model folder', async () => {
    const { model } = encodeOnnxModel({
      inputs: [{ name: 'x', type: 'float32', dims: [100] }],
      outputs: [{ name: 'y', type: 'float32' }],
      nodes: [{ op: 'Mul', inputs: ['x', 'a'], outputs: ['y'] }],
      initializers: { a: new Tensor('float32', ramp(100), [100]) },
      external: '../../etc/secret.data',
    });
    await expect(readOnnxModel(new MemoryFiles([['m.onnx', model]]), 'm.onnx')).rejects.toThrow(
      /m\.onnx: corrupt ONNX model: path '\.\.\/\.\.\/etc\/secret\.data' refused/,
    );
  });

  it('names the file for corrupt and truncated models', async () => {
    const garbage = new Uint8Array(64).map((_, i) => (i * 37 + 11) & 0xff);
    await expect(readOnnxModel(new MemoryFiles([['bad.onnx', garbage]]), 'bad.onnx')).rejects.toThrow(
      ModelFormatError,
    );
    await expect(readOnnxModel(new MemoryFiles([['bad.onnx', garbage]]), 'bad.onnx')).rejects.toThrow(
      /^bad\.onnx: /,
    );
    const { model } = encodeOnnxModel({
      inputs: [{ name: 'x', type: 'float32', dims: [4] }],
      outputs: [{ name: 'y', type: 'float32' }],
      nodes: [{ op: 'Mul', inputs: ['x', 'a'], outputs: ['y'] }],
      initializers: { a: new Tensor('float32', ramp(1000), [1000]) },
    });
    const cut = model.slice(0, model.byteLength - 500);
    await expect(readOnnxModel(new MemoryFiles([['cut.onnx', cut]]), 'cut.onnx')).rejects.toThrow(
      /cut\.onnx: corrupt ONNX model: .*(past the end|unexpected end)/,
    );
  });

  it('honours the imported opset (Softmax coerces to 2-D before opset 13)', async () => {
    const x = new Tensor('float32', [0, 1, 2, 3], [1, 2, 2]);
    const run = async (opset: number) => {
      const { model } = encodeOnnxModel({
        opset,
        inputs: [{ name: 'x', type: 'float32', dims: [1, 2, 2] }],
        outputs: [{ name: 'y', type: 'float32' }],
        nodes: [{ op: 'Softmax', inputs: ['x'], outputs: ['y'], attrs: { axis: { i: 1 } } }],
      });
      const s = await InferenceSession.create(model);
      return [...((await s.run({ x })).y.data as Float32Array)];
    };
    // opset 11: one softmax over all 4 values; opset 13: softmax over axis 1 (pairs 0,2 and 1,3).
    const e = [0, 1, 2, 3].map(Math.exp);
    const total = e.reduce((a, b) => a + b);
    expect((await run(11)).map((v) => +v.toFixed(6))).toEqual(e.map((v) => +(v / total).toFixed(6)));
    expect((await run(13)).map((v) => +v.toFixed(6))).toEqual(
      [e[0] / (e[0] + e[2]), e[1] / (e[1] + e[3]), e[2] / (e[0] + e[2]), e[3] / (e[1] + e[3])].map(
        (v) => +v.toFixed(6),
      ),
    );
  });
});

describe('planner and executor', () => {
  it('folds Shape -> Gather -> Unsqueeze -> Concat chains into constants', async () => {
    const { model } = encodeOnnxModel({
      inputs: [{ name: 'x', type: 'float32', dims: ['batch', 4, 6] }],
      outputs: [{ name: 'y', type: 'float32' }],
      nodes: [
        { op: 'Shape', inputs: ['x'], outputs: ['s'] },
        { op: 'Gather', inputs: ['s', 'zero'], outputs: ['b'], attrs: { axis: { i: 0 } } },
        { op: 'Unsqueeze', inputs: ['b', 'axes0'], outputs: ['b1'] },
        { op: 'Concat', inputs: ['b1', 'minus1'], outputs: ['shape'], attrs: { axis: { i: 0 } } },
        { op: 'Reshape', inputs: ['x', 'shape'], outputs: ['y'] },
      ],
      initializers: {
        zero: new Tensor('int64', [0n], []),
        axes0: new Tensor('int64', [0n], [1]),
        minus1: new Tensor('int64', [-1n], [1]),
      },
    });
    const s = await InferenceSession.create(model);
    const x = new Tensor('float32', ramp(48), [2, 4, 6]);
    const plan = await s.plan(new Map([['x', x]]));
    expect(plan.folded).toBe(4);
    expect(plan.steps.map((st) => st.node.opType)).toEqual(['Reshape']);
    const { y } = await s.run({ x });
    expect(y.dims).toEqual([2, 24]);
  });

  it('frees each intermediate right after its last use', async () => {
    const n = 1 << 18; // 1 MiB tensors
    const { model } = encodeOnnxModel({
      inputs: [{ name: 'x', type: 'float32', dims: [n] }],
      outputs: [{ name: 'y', type: 'float32' }],
      nodes: [
        { op: 'Add', inputs: ['x', 'one'], outputs: ['a'] },
        { op: 'Add', inputs: ['a', 'one'], outputs: ['b'] },
        { op: 'Add', inputs: ['b', 'one'], outputs: ['c'] },
        { op: 'Add', inputs: ['c', 'one'], outputs: ['y'] },
      ],
      initializers: { one: new Tensor('float32', [1], []) },
    });
    const s = await InferenceSession.create(model);
    const { y } = await s.run({ x: new Tensor('float32', new Float32Array(n), [n]) });
    expect(y.data[5]).toBe(4);
    // Never more than one operator's input and output alive at once.
    expect(s.lastRunStats!.peakTensorBytes).toBe(2 * n * 4);
  });

  it("requests the next operator's weights before running the current kernel", async () => {
    const n = 4096;
    const { model } = encodeOnnxModel({
      inputs: [{ name: 'x', type: 'float32', dims: [n] }],
      outputs: [{ name: 'y', type: 'float32' }],
      nodes: [
        { op: 'Mul', inputs: ['x', 'w0'], outputs: ['a'], name: 'n0' },
        { op: 'Mul', inputs: ['a', 'w1'], outputs: ['b'], name: 'n1' },
        { op: 'Mul', inputs: ['b', 'w2'], outputs: ['y'], name: 'n2' },
      ],
      initializers: Object.fromEntries(
        ['w0', 'w1', 'w2'].map((k) => [k, new Tensor('float32', ramp(n), [n])]),
      ),
    });
    const events: string[] = [];
    const files = new MemoryFiles([['m.onnx', model]]);
    const provider: WeightsProvider = {
      name: 'spy',
      beginRun: (order) => events.push(`begin:${order.map((r) => r.name).join(',')}`),
      get: async (ref) => {
        events.push(`get:${ref.name}`);
        return weightTensor(ref, await files.read(ref.file, ref.offset, ref.byteLength));
      },
      endRun: () => {
        events.push('end');
      },
    };
    const backend: Backend = {
      name: 'spy-backend',
      supports: () => true,
      run: (call) => {
        events.push(`run:${call.node.name}`);
        return referenceBackend.run(call);
      },
    };
    const s = await InferenceSession.create(
      { files, entry: 'm.onnx' },
      { weightsProvider: provider, backend },
    );
    await s.run({ x: new Tensor('float32', new Float32Array(n).fill(1), [n]) });
    expect(events).toEqual([
      'begin:w0,w1,w2',
      'get:w0',
      'get:w1',
      'run:n0',
      'get:w2',
      'run:n1',
      'run:n2',
      'end',
    ]);
  });

  it('validates feeds: names, types and shapes', async () => {
    const { model } = encodeOnnxModel({
      inputs: [{ name: 'x', type: 'float32', dims: ['n', 3] }],
      outputs: [{ name: 'y', type: 'float32' }],
      nodes: [{ op: 'Add', inputs: ['x', 'x'], outputs: ['y'] }],
    });
    const s = await InferenceSession.create(model);
    await expect(s.run({ x: new Tensor('float32', new Float32Array(4), [2, 2]) })).rejects.toThrow(
      new InputError("input 'x' must have shape [n,3], got [2,2]"),
    );
    await expect(s.run({ x: new Tensor('int32', new Int32Array(6), [2, 3]) })).rejects.toThrow(
      "input 'x' must be float32, got int32",
    );
    await expect(s.run({})).rejects.toThrow('missing input: x');
    await expect(s.run({ z: new Tensor('float32', [1], [1]) })).rejects.toThrow(
      "unknown input 'z'; the model's inputs are: x",
    );
    const ok = await s.run({ x: new Tensor('float32', [1, 2, 3, 4, 5, 6], [2, 3]) });
    expect(ok.y.data).toEqual(new Float32Array([2, 4, 6, 8, 10, 12]));
  });

  it('names the operator when a kernel rejects its inputs', async () => {
    const { model } = encodeOnnxModel({
      inputs: [
        { name: 'a', type: 'float32', dims: [2, 3] },
        { name: 'b', type: 'float32', dims: [4] },
      ],
      outputs: [{ name: 'y', type: 'float32' }],
      nodes: [{ op: 'Add', name: 'the_add', inputs: ['a', 'b'], outputs: ['y'] }],
    });
    const s = await InferenceSession.create(model);
    await expect(
      s.run({
        a: new Tensor('float32', new Float32Array(6), [2, 3]),
        b: new Tensor('float32', new Float32Array(4), [4]),
      }),
    ).rejects.toThrow(/^Add 'the_add': shapes \[2,3\] and \[4\] cannot be broadcast/);
  });

  it('reports progress per operator and stops when its signal aborts', async () => {
    const { model } = encodeOnnxModel({
      inputs: [{ name: 'x', type: 'float32', dims: [4] }],
      outputs: [{ name: 'y', type: 'float32' }],
      nodes: [
        { op: 'Relu', name: 'first', inputs: ['x'], outputs: ['a'] },
        { op: 'Neg', name: 'second', inputs: ['a'], outputs: ['b'] },
        { op: 'Abs', name: 'third', inputs: ['b'], outputs: ['y'] },
      ],
    });
    const s = await InferenceSession.create(model);
    const x = new Tensor('float32', [-1, 2, -3, 4], [4]);
    const seen: string[] = [];
    const { y } = await s.run(
      { x },
      { onProgress: (e) => seen.push(`${e.step}/${e.steps} ${e.opType} ${e.nodeName}`) },
    );
    expect(y.data).toEqual(new Float32Array([0, 2, 0, 4]));
    expect(seen).toEqual(['1/3 Relu first', '2/3 Neg second', '3/3 Abs third']);
    const controller = new AbortController();
    const run = s.run(
      { x },
      { signal: controller.signal, onProgress: (e) => e.step === 1 && controller.abort() },
    );
    await expect(run).rejects.toThrow(/aborted/i);
    expect(seen).toHaveLength(3);
  });

  it('frees backend-owned buffers right after their last use, never feeds, weights or outputs', async () => {
    const { model } = encodeOnnxModel({
      inputs: [{ name: 'x', type: 'float32', dims: [2, 32] }],
      outputs: [{ name: 'y', type: 'float32' }],
      nodes: [
        { op: 'Relu', name: 'relu', inputs: ['x'], outputs: ['a'] },
        { op: 'Reshape', name: 'reshape', inputs: ['a', 'shape'], outputs: ['b'] },
        { op: 'Mul', name: 'mul', inputs: ['b', 'w'], outputs: ['c'] },
        { op: 'Neg', name: 'neg', inputs: ['c'], outputs: ['y'] },
      ],
      initializers: { shape: new Tensor('int64', [64n], [1]), w: new Tensor('float32', ramp(64), [64]) },
    });
    const events: string[] = [];
    // Copies every kernel output into "native" memory whose release it records.
    const backend: Backend = {
      name: 'owning',
      supports: () => true,
      run: async (call) => {
        events.push(`run:${call.node.name}`);
        const outs = (await referenceBackend.run(call)) as Tensor[];
        return outs.map((t) => {
          if (call.node.opType === 'Reshape') return t; // a view: shares its input's storage
          const owned = new Tensor(t.type, (t.data as Float32Array).slice(), t.dims);
          owned.setDisposer(() => events.push(`free:${call.node.outputs[0]}`));
          return owned;
        });
      },
    };
    const x = new Tensor('float32', ramp(64), [2, 32]);
    x.setDisposer(() => events.push('free:x'));
    const s = await InferenceSession.create(model, { backend });
    const { y } = await s.run({ x });
    // 'a' and its view 'b' share one buffer, freed once after 'mul'; 'c' after 'neg'; y and x stay.
    expect(events).toEqual(['run:relu', 'run:reshape', 'run:mul', 'free:a', 'run:neg', 'free:c']);
    expect(y.data[1]).toBe(-Math.fround(ramp(64)[1] * ramp(64)[1]));
    expect(x.disposed).toBe(false);
  });

  it('prepares weights once through the backend and takes them back from a caching provider', async () => {
    const n = 4096;
    const { model } = encodeOnnxModel({
      inputs: [{ name: 'x', type: 'float32', dims: [n] }],
      outputs: [{ name: 'y', type: 'float32' }],
      nodes: [
        { op: 'Mul', name: 'n0', inputs: ['x', 'w0'], outputs: ['a'] },
        { op: 'Mul', name: 'n1', inputs: ['a', 'w1'], outputs: ['b'] },
        { op: 'Add', name: 'n2', inputs: ['b', 'w1'], outputs: ['y'] },
      ],
      initializers: { w0: new Tensor('float32', ramp(n), [n]), w1: new Tensor('float32', ramp(n, 2), [n]) },
    });
    const prepared = new WeakSet<Tensor>();
    const prepareCalls: string[] = [];
    const backend: Backend = {
      name: 'preparing',
      supports: () => true,
      run: (call) => referenceBackend.run(call),
      prepareWeight: (node, input, w) => {
        prepareCalls.push(`${node.name}:${input}`);
        const t = new Tensor('float32', (w.data as Float32Array).slice(), w.dims);
        prepared.add(t);
        return t;
      },
      isPrepared: (t) => prepared.has(t),
    };
    const files = new MemoryFiles([['m.onnx', model]]);
    const cache = new Map<string, Tensor>();
    const provider: WeightsProvider = {
      name: 'caching',
      get: async (ref) =>
        cache.get(ref.name) ?? weightTensor(ref, await files.read(ref.file, ref.offset, ref.byteLength)),
      update: (ref, t) => {
        cache.set(ref.name, t);
        return true;
      },
    };
    const s = await InferenceSession.create(
      { files, entry: 'm.onnx' },
      { weightsProvider: provider, backend },
    );
    const x = new Tensor('float32', new Float32Array(n).fill(1), [n]);
    const first = (await s.run({ x })).y.data;
    // w1 is read by two steps: left as it is. w0 is prepared once and kept by the provider.
    expect(prepareCalls).toEqual(['n0:1']);
    expect(prepared.has(cache.get('w0')!)).toBe(true);
    expect(cache.has('w1')).toBe(false);
    const second = (await s.run({ x })).y.data;
    expect(prepareCalls).toEqual(['n0:1']);
    expect(second).toEqual(first);
  });
});
