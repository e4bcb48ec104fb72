/**
 * Writes a GraphSpec as an ONNX model whose parameters live in an external-data file, streamed: each
 * parameter's values are generated (prng.ts), written to the data file and dropped before the next
 * one, so a 3.4 GB fp32 UNet is written holding one tensor (at most ~150 MB, CLIP's token embedding)
 * at a time. The ModelProto, written last, only holds the structure, the small constants inline and
 * (location, offset, length) entries for the parameters.
 *
 * Data file layout: tensors in initializer order, each starting on a 64-byte boundary (zero padding),
 * little-endian; `data_location = EXTERNAL` with keys location/offset/length, as onnx's
 * save_model(save_as_external_data=True) writes them.
 */
import { open } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import {
  type ElemType,
  type GraphSpec,
  type InitializerSpec,
  type NodeSpec,
  numel,
  ONNX_TYPE,
} from './graph-builder.js';
import { fillUniform } from './prng.js';
import { type ProtoWriter, ProtoWriter as Writer } from './protobuf.js';

export interface WeightOptions {
  /** Model seed for the per-tensor weight streams (default 0). */
  readonly seed?: number;
}

export interface WriteProgress {
  /** Parameters written so far / in total. */
  readonly tensors: number;
  readonly totalTensors: number;
  readonly bytes: number;
  readonly totalBytes: number;
  /** The tensor just written. */
  readonly name: string;
}

export interface WriteOptions extends WeightOptions {
  /** External data file name, relative to the model (default `<model file name>_data`, like optimum). */
  readonly externalData?: string;
  readonly onProgress?: (p: WriteProgress) => void;
}

export interface WriteResult {
  readonly modelPath: string;
  readonly dataPath: string;
  readonly modelBytes: number;
  readonly dataBytes: number;
}

const BYTES: Readonly<Record<ElemType, number>> = { float32: 4, float16: 2, int32: 4, int64: 8 };
const ALIGN = 64;

/** float32 -> IEEE binary16 bits, round to nearest even (overflow to infinity). */
function halfBits(f32: Float32Array): Uint16Array {
  const u32 = new Uint32Array(f32.buffer, f32.byteOffset, f32.length);
  const out = new Uint16Array(f32.length);
  for (let i = 0; i < u32.length; i++) {
    const x = u32[i];
    const sign = (x >>> 16) & 0x8000;
    const exp = (x >>> 23) & 0xff;
    let mant = x & 0x7fffff;
    if (exp === 0xff) {
      out[i] = sign | 0x7c00 | (mant ? 0x200 : 0);
      continue;
    }
    const e = exp - 112; // rebias 127 -> 15
    if (e >= 0x1f) {
      out[i] = sign | 0x7c00;
    } else if (e <= 0) {
      if (e < -10) {
        out[i] = sign;
        continue;
      }
      mant |= 0x800000;
      const shift = 14 - e;
      const half = 1 << (shift - 1);
      let r = mant >>> shift;
      const rem = mant & ((1 << shift) - 1);
      if (rem > half || (rem === half && r & 1)) r++;
      out[i] = sign | r;
    } else {
      // Adding the rounding carry into the exponent field handles mantissa overflow (and -> inf).
      let h = (e << 10) | (mant >>> 13);
      const rem = mant & 0x1fff;
      if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++;
      out[i] = sign | Math.min(h, 0x7c00);
    }
  }
  return out;
}

/** The bytes of one initializer (little-endian), generating parameter values from (seed, name). */
export function initializerBytes(init: InitializerSpec, seed = 0): Uint8Array {
  const n = numel(init.dims);
  const spec = init.init;
  if (init.type === 'int64' || init.type === 'int32') {
    if (spec.kind === 'data') {
      const data =
        init.type === 'int64'
          ? spec.data instanceof BigInt64Array
            ? spec.data
            : BigInt64Array.from(Array.from(spec.data as ArrayLike<number>, (v) => BigInt(v)))
          : Int32Array.from(Array.from(spec.data as ArrayLike<number | bigint>, Number));
      return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    }
    const fill = spec.kind === 'fill' ? spec.value : 0;
    const data =
      init.type === 'int64' ? new BigInt64Array(n).fill(BigInt(fill)) : new Int32Array(n).fill(fill);
    return new Uint8Array(data.buffer);
  }
  let f: Float32Array;
  if (spec.kind === 'uniform') f = fillUniform(new Float32Array(n), spec.bound, seed, init.name);
  else if (spec.kind === 'fill') f = new Float32Array(n).fill(spec.value);
  else
    f =
      spec.data instanceof Float32Array
        ? spec.data
        : Float32Array.from(spec.data as ArrayLike<number>, Number);
  if (f.length !== n) throw new Error(`initializer '${init.name}': ${f.length} values for ${n} elements`);
  const out = init.type === 'float16' ? halfBits(f) : f;
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

function encodeAttribute(w: ProtoWriter, name: string, a: NodeSpec['attrs'][string]): void {
  w.string(1, name);
  if ('i' in a) w.varint(20, 2).varint(3, a.i);
  else if ('f' in a) w.varint(20, 1).float(2, a.f);
  else if ('s' in a) w.varint(20, 3).string(4, a.s);
  else if ('ints' in a) {
    w.varint(20, 7);
    for (const v of a.ints) w.varint(8, v);
  } else if ('floats' in a) {
    w.varint(20, 6);
    for (const v of a.floats) w.float(7, v);
  } else {
    w.varint(20, 8);
    for (const v of a.strings) w.string(9, v);
  }
}

function encodeNode(w: ProtoWriter, n: NodeSpec): void {
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name);
  w.string(4, n.op);
  for (const [k, a] of Object.entries(n.attrs)) w.message(5, (aw) => encodeAttribute(aw, k, a));
  if (n.domain) w.string(7, n.domain);
}

function encodeValueInfo(w: ProtoWriter, v: GraphSpec['inputs'][number]): void {
  w.string(1, v.name);
  w.message(2, (tw) =>
    tw.message(1, (tt) => {
      tt.varint(1, ONNX_TYPE[v.type]);
      tt.message(2, (sw) => {
        for (const d of v.dims)
          sw.message(1, (dw) => (typeof d === 'number' ? dw.varint(1, d) : dw.string(2, d)));
      });
    }),
  );
}

/** Where an initializer's bytes went: inline raw_data or (offset, length) in the data file. */
type Placement = { readonly raw: Uint8Array } | { readonly offset: number; readonly length: number };

function encodeInitializer(w: ProtoWriter, init: InitializerSpec, at: Placement, location: string): void {
  for (const d of init.dims) w.varint(1, d);
  w.varint(2, ONNX_TYPE[init.type]);
  w.string(8, init.name);
  if ('raw' in at) {
    w.bytes(9, at.raw);
    return;
  }
  const entry = (key: string, value: string) => w.message(13, (e) => e.string(1, key).string(2, value));
  entry('location', location);
  entry('offset', String(at.offset));
  entry('length', String(at.length));
  w.varint(14, 1);
}

/** Encodes the ModelProto given where each initializer's data is. */
export function encodeModelProto(
  graph: GraphSpec,
  placements: readonly Placement[],
  location: string,
): Uint8Array {
  const m = new Writer();
  m.varint(1, 8); // ir_version 8 (opset 17)
  m.string(2, 'onnxstream-js');
  m.string(3, 'stable-diffusion/architecture');
  m.message(7, (g) => {
    for (const n of graph.nodes) g.message(1, (nw) => encodeNode(nw, n));
    g.string(2, graph.name);
    graph.initializers.forEach((init, i) => {
      g.message(5, (tw) => encodeInitializer(tw, init, placements[i], location));
    });
    for (const v of graph.inputs) g.message(11, (vw) => encodeValueInfo(vw, v));
    for (const v of graph.outputs) g.message(12, (vw) => encodeValueInfo(vw, v));
  });
  m.message(8, (o) => o.string(1, '').varint(2, graph.opset));
  return m.finish();
}

/** Parameters go to the external file; constants (shapes, scales, masks) stay inline. */
const isExternal = (init: InitializerSpec) => init.parameter;

/**
 * Encodes the whole model in memory: parameters inline as raw_data unless `externalData` is given
 * (then returned as a second buffer). For small (test) models.
 */
export function encodeModel(
  graph: GraphSpec,
  options: WeightOptions & { readonly externalData?: string } = {},
): { model: Uint8Array; externalData?: Uint8Array } {
  const chunks: Uint8Array[] = [];
  let offset = 0;
  const placements = graph.initializers.map((init): Placement => {
    const raw = initializerBytes(init, options.seed);
    if (!options.externalData || !isExternal(init)) return { raw };
    const pad = (ALIGN - (offset % ALIGN)) % ALIGN;
    if (pad) chunks.push(new Uint8Array(pad));
    offset += pad;
    chunks.push(raw);
    const at = { offset, length: raw.byteLength };
    offset += raw.byteLength;
    return at;
  });
  const model = encodeModelProto(graph, placements, options.externalData ?? '');
  if (!options.externalData) return { model };
  const data = new Uint8Array(offset);
  let p = 0;
  for (const c of chunks) {
    data.set(c, p);
    p += c.byteLength;
  }
  return { model, externalData: data };
}

/** Bytes of the parameter data a graph writes (without alignment padding). */
export function parameterBytes(graph: GraphSpec): number {
  return graph.initializers.filter(isExternal).reduce((s, i) => s + numel(i.dims) * BYTES[i.type], 0);
}

/**
 * Streams `graph` to `modelPath` (an .onnx file) and its parameters to an external-data file next to
 * it, one tensor at a time.
 */
export async function writeOnnxModel(
  graph: GraphSpec,
  modelPath: string,
  options: WriteOptions = {},
): Promise<WriteResult> {
  const location = options.externalData ?? `${basename(modelPath)}_data`;
  const dataPath = join(dirname(modelPath), location);
  const external = graph.initializers.filter(isExternal);
  const totalBytes = parameterBytes(graph);
  const data = await open(dataPath, 'w');
  let offset = 0;
  let tensors = 0;
  let written = 0;
  const placements: Placement[] = [];
  try {
    for (const init of graph.initializers) {
      const raw = initializerBytes(init, options.seed);
      if (!isExternal(init)) {
        placements.push({ raw });
        continue;
      }
      const pad = (ALIGN - (offset % ALIGN)) % ALIGN;
      if (pad) await data.write(new Uint8Array(pad), 0, pad, offset);
      offset += pad;
      await data.write(raw, 0, raw.byteLength, offset);
      placements.push({ offset, length: raw.byteLength });
      offset += raw.byteLength;
      written += raw.byteLength;
      tensors++;
      options.onProgress?.({
        tensors,
        totalTensors: external.length,
        bytes: written,
        totalBytes,
        name: init.name,
      });
    }
  } finally {
    await data.close();
  }
  const model = encodeModelProto(graph, placements, location);
  const mf = await open(modelPath, 'w');
  try {
    await mf.write(model, 0, model.byteLength, 0);
  } finally {
    await mf.close();
  }
  return { modelPath, dataPath, modelBytes: model.byteLength, dataBytes: offset };
}
