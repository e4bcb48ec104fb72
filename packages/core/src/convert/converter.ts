/**
 * ONNX -> OnnxStream model folder, reproducing OnnxStream's converter notebook `onnx2txt.ipynb`
 * byte for byte (docs: onnxstream-reference.md sections 1 and 2):
 *
 * - one model.txt line per node, in graph order: `name:op*input:...*output:...[*attrs]`;
 * - every tensor name escaped (`escapeName`), op names written raw;
 * - runtime tensors as `name(shape)` from value_info / graph inputs / graph outputs (unknown dims
 *   print as 0), weights as `name.bin(dtype:shape)` written as raw little-endian `.bin` files;
 * - Constant nodes become weights named after their output; Mul's int64 input 1 becomes float32;
 *   `fp16` turns float32 weights into float16, `uint8` quantizes the remaining float32 ones;
 * - Gemm transA/transB on a weight: the weight is transposed, `_transposed` is appended to its file
 *   name and the attribute dropped; Conv inputs 0/1 get an `_nchw.bin` (referenced) and `_nhwc.bin`
 *   pair (3-D Conv1D weights first get a trailing unit axis);
 * - attributes: INT `str(i)`, FLOAT Python `str(float)`, STRING, INTS comma-joined, one-element
 *   TENSOR `str(value)`.
 *
 * Where the notebook stops with a bare "Error", we either stop with a message that says why, or,
 * for cases it refuses but the engine can run (initializers also listed as graph inputs, IR < 4;
 * names both in value_info and graph outputs; outputs nothing consumes; shapes inference cannot
 * find), convert anyway and report a warning. Weights are read and written one at a time, plain
 * copies in chunks, so models of any size convert in bounded memory.
 */
import type { ModelFiles } from '../files/model-files.js';
import type { AttributeObject, NodeObject, TensorProtoObject } from '../formats/onnx/schema.js';
import { tensorFromProto } from '../formats/onnx/tensor-proto.js';
import { escapeName } from '../formats/onnxstream/names.js';
import { rawBytesOf } from '../formats/raw.js';
import type { Dim } from '../graph/graph.js';
import { type DataType, DTYPES } from '../tensor/dtype.js';
import { fromBfloat16, fromHalf, toHalf } from '../tensor/float16.js';
import { shapeSize } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { inferShapes, type ShapeInfo, shapeInfoOf, simplify } from './infer-shapes.js';
import {
  constantNodeTensor,
  loadSourceTensor,
  type OnnxSource,
  readOnnxSource,
  type SourceTensor,
} from './onnx-source.js';
import { pyFloatRepr, pyScalarStr } from './py-format.js';
import { channelAxis, quantizable, quantizeUint8, quantizeUint8PerChannel } from './quantize.js';

export interface ConvertOptions {
  /** `CONVERT_TO_FP16`: float32 weights are written as float16. */
  readonly fp16?: boolean;
  /** `QUANTIZE_UINT8`: float32 weights are quantized to `uint8[scale,zero]` (nothing, with fp16). */
  readonly uint8?: boolean;
  /**
   * Quantizes the float32 weights of Conv, ConvTranspose, MatMul and Gemm per output channel
   * instead (`uint8[axis=A]` plus a `.qparams` file: our extension, which OnnxStream cannot read);
   * the other weights as `uint8` does. Implies `uint8`.
   */
  readonly uint8PerChannel?: boolean;
  /** `INFER_SHAPES` (default true): infer the shapes of intermediate values; false uses value_info as is. */
  readonly inferShapes?: boolean;
  /** Fold constant subgraphs first (like onnx-simplifier), then drop nodes nothing uses. */
  readonly simplify?: boolean;
  /** Called after each model.txt line. */
  readonly onLine?: (line: string, index: number) => void;
}

/** Where the converted folder goes: a flat set of files. */
export interface ConvertOutput {
  /** Writes (or replaces) one file with `data`, given whole or as chunks in order. */
  writeFile(name: string, data: Uint8Array | AsyncIterable<Uint8Array>): Promise<void>;
}

export interface ConvertReport {
  /** model.txt lines written. */
  readonly lines: number;
  /** Lines per op type, in first-seen order (what the notebook prints, then TOTAL). */
  readonly opCounts: ReadonlyMap<string, number>;
  /** Files written, model.txt last. */
  readonly files: readonly string[];
  /** Things the notebook would have refused but that were converted, and shapes left unknown. */
  readonly warnings: readonly string[];
  /** With `simplify`: nodes folded into constants and dead nodes removed. */
  readonly folded: number;
  readonly removed: number;
}

/** Plain copies stream through buffers of this size. */
const CHUNK = 16 * 1024 * 1024;

/** Converts `entry` (an .onnx file in `files`) into `out`. */
export async function convertOnnxModel(
  files: ModelFiles,
  entry: string,
  out: ConvertOutput,
  options: ConvertOptions = {},
): Promise<ConvertReport> {
  const src = await readOnnxSource(files, entry);
  let nodes = src.nodes;
  let folded = 0;
  let removed = 0;
  const opConstants = new Map<string, Tensor | SourceTensor>();
  if (options.simplify) {
    const s = await simplify(src);
    nodes = s.nodes;
    folded = s.folded;
    removed = s.removed;
    for (const [name, t] of s.constants) opConstants.set(name, t);
  }
  let valueInfo: Map<string, ShapeInfo[]>;
  let outputInfo: Map<string, ShapeInfo>;
  if (options.inferShapes !== false) {
    const constants = new Map<string, Tensor>();
    for (const [name, t] of opConstants) if (t instanceof Tensor) constants.set(name, t);
    const inferred = await inferShapes(src, nodes, { constants, propagate: options.simplify });
    valueInfo = new Map([...inferred.valueInfo].map(([k, v]) => [k, [v]]));
    // Duplicated declared entries stay duplicated (the notebook refuses them).
    const declared = new Map<string, number>();
    for (const v of src.valueInfo) declared.set(v.name ?? '', (declared.get(v.name ?? '') ?? 0) + 1);
    for (const v of src.valueInfo) {
      const list = valueInfo.get(v.name ?? '');
      if (list && (declared.get(v.name ?? '') ?? 0) > list.length) list.push(shapeInfoOf(v));
    }
    outputInfo = new Map(inferred.outputs);
  } else {
    valueInfo = new Map();
    for (const v of src.valueInfo) {
      const list = valueInfo.get(v.name ?? '') ?? [];
      list.push(shapeInfoOf(v));
      valueInfo.set(v.name ?? '', list);
    }
    outputInfo = new Map(src.outputs.map((o) => [o.name ?? '', shapeInfoOf(o)]));
  }
  const conv = new Converter(src, nodes, opConstants, valueInfo, outputInfo, out, options);
  return { ...(await conv.run()), folded, removed };
}

interface Resolved {
  token: string;
  isWeight: boolean;
  inputIdxs: number[];
  outputIdxs: number[];
  isGraphInput: boolean;
  isGraphOutput: boolean;
}

class Converter {
  readonly #producers = new Map<string, number[]>();
  readonly #consumers = new Map<string, number[]>();
  readonly #graphInputs = new Map<string, ShapeInfo[]>();
  readonly #written = new Map<string, string>();
  readonly #files: string[] = [];
  readonly #warnings: string[] = [];
  /** Initializers also listed as graph inputs or outputs (IR < 4 style). */
  readonly #weightInputs = new Set<string>();

  constructor(
    readonly src: OnnxSource,
    readonly nodes: readonly NodeObject[],
    readonly opConstants: Map<string, Tensor | SourceTensor>,
    readonly valueInfo: ReadonlyMap<string, ShapeInfo[]>,
    readonly outputInfo: ReadonlyMap<string, ShapeInfo>,
    readonly out: ConvertOutput,
    readonly options: ConvertOptions,
  ) {
    nodes.forEach((n, i) => {
      for (const x of n.input ?? []) push(this.#consumers, x, i);
      for (const o of n.output ?? []) push(this.#producers, o, i);
    });
    for (const i of src.inputs) {
      const list = this.#graphInputs.get(i.name ?? '') ?? [];
      list.push(shapeInfoOf(i));
      this.#graphInputs.set(i.name ?? '', list);
    }
  }

  async run(): Promise<Omit<ConvertReport, 'folded' | 'removed'>> {
    const lines: string[] = [];
    const opCounts = new Map<string, number>();
    for (let idx = 0; idx < this.nodes.length; idx++) {
      const node = this.nodes[idx];
      const what = `node ${idx} '${node.name ?? ''}' (${node.op_type ?? ''})`;
      const ins = node.input ?? [];
      const outs = node.output ?? [];
      if (ins.length === 0 || outs.length === 0) {
        if (node.op_type === 'Constant' && outs.length === 1) {
          const t = constantNodeTensor(node);
          if (!t) throw new Error(`${what}: a Constant needs one tensor 'value' attribute`);
          this.opConstants.set(outs[0], t);
          continue;
        }
        throw new Error(`${what}: operators without inputs or outputs cannot be converted (only Constant)`);
      }
      opCounts.set(node.op_type ?? '', (opCounts.get(node.op_type ?? '') ?? 0) + 1);
      if ((node.name ?? '').includes(':'))
        this.#warn(`${what}: op names are written raw and OnnxStream cannot read one containing ':'`);
      // Gemm may drop transA/transB: work on a copy of the attribute list.
      const attrs = [...(node.attribute ?? [])];
      const line: string[] = [`${node.name ?? ''}:${node.op_type ?? ''}`];
      const inputs: string[] = [];
      for (let i = 0; i < ins.length; i++) {
        if (ins[i] === '') {
          inputs.push('');
          continue;
        }
        const r = await this.#resolve(ins[i], node, attrs, i, what);
        if (r.outputIdxs.length >= 2)
          throw new Error(`${what}: input '${ins[i]}' is produced by several nodes`);
        if (r.outputIdxs.length === 1 && r.outputIdxs[0] >= idx)
          throw new Error(`${what}: input '${ins[i]}' is produced by a later node (nodes must be in order)`);
        if (!r.isWeight && r.outputIdxs.length === 0 && !r.isGraphInput)
          throw new Error(
            `${what}: input '${ins[i]}' is not a weight, a graph input or an earlier node's output`,
          );
        inputs.push(r.token);
      }
      line.push(`input:${inputs.join(';')}`);
      const outputs: string[] = [];
      for (let i = 0; i < outs.length; i++) {
        if (outs[i] === '')
          throw new Error(`${what}: output ${i} has no name (unused optional outputs must be dropped)`);
        const r = await this.#resolve(outs[i], node, attrs, -i - 1, what);
        if (r.inputIdxs.some((j) => j <= idx))
          throw new Error(`${what}: output '${outs[i]}' is used by an earlier node (nodes must be in order)`);
        if (r.isWeight) throw new Error(`${what}: output '${outs[i]}' has the name of a weight`);
        if (r.inputIdxs.length === 0 && !r.isGraphOutput)
          this.#warn(
            `${what}: output '${outs[i]}' is not used (onnx2txt refuses this; the engine keeps it as an output)`,
          );
        outputs.push(r.token);
      }
      line.push(`output:${outputs.join(';')}`);
      const printed = attrs.map((a) => `${a.name ?? ''}:${attributeText(a, what)}`);
      if (printed.length) line.push(printed.join(';'));
      if (line.some((part) => part.includes('*')))
        throw new Error(`${what}: '*' in a name or attribute cannot be written to model.txt`);
      const text = line.join('*');
      lines.push(text);
      this.options.onLine?.(text, lines.length - 1);
    }
    if (this.#weightInputs.size) {
      const names = [...this.#weightInputs];
      this.#warn(
        `${names.length} weight(s) are also listed as graph inputs or outputs (IR < 4 style, which onnx2txt refuses): ` +
          `written as weights (${names.slice(0, 5).join(', ')}${names.length > 5 ? ', ...' : ''})`,
      );
    }
    const model = new TextEncoder().encode(lines.map((l) => `${l}\n`).join(''));
    await this.out.writeFile('model.txt', model);
    this.#files.push('model.txt');
    return { lines: lines.length, opCounts, files: this.#files, warnings: this.#warnings };
  }

  #warn(msg: string): void {
    if (!this.#warnings.includes(msg)) this.#warnings.push(msg);
  }

  /** onnx2txt's `search_name`: what a name is, and its token. */
  async #resolve(
    name: string,
    node: NodeObject,
    attrs: AttributeObject[],
    index: number,
    what: string,
  ): Promise<Resolved> {
    const init = this.src.initializers.get(name);
    const weight = init ?? this.opConstants.get(name);
    const shapes = this.valueInfo.get(name) ?? [];
    const graphInputs = this.#graphInputs.get(name) ?? [];
    const graphOutputs = this.src.outputs.filter((o) => o.name === name);
    const base = {
      inputIdxs: this.#consumers.get(name) ?? [],
      outputIdxs: this.#producers.get(name) ?? [],
      isGraphInput: graphInputs.length > 0,
      isGraphOutput: graphOutputs.length > 0,
    };
    const escaped = escapeName(name);
    if (weight) {
      if (graphInputs.length || graphOutputs.length) this.#weightInputs.add(name);
      const token = await this.#writeWeight(escaped, weight, node, attrs, index, what);
      return { ...base, token, isWeight: true, isGraphInput: false };
    }
    const count = shapes.length + graphInputs.length + graphOutputs.length;
    let info: ShapeInfo | undefined;
    if (graphInputs.length) info = graphInputs[0];
    else if (graphOutputs.length) info = this.outputInfo.get(name) ?? shapeInfoOf(graphOutputs[0]);
    else if (shapes.length) info = shapes[0];
    if (count > 1)
      this.#warn(`'${name}' is described ${count} times (onnx2txt refuses this): the first one is used`);
    if (!info) {
      this.#warn(`no shape known for '${name}' (onnx2txt refuses this): written with an empty shape`);
      return { ...base, token: `${escaped}()`, isWeight: false };
    }
    return { ...base, token: `${escaped}(${shapeText(info.dims)})`, isWeight: false };
  }

  /** Writes a weight's file(s) the way the notebook does and returns its token. */
  async #writeWeight(
    escaped: string,
    weight: Tensor | SourceTensor,
    node: NodeObject,
    attrs: AttributeObject[],
    index: number,
    what: string,
  ): Promise<string> {
    const opType = node.op_type ?? '';
    const srcType = weight.type;
    let type: DataType = srcType;
    const castToFloat = opType === 'Mul' && index === 1 && srcType === 'int64';
    if (castToFloat) type = 'float32';
    const toFp16 = this.options.fp16 === true && type === 'float32';
    if (toFp16) type = 'float16';
    if (type !== 'float32' && type !== 'int64' && type !== 'float16') {
      throw new Error(
        `${what}: weight '${escaped}' is ${srcType}; OnnxStream weights must be float32, float16 or int64`,
      );
    }
    const uint8 = this.options.uint8 === true || this.options.uint8PerChannel === true;
    const quantize = uint8 && type === 'float32' && quantizable(opType, index);
    const transB = attrs.some((a) => a.name === 'transB' && Number(a.i ?? 0) !== 0);
    let axis =
      quantize && this.options.uint8PerChannel === true
        ? channelAxis(opType, index, weight.dims.length, transB)
        : undefined;
    let transpose = false;
    if (opType === 'Gemm') {
      for (const [attr, at] of [
        ['transA', 0],
        ['transB', 1],
      ] as const) {
        const k = attrs.findIndex((a) => a.name === attr && Number(a.i ?? 0) !== 0 && index === at);
        if (k >= 0) {
          attrs.splice(k, 1);
          transpose = true;
        }
      }
    }
    const conv = opType === 'Conv' && (index === 0 || index === 1);
    let dims = [...weight.dims];
    if (conv) {
      if (dims.length === 3) dims = [...dims, 1];
      if (dims.length !== 4)
        throw new Error(`${what}: Conv weight '${escaped}' must be 3-D or 4-D, got [${dims}]`);
    }

    // Plain copies (with at most an elementwise cast) stream in chunks.
    if (!quantize && !transpose && !conv) {
      const file = `${escaped}.bin`;
      const token = `${file}(${type}:${dims.join(',')})`;
      const recipe = `${type}`;
      if (this.#written.get(file) !== recipe) {
        await this.out.writeFile(file, streamConverted(this.src.files, weight, srcType, type));
        this.#remember(file, recipe);
      }
      return token;
    }
    let data = await loadValues(this.src.files, weight, type);
    let dtype: string = type;
    let recipe: string = type;
    let qparams: Uint8Array | undefined;
    if (axis !== undefined) {
      const q = quantizeUint8PerChannel(data as Float32Array, dims, axis);
      data = q.data;
      qparams = new Uint8Array(q.scales.length * 5);
      qparams.set(new Uint8Array(q.scales.buffer), 0);
      qparams.set(q.zeroPoints, q.scales.length * 4);
      recipe = `uint8[axis=${axis}]`;
    } else if (quantize) {
      const q = quantizeUint8(data as Float32Array);
      if (q) {
        data = q.data;
        dtype = q.dtype;
        recipe = q.dtype;
      }
    }
    let name = escaped;
    if (transpose) {
      const perm = dims.map((_, i) => dims.length - 1 - i);
      data = transposeArray(data, dims, perm);
      dims = perm.map((p) => dims[p]);
      if (axis !== undefined) axis = perm.indexOf(axis);
      name = `${escaped}_transposed`;
    } else if (conv && axis !== undefined) {
      // Only the _nchw file: the _nhwc twin is for OnnxStream, which cannot read per-channel weights.
      name = `${escaped}_nchw`;
    } else if (conv) {
      const nhwc = transposeArray(data, dims, [0, 2, 3, 1]);
      const nhwcFile = `${escaped}_nhwc.bin`;
      if (this.#written.get(nhwcFile) !== recipe) {
        await this.out.writeFile(nhwcFile, bytesOf(nhwc));
        this.#remember(nhwcFile, recipe);
      }
      name = `${escaped}_nchw`;
    }
    const file = `${name}.bin`;
    if (this.#written.get(file) !== recipe) {
      await this.out.writeFile(file, bytesOf(data));
      this.#remember(file, recipe);
      if (qparams) {
        await this.out.writeFile(`${file}.qparams`, qparams);
        this.#remember(`${file}.qparams`, recipe);
      }
    }
    if (axis !== undefined) dtype = `uint8[axis=${axis}]`;
    return `${file}(${dtype}:${dims.join(',')})`;
  }

  #remember(file: string, recipe: string): void {
    if (!this.#written.has(file)) this.#files.push(file);
    this.#written.set(file, recipe);
  }
}

function push(map: Map<string, number[]>, key: string, i: number): void {
  const list = map.get(key);
  if (list) list.push(i);
  else map.set(key, [i]);
}

/** `",".join(str(d.dim_value) ...)`: unknown and symbolic dims print as 0, no shape as nothing. */
function shapeText(dims: readonly Dim[] | undefined): string {
  if (!dims) return '';
  return dims.map((d) => (typeof d === 'number' ? String(d) : '0')).join(',');
}

type Values = Float32Array | Uint16Array | BigInt64Array | Uint8Array;

/** A weight's elements converted to `to` (float32, float16 bit patterns or int64). */
async function loadValues(files: ModelFiles, weight: Tensor | SourceTensor, to: DataType): Promise<Values> {
  const t = weight instanceof Tensor ? weight : await loadSource(files, weight);
  return convertElements(t.data as Values, weight.type, to);
}

async function loadSource(files: ModelFiles, w: SourceTensor): Promise<Tensor> {
  return w.tensor ?? loadSourceTensor(files, w);
}

function convertElements(data: Values, from: DataType, to: DataType): Values {
  if (from === to) return data;
  if (from === 'int64' && to === 'float32') {
    const src = data as BigInt64Array;
    const out = new Float32Array(src.length);
    for (let i = 0; i < src.length; i++) out[i] = Number(src[i]);
    return out;
  }
  if (from === 'int64' && to === 'float16') {
    return convertElements(convertElements(data, 'int64', 'float32'), 'float32', 'float16');
  }
  if (from === 'float32' && to === 'float16') {
    const src = data as Float32Array;
    const out = new Uint16Array(src.length);
    for (let i = 0; i < src.length; i++) out[i] = numpyHalf(src[i]);
    return out;
  }
  throw new Error(`cannot convert ${from} weights to ${to}`);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** NumPy's float32 -> float16 (round to nearest even; NaN keeps the top payload bits, never becoming inf). */
function numpyHalf(v: number): number {
  if (!Number.isNaN(v)) return toHalf(v);
  f32[0] = v;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  let h = 0x7c00 + ((x & 0x7fffff) >>> 13);
  if (h === 0x7c00) h++;
  return sign | h;
}

function bytesOf(data: Values): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Little-endian raw bytes of a weight converted to `to`, in chunks. */
async function* streamConverted(
  files: ModelFiles,
  weight: Tensor | SourceTensor,
  from: DataType,
  to: DataType,
): AsyncGenerator<Uint8Array> {
  if (weight instanceof Tensor || weight.tensor) {
    const t = weight instanceof Tensor ? weight : (weight.tensor as Tensor);
    yield from === to ? rawBytesOf(t) : bytesOf(convertElements(t.data as Values, from, to));
    return;
  }
  const raw = weight.raw;
  if (!raw) throw new Error(`weight '${weight.name}' has no data`);
  const elt = DTYPES[from].bytes;
  const step = Math.max(elt, Math.floor(CHUNK / elt) * elt);
  for (let off = 0; off < raw.byteLength; off += step) {
    const n = Math.min(step, raw.byteLength - off);
    const bytes = await files.read(raw.file, raw.offset + off, n);
    if (from === to) {
      yield bytes;
      continue;
    }
    const view =
      from === 'int64'
        ? new BigInt64Array(bytes.buffer, bytes.byteOffset, n / 8)
        : new Float32Array(bytes.buffer, bytes.byteOffset, n / 4);
    yield bytesOf(convertElements(view, from, to));
  }
}

/** C-order transpose of any element array. */
function transposeArray<T extends Values>(data: T, dims: readonly number[], perm: readonly number[]): T {
  const rank = dims.length;
  const count = shapeSize(dims);
  const out = new (data.constructor as new (n: number) => T)(count);
  const strides = new Array<number>(rank);
  let s = 1;
  for (let i = rank - 1; i >= 0; i--) {
    strides[i] = s;
    s *= dims[i];
  }
  const outDims = perm.map((p) => dims[p]);
  const srcStrides = perm.map((p) => strides[p]);
  const idx = new Array<number>(rank).fill(0);
  for (let o = 0; o < count; o++) {
    let off = 0;
    for (let k = 0; k < rank; k++) off += idx[k] * srcStrides[k];
    out[o] = data[off];
    for (let k = rank - 1; k >= 0; k--) {
      if (++idx[k] < outDims[k]) break;
      idx[k] = 0;
    }
  }
  return out;
}

const utf8Lenient = new TextDecoder('utf-8');

/** One attribute's value as the notebook prints it. */
function attributeText(a: AttributeObject, what: string): string {
  const type = a.type ?? inferType(a);
  switch (type) {
    case 2:
      return String(a.i ?? 0);
    case 1:
      return pyFloatRepr(a.f ?? 0);
    case 3:
      // bytes.decode("utf-8", errors="ignore"): invalid sequences are dropped.
      return utf8Lenient.decode(a.s ?? new Uint8Array()).replace(/\uFFFD/g, '');
    case 7:
      return (a.ints ?? []).map(String).join(',');
    case 4:
      return tensorAttributeText(a.t ?? {}, a.name ?? '', what);
    default:
      throw new Error(
        `${what}: attribute '${a.name}' has a type model.txt cannot hold (only int, float, string, ints and one-element tensors)`,
      );
  }
}

function tensorAttributeText(p: TensorProtoObject, name: string, what: string): string {
  const t = tensorFromProto(p);
  if (t.size !== 1) throw new Error(`${what}: tensor attribute '${name}' must have exactly one element`);
  let v = (t.data as ArrayLike<number | bigint | string>)[0];
  if (t.type === 'float16') v = fromHalf(v as number);
  else if (t.type === 'bfloat16') v = fromBfloat16(v as number);
  if (t.type === 'string') throw new Error(`${what}: string tensor attribute '${name}' is not supported`);
  const kind = t.type === 'bool' ? 'bool' : DTYPES[t.type].kind === 'float' ? 'float' : 'int';
  return pyScalarStr(v as number | bigint, kind);
}

function inferType(a: AttributeObject): number {
  if (a.f !== undefined) return 1;
  if (a.i !== undefined) return 2;
  if (a.s !== undefined) return 3;
  if (a.t !== undefined) return 4;
  if (a.g !== undefined) return 5;
  if (a.floats?.length) return 6;
  if (a.ints?.length) return 7;
  if (a.strings?.length) return 8;
  return 0;
}
