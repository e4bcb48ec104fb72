/**
 * Reader of OnnxStream model folders: `model.txt` (one operation per line) plus raw `.bin` weights,
 * as ../shared/docs/onnxstream-reference.md sections 1 and 4 specify.
 *
 *   line   := opname ":" optype "*" "input:" tensors "*" "output:" tensors [ "*" attrs ]
 *   tensor := "" | name "(" [dtype ":"] shape ")"
 *
 * Besides OnnxStream's dtypes, a weight may be `uint8[axis=A]`: quantised per channel along axis A
 * (`onnxstream convert --uint8-per-channel`), its scales and zero points in `<file>.qparams` beside
 * it: float32[dims[A]] scales, then uint8[dims[A]] zero points. OnnxStream itself cannot read these.
 */
import { ModelFormatError } from '../../errors.js';
import type { ModelFiles } from '../../files/model-files.js';
import type {
  AttrValue,
  ChannelQuantization,
  Dim,
  Graph,
  Node,
  ValueInfo,
  WeightRef,
} from '../../graph/graph.js';
import { type DataType, DTYPES, isDataType } from '../../tensor/dtype.js';
import type { Quantization, Tensor } from '../../tensor/tensor.js';
import { isEagerWeight, toComputeType, weightTensor } from '../weights.js';

/** The ai.onnx opset model.txt semantics correspond to (Split/Unsqueeze take inputs, ReduceMean an axes attribute). */
export const MODEL_TXT_OPSET = 17;

/** Internal attribute marking OnnxStream's Slice quirk: without an `axes` input, the last axes are sliced. */
export const SLICE_LAST_AXES_ATTR = 'onnxstream_slice_last_axes';

interface TensorToken {
  name: string;
  /** Set for weights (`name.bin(dtype:shape)`). */
  type?: DataType;
  quant?: Quantization;
  /** `uint8[axis=A]`: quantised per channel along A (parameters in the `.qparams` file). */
  channelAxis?: number;
  /** undefined: `()` with no dims (scalar weight, or unknown runtime shape). */
  dims: Dim[] | undefined;
}

/** Parses model.txt text into a Graph; weights are resolved against `files` (the model folder). */
export async function readModelTxt(files: ModelFiles, entry: string, text?: string): Promise<Graph> {
  let src = text;
  if (src === undefined) {
    const size = await files.size(entry);
    src = new TextDecoder().decode(await files.read(entry, 0, size));
  }
  const parsed = parseModelTxt(src, entry);
  const dir = entry.includes('/') ? entry.slice(0, entry.lastIndexOf('/') + 1) : '';
  return buildGraph(parsed, files, entry, dir);
}

interface ParsedOp {
  name: string;
  type: string;
  inputs: (TensorToken | null)[];
  outputs: (TensorToken | null)[];
  attrs: Map<string, string>;
  line: number;
}

/** Pure text parsing, with errors naming file and line. */
export function parseModelTxt(text: string, file = 'model.txt'): ParsedOp[] {
  const ops: ParsedOp[] = [];
  let lineNo = 0;
  let offset = 0;
  // Lines are separated by any run of CR/LF; we still count them for messages.
  for (const raw of text.split('\n')) {
    lineNo++;
    const lineOffset = offset;
    offset += raw.length + 1;
    for (const piece of raw.split('\r')) {
      if (piece.trim() === '') continue;
      ops.push(parseLine(piece, file, lineNo, lineOffset));
    }
  }
  return ops;
}

function parseLine(line: string, file: string, lineNo: number, byteOffset: number): ParsedOp {
  const fail = (msg: string): never => {
    throw new ModelFormatError(
      file,
      `${msg}: ${line.length > 200 ? `${line.slice(0, 200)}...` : line}`,
      lineNo,
    );
  };
  const parts = line.split('*');
  if (parts.length !== 3 && parts.length !== 4)
    fail(`expected 3 or 4 '*'-separated parts, found ${parts.length}`);
  const head = parts[0].split(':');
  if (head.length !== 2) fail(`expected 'name:OpType' before the first '*'`);
  const [opName, opType] = head;
  if (!opType) fail('missing operator type');
  if (!parts[1].startsWith('input:')) fail(`second part must start with 'input:'`);
  if (!parts[2].startsWith('output:')) fail(`third part must start with 'output:'`);
  const tensors = (s: string) => s.split(';').map((t) => (t === '' ? null : parseTensor(t, fail)));
  const inputs = tensors(parts[1].slice('input:'.length));
  const outputs = tensors(parts[2].slice('output:'.length));
  const attrs = new Map<string, string>();
  if (parts.length === 4 && parts[3] !== '') {
    for (const item of parts[3].split(';')) {
      const kv = item.split(':');
      if (kv.length !== 2 || kv[0] === '') fail(`attribute '${item}' must be 'key:value'`);
      attrs.set(kv[0], kv[1]);
    }
  }
  return {
    name: opName || `onnxstream_fallback_name_${byteOffset}`,
    type: opType,
    inputs,
    outputs,
    attrs,
    line: lineNo,
  };
}

function parseTensor(item: string, fail: (msg: string) => never): TensorToken {
  const open = item.split('(');
  if (open.length !== 2 || !item.endsWith(')'))
    fail(`malformed tensor '${item}' (expected name(shape) or name(dtype:shape))`);
  const name = open[0];
  if (name === '') fail(`tensor '${item}' has no name`);
  const spec = open[1].slice(0, -1).split(':');
  if (spec.length > 2) fail(`malformed tensor spec in '${item}'`);
  let type: DataType | undefined;
  let quant: Quantization | undefined;
  let channelAxis: number | undefined;
  if (spec.length === 2) {
    const t = spec[0];
    const q = /^uint8\[([^,\]]+),([^,\]]+)\]$/.exec(t);
    const perChannel = /^uint8\[axis=(\d+)\]$/.exec(t);
    if (perChannel) {
      type = 'uint8';
      channelAxis = Number(perChannel[1]);
    } else if (q) {
      const scale = Number(q[1]);
      const zeroPoint = Number(q[2]);
      if (!Number.isFinite(scale) || !Number.isInteger(zeroPoint) || zeroPoint < 0 || zeroPoint > 255) {
        fail(`bad uint8 quantisation '${t}' in '${item}'`);
      }
      type = 'uint8';
      quant = { scale, zeroPoint };
    } else if (isDataType(t) && t !== 'string') type = t;
    else fail(`unknown dtype '${t}' in '${item}'`);
  }
  const shapeText = spec[spec.length - 1];
  let dims: Dim[] | undefined;
  if (shapeText !== '') {
    dims = shapeText.split(',').map((d) => {
      const v = Number(d);
      if (d.trim() === '' || !Number.isInteger(v) || v < 0) fail(`bad dimension '${d}' in '${item}'`);
      return v === 0 ? null : v;
    });
  }
  if (type !== undefined && dims?.some((d) => d === null)) fail(`weight '${name}' must have a static shape`);
  if (channelAxis !== undefined && !(dims && channelAxis < dims.length))
    fail(`per-channel axis ${channelAxis} of '${item}' is not one of its ${dims?.length ?? 0} axes`);
  return { name, type, quant, channelAxis, dims };
}

async function buildGraph(ops: ParsedOp[], files: ModelFiles, entry: string, dir: string): Promise<Graph> {
  const nodes: Node[] = [];
  const weights = new Map<string, WeightRef>();
  const constants = new Map<string, Tensor>();
  const produced = new Map<string, Dim[] | undefined>();
  const consumed = new Set<string>();
  const inputs: ValueInfo[] = [];
  const inputNames = new Set<string>();

  for (const op of ops) {
    const source = `${entry}:${op.line}`;
    const inNames: string[] = [];
    for (const t of op.inputs) {
      if (!t) {
        inNames.push('');
        continue;
      }
      if (t.type) {
        inNames.push(await declareWeight(t, source));
        continue;
      }
      consumed.add(t.name);
      if (!produced.has(t.name) && !inputNames.has(t.name)) {
        inputNames.add(t.name);
        inputs.push({ name: t.name, dims: t.dims });
      }
      inNames.push(t.name);
    }
    const outNames = op.outputs.map((t) => {
      if (!t) return '';
      if (t.type) throw new ModelFormatError(entry, `output '${t.name}' cannot be a weight`, op.line);
      produced.set(t.name, t.dims);
      return t.name;
    });
    const attributes = new Map<string, AttrValue>();
    for (const [k, v] of op.attrs) attributes.set(k, { type: 'text', value: v });
    // OnnxStream's defaults where they differ from ONNX.
    if (op.type === 'Split' && !attributes.has('axis')) attributes.set('axis', { type: 'int', value: -1 });
    if (op.type === 'Slice' && op.inputs.length < 4)
      attributes.set(SLICE_LAST_AXES_ATTR, { type: 'int', value: 1 });
    nodes.push({
      name: op.name,
      opType: op.type,
      domain: '',
      inputs: inNames,
      outputs: outNames,
      attributes,
      source,
    });
  }

  /** Registers a weight token. */
  async function declareWeight(t: TensorToken, source: string): Promise<string> {
    if (weights.has(t.name) || constants.has(t.name)) return t.name;
    const type = t.type!;
    const dims = (t.dims ?? []) as number[];
    const byteLength = dims.reduce((a, b) => a * b, 1) * DTYPES[type].bytes;
    // OnnxStream computes in float32 on float16 and uint8[s,z] weights unless asked otherwise.
    const computeType = type === 'float16' || t.quant || t.channelAxis !== undefined ? 'float32' : undefined;
    const ref: WeightRef = {
      name: t.name,
      file: dir + t.name,
      offset: 0,
      byteLength,
      type,
      dims,
      quant: t.quant,
      computeType,
      channelQuant:
        t.channelAxis === undefined
          ? undefined
          : await channelParams(t.channelAxis, dims, dir + t.name, source),
    };
    // OnnxStream reads the _nhwc twin of a _nchw conv weight (its model repositories ship only that
    // one). Operators here want NCHW: the _nchw file is used as is when present, else the twin is
    // transposed on load.
    if (t.name.includes('_nchw.bin') && dims.length === 4 && !(await files.exists(ref.file))) {
      const nhwc = dir + t.name.replace('_nchw.bin', '_nhwc.bin');
      if (await files.exists(nhwc)) {
        const [o, i, h, w] = dims;
        await addWeight(
          { ...ref, file: nhwc, fileLayout: { dims: [o, h, w, i], perm: [0, 3, 1, 2] } },
          source,
        );
        return t.name;
      }
    }
    await addWeight(ref, source);
    return t.name;
  }

  /** A per-channel weight's scales and zero points, from `<file>.qparams`. */
  async function channelParams(
    axis: number,
    dims: readonly number[],
    file: string,
    source: string,
  ): Promise<ChannelQuantization> {
    const params = `${file}.qparams`;
    const channels = dims[axis];
    let bytes: Uint8Array;
    try {
      const size = await files.size(params);
      if (size !== channels * 5) {
        throw new Error(
          `${params} holds ${size} bytes, not ${channels * 5} (${channels} float32 scales, then ${channels} uint8 zero points)`,
        );
      }
      bytes = await files.read(params, 0, size);
    } catch (e) {
      throw new ModelFormatError(
        source,
        `weight '${file.slice(dir.length)}' quantised per channel: ${(e as Error).message}`,
      );
    }
    const scales = new Float32Array(bytes.slice(0, channels * 4).buffer);
    if (!scales.every(Number.isFinite)) {
      throw new ModelFormatError(source, `${params}: a scale is not a finite number`);
    }
    return { axis, scales, zeroPoints: bytes.slice(channels * 4) };
  }

  async function addWeight(ref: WeightRef, source: string): Promise<void> {
    if (ref.byteLength === 0)
      throw new ModelFormatError(
        source,
        `weight '${ref.name}' is empty (OnnxStream rejects zero-byte weights)`,
      );
    if (isEagerWeight(ref)) {
      try {
        constants.set(
          ref.name,
          toComputeType(ref, weightTensor(ref, await files.read(ref.file, 0, ref.byteLength))),
        );
      } catch (e) {
        throw new ModelFormatError(source, (e as Error).message);
      }
    } else weights.set(ref.name, ref);
  }

  const outputs: ValueInfo[] = [];
  for (const [name, dims] of produced) if (!consumed.has(name)) outputs.push({ name, dims });
  const valueInfo = new Map<string, ValueInfo>();
  for (const [name, dims] of produced) valueInfo.set(name, { name, dims });
  return {
    name: entry,
    nodes,
    inputs,
    outputs,
    valueInfo,
    weights,
    constants,
    opsets: new Map([['', MODEL_TXT_OPSET]]),
    format: 'onnxstream',
  };
}
