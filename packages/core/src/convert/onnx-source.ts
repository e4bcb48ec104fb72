/**
 * The parts of an ONNX ModelProto the converter needs, read without loading weight payloads: nodes
 * and value infos are decoded whole (small); initializers are recorded as (file, offset, length), with
 * external data resolved against the model's folder, and read one at a time when written out.
 */
import type { ModelFiles } from '../files/model-files.js';
import { checkRelativePath } from '../files/model-files.js';
import {
  decodeMessage,
  type NodeObject,
  NodeProto,
  type StringStringEntry,
  TensorProto,
  type TensorProtoObject,
  type ValueInfoObject,
  ValueInfoProto,
} from '../formats/onnx/schema.js';
import { tensorFromProto } from '../formats/onnx/tensor-proto.js';
import { WIRE_LEN, WIRE_VARINT, WireCursor } from '../formats/onnx/wire.js';
import { tensorFromRaw } from '../formats/raw.js';
import { type DataType, DTYPES, dataTypeFromOnnx } from '../tensor/dtype.js';
import { shapeSize } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

const utf8 = new TextDecoder();

/** An initializer (or a Constant node's tensor): where its bytes are, or the tensor itself. */
export interface SourceTensor {
  readonly name: string;
  readonly type: DataType;
  readonly dims: readonly number[];
  /** Raw little-endian bytes in a file of the model folder. */
  readonly raw?: { readonly file: string; readonly offset: number; readonly byteLength: number };
  /** Tensors whose data sits in typed proto fields (or Constant attributes), decoded already. */
  readonly tensor?: Tensor;
}

export interface OnnxSource {
  readonly files: ModelFiles;
  readonly entry: string;
  readonly opsets: ReadonlyMap<string, number>;
  readonly nodes: NodeObject[];
  readonly initializers: ReadonlyMap<string, SourceTensor>;
  /** All graph inputs as listed (IR < 4 files list initializers here too). */
  readonly inputs: ValueInfoObject[];
  readonly outputs: ValueInfoObject[];
  /** value_info entries in file order (duplicates kept, as onnx2txt counts them). */
  readonly valueInfo: ValueInfoObject[];
}

const OPSET = NodeProto.root.lookupType('onnx.OperatorSetIdProto');
const ENTRY = NodeProto.root.lookupType('onnx.StringStringEntryProto');

/** Reads the top-level graph of `entry` (an .onnx file in `files`). */
export async function readOnnxSource(files: ModelFiles, entry: string): Promise<OnnxSource> {
  const size = await files.size(entry);
  const top = new WireCursor(files, entry, 0, size);
  const opsets = new Map<string, number>();
  let graphRange: [number, number] | undefined;
  while (!top.done) {
    const [field, wire] = await top.key();
    if (field === 8 && wire === WIRE_LEN) {
      const o = decodeMessage<{ domain?: string; version?: string }>(
        OPSET,
        await top.bytes(await top.length()),
      );
      opsets.set(o.domain === 'ai.onnx' ? '' : (o.domain ?? ''), Number(o.version ?? 0));
    } else if (field === 7 && wire === WIRE_LEN) {
      const n = await top.length();
      graphRange = [top.pos, top.pos + n];
      top.pos += n;
    } else await top.skip(wire);
  }
  if (!graphRange) throw new Error(`${entry}: not an ONNX model (no graph)`);
  if (!opsets.has('')) opsets.set('', 1);
  const c = new WireCursor(files, entry, graphRange[0], graphRange[1]);
  const nodes: NodeObject[] = [];
  const initializers = new Map<string, SourceTensor>();
  const inputs: ValueInfoObject[] = [];
  const outputs: ValueInfoObject[] = [];
  const valueInfo: ValueInfoObject[] = [];
  while (!c.done) {
    const [field, wire] = await c.key();
    if (wire !== WIRE_LEN) {
      await c.skip(wire);
      continue;
    }
    const n = await c.length();
    switch (field) {
      case 1:
        nodes.push(decodeMessage<NodeObject>(NodeProto, await c.bytes(n)));
        break;
      case 5: {
        const t = await scanInitializer(c, n, entry);
        // onnx2txt takes the first initializer of a name.
        if (!initializers.has(t.name)) initializers.set(t.name, t);
        break;
      }
      case 11:
        inputs.push(decodeMessage<ValueInfoObject>(ValueInfoProto, await c.bytes(n)));
        break;
      case 12:
        outputs.push(decodeMessage<ValueInfoObject>(ValueInfoProto, await c.bytes(n)));
        break;
      case 13:
        valueInfo.push(decodeMessage<ValueInfoObject>(ValueInfoProto, await c.bytes(n)));
        break;
      default:
        c.pos += n;
    }
  }
  return { files, entry, opsets, nodes, initializers, inputs, outputs, valueInfo };
}

/** Records a TensorProto's header and where raw_data lies; typed inline data is decoded whole. */
async function scanInitializer(c: WireCursor, n: number, entry: string): Promise<SourceTensor> {
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
  const type = dataTypeFromOnnx(dataType);
  const traits = DTYPES[type];
  const count = shapeSize(dims);
  const byteLength = traits.bits < 8 ? Math.ceil((count * traits.bits) / 8) : count * traits.bytes;
  if (location === 1 || external.length > 0) {
    const kv = new Map(external.map((e) => [e.key ?? '', e.value ?? '']));
    const loc = kv.get('location');
    if (!loc) throw new Error(`initializer '${name}' has external data without a location`);
    const dir = entry.includes('/') ? entry.slice(0, entry.lastIndexOf('/') + 1) : '';
    const file = checkRelativePath(dir + loc, entry);
    const offset = Number(kv.get('offset') ?? 0);
    const length = kv.has('length') ? Number(kv.get('length')) : byteLength;
    if (length !== byteLength)
      throw new Error(
        `initializer '${name}': external length ${length}, its shape needs ${byteLength} bytes`,
      );
    return { name, type, dims, raw: { file, offset, byteLength } };
  }
  if (inline || type === 'string' || !raw) {
    const bytes = await c.files.read(c.path, start, end - start);
    const p = decodeMessage<TensorProtoObject>(TensorProto, bytes);
    return { name, type, dims, tensor: tensorFromProto(p) };
  }
  if (raw[1] !== byteLength)
    throw new Error(`initializer '${name}' has ${raw[1]} bytes of raw data, its shape needs ${byteLength}`);
  return { name, type, dims, raw: { file: c.path, offset: raw[0], byteLength } };
}

/** Reads a whole source tensor into memory. */
export async function loadSourceTensor(files: ModelFiles, t: SourceTensor): Promise<Tensor> {
  if (t.tensor) return t.tensor;
  if (!t.raw) throw new Error(`tensor '${t.name}' has no data`);
  const bytes = await files.read(t.raw.file, t.raw.offset, t.raw.byteLength);
  return tensorFromRaw(t.type, t.dims, bytes);
}

/** A Constant node's tensor (onnx2txt reads only `value`; the other value_* forms are accepted too). */
export function constantNodeTensor(node: NodeObject): Tensor | undefined {
  const attrs = node.attribute ?? [];
  if (attrs.length !== 1) return undefined;
  const a = attrs[0];
  switch (a.name) {
    case 'value':
      return a.t ? tensorFromProto(a.t) : undefined;
    case 'value_float':
      return new Tensor('float32', [a.f ?? 0], []);
    case 'value_floats':
      return new Tensor('float32', a.floats ?? [], [(a.floats ?? []).length]);
    case 'value_int':
      return new Tensor('int64', [BigInt(a.i ?? 0)], []);
    case 'value_ints':
      return new Tensor(
        'int64',
        (a.ints ?? []).map((v) => BigInt(v)),
        [(a.ints ?? []).length],
      );
    default:
      return undefined;
  }
}
