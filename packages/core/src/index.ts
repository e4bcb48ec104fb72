export type { Backend, BackendOptions, KernelCall, SlicedWeight } from './backend/backend.js';
export { referenceBackend } from './backend/reference.js';
export { registerBackend, registeredBackends, resolveBackend } from './backend/registry.js';
export {
  errorMessage,
  InputError,
  ModelFormatError,
  OnnxStreamError,
  OperatorError,
  UnsupportedError,
  WeightsError,
} from './errors.js';
export type { NodeTime, OpTime, RunProgress, RunStats } from './executor/executor.js';
export { alignedBytes, checkRelativePath, MemoryFiles, type ModelFiles } from './files/model-files.js';
export { encodeNpy, NpyError, parseNpy } from './formats/npy/npy.js';
export { readModelTxt } from './formats/onnxstream/model-txt.js';
export { escapeName, unescapeName } from './formats/onnxstream/names.js';
export {
  formatRangeData,
  parseRangeData,
  type RangeData,
  toStdString,
} from './formats/onnxstream/range-data.js';
export { readWeightRows, rowReadable, takeWeightRows } from './formats/weight-rows.js';
export { isEagerWeight, weightTensor } from './formats/weights.js';
export type {
  AttrValue,
  ChannelQuantization,
  Dim,
  Graph,
  Node,
  ValueInfo,
  ValueType,
  WeightRef,
} from './graph/graph.js';
export { Attributes } from './ops/attributes.js';
export { findOp, OPS, supportedOps } from './ops/index.js';
export type { InferContext, KernelContext, OpDef, ValueMeta } from './ops/op.js';
export {
  type AttrInput,
  type CallOptions,
  callInfer,
  callKernel,
  callTensorKernel,
} from './ops/support/kernel-call.js';
export { estimatePeak, type PeakEstimate } from './planner/estimate.js';
export type { Plan, Step } from './planner/plan.js';
export { planGraph } from './planner/plan.js';
export type { WeightsProvider } from './provider/weights-provider.js';
export {
  type FeedsType,
  InferenceSession,
  type ModelSource,
  type ReturnType,
  type RunOptions,
  type SessionOptions,
  type ValueMetadata,
  type ValuesReturnType,
} from './session/inference-session.js';
export { asFloat32, asInts, asNumbers, fromNumbers, scalarOf } from './tensor/convert.js';
export { type DataType, type DataTypeMap, DTYPES, isDataType, type TensorData } from './tensor/dtype.js';
export {
  float32ToHalf,
  fromBfloat16,
  fromHalf,
  halfToFloat32,
  toBfloat16,
  toHalf,
} from './tensor/float16.js';
export { type HostAllocator, hostAllocator, setHostAllocator } from './tensor/host-memory.js';
export {
  broadcastShapes,
  broadcastStrides,
  formatShape,
  normalizeAxis,
  sameShape,
  shapeSize,
  stridesOf,
} from './tensor/shape.js';
export { type Quantization, Tensor, type TensorLocation } from './tensor/tensor.js';
export {
  elementTypeOf,
  isTensor,
  kindOf,
  type OptionalKind,
  OptionalValue,
  TensorSequence,
  tensorsOf,
  type Value,
  type ValueKind,
  valueByteLength,
} from './tensor/value.js';
