/**
 * A model of convolutions of every kernel path (GEMM over phase planes, pointwise, stride 2,
 * depthwise, groups, a nearest-2x upsampling read, one output row, Winograd-sized 3x3, a fused SiLU)
 * and of SD's GroupNorm chain and residual Add, run under static uint8 activations with and without
 * their uint8 loads and stores folded in (planner/fuse-uint8-io.ts), so that each backend's tests
 * check the folded kernels give the same bits as LoadUint8 / StoreUint8 around float32 ones.
 */
import type { Backend } from '../backend/backend.js';
import { encodeOnnxModel, type OnnxNodeSpec } from '../formats/onnx/builder.js';
import type { Plan } from '../planner/plan.js';
import { InferenceSession } from '../session/inference-session.js';
import { Tensor } from '../tensor/tensor.js';

const C = 16;
const DIMS = [1, 8, 12, 10];
/** conv_a's output, which every branch reads. */
const DIMS_A = [1, C, 12, 10];

function random(n: number, seed: number, spread: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32 - 0.5) * spread;
  });
}

const tensor = (dims: number[], seed: number, spread: number) =>
  new Tensor(
    'float32',
    random(
      dims.reduce((a, b) => a * b, 1),
      seed,
      spread,
    ),
    dims,
  );

/** Each branch: a convolution reading `a` (C channels) and its weight shape; |output| is a model output. */
const BRANCHES: readonly {
  readonly name: string;
  readonly w: number[];
  readonly attrs: Record<string, { ints: number[] } | { i: number }>;
}[] = [
  { name: 'same3x3', w: [C, C, 3, 3], attrs: { pads: { ints: [1, 1, 1, 1] } } },
  { name: 'pointwise', w: [8, C, 1, 1], attrs: {} },
  { name: 'stride2', w: [8, C, 3, 3], attrs: { pads: { ints: [1, 1, 1, 1] }, strides: { ints: [2, 2] } } },
  { name: 'depthwise', w: [C, 1, 3, 3], attrs: { pads: { ints: [1, 1, 1, 1] }, group: { i: C } } },
  { name: 'grouped', w: [8, C / 2, 3, 3], attrs: { pads: { ints: [0, 1, 0, 1] }, group: { i: 2 } } },
  // Kernel as tall as the input: one output row (fewer rows than threads: shared planes).
  { name: 'one_row', w: [4, C, 12, 3], attrs: { pads: { ints: [0, 1, 0, 1] } } },
  { name: 'upsampled', w: [8, C, 3, 3], attrs: { pads: { ints: [1, 1, 1, 1] } } },
];

function model(): Uint8Array {
  const nodes: OnnxNodeSpec[] = [
    {
      op: 'Conv',
      name: 'conv_a',
      inputs: ['x', 'wa', 'ba'],
      outputs: ['a'],
      attrs: { pads: { ints: [1, 1, 1, 1] } },
    },
    {
      op: 'Resize',
      name: 'up',
      inputs: ['a', 'roi', 'scales'],
      outputs: ['a2'],
      attrs: {
        mode: { s: 'nearest' },
        coordinate_transformation_mode: { s: 'asymmetric' },
        nearest_mode: { s: 'floor' },
      },
    },
  ];
  const initializers: Record<string, Tensor> = {
    wa: tensor([C, 8, 3, 3], 1, 0.6),
    ba: tensor([C], 2, 0.2),
    roi: new Tensor('float32', new Float32Array(0), [0]),
    scales: new Tensor('float32', Float32Array.of(1, 1, 2, 2), [4]),
  };
  BRANCHES.forEach(({ name, w, attrs }, i) => {
    initializers[`w_${name}`] = tensor(w, 10 + i, 0.4);
    initializers[`b_${name}`] = tensor([w[0]], 20 + i, 0.2);
    const x = name === 'upsampled' ? 'a2' : 'a';
    nodes.push({ op: 'Conv', name, inputs: [x, `w_${name}`, `b_${name}`], outputs: [`c_${name}`], attrs });
    // Abs: a reader that fuses with nothing, so the convolution's output is stored.
    nodes.push({ op: 'Abs', name: `abs_${name}`, inputs: [`c_${name}`], outputs: [`y_${name}`] });
  });
  // A fused SiLU (Conv + Sigmoid + Mul) between uint8 values, read by a last convolution.
  nodes.push(
    {
      op: 'Conv',
      name: 'silu_conv',
      inputs: ['a', 'w_same3x3', 'b_same3x3'],
      outputs: ['s'],
      attrs: { pads: { ints: [1, 1, 1, 1] } },
    },
    { op: 'Sigmoid', name: 'silu_sig', inputs: ['s'], outputs: ['ss'] },
    { op: 'Mul', name: 'silu_mul', inputs: ['s', 'ss'], outputs: ['sm'] },
    { op: 'Conv', name: 'last', inputs: ['sm', 'w_pointwise', 'b_pointwise'], outputs: ['c_last'] },
    { op: 'Abs', name: 'abs_last', inputs: ['c_last'], outputs: ['y_last'] },
  );
  // SD's GroupNorm (Reshape, InstanceNormalization over 4 groups, Reshape, affine), a SiLU, a
  // convolution, the residual Add and a scalar Mul: channel operators between uint8 values.
  Object.assign(initializers, {
    groups: new Tensor('int64', BigInt64Array.of(1n, 4n, -1n), [3]),
    channels: new Tensor('int64', BigInt64Array.from(DIMS_A, BigInt), [4]),
    ones: new Tensor('float32', new Float32Array(4).fill(1), [4]),
    zeros: new Tensor('float32', new Float32Array(4), [4]),
    gamma: tensor([C, 1, 1], 30, 2),
    beta: tensor([C, 1, 1], 31, 1),
    half: new Tensor('float32', [0.5], []),
  });
  nodes.push(
    { op: 'Reshape', name: 'gn_reshape', inputs: ['a', 'groups'], outputs: ['r1'] },
    { op: 'InstanceNormalization', name: 'gn_norm', inputs: ['r1', 'ones', 'zeros'], outputs: ['n1'] },
    { op: 'Reshape', name: 'gn_back', inputs: ['n1', 'channels'], outputs: ['r2'] },
    { op: 'Mul', name: 'gn_mul', inputs: ['r2', 'gamma'], outputs: ['m2'] },
    { op: 'Add', name: 'gn_add', inputs: ['m2', 'beta'], outputs: ['ad'] },
    { op: 'Sigmoid', name: 'gn_sig', inputs: ['ad'], outputs: ['sg'] },
    { op: 'Mul', name: 'gn_silu', inputs: ['ad', 'sg'], outputs: ['g'] },
    {
      op: 'Conv',
      name: 'gn_conv',
      inputs: ['g', 'w_same3x3', 'b_same3x3'],
      outputs: ['cg'],
      attrs: { pads: { ints: [1, 1, 1, 1] } },
    },
    { op: 'Add', name: 'res', inputs: ['cg', 'a'], outputs: ['ra'] },
    { op: 'Mul', name: 'res_half', inputs: ['ra', 'half'], outputs: ['rh'] },
    { op: 'Abs', name: 'abs_res', inputs: ['rh'], outputs: ['y_res'] },
  );
  const outputs = [...BRANCHES.map((b) => `y_${b.name}`), 'y_last', 'y_res'];
  return encodeOnnxModel({
    inputs: [{ name: 'x', type: 'float32', dims: DIMS }],
    outputs: outputs.map((name) => ({ name, type: 'float32' as const })),
    nodes,
    initializers,
  }).model;
}

export interface Uint8IoRun {
  /** Each output's values. */
  readonly outputs: Record<string, Float32Array>;
  readonly plan: Plan;
  readonly peakTensorBytes: number;
}

type Feeds = Record<string, Tensor>;

/**
 * `model` calibrated on `backend` with `calibration`, then run on `feeds` with uint8 arithmetic, with
 * the loads and stores around its convolutions folded in (also with weights read `sliceBytes` of
 * output channels at a time when given: `sliced`) and not.
 */
export async function runUint8Io(
  backend: Backend | string,
  model: string | Uint8Array,
  calibration: readonly Feeds[],
  feeds: Feeds,
  sliceBytes?: number,
): Promise<{ folded: Uint8IoRun; sliced?: Uint8IoRun; unfolded: Uint8IoRun }> {
  const calibrating = await InferenceSession.create(model, { backend });
  const rangeData = await calibrating.calibrate(calibration);
  await calibrating.release();
  const run = async (fuseUint8Io: boolean, weightSliceBytes?: number): Promise<Uint8IoRun> => {
    const s = await InferenceSession.create(model, {
      backend,
      uint8Arithmetic: true,
      rangeData,
      fuseUint8Io,
      weightSliceBytes,
    });
    const results = await s.run(feeds);
    // Copies: an output may view a WebAssembly heap, which a later session's growth detaches.
    const outputs = Object.fromEntries(
      Object.entries(results).map(([k, t]) => [k, (t.data as Float32Array).slice()]),
    );
    const plan = await s.plan(new Map(Object.entries(feeds)));
    const peakTensorBytes = s.lastRunStats!.peakTensorBytes;
    await s.release();
    return { outputs, plan, peakTensorBytes };
  };
  const folded = await run(true);
  const sliced = sliceBytes ? await run(true, sliceBytes) : undefined;
  return { folded, sliced, unfolded: await run(false) };
}

/** runUint8Io on the model above, with weights also read 1 KiB at a time. */
export async function runUint8IoModel(backend: Backend | string) {
  const feeds = (seed: number) => ({ x: tensor(DIMS, seed, 3) });
  const runs = await runUint8Io(backend, model(), [feeds(1), feeds(2)], feeds(3), 1024);
  return { ...runs, sliced: runs.sliced! };
}
