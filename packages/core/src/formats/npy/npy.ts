/**
 * NumPy `.npy` files (format versions 1-3) <-> Tensor, little-endian, for the CLI's inputs and outputs.
 */
import { type DataType, DTYPES, viewData } from '../../tensor/dtype.js';
import { shapeSize } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

const DESCR: Partial<Record<DataType, string>> = {
  float32: '<f4',
  float16: '<f2',
  float64: '<f8',
  int8: '|i1',
  uint8: '|u1',
  int16: '<i2',
  uint16: '<u2',
  int32: '<i4',
  uint32: '<u4',
  int64: '<i8',
  uint64: '<u8',
  bool: '|b1',
};

const FROM_DESCR = new Map<string, DataType>(
  Object.entries(DESCR).flatMap(([t, d]) => [
    [d, t as DataType],
    [d.replace('<', '|'), t as DataType],
    [d.replace('|', '<'), t as DataType],
  ]),
);

export class NpyError extends Error {
  override name = 'NpyError';
}

/** Parses .npy bytes. `what` names the file in error messages. */
export function parseNpy(bytes: Uint8Array, what = 'npy data'): Tensor {
  if (bytes.byteLength < 10 || MAGIC.some((b, i) => bytes[i] !== b))
    throw new NpyError(`${what}: not a .npy file`);
  const major = bytes[6];
  let headerLen: number;
  let start: number;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (major === 1) {
    headerLen = dv.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    headerLen = dv.getUint32(8, true);
    start = 12;
  } else throw new NpyError(`${what}: unsupported .npy version ${major}`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(
    bytes.subarray(start, start + headerLen),
  );
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined)
    throw new NpyError(`${what}: malformed header ${header.trim()}`);
  const type = FROM_DESCR.get(descr);
  if (!type) {
    throw new NpyError(
      `${what}: dtype '${descr}' is not supported (use little-endian ${Object.values(DESCR).join(', ')})`,
    );
  }
  const dims = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  if (dims.some((d) => !Number.isInteger(d) || d < 0))
    throw new NpyError(`${what}: bad shape (${shapeText})`);
  const count = shapeSize(dims);
  const dataStart = start + headerLen;
  const need = count * DTYPES[type].bytes;
  if (bytes.byteLength - dataStart < need) {
    throw new NpyError(
      `${what}: truncated, shape (${dims.join(', ')}) needs ${need} bytes of data, has ${bytes.byteLength - dataStart}`,
    );
  }
  const copy = new Uint8Array(need);
  copy.set(bytes.subarray(dataStart, dataStart + need));
  const t = new Tensor(type, viewData(type, copy.buffer, 0, count) as never, dims);
  return fortran === 'True' && dims.length > 1 ? fortranToC(t, dims) : t;
}

/** Reorders Fortran-order (first axis fastest) data into C order. */
function fortranToC(t: Tensor, dims: readonly number[]): Tensor {
  const rank = dims.length;
  const src = t.data as Float32Array;
  const out = new (src.constructor as Float32ArrayConstructor)(src.length);
  const cStrides = new Array<number>(rank);
  let acc = 1;
  for (let i = rank - 1; i >= 0; i--) {
    cStrides[i] = acc;
    acc *= dims[i];
  }
  const idx = new Array<number>(rank).fill(0);
  for (let f = 0; f < src.length; f++) {
    let c = 0;
    for (let i = 0; i < rank; i++) c += idx[i] * cStrides[i];
    out[c] = src[f];
    for (let i = 0; i < rank; i++) {
      if (++idx[i] < dims[i]) break;
      idx[i] = 0;
    }
  }
  return new Tensor(t.type, out as never, dims);
}

/** Encodes a tensor as a version 1.0 .npy file. */
export function encodeNpy(t: Tensor): Uint8Array {
  const descr = DESCR[t.type];
  if (!descr) throw new NpyError(`tensor type ${t.type} cannot be written as .npy`);
  const shape = t.dims.length === 1 ? `(${t.dims[0]},)` : `(${t.dims.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  // Pad so the data starts on a 64-byte boundary; the header ends with '\n'.
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const headerBytes = new TextEncoder().encode(header);
  const d = t.data as Uint8Array;
  const data = new Uint8Array(d.buffer, d.byteOffset, t.size * DTYPES[t.type].bytes);
  const out = new Uint8Array(10 + headerBytes.byteLength + data.byteLength);
  out.set(MAGIC);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, headerBytes.byteLength, true);
  out.set(headerBytes, 10);
  out.set(data, 10 + headerBytes.byteLength);
  return out;
}
