/**
 * `@onnxstream/core/onnx`: reading and writing ONNX protobuf data (models, TensorProto, SequenceProto,
 * OptionalProto). Kept apart from the main entry so that running OnnxStream model folders never loads
 * the protobuf library; InferenceSession loads it by itself for .onnx files.
 */

export { convertOnnxFile, MemoryOutput } from './convert/convert-file.js';
export {
  type ConvertOptions,
  type ConvertOutput,
  type ConvertReport,
  convertOnnxModel,
} from './convert/converter.js';
export { pyFloatRepr } from './convert/py-format.js';
export { quantizeUint8 } from './convert/quantize.js';
export {
  type EncodedOnnxModel,
  encodeOnnxModel,
  type OnnxAttr,
  type OnnxModelSpec,
  type OnnxNodeSpec,
  type OnnxValueSpec,
} from './formats/onnx/builder.js';
export { readOnnxModel } from './formats/onnx/model-reader.js';
export { decodeTensorProtoBytes, encodeTensorProtoBytes } from './formats/onnx/tensor-proto.js';
export {
  decodeOptionalProtoBytes,
  decodeSequenceProtoBytes,
  decodeValueProtoBytes,
} from './formats/onnx/value-proto.js';
