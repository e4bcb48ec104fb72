/**
 * fp16 arithmetic (OnnxStream's m_use_fp16_arithmetic): every float32 value of the graph becomes
 * float16, so operators read and write half precision; weights are converted when they load, and the
 * session converts float32 feeds in and float16 outputs back.
 *
 * The rewrite covers everything that can bring float32 into the graph: weights (compute type),
 * constants, declared inputs and outputs, and operators that make float32 from other types (Cast and
 * its `to`, ConstantOfShape and its `value`, the random generators and EyeLike and their `dtype`).
 */
import { castTensor } from '../tensor/convert.js';
import { onnxCode } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import type { AttrValue, Graph, Node, ValueInfo, WeightRef } from './graph.js';

const FLOAT = onnxCode('float32');
const HALF = onnxCode('float16');

const half = <T extends ValueInfo>(v: T): T => (v.type === 'float32' ? { ...v, type: 'float16' } : v);

function convertWeight(w: WeightRef): WeightRef {
  const to = w.computeType ?? w.type;
  return to === 'float32' ? { ...w, computeType: 'float16' } : w;
}

function convertAttribute(name: string, a: AttrValue, node: Node): AttrValue {
  if (a.type === 'tensor' && a.value.type === 'float32')
    return { type: 'tensor', value: castTensor(a.value, 'float16') };
  const typeAttr = (node.opType === 'Cast' && name === 'to') || name === 'dtype';
  if (typeAttr && a.type === 'int' && a.value === FLOAT) return { type: 'int', value: HALF };
  if (typeAttr && a.type === 'text' && Number(a.value) === FLOAT) return { type: 'int', value: HALF };
  return a;
}

function convertNode(node: Node): Node {
  let changed = false;
  const attributes = new Map<string, AttrValue>();
  for (const [name, a] of node.attributes) {
    let b = a;
    if (a.type === 'graph') b = { type: 'graph', value: toFloat16(a.value) };
    else if (a.type === 'graphs') b = { type: 'graphs', value: a.value.map(toFloat16) };
    else b = convertAttribute(name, a, node);
    // model.txt ConstantOfShape writes its value as text, which reads as float32.
    if (node.opType === 'ConstantOfShape' && name === 'value' && a.type === 'text') {
      b = { type: 'tensor', value: castTensor(new Tensor('float32', [Number(a.value)], [1]), 'float16') };
    }
    changed ||= b !== a;
    attributes.set(name, b);
  }
  return changed ? { ...node, attributes } : node;
}

/** The same graph computing in float16 wherever it computed in float32. */
export function toFloat16(graph: Graph): Graph {
  const constants = new Map<string, Tensor>();
  for (const [name, t] of graph.constants)
    constants.set(name, t.type === 'float32' ? castTensor(t, 'float16') : t);
  const weights = new Map<string, WeightRef>();
  for (const [name, w] of graph.weights) weights.set(name, convertWeight(w));
  const valueInfo = new Map<string, ValueInfo>();
  for (const [name, v] of graph.valueInfo) valueInfo.set(name, half(v));
  return {
    ...graph,
    nodes: graph.nodes.map(convertNode),
    inputs: graph.inputs.map(half),
    outputs: graph.outputs.map(half),
    valueInfo,
    weights,
    constants,
  };
}
