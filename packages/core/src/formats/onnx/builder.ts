/**
 * Writes small ONNX models from a plain description (tests, examples, generated models). Weights go
 * inline as raw_data, or to external-data files when `external` is given.
 */
import type { Dim } from '../../graph/graph.js';
import { type DataType, onnxCode } from '../../tensor/dtype.js';
import type { Tensor } from '../../tensor/tensor.js';
import { rawBytesOf } from '../raw.js';
import { ModelProto } from './schema.js';
import { tensorToProto } from './tensor-proto.js';

export type OnnxAttr =
  | { readonly i: number }
  | { readonly f: number }
  | { readonly s: string }
  | { readonly ints: readonly number[] }
  | { readonly floats: readonly number[] }
  | { readonly strings: readonly string[] }
  | { readonly t: Tensor };

export interface OnnxNodeSpec {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly name?: string;
  readonly domain?: string;
  readonly attrs?: Readonly<Record<string, OnnxAttr>>;
}

export interface OnnxValueSpec {
  readonly name: string;
  readonly type: DataType;
  readonly dims?: readonly Dim[];
}

export interface OnnxModelSpec {
  readonly inputs: readonly OnnxValueSpec[];
  readonly outputs: readonly OnnxValueSpec[];
  readonly nodes: readonly OnnxNodeSpec[];
  readonly initializers?: Readonly<Record<string, Tensor>>;
  readonly opset?: number;
  readonly irVersion?: number;
  /** Write initializers to this external-data file name (relative to the model) instead of inline. */
  readonly external?: string;
}

export interface EncodedOnnxModel {
  readonly model: Uint8Array;
  /** Contents of the external-data file, when `external` was given. */
  readonly externalData?: Uint8Array;
}

const encoder = new TextEncoder();

function attribute(name: string, a: OnnxAttr): Record<string, unknown> {
  if ('i' in a) return { name, type: 2, i: a.i };
  if ('f' in a) return { name, type: 1, f: a.f };
  if ('s' in a) return { name, type: 3, s: encoder.encode(a.s) };
  if ('ints' in a) return { name, type: 7, ints: [...a.ints] };
  if ('floats' in a) return { name, type: 6, floats: [...a.floats] };
  if ('strings' in a) return { name, type: 8, strings: a.strings.map((s) => encoder.encode(s)) };
  return { name, type: 4, t: tensorToProto(a.t) };
}

function valueInfo(v: OnnxValueSpec): Record<string, unknown> {
  const tensorType: Record<string, unknown> = { elem_type: onnxCode(v.type) };
  if (v.dims) {
    tensorType.shape = {
      dim: v.dims.map((d) => (typeof d === 'number' ? { dim_value: d } : d === null ? {} : { dim_param: d })),
    };
  }
  return { name: v.name, type: { tensor_type: tensorType } };
}

export function encodeOnnxModel(spec: OnnxModelSpec): EncodedOnnxModel {
  const chunks: Uint8Array[] = [];
  let offset = 0;
  const initializer = Object.entries(spec.initializers ?? {}).map(([name, t]) => {
    if (!spec.external) return tensorToProto(t, name);
    const raw = rawBytesOf(t);
    // Keep each tensor 64-byte aligned in the data file, as onnx's save_model does for large tensors.
    const pad = (64 - (offset % 64)) % 64;
    if (pad) chunks.push(new Uint8Array(pad));
    offset += pad;
    const p = {
      name,
      dims: [...t.dims],
      data_type: onnxCode(t.type),
      data_location: 1,
      external_data: [
        { key: 'location', value: spec.external },
        { key: 'offset', value: String(offset) },
        { key: 'length', value: String(raw.byteLength) },
      ],
    };
    chunks.push(raw);
    offset += raw.byteLength;
    return p;
  });
  const model = {
    ir_version: spec.irVersion ?? 8,
    producer_name: 'onnxstream-js',
    opset_import: [{ domain: '', version: spec.opset ?? 17 }],
    graph: {
      name: 'graph',
      node: spec.nodes.map((n, i) => ({
        name: n.name ?? `${n.op}_${i}`,
        op_type: n.op,
        domain: n.domain ?? '',
        input: [...n.inputs],
        output: [...n.outputs],
        attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attribute(k, v)),
      })),
      initializer,
      input: spec.inputs.map(valueInfo),
      output: spec.outputs.map(valueInfo),
    },
  };
  const bytes = ModelProto.encode(ModelProto.fromObject(model)).finish();
  if (!spec.external) return { model: bytes };
  const data = new Uint8Array(offset);
  let p = 0;
  for (const c of chunks) {
    data.set(c, p);
    p += c.byteLength;
  }
  return { model: bytes, externalData: data };
}
