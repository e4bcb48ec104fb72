import type { AttrValue, Graph } from '../graph/graph.js';
import { Tensor } from '../tensor/tensor.js';

/**
 * Typed read access to a node's attributes. ONNX attributes arrive typed; OnnxStream model.txt
 * attributes arrive as text and are parsed here by the type the operator asks for.
 */
export class Attributes {
  constructor(readonly map: ReadonlyMap<string, AttrValue>) {}

  has(name: string): boolean {
    return this.map.has(name);
  }

  names(): string[] {
    return [...this.map.keys()];
  }

  #get(name: string): AttrValue | undefined {
    return this.map.get(name);
  }

  #missing(name: string): never {
    throw new Error(`missing required attribute '${name}'`);
  }

  #wrong(name: string, want: string, got: AttrValue): never {
    throw new Error(`attribute '${name}' must be ${want}, got ${got.type}`);
  }

  int(name: string, fallback?: number): number {
    const a = this.#get(name);
    if (!a) return fallback ?? this.#missing(name);
    if (a.type === 'int') return a.value;
    if (a.type === 'text') return parseNumber(name, a.value, true);
    if (a.type === 'float' && Number.isInteger(a.value)) return a.value;
    return this.#wrong(name, 'an int', a);
  }

  float(name: string, fallback?: number): number {
    const a = this.#get(name);
    if (!a) return fallback ?? this.#missing(name);
    if (a.type === 'float' || a.type === 'int') return a.value;
    if (a.type === 'text') return parseNumber(name, a.value, false);
    return this.#wrong(name, 'a float', a);
  }

  string(name: string, fallback?: string): string {
    const a = this.#get(name);
    if (!a) return fallback ?? this.#missing(name);
    if (a.type === 'string' || a.type === 'text') return a.value;
    return this.#wrong(name, 'a string', a);
  }

  ints(name: string, fallback?: readonly number[]): readonly number[] {
    const a = this.#get(name);
    if (!a) return fallback ?? this.#missing(name);
    if (a.type === 'ints') return a.value;
    if (a.type === 'int') return [a.value];
    if (a.type === 'text')
      return a.value === '' ? [] : a.value.split(',').map((v) => parseNumber(name, v, true));
    return this.#wrong(name, 'a list of ints', a);
  }

  floats(name: string, fallback?: readonly number[]): readonly number[] {
    const a = this.#get(name);
    if (!a) return fallback ?? this.#missing(name);
    if (a.type === 'floats' || a.type === 'ints') return a.value;
    if (a.type === 'float' || a.type === 'int') return [a.value];
    if (a.type === 'text')
      return a.value === '' ? [] : a.value.split(',').map((v) => parseNumber(name, v, false));
    return this.#wrong(name, 'a list of floats', a);
  }

  strings(name: string, fallback?: readonly string[]): readonly string[] {
    const a = this.#get(name);
    if (!a) return fallback ?? this.#missing(name);
    if (a.type === 'strings') return a.value;
    if (a.type === 'string') return [a.value];
    if (a.type === 'text') return a.value.split(',');
    return this.#wrong(name, 'a list of strings', a);
  }

  /**
   * A tensor attribute. model.txt writes single-element tensors as text; OnnxStream reads them as
   * float32 (e.g. ConstantOfShape's value), and so do we.
   */
  tensor(name: string): Tensor | undefined {
    const a = this.#get(name);
    if (!a) return undefined;
    if (a.type === 'tensor') return a.value;
    if (a.type === 'text') return new Tensor('float32', [parseNumber(name, a.value, false)], [1]);
    return this.#wrong(name, 'a tensor', a);
  }

  graph(name: string): Graph {
    const a = this.#get(name);
    if (!a) return this.#missing(name);
    if (a.type === 'graph') return a.value;
    return this.#wrong(name, 'a graph', a);
  }
}

function parseNumber(name: string, text: string, integer: boolean): number {
  const t = text.trim();
  const v = Number(t);
  if (t === '' || (Number.isNaN(v) && t.toLowerCase() !== 'nan')) {
    throw new Error(`attribute '${name}': '${text}' is not a number`);
  }
  if (integer && !Number.isInteger(v)) throw new Error(`attribute '${name}': '${text}' is not an integer`);
  return v;
}
