import type { DataType } from '../tensor/dtype.js';
import type { Quantization, Tensor } from '../tensor/tensor.js';
import type { OptionalKind } from '../tensor/value.js';

/** The default ONNX domain is the empty string (`ai.onnx`). */
export const ONNX_DOMAIN = '';

/** One dimension of a declared shape: a number, a symbolic name, or unknown. */
export type Dim = number | string | null;

/** A value's declared type (an ONNX TypeProto). */
export interface ValueType {
  /** Tensor element type (unset for values that are not tensors: see `elementType`). */
  readonly type?: DataType;
  /** Undefined when the model does not say. */
  readonly dims?: readonly Dim[];
  /** Set for ONNX values that are not tensors: sequences, optionals and maps (the engine runs no maps). */
  readonly nonTensor?: 'sequence' | 'optional' | 'map';
  /** Sequences and optionals: the type of the tensors inside, when declared. */
  readonly elementType?: DataType;
  /** Optionals: what the optional holds, when declared. */
  readonly optionalOf?: OptionalKind;
}

/** A graph input or output as the model declares it. */
export interface ValueInfo extends ValueType {
  readonly name: string;
}

/**
 * A weight that lives in the model's files and is streamed when its operator runs.
 * `file` is relative to the model folder; the provider reads `byteLength` bytes at `offset`.
 */
export interface WeightRef {
  /** Value name in the graph. */
  readonly name: string;
  readonly file: string;
  readonly offset: number;
  readonly byteLength: number;
  /** Element type in the file. */
  readonly type: DataType;
  readonly dims: readonly number[];
  readonly quant?: Quantization;
  /**
   * The type operators see when it differs from the file's: the engine converts on load (OnnxStream
   * model folders compute in float32 on float16 and quantised uint8 weights by default).
   */
  readonly computeType?: DataType;
  /** Sub-byte ONNX types (int4, float4...) are stored packed in files. */
  readonly packed?: boolean;
  /**
   * The file holds the data in another axis order: an array of `fileLayout.dims` that becomes `dims`
   * when transposed by `fileLayout.perm` (OnnxStream's `_nhwc.bin` conv weights: OHWI, perm 0,3,1,2).
   */
  readonly fileLayout?: { readonly dims: readonly number[]; readonly perm: readonly number[] };
  /**
   * The file holds uint8 values quantised per channel along `axis` of `dims` (our model folders'
   * `uint8[axis=A]` weights): element x of channel c reads (x - zeroPoints[c]) * scales[c]. Such a
   * weight is dequantised to float32 as it is read (weightTensor).
   */
  readonly channelQuant?: ChannelQuantization;
}

/** Per-channel asymmetric uint8 quantisation of a weight (WeightRef.channelQuant). */
export interface ChannelQuantization {
  readonly axis: number;
  readonly scales: Float32Array;
  readonly zeroPoints: Uint8Array;
}

export type AttrType =
  | 'int'
  | 'float'
  | 'string'
  | 'ints'
  | 'floats'
  | 'strings'
  | 'tensor'
  | 'tensors'
  | 'graph'
  | 'graphs'
  /** A value type (TYPE_PROTO: Optional's `type`). */
  | 'typeProto'
  /** OnnxStream model.txt values: untyped text, parsed by the op's accessor. */
  | 'text';

export type AttrValue =
  | { readonly type: 'int'; readonly value: number }
  | { readonly type: 'float'; readonly value: number }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'ints'; readonly value: readonly number[] }
  | { readonly type: 'floats'; readonly value: readonly number[] }
  | { readonly type: 'strings'; readonly value: readonly string[] }
  | { readonly type: 'tensor'; readonly value: Tensor }
  | { readonly type: 'tensors'; readonly value: readonly Tensor[] }
  | { readonly type: 'graph'; readonly value: Graph }
  | { readonly type: 'graphs'; readonly value: readonly Graph[] }
  | { readonly type: 'typeProto'; readonly value: ValueType }
  | { readonly type: 'text'; readonly value: string };

export interface Node {
  /** Node name (may be synthetic when the model gives none). */
  readonly name: string;
  readonly opType: string;
  readonly domain: string;
  /** Value names; '' marks an omitted optional input. */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: ReadonlyMap<string, AttrValue>;
  /** Where the node came from, for error messages (e.g. `model.txt:12`). */
  readonly source?: string;
}

/**
 * The one internal graph both model formats load into. Values are named; weights stream from files,
 * constants are small tensors held in memory.
 */
export interface Graph {
  readonly name: string;
  /** Topologically ordered. */
  readonly nodes: readonly Node[];
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  /** Declared types and shapes of intermediate values, when the model has them. */
  readonly valueInfo: ReadonlyMap<string, ValueInfo>;
  readonly weights: ReadonlyMap<string, WeightRef>;
  readonly constants: ReadonlyMap<string, Tensor>;
  /** Opset version per domain ('' is ai.onnx). */
  readonly opsets: ReadonlyMap<string, number>;
  /** OnnxStream model.txt semantics: outputs are what is left unconsumed. */
  readonly format: 'onnx' | 'onnxstream';
}

/** Names a subgraph reads from enclosing scopes (used by If/Loop/Scan lifetimes). */
export function outerScopeNames(graph: Graph): Set<string> {
  const defined = new Set<string>([
    ...graph.inputs.map((i) => i.name),
    ...graph.weights.keys(),
    ...graph.constants.keys(),
  ]);
  const free = new Set<string>();
  for (const node of graph.nodes) {
    for (const name of node.inputs) if (name && !defined.has(name)) free.add(name);
    for (const attr of node.attributes.values()) {
      const subs = attr.type === 'graph' ? [attr.value] : attr.type === 'graphs' ? attr.value : [];
      for (const sub of subs) for (const name of outerScopeNames(sub)) if (!defined.has(name)) free.add(name);
    }
    for (const name of node.outputs) if (name) defined.add(name);
  }
  for (const o of graph.outputs) if (!defined.has(o.name)) free.add(o.name);
  return free;
}

const implicitCache = new WeakMap<Node, string[]>();

/** Names from enclosing scopes that a node's subgraphs read (its implicit inputs). */
export function implicitInputs(node: Node): string[] {
  let names = implicitCache.get(node);
  if (!names) {
    const set = new Set<string>();
    for (const a of node.attributes.values()) {
      const subs = a.type === 'graph' ? [a.value] : a.type === 'graphs' ? a.value : [];
      for (const g of subs) for (const n of outerScopeNames(g)) set.add(n);
    }
    names = [...set];
    implicitCache.set(node, names);
  }
  return names;
}
