/**
 * The parts of an ONNX ModelProto the converter needs, read without loading weight payloads: nodes
 * and value infos are decoded whole (small); initializers are recorded as (file, offset, length), with
 * external data resolved against the model's folder, and read one at a time when written out.
 */
import type { ModelFiles } from '../files/model-files.js';
import { type ScannedTensor, scanTensorProto } from '../formats/onnx/model-reader.js';
import {
  decodeMessage,
  type NodeObject,
  NodeProto,
  type ValueInfoObject,
  ValueInfoProto,
} from '../formats/onnx/schema.js';
import { tensorFromProto } from '../formats/onnx/tensor-proto.js';
import { WIRE_LEN, WireCursor } from '../formats/onnx/wire.js';
import { tensorFromRaw } from '../formats/raw.js';
import { Tensor } from '../tensor/tensor.js';

const _utf8 = new TextDecoder();

/** An initializer (or a Constant node's tensor): where its bytes are, or the tensor itself. */
/** An initializer or Constant tensor of the source: decoded, or where its raw bytes lie. */
export type SourceTensor = ScannedTensor;

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
const _ENTRY = NodeProto.root.lookupType('onnx.StringStringEntryProto');

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
        const t = await scanTensorProto(c, n, entry);
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
