/**
 * Reads an ONNX ModelProto into our Graph without loading weight payloads: the top-level graph is
 * walked field by field; nodes and value infos (small) are decoded with protobufjs, initializers
 * are recorded as (file, offset, length) and read when their operator runs. External data
 * (`location`/`offset`/`length`) is recorded the same way.
 */
import { ModelFormatError } from '../../errors.js';
import { checkRelativePath, type ModelFiles } from '../../files/model-files.js';
import type { AttrValue, Dim, Graph, Node, ValueInfo, ValueType, WeightRef } from '../../graph/graph.js';
import { type DataType, DTYPES, dataTypeFromOnnx } from '../../tensor/dtype.js';
import { shapeSize } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { isEagerWeight, weightTensor } from '../weights.js';
import {
  type AttributeObject,
  decodeMessage,
  FunctionProto,
  type GraphProtoObject,
  type NodeObject,
  NodeProto,
  type StringStringEntry,
  TensorProto,
  type TensorProtoObject,
  type TypeProtoObject,
  type ValueInfoObject,
  ValueInfoProto,
} from './schema.js';
import { tensorFromProto } from './tensor-proto.js';
import { WIRE_LEN, WIRE_VARINT, WireCursor } from './wire.js';

const utf8 = new TextDecoder();

/** Reads `entry` (an .onnx file in `files`) into a Graph. */
export async function readOnnxModel(files: ModelFiles, entry: string): Promise<Graph> {
  const fail = (msg: string): never => {
    throw new ModelFormatError(entry, msg);
  };
  let size: number;
  try {
    size = await files.size(entry);
  } catch (e) {
    return fail(`cannot read: ${(e as Error).message}`);
  }
  try {
    const top = new WireCursor(files, entry, 0, size);
    const opsets = new Map<string, number>();
    const functions: FunctionObject[] = [];
    let graphRange: [number, number] | undefined;
    while (!top.done) {
      const [field, wire] = await top.key();
      if (field === 8 && wire === WIRE_LEN) {
        const bytes = await top.bytes(await top.length());
        const o = decodeOpset(bytes);
        opsets.set(o.domain === 'ai.onnx' ? '' : o.domain, o.version);
      } else if (field === 25 && wire === WIRE_LEN) {
        functions.push(decodeMessage<FunctionObject>(FunctionProto, await top.bytes(await top.length())));
      } else if (field === 7 && wire === WIRE_LEN) {
        const n = await top.length();
        graphRange = [top.pos, top.pos + n];
        top.pos += n;
      } else await top.skip(wire);
    }
    if (!graphRange) return fail('not an ONNX model: no graph found (is the file corrupt or not an .onnx?)');
    // IR < 3 models predate opset_import: they are opset 1.
    if (!opsets.has('')) opsets.set('', 1);
    return await readGraph(files, entry, graphRange, opsets, functionLibrary(functions, opsets));
  } catch (e) {
    if (e instanceof ModelFormatError) throw e;
    return fail(`corrupt ONNX model: ${(e as Error).message}`);
  }
}

function decodeOpset(bytes: Uint8Array): { domain: string; version: number } {
  const o = decodeMessage<{ domain?: string; version?: string }>(OPSET, bytes);
  return { domain: o.domain ?? '', version: Number(o.version ?? 0) };
}

const OPSET = NodeProto.root.lookupType('onnx.OperatorSetIdProto');

async function readGraph(
  files: ModelFiles,
  entry: string,
  [start, end]: [number, number],
  opsets: Map<string, number>,
  functions: FunctionLibrary,
): Promise<Graph> {
  const c = new WireCursor(files, entry, start, end);
  const nodes: Node[] = [];
  const inputs: ValueInfo[] = [];
  const outputs: ValueInfo[] = [];
  const valueInfo = new Map<string, ValueInfo>();
  const weights = new Map<string, WeightRef>();
  const constants = new Map<string, Tensor>();
  let name = '';
  const pendingEager: WeightRef[] = [];
  while (!c.done) {
    const [field, wire] = await c.key();
    if (wire !== WIRE_LEN) {
      await c.skip(wire);
      continue;
    }
    const n = await c.length();
    switch (field) {
      case 1: {
        // A call of a model-local function becomes the function's nodes.
        const decoded = decodeMessage<NodeObject>(NodeProto, await c.bytes(n));
        for (const p of inlineFunctions([decoded], functions))
          nodes.push(convertNode(p, nodes.length, opsets, functions));
        break;
      }
      case 2:
        name = utf8.decode(await c.bytes(n));
        break;
      case 5: {
        const init = initializerOf(await scanTensorProto(c, n, entry));
        if ('tensor' in init) constants.set(init.name, init.tensor);
        else if (isEagerWeight(init.ref)) pendingEager.push(init.ref);
        else weights.set(init.ref.name, init.ref);
        break;
      }
      case 11:
        inputs.push(convertValueInfo(decodeMessage<ValueInfoObject>(ValueInfoProto, await c.bytes(n))));
        break;
      case 12:
        outputs.push(convertValueInfo(decodeMessage<ValueInfoObject>(ValueInfoProto, await c.bytes(n))));
        break;
      case 13: {
        const v = convertValueInfo(decodeMessage<ValueInfoObject>(ValueInfoProto, await c.bytes(n)));
        valueInfo.set(v.name, v);
        break;
      }
      default:
        c.pos += n;
    }
  }
  for (const ref of pendingEager) constants.set(ref.name, await readWeight(files, ref));
  return {
    name,
    nodes,
    // IR < 4 lists initializers among the inputs too; those are weights, not feeds.
    inputs: inputs.filter((i) => !weights.has(i.name) && !constants.has(i.name)),
    outputs,
    valueInfo,
    weights,
    constants,
    opsets,
    format: 'onnx',
  };
}

async function readWeight(files: ModelFiles, ref: WeightRef): Promise<Tensor> {
  return weightTensor(ref, await files.read(ref.file, ref.offset, ref.byteLength));
}

/** An initializer as scanned: decoded whole, or where its raw little-endian bytes lie. */
export interface ScannedTensor {
  readonly name: string;
  readonly type: DataType;
  readonly dims: readonly number[];
  /** Raw little-endian bytes in a file of the model folder. */
  readonly raw?: { readonly file: string; readonly offset: number; readonly byteLength: number };
  /** Tensors whose data sits in typed proto fields, decoded already. */
  readonly tensor?: Tensor;
}

/**
 * Reads a TensorProto's header fields, recording where raw_data (or external data, relative to the
 * entry's folder) lies instead of reading it. Tensors with typed inline data (float_data,
 * int64_data, ...) are decoded whole.
 */
export async function scanTensorProto(c: WireCursor, n: number, entry: string): Promise<ScannedTensor> {
  const start = c.pos;
  const end = start + n;
  const dims: number[] = [];
  let dataType = 0;
  let name = '';
  let raw: [number, number] | undefined;
  let location = 0;
  const external: StringStringEntry[] = [];
  let inline = false;
  while (c.pos < end) {
    const [field, wire] = await c.key();
    if (field === 1 && wire === WIRE_VARINT) dims.push(await c.varint());
    else if (field === 1 && wire === WIRE_LEN) {
      const stop = c.pos + (await c.length());
      while (c.pos < stop) dims.push(await c.varint());
    } else if (field === 2 && wire === WIRE_VARINT) dataType = await c.varint();
    else if (field === 8 && wire === WIRE_LEN) name = utf8.decode(await c.bytes(await c.length()));
    else if (field === 9 && wire === WIRE_LEN) {
      const len = await c.length();
      raw = [c.pos, len];
      c.pos += len;
    } else if (field === 13 && wire === WIRE_LEN) {
      external.push(decodeMessage<StringStringEntry>(ENTRY, await c.bytes(await c.length())));
    } else if (field === 14 && wire === WIRE_VARINT) location = await c.varint();
    else {
      if ([4, 5, 6, 7, 10, 11].includes(field)) inline = true;
      await c.skip(wire);
    }
  }
  if (c.pos !== end) throw new Error(`initializer '${name}' overruns its message`);
  const type = dataTypeFromOnnx(dataType);
  const count = shapeSize(dims);
  const traits = DTYPES[type];
  const byteLength = traits.bits < 8 ? Math.ceil((count * traits.bits) / 8) : count * traits.bytes;
  if (location === 1 || external.length > 0) {
    const kv = new Map(external.map((e) => [e.key ?? '', e.value ?? '']));
    const loc = kv.get('location');
    if (!loc) throw new Error(`initializer '${name}' has external data without a location`);
    const dir = entry.includes('/') ? entry.slice(0, entry.lastIndexOf('/') + 1) : '';
    const offset = Number(kv.get('offset') ?? 0);
    const length = kv.has('length') ? Number(kv.get('length')) : byteLength;
    if (length !== byteLength) {
      throw new Error(
        `initializer '${name}': external length ${length} does not match its shape (${byteLength} bytes)`,
      );
    }
    return { name, type, dims, raw: { file: checkRelativePath(dir + loc, entry), offset, byteLength } };
  }
  if (inline || type === 'string' || !raw) {
    const all = await c.files.read(c.path, start, end - start);
    return { name, type, dims, tensor: tensorFromProto(decodeMessage<TensorProtoObject>(TensorProto, all)) };
  }
  if (raw[1] !== byteLength) {
    throw new Error(`initializer '${name}' has ${raw[1]} bytes of raw data, its shape needs ${byteLength}`);
  }
  return { name, type, dims, raw: { file: c.path, offset: raw[0], byteLength } };
}

/** A scanned initializer as the graph holds it: a constant, or a weight streamed from its file. */
function initializerOf(
  t: ScannedTensor,
): { name: string; tensor: Tensor } | { name: string; ref: WeightRef } {
  if (t.tensor) return { name: t.name, tensor: t.tensor };
  const packed = DTYPES[t.type].bits < 8 || undefined;
  return { name: t.name, ref: { name: t.name, ...t.raw!, type: t.type, dims: t.dims, packed } };
}

const ENTRY = NodeProto.root.lookupType('onnx.StringStringEntryProto');

function convertValueInfo(v: ValueInfoObject): ValueInfo {
  return { name: v.name ?? '', ...convertType(v.type) };
}

/** A TypeProto: a tensor's type and shape, or what a sequence or optional holds. */
function convertType(t: TypeProtoObject | undefined): ValueType {
  if (t?.sequence_type)
    return { nonTensor: 'sequence', elementType: tensorTypeIn(t.sequence_type.elem_type) };
  if (t?.optional_type) {
    const inner = t.optional_type.elem_type;
    const optionalOf = inner?.sequence_type ? 'sequence' : inner?.tensor_type ? 'tensor' : undefined;
    return { nonTensor: 'optional', optionalOf, elementType: tensorTypeIn(inner) };
  }
  if (t?.map_type) return { nonTensor: 'map' };
  const tt = t?.tensor_type;
  if (!tt) return {};
  const type = tt.elem_type ? dataTypeFromOnnx(tt.elem_type) : undefined;
  const dims: Dim[] | undefined = tt.shape ? (tt.shape.dim ?? []).map(convertDim) : undefined;
  return { type, dims };
}

/** The element type of the innermost tensors of a (nested) sequence or optional type. */
function tensorTypeIn(t: TypeProtoObject | undefined): DataType | undefined {
  if (!t) return undefined;
  if (t.tensor_type?.elem_type) return dataTypeFromOnnx(t.tensor_type.elem_type);
  return tensorTypeIn(t.sequence_type?.elem_type ?? t.optional_type?.elem_type);
}

function convertDim(d: { dim_value?: string | number; dim_param?: string }): Dim {
  if (d.dim_value !== undefined) return Number(d.dim_value);
  if (d.dim_param) return d.dim_param;
  return null;
}

/** Converts a decoded NodeProto. Exported for subgraphs and tests. */
export function convertNode(
  p: NodeObject,
  index: number,
  opsets: ReadonlyMap<string, number>,
  functions: FunctionLibrary = NO_FUNCTIONS,
): Node {
  const opType = p.op_type ?? '';
  const domain = p.domain === 'ai.onnx' ? '' : (p.domain ?? '');
  const attributes = new Map<string, AttrValue>();
  for (const a of p.attribute ?? []) {
    const v = convertAttribute(a, opsets, functions);
    if (v) attributes.set(a.name ?? '', v);
  }
  return {
    name: p.name || `${opType}_${index}`,
    opType,
    domain,
    inputs: p.input ?? [],
    outputs: p.output ?? [],
    attributes,
  };
}

/** AttributeProto with the type-proto fields (Optional's `type` attribute and the like). */
interface TypedAttributeObject extends AttributeObject {
  tp?: TypeProtoObject;
  type_protos?: TypeProtoObject[];
}

/**
 * Converts one attribute. A TYPE_PROTO attribute (13) becomes the value type it describes
 * (Optional's `type`); TYPE_PROTOS (14) has no user among the operators and is left out rather than
 * making the whole model unreadable.
 */
function convertAttribute(
  a: TypedAttributeObject,
  opsets: ReadonlyMap<string, number>,
  functions: FunctionLibrary,
): AttrValue | undefined {
  const type = a.type ?? inferAttributeType(a);
  switch (type) {
    case 1:
      return { type: 'float', value: a.f ?? 0 };
    case 2:
      return { type: 'int', value: Number(a.i ?? 0) };
    case 3:
      return { type: 'string', value: utf8.decode(a.s ?? new Uint8Array()) };
    case 4:
      return { type: 'tensor', value: tensorFromProto(a.t ?? {}) };
    case 5:
      return { type: 'graph', value: convertSubgraph(a.g ?? {}, opsets, functions) };
    case 6:
      return { type: 'floats', value: a.floats ?? [] };
    case 7:
      return { type: 'ints', value: (a.ints ?? []).map(Number) };
    case 8:
      return { type: 'strings', value: (a.strings ?? []).map((s) => utf8.decode(s)) };
    case 9:
      return { type: 'tensors', value: (a.tensors ?? []).map(tensorFromProto) };
    case 10:
      return { type: 'graphs', value: (a.graphs ?? []).map((g) => convertSubgraph(g, opsets, functions)) };
    case 13:
      return { type: 'typeProto', value: convertType(a.tp) };
    case 14:
      return undefined;
    default:
      throw new Error(`attribute '${a.name}' has unsupported type ${type}`);
  }
}

function inferAttributeType(a: TypedAttributeObject): number {
  if (a.f !== undefined) return 1;
  if (a.i !== undefined) return 2;
  if (a.s !== undefined) return 3;
  if (a.t !== undefined) return 4;
  if (a.g !== undefined) return 5;
  if (a.tp !== undefined) return 13;
  if (a.floats?.length) return 6;
  if (a.ints?.length) return 7;
  if (a.strings?.length) return 8;
  if (a.tensors?.length) return 9;
  if (a.graphs?.length) return 10;
  if (a.type_protos?.length) return 14;
  return 0;
}

/** A subgraph (If/Loop/Scan body): decoded whole, its initializers kept as in-memory constants. */
export function convertSubgraph(
  g: GraphProtoObject,
  opsets: ReadonlyMap<string, number>,
  functions: FunctionLibrary = NO_FUNCTIONS,
): Graph {
  const constants = new Map<string, Tensor>();
  for (const t of g.initializer ?? []) constants.set(t.name ?? '', tensorFromProto(t));
  const valueInfo = new Map<string, ValueInfo>();
  for (const v of g.value_info ?? []) {
    const info = convertValueInfo(v);
    valueInfo.set(info.name, info);
  }
  return {
    name: g.name ?? '',
    nodes: inlineFunctions(g.node ?? [], functions).map((n, i) => convertNode(n, i, opsets, functions)),
    inputs: (g.input ?? []).map(convertValueInfo).filter((i) => !constants.has(i.name)),
    outputs: (g.output ?? []).map(convertValueInfo),
    valueInfo,
    weights: new Map(),
    constants,
    opsets,
    format: 'onnx',
  };
}

// ---- Model-local functions (ModelProto.functions) --------------------------------------------

/** A decoded FunctionProto. */
interface FunctionObject {
  name?: string;
  domain?: string;
  overload?: string;
  input?: string[];
  output?: string[];
  attribute?: string[];
  attribute_proto?: AttributeObject[];
  node?: NodeObject[];
  opset_import?: { domain?: string; version?: string }[];
}

/** NodeProto with the IR 10 `overload` field, part of a function's identity. */
interface CallingNodeObject extends NodeObject {
  overload?: string;
}

/** The model's functions by (domain, name, overload), and a counter that keeps inlined names unique. */
export interface FunctionLibrary {
  readonly byKey: ReadonlyMap<string, FunctionObject>;
  inlined: number;
}

const NO_FUNCTIONS: FunctionLibrary = { byKey: new Map(), inlined: 0 };

/** Nesting limit: a function calling itself (directly or not) is a model error. */
const MAX_FUNCTION_DEPTH = 64;

function functionKey(
  domain: string | undefined,
  name: string | undefined,
  overload: string | undefined,
): string {
  return `${domain === 'ai.onnx' ? '' : (domain ?? '')}::${name ?? ''}::${overload ?? ''}`;
}

/** Indexes the model's functions; domains only they import join the model's opsets. */
function functionLibrary(functions: readonly FunctionObject[], opsets: Map<string, number>): FunctionLibrary {
  const byKey = new Map<string, FunctionObject>();
  for (const f of functions) {
    byKey.set(functionKey(f.domain, f.name, f.overload), f);
    for (const o of f.opset_import ?? []) {
      const domain = o.domain === 'ai.onnx' ? '' : (o.domain ?? '');
      if (!opsets.has(domain)) opsets.set(domain, Number(o.version ?? 1));
    }
  }
  return { byKey, inlined: 0 };
}

/**
 * Replaces every node that calls a model-local function by the function's body: formal inputs and
 * outputs become the caller's values, the body's own values get a unique prefix, and attributes
 * that reference the caller's (`ref_attr_name`) take the caller's value or the function's default.
 * Calls nested in subgraphs are inlined when those subgraphs are converted.
 */
function inlineFunctions(nodes: readonly NodeObject[], lib: FunctionLibrary, depth = 0): NodeObject[] {
  if (lib.byKey.size === 0) return [...nodes];
  const out: NodeObject[] = [];
  for (const node of nodes as readonly CallingNodeObject[]) {
    const f = lib.byKey.get(functionKey(node.domain, node.op_type, node.overload));
    if (!f) {
      out.push(node);
      continue;
    }
    if (depth >= MAX_FUNCTION_DEPTH)
      throw new Error(`function '${f.name}' nests deeper than ${MAX_FUNCTION_DEPTH} calls`);
    const prefix = `${f.name}_${lib.inlined++}/`;
    const names = new Map<string, string>([
      ...(f.input ?? []).map((formal, i) => [formal, node.input?.[i] ?? ''] as const),
      ...(f.output ?? []).map((formal, i) => [formal, node.output?.[i] ?? ''] as const),
    ]);
    const rename = (n: string): string => (n === '' ? '' : (names.get(n) ?? prefix + n));
    const callerAttrs = new Map((node.attribute ?? []).map((a) => [a.name ?? '', a]));
    const defaults = new Map((f.attribute_proto ?? []).map((a) => [a.name ?? '', a]));
    const bind = (ref: string): AttributeObject | undefined => callerAttrs.get(ref) ?? defaults.get(ref);
    const body = (f.node ?? []).map((n, i) =>
      renameNode(n, rename, bind, `${node.name || f.name}/${n.name || `${n.op_type}_${i}`}`),
    );
    out.push(...inlineFunctions(body, lib, depth + 1));
  }
  return out;
}

type Rename = (name: string) => string;
type BindAttribute = (ref: string) => AttributeObject | undefined;

function renameNode(n: NodeObject, rename: Rename, bind: BindAttribute, name: string): NodeObject {
  const attribute: AttributeObject[] = [];
  for (const a of n.attribute ?? []) {
    if (a.ref_attr_name) {
      // An unbound reference means the attribute is absent (the operator's default applies).
      const bound = bind(a.ref_attr_name);
      if (bound) attribute.push({ ...bound, name: a.name });
    } else if (a.g || a.graphs?.length) {
      attribute.push({
        ...a,
        g: a.g && renameGraph(a.g, rename, bind),
        graphs: a.graphs?.map((g) => renameGraph(g, rename, bind)),
      });
    } else attribute.push(a);
  }
  return { ...n, name, input: (n.input ?? []).map(rename), output: (n.output ?? []).map(rename), attribute };
}

/** Applies a function call's renaming to a subgraph of its body (its own values are the function's too). */
function renameGraph(g: GraphProtoObject, rename: Rename, bind: BindAttribute): GraphProtoObject {
  const info = (v: { name?: string }) => ({ ...v, name: rename(v.name ?? '') });
  return {
    ...g,
    node: (g.node ?? []).map((n, i) => renameNode(n, rename, bind, n.name || `${n.op_type}_${i}`)),
    initializer: (g.initializer ?? []).map(info),
    input: (g.input ?? []).map(info),
    output: (g.output ?? []).map(info),
    value_info: (g.value_info ?? []).map(info),
  };
}
