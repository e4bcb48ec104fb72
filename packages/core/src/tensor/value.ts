/**
 * Values that are not tensors: ONNX sequences of tensors and optionals. Models pass them between
 * the sequence and optional operators and through If/Loop/Scan bodies.
 */
import type { DataType } from './dtype.js';
import { Tensor } from './tensor.js';

/** An ordered list of tensors of one element type (ONNX `seq(tensor(T))`); shapes may differ. */
export class TensorSequence {
  readonly elementType: DataType;
  readonly tensors: readonly Tensor[];

  constructor(elementType: DataType, tensors: readonly Tensor[] = []) {
    for (const t of tensors) {
      if (t.type !== elementType) {
        throw new TypeError(`a sequence of ${elementType} cannot hold a ${t.type} tensor`);
      }
    }
    this.elementType = elementType;
    this.tensors = Object.freeze([...tensors]);
  }

  get length(): number {
    return this.tensors.length;
  }

  toString(): string {
    return `TensorSequence(${this.elementType}, ${this.tensors.length} tensors)`;
  }
}

/** What an optional holds when it has a value: a tensor or a sequence of tensors. */
export type OptionalKind = 'tensor' | 'sequence';

/**
 * An ONNX optional: a tensor, a sequence, or nothing. The element kind and type are kept for an
 * empty one too, so an empty `optional(seq(tensor(float)))` differs from an empty `optional(tensor(float))`.
 */
export class OptionalValue {
  readonly elementKind: OptionalKind;
  /** Type of the tensor(s) held; undefined when an empty optional does not say. */
  readonly elementType: DataType | undefined;
  readonly value: Tensor | TensorSequence | undefined;

  constructor(elementKind: OptionalKind, elementType: DataType | undefined, value?: Tensor | TensorSequence) {
    if (value) {
      const kind: OptionalKind = value instanceof Tensor ? 'tensor' : 'sequence';
      if (kind !== elementKind || (elementType !== undefined && elementTypeOf(value) !== elementType)) {
        throw new TypeError(`an optional ${elementKind} of ${elementType} cannot hold ${value}`);
      }
    }
    this.elementKind = elementKind;
    this.elementType = value ? elementTypeOf(value) : elementType;
    this.value = value;
  }

  /** An optional holding `value`. */
  static of(value: Tensor | TensorSequence): OptionalValue {
    return new OptionalValue(value instanceof Tensor ? 'tensor' : 'sequence', elementTypeOf(value), value);
  }

  /** An optional without a value. */
  static empty(elementKind: OptionalKind, elementType?: DataType): OptionalValue {
    return new OptionalValue(elementKind, elementType);
  }

  get hasElement(): boolean {
    return this.value !== undefined;
  }

  toString(): string {
    return `OptionalValue(${this.value ? String(this.value) : `empty ${this.elementKind} of ${this.elementType ?? '?'}`})`;
  }
}

/** Any value an operator takes or produces. */
export type Value = Tensor | TensorSequence | OptionalValue;

/** The kind of a value, as ValueInfo.nonTensor and ValueMeta.kind spell it ('tensor' for tensors). */
export type ValueKind = 'tensor' | 'sequence' | 'optional';

export function isTensor(v: Value | undefined): v is Tensor {
  return v instanceof Tensor;
}

export function kindOf(v: Value): ValueKind {
  return v instanceof Tensor ? 'tensor' : v instanceof TensorSequence ? 'sequence' : 'optional';
}

/** The element type of a tensor, or of the tensors a sequence or optional holds. */
export function elementTypeOf(v: Value): DataType | undefined {
  return v instanceof Tensor ? v.type : v.elementType;
}

/** The tensors a value holds (itself, a sequence's elements, an optional's content). */
export function tensorsOf(v: Value): readonly Tensor[] {
  if (v instanceof Tensor) return [v];
  if (v instanceof TensorSequence) return v.tensors;
  return v.value ? tensorsOf(v.value) : [];
}

/** Bytes of element data a value holds (tensors sharing a buffer are counted each time). */
export function valueByteLength(v: Value): number {
  let bytes = 0;
  for (const t of tensorsOf(v)) bytes += t.byteLength;
  return bytes;
}
