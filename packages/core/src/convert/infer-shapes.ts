/**
 * Shape inference for the converter, standing in for `onnx.shape_inference.infer_shapes_path`,
 * and the `--simplify` constant folding.
 *
 * Inference follows ONNX's rules rather than our planner's: values are known only for initializers
 * and Constant nodes (ONNX runs without data propagation), so a Reshape whose shape is computed by
 * Shape -> Gather -> Concat gets unknown dims, which onnx2txt prints as 0. Declared value_info and
 * graph outputs are kept and their unknown dims filled from what is inferred, as ONNX merges them.
 * With `propagate` (after --simplify) computed values flow on, like onnx-simplifier's output.
 */

import { convertNode } from '../formats/onnx/model-reader.js';
import type { NodeObject, ValueInfoObject } from '../formats/onnx/schema.js';
import type { Dim } from '../graph/graph.js';
import { Attributes } from '../ops/attributes.js';
import { findOp } from '../ops/index.js';
import type { ValueMeta } from '../ops/op.js';
import { asInts } from '../tensor/convert.js';
import { type DataType, dataTypeFromOnnx, isFloat } from '../tensor/dtype.js';
import { shapeSize } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { constantNodeTensor, loadSourceTensor, type OnnxSource, type SourceTensor } from './onnx-source.js';

/** A value's type and shape as a value_info entry would hold them; `dims` undefined = no shape. */
export interface ShapeInfo {
  readonly type?: DataType;
  readonly dims?: readonly Dim[];
}

/** The shape-related content of a ValueInfoProto. */
export function shapeInfoOf(v: ValueInfoObject): ShapeInfo {
  const tt = v.type?.tensor_type;
  if (!tt) return {};
  const type = tt.elem_type ? safeType(tt.elem_type) : undefined;
  if (!tt.shape) return { type };
  const dims = (tt.shape.dim ?? []).map((d): Dim => {
    if (d.dim_value !== undefined) return Number(d.dim_value);
    if (d.dim_param) return d.dim_param;
    return null;
  });
  return { type, dims };
}

function safeType(code: number): DataType | undefined {
  try {
    return dataTypeFromOnnx(code);
  } catch {
    return undefined;
  }
}

/** Fills unknown dims of `declared` from `inferred` (ONNX's mergeInShapeInfo). */
function mergeInfo(declared: ShapeInfo | undefined, inferred: ShapeInfo | undefined): ShapeInfo | undefined {
  if (!declared) return inferred;
  if (!inferred) return declared;
  const type = declared.type ?? inferred.type;
  if (!declared.dims) return { type, dims: inferred.dims };
  if (!inferred.dims || inferred.dims.length !== declared.dims.length) return { type, dims: declared.dims };
  const dims = declared.dims.map((d, i) => {
    const v = inferred.dims?.[i];
    return typeof v === 'number' && typeof d !== 'number' ? v : d;
  });
  return { type, dims };
}

/** Small shape-like tensors are loaded so that Reshape, Slice, Split... know their parameters. */
function isShapeLike(t: SourceTensor): boolean {
  const count = shapeSize(t.dims);
  return count <= 16 || (!isFloat(t.type) && count <= 8192);
}

export interface InferResult {
  /** Shape info of every intermediate value (what value_info holds after inference). */
  readonly valueInfo: ReadonlyMap<string, ShapeInfo>;
  /** Graph outputs, merged with what was inferred. */
  readonly outputs: ReadonlyMap<string, ShapeInfo>;
}

export interface InferOptions {
  /** Extra constants (folded values from --simplify): known values that are not initializers. */
  readonly constants?: ReadonlyMap<string, Tensor>;
  /** Let computed values flow to later nodes (data propagation). */
  readonly propagate?: boolean;
}

/**
 * Unknown and symbolic dims are replaced by a stand-in value and the whole inference is run twice,
 * with two different stand-ins: a dim that comes out the same both times does not depend on any
 * unknown dim and is known (a Conv's channels and spatial size under a symbolic batch); one that
 * differs is unknown, as ONNX would leave it. Our operators' inference then only has to handle
 * numbers.
 */
const STAND_INS = [64, 96] as const;

/** Infers the shapes of `nodes` (the graph's, or the simplified list). */
export async function inferShapes(
  src: OnnxSource,
  nodes: readonly NodeObject[],
  options: InferOptions = {},
): Promise<InferResult> {
  const declared = new Map<string, ShapeInfo>();
  for (const v of src.valueInfo) if (v.name && !declared.has(v.name)) declared.set(v.name, shapeInfoOf(v));
  const declaredOutputs = new Map<string, ShapeInfo>();
  for (const o of src.outputs) if (o.name) declaredOutputs.set(o.name, shapeInfoOf(o));
  const initial = new Map<string, ValueMeta>();
  for (const i of src.inputs) if (i.name) initial.set(i.name, { ...shapeInfoOf(i) });
  for (const [name, t] of src.initializers) {
    const value = isShapeLike(t) ? await loadSourceTensor(src.files, t) : undefined;
    initial.set(name, { type: t.type, dims: t.dims, value });
  }
  for (const [name, t] of options.constants ?? [])
    initial.set(name, { type: t.type, dims: t.dims, value: t });

  // Both runs go node by node in lockstep, next to an "agreed" view whose unknown dims are null.
  const worlds = STAND_INS.map((standIn) => {
    const metas = new Map<string, ValueMeta>();
    for (const [name, m] of initial) metas.set(name, { ...m, dims: substitute(m.dims, standIn) });
    return { standIn, metas };
  });
  const agreed = new Map<string, ValueMeta>(initial);
  const inferred = new Map<string, ShapeInfo>();
  const outputs = new Map<string, ShapeInfo>(declaredOutputs);
  nodes.forEach((p, index) => {
    const isConstant = p.op_type === 'Constant' && (p.domain ?? '') === '';
    let outs = worlds.map((w) => inferNode(src, p, index, w.metas));
    // A stand-in may make a node fail where ONNX succeeds (a symbolic sequence length broadcast
    // against a fixed 77): such nodes are inferred once more on the agreed view, unknown dims as null.
    if (outs.some((o) => o.length === 0) && (p.output ?? []).length > 0) {
      const retry = inferNode(src, p, index, agreed);
      if (retry.length > 0) outs = worlds.map(() => retry);
    }
    (p.output ?? []).forEach((name, i) => {
      if (!name) return;
      const infos = worlds.map((w, k) => {
        const o = outs[k][i];
        const info =
          o && (o.type !== undefined || o.dims !== undefined) ? { type: o.type, dims: o.dims } : undefined;
        const merged = mergeInfo(declaredOutputs.get(name) ?? declared.get(name), info);
        w.metas.set(name, {
          type: merged?.type,
          dims: substitute(merged?.dims, w.standIn),
          // ONNX knows the values of initializers and Constant nodes only.
          value: options.propagate || isConstant ? o?.value : undefined,
        });
        return merged;
      });
      const both = agree(infos[0], infos[1]);
      agreed.set(name, {
        type: both?.type,
        dims: both?.dims,
        value: isConstant ? outs[0][i]?.value : undefined,
      });
      if (declaredOutputs.has(name)) outputs.set(name, both ?? {});
      else if (both) inferred.set(name, both);
    });
  });
  // Declared entries of values no node produces stay as they are.
  for (const [name, info] of declared) if (!inferred.has(name)) inferred.set(name, info);
  return { valueInfo: inferred, outputs };
}

/** Symbolic and unknown dims replaced by `standIn`. */
function substitute(dims: readonly Dim[] | undefined, standIn: number): Dim[] | undefined {
  return dims?.map((d) => (typeof d === 'number' ? d : standIn));
}

/** What both inference runs agree on: dims that differ are unknown. */
function agree(a: ShapeInfo | undefined, b: ShapeInfo | undefined): ShapeInfo | undefined {
  if (!a || !b) return a && b;
  const type = a.type ?? b.type;
  if (!a.dims || !b.dims || a.dims.length !== b.dims.length) return { type };
  return { type, dims: a.dims.map((d, i) => (typeof d === 'number' && d === b.dims?.[i] ? d : null)) };
}

/** One node's output metadata, or [] when it cannot be inferred. */
function inferNode(
  src: OnnxSource,
  p: NodeObject,
  index: number,
  metas: { get(name: string): ValueMeta | undefined },
): (ValueMeta | undefined)[] {
  if ((p.op_type ?? '') === 'Constant' && (p.domain ?? '') === '') {
    const t = constantNodeTensor(p);
    return t ? [{ type: t.type, dims: t.dims, value: t }] : [];
  }
  const domain = p.domain === 'ai.onnx' ? '' : (p.domain ?? '');
  const op = findOp(domain, p.op_type ?? '');
  if (!op) return [];
  let node: ReturnType<typeof convertNode>;
  try {
    node = convertNode(p, index, src.opsets);
  } catch {
    return [];
  }
  const inputs = node.inputs.map((n) => (n ? metas.get(n) : undefined));
  try {
    return op.infer({
      inputs,
      attrs: new Attributes(node.attributes),
      opset: src.opsets.get(domain) ?? src.opsets.get('') ?? 1,
      outputCount: node.outputs.length,
      node,
    });
  } catch {
    // ONNX's Reshape takes the target's fixed dims even when the element count cannot be checked.
    if (node.opType === 'Reshape' && domain === '' && inputs[1]?.value) {
      const target = asInts(inputs[1].value);
      const allowZero = node.attributes.get('allowzero');
      const copyZero = !(allowZero?.type === 'int' && allowZero.value === 1);
      const dims: Dim[] = target.map((d, i) =>
        d === 0 && copyZero ? (inputs[0]?.dims?.[i] ?? null) : d < 0 ? null : d,
      );
      return [{ type: inputs[0]?.type, dims }];
    }
    return [];
  }
}

export interface SimplifyResult {
  readonly nodes: NodeObject[];
  /** Values computed at conversion time, written as weights named after them. */
  readonly constants: Map<string, Tensor>;
  readonly folded: number;
  readonly removed: number;
}

/** Folded results larger than this are left to run time. */
const FOLD_LIMIT = 1 << 26;

/**
 * `--simplify`: folds every node whose inputs are all known (initializers, Constant nodes, earlier
 * folds, and shapes inference knows), then drops nodes whose outputs nothing uses. Nodes producing
 * graph outputs are kept.
 */
export async function simplify(src: OnnxSource): Promise<SimplifyResult> {
  const metas = new Map<string, ValueMeta>();
  for (const i of src.inputs) if (i.name && !src.initializers.has(i.name)) metas.set(i.name, shapeInfoOf(i));
  for (const [name, t] of src.initializers) metas.set(name, { type: t.type, dims: t.dims });
  const graphOutputs = new Set(src.outputs.map((o) => o.name ?? ''));
  const declared = new Map<string, ShapeInfo>();
  for (const v of src.valueInfo) if (v.name) declared.set(v.name, shapeInfoOf(v));
  const constants = new Map<string, Tensor>();
  const knownValue = async (name: string): Promise<Tensor | undefined> => {
    const known = constants.get(name) ?? metas.get(name)?.value;
    if (known) return known;
    const init = src.initializers.get(name);
    return init ? loadSourceTensor(src.files, init) : undefined;
  };
  const isKnown = (name: string) =>
    constants.has(name) || metas.get(name)?.value !== undefined || src.initializers.has(name);
  let live: NodeObject[] = [];
  let folded = 0;
  for (let index = 0; index < src.nodes.length; index++) {
    const p = src.nodes[index];
    const outNames = p.output ?? [];
    const keep = outNames.some((o) => graphOutputs.has(o));
    const domain = p.domain === 'ai.onnx' ? '' : (p.domain ?? '');
    const op = findOp(domain, p.op_type ?? '');
    const hasSubgraph = (p.attribute ?? []).some((a) => a.g || a.graphs?.length);
    const inputsKnown = (p.input ?? []).every((n) => !n || isKnown(n));
    if (!keep && op && !op.nondeterministic && !hasSubgraph && inputsKnown) {
      // Everything known: run the reference kernel now.
      const values = await foldNode(src, p, index, knownValue);
      if (values) {
        outNames.forEach((name, i) => {
          if (name && values[i]) {
            constants.set(name, values[i]);
            metas.set(name, { type: values[i].type, dims: values[i].dims, value: values[i] });
          }
        });
        folded++;
        continue;
      }
    }
    // Inputs whose values are known (small ones) are given to inference with their values.
    const overlay = new Map<string, ValueMeta>();
    for (const n of p.input ?? [])
      if (n && !metas.get(n)?.value && isKnown(n)) {
        const v = await knownValue(n);
        if (v && shapeSize(v.dims) <= 8192) overlay.set(n, { type: v.type, dims: v.dims, value: v });
      }
    const outs = inferNode(src, p, index, { get: (n) => overlay.get(n) ?? metas.get(n) });
    // Inference alone may know every output (Shape of a statically shaped tensor).
    if (!keep && outNames.length > 0 && outNames.every((n, i) => !n || outs[i]?.value)) {
      outNames.forEach((name, i) => {
        const v = outs[i]?.value;
        if (name && v) {
          constants.set(name, v);
          metas.set(name, { type: v.type, dims: v.dims, value: v });
        }
      });
      folded++;
      continue;
    }
    outNames.forEach((name, i) => {
      if (!name) return;
      const o = outs[i];
      const m = mergeInfo(declared.get(name), o ? { type: o.type, dims: o.dims } : undefined);
      metas.set(name, { type: m?.type, dims: m?.dims });
    });
    live.push(p);
  }
  // Drop nodes nothing consumes, from the end.
  let removed = 0;
  for (;;) {
    const used = new Set<string>(graphOutputs);
    for (const p of live) for (const n of p.input ?? []) if (n) used.add(n);
    const next = live.filter((p) => (p.output ?? []).some((o) => o && used.has(o)));
    removed += live.length - next.length;
    if (next.length === live.length) break;
    live = next;
  }
  const used = new Set<string>();
  for (const p of live) for (const n of p.input ?? []) if (n) used.add(n);
  for (const name of [...constants.keys()]) if (!used.has(name)) constants.delete(name);
  return { nodes: live, constants, folded, removed };
}

async function foldNode(
  src: OnnxSource,
  p: NodeObject,
  index: number,
  knownValue: (name: string) => Promise<Tensor | undefined>,
): Promise<Tensor[] | undefined> {
  const domain = p.domain === 'ai.onnx' ? '' : (p.domain ?? '');
  if ((p.op_type ?? '') === 'Constant' && domain === '') {
    const t = constantNodeTensor(p);
    return t ? [t] : undefined;
  }
  const op = findOp(domain, p.op_type ?? '');
  if (!op) return undefined;
  try {
    const node = convertNode(p, index, src.opsets);
    const inputs = await Promise.all(node.inputs.map((n) => (n ? knownValue(n) : undefined)));
    const attrs = new Attributes(node.attributes);
    const opset = src.opsets.get(domain) ?? src.opsets.get('') ?? 1;
    const out = await op.run({
      inputs,
      values: inputs,
      attrs,
      opset,
      outputCount: node.outputs.length,
      node,
      runSubgraph: () => Promise.reject(new Error('subgraphs are not folded')),
    });
    const tensors: Tensor[] = [];
    for (const v of out) {
      if (!(v instanceof Tensor)) return undefined;
      const t = v;
      if (t.type === 'string' || shapeSize(t.dims) > FOLD_LIMIT) return undefined;
      tensors.push(t);
    }
    return tensors;
  } catch {
    return undefined;
  }
}
