/**
 * A small ONNX graph builder: values are referred to by name, every value has a static type and
 * shape (computed by the op helpers), nodes and initializers are recorded in order. Weights are never
 * materialised here: a parameter is described by its shape and an initialisation rule, and the writer
 * generates its bytes when it streams the model out.
 *
 * Dynamic dims: graph inputs and outputs may declare symbolic dims (ONNX `dim_param`, e.g. `height`),
 * while the builder itself infers shapes on nominal numbers (the size the graph is built at). A graph
 * meant to run at any size must not bake a nominal dim into a constant: its reshapes use -1 / 0 or a
 * shape computed at run time from `Shape` ({@link GraphBuilder.shapeOf}), as torch's export with
 * dynamic axes does. Built at two nominal sizes, such a graph comes out identical.
 *
 * Node and value names follow torch.onnx.export's scheme, so that generated models read like real
 * exports (and OnnxStream's escaped names, e.g. `/down_blocks.0/resnets.0/conv1/Conv_output_0`):
 * a node is `/<scope>/<Op>` (`_1`, `_2`... for repeats in the same scope) and writes
 * `<node name>_output_<i>`. Parameters are named by the dotted scope path like a PyTorch state dict
 * (`down_blocks.0.resnets.0.conv1.weight`).
 */

export type ElemType = 'float32' | 'float16' | 'int64' | 'int32';

/** ONNX data type codes. */
export const ONNX_TYPE: Readonly<Record<ElemType, number>> = { float32: 1, float16: 10, int32: 6, int64: 7 };

export type Attr =
  | { readonly i: number }
  | { readonly f: number }
  | { readonly s: string }
  | { readonly ints: readonly number[] }
  | { readonly floats: readonly number[] }
  | { readonly strings: readonly string[] };

export type Dim = number | string;

export interface ValueSpec {
  readonly name: string;
  readonly type: ElemType;
  readonly dims: readonly Dim[];
}

/** How an initializer's values are made. */
export type WeightInit =
  /** Uniform in [-bound, bound), from the (seed, name) stream of prng.ts. */
  | { readonly kind: 'uniform'; readonly bound: number }
  /** Every element equal to `value`. */
  | { readonly kind: 'fill'; readonly value: number }
  /** Given values (small constants). */
  | { readonly kind: 'data'; readonly data: Float32Array | Int32Array | BigInt64Array };

export interface InitializerSpec {
  readonly name: string;
  readonly type: ElemType;
  readonly dims: readonly number[];
  readonly init: WeightInit;
  /** A trainable parameter of the original model (counted by parameterCount); false for constants. */
  readonly parameter: boolean;
}

export interface NodeSpec {
  readonly op: string;
  readonly name: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs: Readonly<Record<string, Attr>>;
  readonly domain?: string;
}

export interface GraphSpec {
  readonly name: string;
  readonly opset: number;
  readonly inputs: readonly ValueSpec[];
  readonly outputs: readonly ValueSpec[];
  readonly nodes: readonly NodeSpec[];
  readonly initializers: readonly InitializerSpec[];
}

interface ValueMeta {
  readonly type: ElemType;
  /** Nominal dims (symbolic graph dims take the size the graph is built at). */
  readonly dims: readonly number[];
  /** Nominal value of a small integer tensor (shape arithmetic), when known. */
  readonly value?: readonly number[];
}

/** A dim of a run-time shape: a constant, or dim `axis` of value `of` (read with Shape -> Gather). */
export type ShapePart = number | { readonly of: string; readonly axis: number };

export function numel(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/** Number of trainable parameters of a graph (sum of parameter initializer sizes), without weights. */
export function parameterCount(graph: GraphSpec): number {
  let n = 0;
  for (const i of graph.initializers) if (i.parameter) n += numel(i.dims);
  return n;
}

/** Numpy-style broadcast of two static shapes. */
export function broadcast(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new Error(`cannot broadcast [${a}] with [${b}]`);
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** Declared dims must have the nominal rank, and numbers must be the nominal dims. */
function checkDeclared(name: string, dims: readonly number[], declared: readonly Dim[]): void {
  if (declared.length !== dims.length || declared.some((d, i) => typeof d === 'number' && d !== dims[i]))
    throw new Error(`'${name}': declared dims [${declared}] do not fit its dims [${dims}]`);
}

function normAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new Error(`axis ${axis} out of range for rank ${rank}`);
  return a;
}

export class GraphBuilder {
  readonly name: string;
  readonly opset: number;
  readonly #nodes: NodeSpec[] = [];
  readonly #initializers: InitializerSpec[] = [];
  readonly #inputs: ValueSpec[] = [];
  readonly #outputs: ValueSpec[] = [];
  readonly #values = new Map<string, ValueMeta>();
  readonly #producer = new Map<string, number>();
  readonly #scopes: string[] = [];
  readonly #nodeNames = new Map<string, number>();
  readonly #constants = new Map<string, string>();
  readonly #shapes = new Map<string, string>();
  #constantCount = 0;
  /**
   * Whether spatial dims are dynamic: layers then build reshapes from -1 / 0 and run-time shapes
   * instead of constants holding the nominal sizes (see the module description).
   */
  readonly dynamic: boolean;

  constructor(name: string, opset = 17, options: { readonly dynamic?: boolean } = {}) {
    this.name = name;
    this.opset = opset;
    this.dynamic = options.dynamic ?? false;
  }

  /** Runs `fn` inside a named scope (a module of the original network). */
  scope<T>(name: string, fn: () => T): T {
    if (!name) return fn();
    this.#scopes.push(name);
    try {
      return fn();
    } finally {
      this.#scopes.pop();
    }
  }

  /** Dotted path of the current scope (the state-dict prefix). */
  get path(): string {
    return this.#scopes.join('.');
  }

  meta(v: string): ValueMeta {
    const m = this.#values.get(v);
    if (!m) throw new Error(`unknown value '${v}'`);
    return m;
  }

  dims(v: string): readonly number[] {
    return this.meta(v).dims;
  }

  type(v: string): ElemType {
    return this.meta(v).type;
  }

  /**
   * A graph input of nominal `dims`; `declared` (default `dims`) is what the model declares, strings
   * being symbolic dims (ONNX `dim_param`).
   */
  input(name: string, type: ElemType, dims: readonly number[], declared: readonly Dim[] = dims): string {
    checkDeclared(name, dims, declared);
    this.#define(name, { type, dims });
    this.#inputs.push({ name, type, dims: [...declared] });
    return name;
  }

  /**
   * Gives the value `v` the name `name` (its producer writes `name`) before anything reads it, as
   * torch's export names a value that is both a graph output and read further on; returns `name`.
   */
  rename(v: string, name: string): string {
    if (!this.#canRename(v, name)) throw new Error(`cannot rename '${v}' to '${name}'`);
    this.#renameProduced(v, name);
    return name;
  }

  /**
   * Declares `v` as a graph output called `name`: the producing node is made to write `name` directly
   * (as torch's export does) when nothing else reads `v`, else an Identity copies it.
   */
  output(v: string, name = v, declared: readonly Dim[] = this.meta(v).dims): void {
    const m = this.meta(v);
    checkDeclared(name, m.dims, declared);
    if (name !== v) {
      if (this.#canRename(v, name)) this.#renameProduced(v, name);
      else this.op('Identity', [v], [m], {}, [name]);
    }
    this.#outputs.push({ name, type: m.type, dims: [...declared] });
  }

  #canRename(v: string, name: string): boolean {
    return this.#producer.has(v) && !this.#values.has(name) && !this.#nodes.some((n) => n.inputs.includes(v));
  }

  #renameProduced(v: string, name: string): void {
    const p = this.#producer.get(v)!;
    const m = this.meta(v);
    const n = this.#nodes[p];
    this.#nodes[p] = { ...n, outputs: n.outputs.map((o) => (o === v ? name : o)) };
    this.#values.delete(v);
    this.#producer.delete(v);
    this.#define(name, m);
    this.#producer.set(name, p);
  }

  /** A trainable parameter `<scope path>.<local>` (e.g. `conv1.weight`). */
  param(local: string, dims: readonly number[], init: WeightInit, type: ElemType = 'float32'): string {
    const name = this.path ? `${this.path}.${local}` : local;
    return this.initializer(name, dims, init, type, true);
  }

  initializer(
    name: string,
    dims: readonly number[],
    init: WeightInit,
    type: ElemType = 'float32',
    parameter = false,
  ): string {
    this.#define(name, { type, dims });
    this.#initializers.push({ name, type, dims: [...dims], init, parameter });
    return name;
  }

  /** A constant initializer (deduplicated by content), named like torch's `onnx::<Op>_<k>`. */
  constant(type: ElemType, dims: readonly number[], values: readonly number[] | WeightInit): string {
    const init: WeightInit = Array.isArray(values)
      ? {
          kind: 'data',
          data:
            type === 'int64'
              ? BigInt64Array.from(values.map((x) => BigInt(x)))
              : type === 'int32'
                ? Int32Array.from(values)
                : Float32Array.from(values),
        }
      : (values as WeightInit);
    const content = init.kind === 'data' ? Array.from(init.data as ArrayLike<unknown>).join(',') : init;
    const key = `${type}|${dims.join(',')}|${JSON.stringify(content, (_, x) => (typeof x === 'bigint' ? String(x) : x))}`;
    const known = this.#constants.get(key);
    if (known) return known;
    const name = `onnx::Constant_${this.#constantCount++}`;
    this.#constants.set(key, name);
    this.initializer(name, dims, init, type, false);
    if ((type === 'int64' || type === 'int32') && init.kind === 'data') {
      const value = Array.from(init.data as ArrayLike<number | bigint>, Number);
      this.#values.set(name, { ...this.meta(name), value });
    }
    return name;
  }

  /** A rank-0 float constant. */
  scalar(value: number, type: ElemType = 'float32'): string {
    return this.constant(type, [], [value]);
  }

  /** A 1-D int64 constant (shapes, axes, split sizes). */
  ints(values: readonly number[]): string {
    return this.constant('int64', [values.length], values);
  }

  /** Records a node; returns its output names. */
  op(
    op: string,
    inputs: readonly string[],
    outs: readonly ValueMeta[],
    attrs: Readonly<Record<string, Attr>> = {},
    outputNames?: readonly string[],
  ): string[] {
    for (const i of inputs) if (i) this.meta(i);
    const base = `/${this.#scopes.length ? `${this.#scopes.join('/')}/` : ''}${op}`;
    const k = this.#nodeNames.get(base) ?? 0;
    this.#nodeNames.set(base, k + 1);
    const name = k ? `${base}_${k}` : base;
    const outputs = outs.map((_, i) => outputNames?.[i] ?? `${name}_output_${i}`);
    outs.forEach((m, i) => {
      this.#define(outputs[i], m);
      this.#producer.set(outputs[i], this.#nodes.length);
    });
    this.#nodes.push({ op, name, inputs: [...inputs], outputs, attrs });
    return outputs;
  }

  #define(name: string, m: ValueMeta): void {
    if (this.#values.has(name)) throw new Error(`value '${name}' defined twice`);
    this.#values.set(name, { type: m.type, dims: [...m.dims], value: m.value && [...m.value] });
  }

  build(): GraphSpec {
    return {
      name: this.name,
      opset: this.opset,
      inputs: [...this.#inputs],
      outputs: [...this.#outputs],
      nodes: [...this.#nodes],
      initializers: [...this.#initializers],
    };
  }

  // ---- primitive operators (static shape inference) ----

  #binary(op: string, a: string, b: string): string {
    const ma = this.meta(a);
    return this.op(op, [a, b], [{ type: ma.type, dims: broadcast(ma.dims, this.dims(b)) }])[0];
  }

  add(a: string, b: string): string {
    return this.#binary('Add', a, b);
  }

  sub(a: string, b: string): string {
    return this.#binary('Sub', a, b);
  }

  mul(a: string, b: string): string {
    return this.#binary('Mul', a, b);
  }

  div(a: string, b: string): string {
    return this.#binary('Div', a, b);
  }

  #unary(op: string, x: string, attrs: Readonly<Record<string, Attr>> = {}): string {
    return this.op(op, [x], [this.meta(x)], attrs)[0];
  }

  sigmoid(x: string): string {
    return this.#unary('Sigmoid', x);
  }

  erf(x: string): string {
    return this.#unary('Erf', x);
  }

  sin(x: string): string {
    return this.#unary('Sin', x);
  }

  cos(x: string): string {
    return this.#unary('Cos', x);
  }

  softmax(x: string, axis = -1): string {
    return this.#unary('Softmax', x, { axis: { i: axis } });
  }

  cast(x: string, to: ElemType): string {
    return this.op('Cast', [x], [{ type: to, dims: this.dims(x) }], { to: { i: ONNX_TYPE[to] } })[0];
  }

  matmul(a: string, b: string): string {
    const da = this.dims(a);
    const db = this.dims(b);
    if (da.length < 2 || db.length < 2) throw new Error('matmul operands must have rank >= 2');
    if (da[da.length - 1] !== db[db.length - 2])
      throw new Error(`matmul [${da}] x [${db}]: inner dimensions differ`);
    const batch = broadcast(da.slice(0, -2), db.slice(0, -2));
    return this.op(
      'MatMul',
      [a, b],
      [{ type: this.type(a), dims: [...batch, da[da.length - 2], db[db.length - 1]] }],
    )[0];
  }

  /** Gemm(a, b^T) + c, torch's export of nn.Linear on 2-D input. */
  gemmTransB(a: string, w: string, c: string): string {
    const [m] = this.dims(a);
    const [n] = this.dims(w);
    return this.op('Gemm', [a, w, c], [{ type: this.type(a), dims: [m, n] }], {
      alpha: { f: 1 },
      beta: { f: 1 },
      transB: { i: 1 },
    })[0];
  }

  /**
   * Reshape to `shape`: a constant (0 copies the input dim, one -1 is inferred), or an int64 value
   * computed in the graph ({@link shapeOf}, {@link shapeFrom}).
   */
  reshape(x: string, shape: readonly number[] | string): string {
    const d = this.dims(x);
    const target = typeof shape === 'string' ? this.meta(shape).value : shape;
    if (!target) throw new Error(`reshape: the value of shape '${shape}' is not known`);
    const total = numel(d);
    const out = target.map((s, i) => (s === 0 ? d[i] : s));
    const known = out.filter((s) => s !== -1);
    const infer = out.indexOf(-1);
    if (infer >= 0) out[infer] = total / numel(known);
    if (numel(out) !== total || !Number.isInteger(out[infer] ?? 0))
      throw new Error(`cannot reshape [${d}] to [${target}]`);
    const s = typeof shape === 'string' ? shape : this.ints(shape);
    return this.op('Reshape', [x, s], [{ type: this.type(x), dims: out }])[0];
  }

  /** `Shape(x)`, the run-time dims of `x` (int64 [rank]; one node per value). */
  shapeOf(x: string): string {
    const known = this.#shapes.get(x);
    if (known) return known;
    const d = this.dims(x);
    const [s] = this.op('Shape', [x], [{ type: 'int64', dims: [d.length], value: d }]);
    this.#shapes.set(x, s);
    return s;
  }

  /**
   * A 1-D int64 shape assembled at run time, as torch exports `t.reshape(b, h, w, c)` with `h`, `w`
   * read from another tensor's shape: each `{of, axis}` is Shape -> Gather(axis) -> Unsqueeze, runs of
   * constants are one constant, all concatenated.
   */
  shapeFrom(parts: readonly ShapePart[]): string {
    const pieces: string[] = [];
    const value: number[] = [];
    let run: number[] = [];
    const flush = () => {
      if (run.length) pieces.push(this.ints(run));
      run = [];
    };
    for (const p of parts) {
      if (typeof p === 'number') {
        run.push(p);
        value.push(p);
        continue;
      }
      flush();
      const d = this.dims(p.of);
      const axis = normAxis(p.axis, d.length);
      const n = d[axis];
      const [g] = this.op(
        'Gather',
        [this.shapeOf(p.of), this.constant('int64', [], [axis])],
        [{ type: 'int64', dims: [], value: [n] }],
        { axis: { i: 0 } },
      );
      pieces.push(this.op('Unsqueeze', [g, this.ints([0])], [{ type: 'int64', dims: [1], value: [n] }])[0]);
      value.push(n);
    }
    flush();
    if (pieces.length === 1) return pieces[0];
    return this.op('Concat', pieces, [{ type: 'int64', dims: [value.length], value }], { axis: { i: 0 } })[0];
  }

  transpose(x: string, perm: readonly number[]): string {
    const d = this.dims(x);
    return this.op('Transpose', [x], [{ type: this.type(x), dims: perm.map((p) => d[p]) }], {
      perm: { ints: perm },
    })[0];
  }

  unsqueeze(x: string, axes: readonly number[]): string {
    const d = [...this.dims(x)];
    const rank = d.length + axes.length;
    for (const a of axes.map((a) => normAxis(a, rank)).sort((p, q) => p - q)) d.splice(a, 0, 1);
    return this.op('Unsqueeze', [x, this.ints(axes)], [{ type: this.type(x), dims: d }])[0];
  }

  concat(xs: readonly string[], axis: number): string {
    const d = [...this.dims(xs[0])];
    const a = normAxis(axis, d.length);
    d[a] = xs.reduce((s, x) => s + this.dims(x)[a], 0);
    return this.op('Concat', xs, [{ type: this.type(xs[0]), dims: d }], { axis: { i: axis } })[0];
  }

  split(x: string, sizes: readonly number[], axis: number): string[] {
    const d = this.dims(x);
    const a = normAxis(axis, d.length);
    return this.op(
      'Split',
      [x, this.ints(sizes)],
      sizes.map((s) => ({ type: this.type(x), dims: d.map((v, i) => (i === a ? s : v)) })),
      { axis: { i: axis } },
    );
  }

  gather(data: string, indices: string, axis = 0): string {
    const d = this.dims(data);
    const a = normAxis(axis, d.length);
    const dims = [...d.slice(0, a), ...this.dims(indices), ...d.slice(a + 1)];
    return this.op('Gather', [data, indices], [{ type: this.type(data), dims }], { axis: { i: axis } })[0];
  }

  argmax(x: string, axis: number, keepdims = false): string {
    const d = this.dims(x);
    const a = normAxis(axis, d.length);
    const dims = keepdims ? d.map((v, i) => (i === a ? 1 : v)) : d.filter((_, i) => i !== a);
    return this.op('ArgMax', [x], [{ type: 'int64', dims }], {
      axis: { i: axis },
      keepdims: { i: keepdims ? 1 : 0 },
    })[0];
  }

  conv(
    x: string,
    w: string,
    b: string | undefined,
    opts: { readonly stride: number; readonly pad: number },
  ): string {
    const [n, c, h, wd] = this.dims(x);
    const [o, ci, kh, kw] = this.dims(w);
    if (ci !== c) throw new Error(`conv: input has ${c} channels, weight expects ${ci}`);
    const oh = Math.floor((h + 2 * opts.pad - kh) / opts.stride) + 1;
    const ow = Math.floor((wd + 2 * opts.pad - kw) / opts.stride) + 1;
    return this.op('Conv', b ? [x, w, b] : [x, w], [{ type: this.type(x), dims: [n, o, oh, ow] }], {
      dilations: { ints: [1, 1] },
      group: { i: 1 },
      kernel_shape: { ints: [kh, kw] },
      pads: { ints: [opts.pad, opts.pad, opts.pad, opts.pad] },
      strides: { ints: [opts.stride, opts.stride] },
    })[0];
  }

  layerNormalization(x: string, scale: string, bias: string, epsilon: number): string {
    return this.op('LayerNormalization', [x, scale, bias], [this.meta(x)], {
      axis: { i: -1 },
      epsilon: { f: epsilon },
    })[0];
  }

  instanceNormalization(x: string, scale: string, bias: string, epsilon: number): string {
    return this.op('InstanceNormalization', [x, scale, bias], [this.meta(x)], { epsilon: { f: epsilon } })[0];
  }

  /** Nearest-neighbour upsampling by an integer factor on H and W (torch's F.interpolate export). */
  resizeNearest(x: string, factor: number): string {
    const [n, c, h, w] = this.dims(x);
    const scales = this.constant('float32', [4], [1, 1, factor, factor]);
    return this.op(
      'Resize',
      [x, '', scales],
      [{ type: this.type(x), dims: [n, c, h * factor, w * factor] }],
      {
        coordinate_transformation_mode: { s: 'asymmetric' },
        cubic_coeff_a: { f: -0.75 },
        mode: { s: 'nearest' },
        nearest_mode: { s: 'floor' },
      },
    )[0];
  }
}
