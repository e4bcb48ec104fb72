import { allocData, type DataType, type DataTypeMap, DTYPES, dataTypeOfArray, isDataType } from './dtype.js';
import { formatShape, shapeSize } from './shape.js';

/** Per-tensor asymmetric uint8 quantisation, as OnnxStream's `uint8[scale,zero]`: real = (q - zeroPoint) * scale. */
export interface Quantization {
  readonly scale: number;
  readonly zeroPoint: number;
}

/** Where a tensor's data lives. Only CPU memory (JavaScript or native external buffers) for now. */
export type TensorLocation = 'cpu';

interface Storage {
  /** Bytes of the memory the storage holds (its first tensor's; a subview's views part of it). */
  readonly bytes: number;
  free?: () => void;
  /** Rebuilds a data view whose memory was replaced (see setRelocator). */
  relocate?: () => unknown;
}

type DataInput<D extends DataType> =
  | DataTypeMap[D]
  | (D extends 'string'
      ? readonly string[]
      : D extends 'int64' | 'uint64'
        ? readonly bigint[]
        : readonly number[]);

/**
 * An n-dimensional array, shaped like onnxruntime-common's `Tensor`:
 * `new Tensor('float32', data, dims)` or `new Tensor(float32Array, dims)`.
 * float16 and bfloat16 data are Uint16Array bit patterns; int64/uint64 are BigInt64Array/BigUint64Array;
 * bool is a Uint8Array of 0/1.
 */
export class Tensor<D extends DataType = DataType> {
  readonly type: D;
  readonly dims: readonly number[];
  readonly size: number;
  /** Set for quantised uint8 tensors (OnnxStream `uint8[s,z]`). */
  readonly quant: Quantization | undefined;
  readonly location: TensorLocation = 'cpu';
  #data: DataTypeMap[D] | undefined;
  /** Shared by this tensor and its views: frees memory owned outside JavaScript. */
  #storage: Storage;
  /** Where `data` starts in what the storage's relocator returns, in elements (subview). */
  #offset = 0;

  constructor(type: D, data: DataInput<D>, dims?: readonly number[], quant?: Quantization);
  constructor(data: DataTypeMap[D], dims?: readonly number[]);
  constructor(
    a: D | DataTypeMap[D],
    b?: DataInput<D> | readonly number[],
    c?: readonly number[],
    quant?: Quantization,
  ) {
    let type: D;
    let data: DataTypeMap[D];
    let dims: readonly number[] | undefined;
    if (typeof a === 'string') {
      if (!isDataType(a)) throw new TypeError(`unknown tensor type '${a}'`);
      type = a;
      data = toTypedData(type, b as DataInput<D>);
      dims = c;
    } else {
      type = dataTypeOfArray(a) as D;
      data = a;
      dims = b as readonly number[] | undefined;
    }
    const length = data.length;
    const shape = dims ?? [length];
    // Indexed loops and slice(): iterators cost an allocation each, and kernel backends make a
    // tensor per operator call.
    for (let i = 0; i < shape.length; i++) {
      const d = shape[i];
      if (!Number.isInteger(d) || d < 0) throw new RangeError(`invalid tensor dims ${formatShape(shape)}`);
    }
    const size = shapeSize(shape);
    if (size !== length) {
      throw new RangeError(`tensor data has ${length} elements but dims ${formatShape(shape)} need ${size}`);
    }
    this.type = type;
    this.dims = Object.freeze(shape.slice());
    this.size = size;
    this.#data = data;
    this.#storage = { bytes: this.byteLength };
    if (quant && type !== 'uint8') throw new TypeError('only uint8 tensors can carry a quantisation');
    this.quant = quant ? { scale: quant.scale, zeroPoint: quant.zeroPoint } : undefined;
  }

  /** A zero-filled tensor. */
  static zeros<T extends DataType>(type: T, dims: readonly number[]): Tensor<T> {
    return new Tensor<T>(type, allocData(type, shapeSize(dims)) as DataTypeMap[T], dims);
  }

  /** The element data. Throws after `dispose()`. */
  get data(): DataTypeMap[D] {
    const data = this.#data;
    if (data === undefined) throw new Error('tensor data was disposed');
    const relocate = this.#storage.relocate;
    // A view of a WebAssembly heap that grew since reads as empty (its ArrayBuffer was detached).
    if (relocate !== undefined && (data as ArrayLike<unknown>).length !== this.size) {
      const whole = relocate() as DataTypeMap[D];
      this.#data =
        this.#offset === 0 && (whole as ArrayLike<unknown>).length === this.size
          ? whole
          : ((whole as Float32Array).subarray(this.#offset, this.#offset + this.size) as DataTypeMap[D]);
      return this.#data;
    }
    return data;
  }

  /** Bytes of element data held in memory. */
  get byteLength(): number {
    return this.type === 'string' ? 0 : this.size * DTYPES[this.type].bytes;
  }

  get disposed(): boolean {
    return this.#data === undefined;
  }

  /** onnxruntime-compatible accessor. */
  async getData(releaseData?: boolean): Promise<DataTypeMap[D]> {
    const data = this.data;
    if (releaseData) this.dispose();
    return data;
  }

  /** A tensor sharing this one's data (and its storage) with other dims (same element count). */
  reshape(dims: readonly number[]): Tensor<D> {
    const t = new Tensor<D>(this.type, this.data as DataInput<D>, dims, this.quant);
    t.#storage = this.#storage;
    t.#offset = this.#offset;
    return t;
  }

  /**
   * A tensor of `dims` viewing this one's elements from `offset` on, without a copy: it shares this
   * tensor's storage (memory key, disposer, relocator), as a reshaped view does. A Split along an
   * axis with nothing but ones before it makes its outputs so; a Concat's inputs can be computed
   * into views of its output.
   */
  subview(offset: number, dims: readonly number[]): Tensor<D> {
    const size = shapeSize(dims);
    if (!Number.isInteger(offset) || offset < 0 || offset + size > this.size) {
      throw new RangeError(
        `a view of ${formatShape(dims)} from element ${offset} does not fit in ${formatShape(this.dims)}`,
      );
    }
    const data = this.data;
    if (Array.isArray(data)) throw new TypeError(`${this.type} tensors have no views`);
    const part = (data as Float32Array).subarray(offset, offset + size) as unknown as DataInput<D>;
    const t = new Tensor<D>(this.type, part, dims, this.quant);
    t.#storage = this.#storage;
    t.#offset = this.#offset + offset;
    return t;
  }

  /** Bytes of the memory under this tensor's data: all of it, where this is a subview of a larger tensor. */
  get storageBytes(): number {
    return this.#storage.bytes;
  }

  /**
   * Registers how to free the memory behind this tensor's data when it is owned elsewhere (a native
   * backend's buffer). Reshaped views share it: disposing any of them frees it once.
   */
  setDisposer(fn: () => void): void {
    this.#storage.free = fn;
  }

  /**
   * Registers how to rebuild the data view when the memory under it was replaced: a WebAssembly
   * heap that grows gets a new ArrayBuffer and detaches the old one, so views of it read as empty.
   * `data` then calls `fn` for a view of the same elements in the current memory. Reshaped views
   * share it. Such a tensor's memory is identified by its storage (`memoryKey`), not its ArrayBuffer,
   * which every tensor in that heap shares.
   */
  setRelocator(fn: () => DataTypeMap[D]): void {
    this.#storage.relocate = fn;
  }

  /**
   * Identifies the memory under `data`: tensors with the same key share it (reshaped views, views
   * of one ArrayBuffer). The engine counts and frees memory by this key.
   */
  get memoryKey(): object {
    if (this.#storage.relocate !== undefined) return this.#storage;
    const d = this.data;
    return Array.isArray(d) ? d : (d as Uint8Array).buffer;
  }

  /** Whether the data lives in memory that `dispose()` frees at once (rather than the garbage collector). */
  get ownsMemory(): boolean {
    return this.#storage.free !== undefined;
  }

  /** Drops the data reference and frees storage owned elsewhere. Idempotent; views of freed storage must not be used. */
  dispose(): void {
    this.#data = undefined;
    const fn = this.#storage.free;
    this.#storage.free = undefined;
    this.#storage.relocate = undefined;
    fn?.();
  }

  toString(): string {
    return `Tensor(${this.type}${this.quant ? `[${this.quant.scale},${this.quant.zeroPoint}]` : ''}, ${formatShape(this.dims)})`;
  }
}

function toTypedData<D extends DataType>(type: D, data: DataInput<D> | undefined): DataTypeMap[D] {
  if (data === undefined) throw new TypeError('tensor data is required');
  if (type === 'string') {
    if (!Array.isArray(data)) throw new TypeError('string tensors take an array of strings');
    return [...(data as string[])] as DataTypeMap[D];
  }
  const ctor = DTYPES[type].array!;
  if (data instanceof ctor) return data as DataTypeMap[D];
  if (type === 'bool' && (data instanceof Uint8Array || Array.isArray(data))) {
    return Uint8Array.from(data as ArrayLike<number>, (v) => (v ? 1 : 0)) as DataTypeMap[D];
  }
  if (Array.isArray(data)) {
    if (DTYPES[type].big) {
      return (ctor as BigInt64ArrayConstructor).from(data as unknown as (bigint | number)[], (v) =>
        BigInt(v),
      ) as DataTypeMap[D];
    }
    return (ctor as Float32ArrayConstructor).from(data as unknown as number[]) as DataTypeMap[D];
  }
  throw new TypeError(`data of a '${type}' tensor must be a ${ctor.name} or an array`);
}
