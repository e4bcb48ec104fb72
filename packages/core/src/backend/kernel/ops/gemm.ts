/**
 * Gemm on float32 (transA/transB, alpha/beta, C broadcast), and the weight preparation shared by
 * MatMul and Conv: a weight only one node uses is packed into the active ISA's GEMM panels
 * (Backend.prepareWeight) when a caching provider keeps the packed form across runs; a streamed
 * weight stays as stored (float16, uint8) and the kernels pack it slice by slice per call.
 */
import {
  Attributes,
  type DataType,
  type KernelCall,
  type Node,
  type SlicedWeight,
  shapeSize,
  type Tensor,
  type ValueMeta,
} from '../../../index.js';
import type { KernelBinding } from '../binding.js';
import { ElemType, PackedKind } from '../kernels.js';
import {
  allFloat16,
  allFloat32,
  float16ToFloat32,
  inferOutputDims,
  type KernelOp,
  outputTensor,
  runKernel,
} from './kernel-op.js';
import { forEachBlock } from './sliced.js';

/** A weight packed into GEMM panels: a 1-D float32 tensor over the panels, and what it was. */
interface PackedWeight {
  /** The weight's own dims, for the operator's shape rules. */
  readonly dims: readonly number[];
  /** The binding that packed it (panels follow its active ISA's register tile). */
  readonly by: string;
}

const packedWeights = new WeakMap<Tensor, PackedWeight>();

/**
 * Weights a kernel reads in their stored form (float16, quantised uint8) and packs per call: what a
 * streaming provider hands over, where a float32 packed copy made every run would be twice the size.
 */
const storedWeights = new WeakSet<Tensor>();

/** The original dims of a weight this backend packed, or undefined for a plain tensor. */
export function packedDims(t: Tensor | undefined): readonly number[] | undefined {
  return t ? packedWeights.get(t)?.dims : undefined;
}

/** Whether `t` is a weight packed by a kernel backend. */
export function isPackedWeight(t: Tensor): boolean {
  return packedWeights.has(t);
}

/** Whether `t` is a weight a kernel backend packed, or left in its stored form for its kernels. */
export function isPreparedWeight(t: Tensor): boolean {
  return packedWeights.has(t) || storedWeights.has(t);
}

/** The name of the binding that packed `t`, or undefined for a plain tensor. */
export function packedBy(t: Tensor): string | undefined {
  return packedWeights.get(t)?.by;
}

/** Floats in a packed buffer's header (kernels/gemm/gemm-driver.h). */
const HEADER = 16;

interface Layout {
  /** The active ISA's register tile. */
  readonly mr: number;
  readonly nr: number;
  /**
   * Positions of the Winograd transform its 3x3 stride-1 convolutions take (PackedKind.winograd: a
   * weight matrix per position), or 0 where they run as a direct GEMM.
   */
  readonly winograd: number;
}

/** The active ISA's packing layout. */
export function layout(binding: KernelBinding): Layout {
  const out = binding.allocTensor('float64', [3]);
  try {
    runKernel(binding, 'gemm_layout', 0, [out.data as Float64Array], []);
    const [mr, nr, winograd] = out.data as Float64Array;
    return { mr, nr, winograd };
  } finally {
    out.dispose();
  }
}

/** The packing source type of a weight, or undefined when it cannot be packed. */
function sourceOf(t: Tensor): { type: number; scale: number; zero: number } | undefined {
  if (t.type === 'float32') return { type: ElemType.float32, scale: 1, zero: 0 };
  if (t.type === 'float16') return { type: ElemType.float16, scale: 1, zero: 0 };
  if (t.type === 'uint8' && t.quant)
    return { type: ElemType.uint8, scale: t.quant.scale, zero: t.quant.zeroPoint };
  return undefined;
}

/**
 * Prepares `groups` matrices of `weight` (float32, float16, or quantised uint8) as GEMM operand
 * `kind`: A is cut into MR-row panels of [rows x depth] matrices, B into NR-column panels of
 * [depth x rows] ones (stored transposed: [rows x depth]); winograd transforms one [rows x depth]
 * 3x3 convolution weight (depth: input channels x 9) into A panels of a [rows x depth / 9]
 * matrix per position of the transform. Packed only when the provider keeps the result (`kept`); otherwise the kernel packs
 * slices per call from the weight as it is.
 */
export function packWeight(
  binding: KernelBinding,
  weight: Tensor,
  kept: boolean,
  kind: number,
  groups: number,
  rows: number,
  depth: number,
  transposed: boolean,
): Tensor | undefined {
  const source = sourceOf(weight);
  if (!source || groups * rows * depth !== weight.size || weight.size === 0) return undefined;
  if (!kept) {
    if (weight.type === 'float32') return undefined;
    storedWeights.add(weight);
    return weight;
  }
  const { mr, nr, winograd } = layout(binding);
  const panel = kind === PackedKind.b ? nr : mr;
  const floats =
    HEADER +
    (kind === PackedKind.winograd
      ? winograd * Math.ceil(rows / panel) * panel * (depth / 9)
      : groups * Math.ceil(rows / panel) * panel * depth);
  const out = binding.allocTensor('float32', [floats], true);
  runKernel(
    binding,
    'gemm_pack',
    0,
    [weight.data as Float32Array, out.data as Float32Array],
    [kind, source.type, source.scale, source.zero, groups, rows, depth, transposed ? 1 : 0],
  );
  // A binding whose memory must stay small (the wasm heap) keeps the packed form in JavaScript
  // memory, where a caching provider may hold it without growing the heap.
  const packed = binding.toJavaScript ? binding.toJavaScript(out) : out;
  packedWeights.set(packed, { dims: weight.dims, by: binding.name });
  return packed;
}

/**
 * The kernel parameters describing a weight operand: its form (-1: packed panels, else the ElemType
 * of a plain matrix), then the dequantisation scale and zero point.
 */
export function weightParams(t: Tensor): [number, number, number] {
  if (packedWeights.has(t)) return [-1, 1, 0];
  // A float16 operand that is no weight (fp16 arithmetic's activations) is packed per call too.
  const source = storedWeights.has(t) || t.type === 'float16' ? sourceOf(t) : undefined;
  return source ? [source.type, source.scale, source.zero] : [ElemType.float32, 1, 0];
}

/** The type a weight is seen as by the operators' shape rules: packed and stored weights are float32. */
function seenType(t: Tensor): DataType {
  return isPreparedWeight(t) ? 'float32' : t.type;
}

/**
 * Output dims from the operator's shape rules, with packed weights seen as the weights they were and
 * a sliced one as the whole weight.
 */
export function inferDims(call: KernelCall): readonly number[] {
  return inferOutputDims(
    call,
    call.inputs.map((t, i): ValueMeta | undefined =>
      t
        ? { type: seenType(t), dims: packedDims(t) ?? t.dims }
        : call.sliced?.input === i
          ? { type: 'float32', dims: call.sliced.dims }
          : undefined,
    ),
  );
}

/** GEMM work of a product, for choosing between the calling thread and a worker. */
export const gemmWork = (m: number, n: number, k: number): number => (m * n * Math.max(k, 1)) / 16;

/**
 * y [rows x n] = x [rows x k] . W (+ `bias` per column), W [k, n] a sliced weight: one product per
 * block of W's rows (a range of k), each adding onto y and reading its columns of x in place.
 */
export function slicedGemm(
  binding: KernelBinding,
  sliced: SlicedWeight,
  x: Float32Array | Uint16Array,
  rows: number,
  y: Float32Array,
  bias?: Float32Array,
): Promise<void> {
  const [k, n] = sliced.dims;
  const empty = new Float32Array(0);
  const aType = x instanceof Uint16Array ? ElemType.float16 : ElemType.float32;
  return forEachBlock(sliced, (w, k0, kb) => {
    const withBias = k0 === 0 && bias !== undefined;
    return runKernel(
      binding,
      'gemm_f32',
      gemmWork(rows, n, kb),
      [x.subarray(k0), w.data as ArrayBufferView, withBias ? bias : empty, y],
      [rows, n, kb, 0, 0, 1, 1, withBias ? 1 : 0, 0, 0, ...weightParams(w), k, k0 === 0 ? 0 : 1, aType, 0],
    );
  });
}

export const gemmOp: KernelOp = {
  types: ['Gemm'],
  replayable: true,
  supports: (_node, types) =>
    (types[0] === 'float32' && types[1] === 'float32' && allFloat32(types)) || allFloat16(types),
  prepareWeight(node: Node, input: number, weight: Tensor, kept: boolean, binding: KernelBinding) {
    if (input !== 1 || weight.dims.length !== 2) return undefined;
    const transB = new Attributes(node.attributes).int('transB', 0) !== 0;
    const [k, n] = transB ? [weight.dims[1], weight.dims[0]] : weight.dims;
    return packWeight(binding, weight, kept, PackedKind.b, 1, n, k, transB);
  },
  async run(call: KernelCall, binding: KernelBinding) {
    const [a, b, c] = call.inputs as [Tensor, Tensor, Tensor | undefined];
    const [m, n] = inferDims(call);
    const transA = call.attrs.int('transA', 0) !== 0;
    const transB = call.attrs.int('transB', 0) !== 0;
    const k = transA ? a.dims[0] : a.dims[1];
    const half = a.type === 'float16';
    const y = outputTensor(binding, [m, n], half ? 'float16' : 'float32');
    const beta = call.attrs.float('beta', 1);
    // C broadcasts unidirectionally to [M, N]: a vector per column, or strides (0 on broadcast axes).
    let cMode = 0;
    let cRow = 0;
    let cCol = 0;
    if (c && beta !== 0 && shapeSize(c.dims) > 0) {
      const cd = c.dims.length === 0 ? [1, 1] : c.dims.length === 1 ? [1, c.dims[0]] : c.dims;
      if (cd.length !== 2 || (cd[0] !== 1 && cd[0] !== m) || (cd[1] !== 1 && cd[1] !== n)) {
        throw new Error(`C of shape [${c.dims.join(',')}] does not broadcast to [${m},${n}]`);
      }
      cRow = cd[0] === 1 ? 0 : cd[1];
      cCol = cd[1] === 1 ? 0 : 1;
      cMode = cRow === 0 && cCol === 1 ? 1 : 2;
    }
    const empty = new Float32Array(0);
    // A float16 C (a bias vector, usually) is converted for the kernel.
    const cf = c && cMode && c.type === 'float16' ? await float16ToFloat32(binding, c) : c;
    try {
      await runKernel(
        binding,
        'gemm_f32',
        gemmWork(m, n, k),
        [
          a.data as ArrayBufferView,
          b.data as ArrayBufferView,
          cf && cMode ? (cf.data as Float32Array) : empty,
          y.data as ArrayBufferView,
        ],
        [
          m,
          n,
          k,
          transA ? 1 : 0,
          transB ? 1 : 0,
          call.attrs.float('alpha', 1),
          beta,
          cMode,
          cRow,
          cCol,
          ...weightParams(b),
          0,
          0,
          half ? ElemType.float16 : ElemType.float32,
          half ? 1 : 0,
        ],
      );
    } catch (e) {
      y.dispose();
      throw e;
    } finally {
      if (cf !== c) cf?.dispose();
    }
    return [y];
  },
};
