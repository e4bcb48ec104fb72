import { describe, expect, it } from 'vitest';
import { ModelProto, SequenceProto } from '../src/formats/onnx/schema.js';
import { tensorToProto } from '../src/formats/onnx/tensor-proto.js';
import {
  type DataType,
  InferenceSession,
  InputError,
  OptionalValue,
  Tensor,
  TensorSequence,
} from '../src/index.js';
import { decodeOptionalProtoBytes, decodeSequenceProtoBytes } from '../src/onnx.js';
import { onnxCode } from '../src/tensor/dtype.js';

/** A declared value type: a tensor, a sequence of tensors or an optional. */
type TypeSpec = { tensor: DataType } | { seq: DataType } | { optional: TypeSpec };

function typeProto(t: TypeSpec): Record<string, unknown> {
  if ('tensor' in t) return { tensor_type: { elem_type: onnxCode(t.tensor) } };
  if ('seq' in t) return { sequence_type: { elem_type: typeProto({ tensor: t.seq }) } };
  return { optional_type: { elem_type: typeProto(t.optional) } };
}

interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs?: Record<string, unknown>[];
}

/** An ONNX model (opset 18) with typed inputs and outputs, which the tensor-only builder cannot write. */
function model(
  inputs: Record<string, TypeSpec>,
  outputs: Record<string, TypeSpec>,
  nodes: NodeSpec[],
): Uint8Array {
  const info = (specs: Record<string, TypeSpec>) =>
    Object.entries(specs).map(([name, t]) => ({ name, type: typeProto(t) }));
  const proto = {
    ir_version: 8,
    opset_import: [{ domain: '', version: 18 }],
    graph: {
      name: 'values',
      node: nodes.map((n, i) => ({
        name: `n${i}`,
        op_type: n.op,
        input: n.inputs,
        output: n.outputs,
        attribute: n.attrs ?? [],
      })),
      input: info(inputs),
      output: info(outputs),
    },
  };
  return ModelProto.encode(ModelProto.fromObject(proto)).finish();
}

const f32 = (...v: number[]) => new Tensor('float32', Float32Array.from(v), [v.length]);
const i64 = (v: number) => new Tensor('int64', BigInt64Array.of(BigInt(v)), []);

describe('sequence and optional values in the engine', () => {
  it('runValues returns a sequence output; run() refuses it and names the output', async () => {
    const bytes = model({ x: { tensor: 'float32' }, y: { tensor: 'float32' } }, { s: { seq: 'float32' } }, [
      { op: 'SequenceConstruct', inputs: ['x', 'y'], outputs: ['s'] },
    ]);
    const session = await InferenceSession.create(bytes);
    expect(session.outputMetadata).toEqual([
      { name: 's', isTensor: false, type: 'float32', shape: undefined },
    ]);
    const { s } = await session.runValues({ x: f32(1, 2), y: f32(3, 4, 5) });
    expect(s).toBeInstanceOf(TensorSequence);
    const seq = s as TensorSequence;
    expect(seq.elementType).toBe('float32');
    expect(seq.tensors.map((t) => [...(t.data as Float32Array)])).toEqual([
      [1, 2],
      [3, 4, 5],
    ]);
    await expect(session.run({ x: f32(1), y: f32(2) })).rejects.toThrow(
      "output 's' is a sequence, not a tensor: use session.runValues() to get it",
    );
  });

  it('takes sequence feeds and checks their kind and element type', async () => {
    const bytes = model(
      { s: { seq: 'float32' }, p: { tensor: 'int64' } },
      { y: { tensor: 'float32' }, n: { tensor: 'int64' } },
      [
        { op: 'SequenceAt', inputs: ['s', 'p'], outputs: ['y'] },
        { op: 'SequenceLength', inputs: ['s'], outputs: ['n'] },
      ],
    );
    const session = await InferenceSession.create(bytes);
    const seq = new TensorSequence('float32', [f32(1, 2), f32(3, 4, 5)]);
    const { y, n } = await session.run({ s: seq, p: i64(-1) });
    expect([...(y.data as Float32Array)]).toEqual([3, 4, 5]);
    expect(n.data).toEqual(BigInt64Array.of(2n));

    await expect(session.run({ s: f32(1), p: i64(0) })).rejects.toThrow(
      new InputError("input 's' must be a sequence, got a tensor"),
    );
    const ints = new TensorSequence('int32', [new Tensor('int32', Int32Array.of(1), [1])]);
    await expect(session.run({ s: ints, p: i64(0) })).rejects.toThrow(
      "input 's' must hold float32 tensors, got int32",
    );
    await expect(session.run({ s: OptionalValue.of(seq), p: i64(0) })).rejects.toThrow(
      "input 's' must be a sequence, got an optional",
    );
    await expect(session.run({ s: seq, p: i64(2) })).rejects.toThrow(
      'position 2 is out of range [-2, 1] for a sequence of 2 tensors',
    );
  });

  it('refuses a sequence fed to a tensor input', async () => {
    const bytes = model({ x: { tensor: 'float32' } }, { y: { tensor: 'float32' } }, [
      { op: 'Identity', inputs: ['x'], outputs: ['y'] },
    ]);
    const session = await InferenceSession.create(bytes);
    await expect(session.run({ x: new TensorSequence('float32', [f32(1)]) })).rejects.toThrow(
      "input 'x' must be a tensor, got a sequence",
    );
  });

  it('counts the tensors a sequence holds in the live-bytes peak, shared buffers once', async () => {
    // x (4000 bytes) splits into four new 1000-byte tensors: both are alive after SplitToSequence.
    const split = model({ x: { tensor: 'float32' } }, { n: { tensor: 'int64' } }, [
      { op: 'SplitToSequence', inputs: ['x'], outputs: ['s'] },
      { op: 'SequenceLength', inputs: ['s'], outputs: ['n'] },
    ]);
    const a = await InferenceSession.create(split);
    const { n } = await a.run({ x: new Tensor('float32', new Float32Array(1000), [4, 250]) });
    expect(n.data).toEqual(BigInt64Array.of(4n));
    expect(a.lastRunStats?.peakTensorBytes).toBe(8000);

    // A sequence of x twice holds x's buffer, counted once: x (4000) + n (8) at the peak, not 8008.
    const twice = model({ x: { tensor: 'float32' } }, { n: { tensor: 'int64' } }, [
      { op: 'SequenceConstruct', inputs: ['x', 'x'], outputs: ['s'] },
      { op: 'SequenceLength', inputs: ['s'], outputs: ['n'] },
    ]);
    const b = await InferenceSession.create(twice);
    await b.run({ x: new Tensor('float32', new Float32Array(1000), [1000]) });
    expect(b.lastRunStats?.peakTensorBytes).toBe(4008);
  });

  it('wraps values in optionals and builds empty ones from the type attribute', async () => {
    const seqType = { name: 'type', type: 13, tp: typeProto({ seq: 'float32' }) };
    const bytes = model(
      { x: { tensor: 'float32' } },
      {
        o: { optional: { tensor: 'float32' } },
        e: { optional: { seq: 'float32' } },
        has: { tensor: 'bool' },
        empty: { tensor: 'bool' },
      },
      [
        { op: 'Optional', inputs: ['x'], outputs: ['o'] },
        { op: 'Optional', inputs: [], outputs: ['e'], attrs: [seqType] },
        { op: 'OptionalHasElement', inputs: ['o'], outputs: ['has'] },
        { op: 'OptionalHasElement', inputs: ['e'], outputs: ['empty'] },
      ],
    );
    const session = await InferenceSession.create(bytes);
    const out = await session.runValues({ x: f32(7, 8) });
    const o = out.o as OptionalValue;
    expect(o.elementKind).toBe('tensor');
    expect([...((o.value as Tensor).data as Float32Array)]).toEqual([7, 8]);
    const e = out.e as OptionalValue;
    expect([e.hasElement, e.elementKind, e.elementType]).toEqual([false, 'sequence', 'float32']);
    expect([(out.has as Tensor).data[0], (out.empty as Tensor).data[0]]).toEqual([1, 0]);
  });

  it('decodes SequenceProto and OptionalProto bytes, typing empty ones from the declaration', () => {
    const bytes = SequenceProto.encode(
      SequenceProto.fromObject({ elem_type: 1, tensor_values: [tensorToProto(f32(1.5, 2.5))] }),
    ).finish();
    const seq = decodeSequenceProtoBytes(bytes);
    expect(seq.elementType).toBe('float32');
    expect([...(seq.tensors[0].data as Float32Array)]).toEqual([1.5, 2.5]);

    const emptySeq = SequenceProto.encode(SequenceProto.fromObject({ elem_type: 1 })).finish();
    expect(decodeSequenceProtoBytes(emptySeq, { nonTensor: 'sequence', elementType: 'int64' })).toEqual(
      new TensorSequence('int64'),
    );
    expect(() => decodeSequenceProtoBytes(emptySeq)).toThrow(
      'an empty sequence needs a declared element type',
    );

    // An empty OptionalProto whose elem_type says SEQUENCE (3).
    const emptyOpt = decodeOptionalProtoBytes(Uint8Array.of(0x10, 3), {
      nonTensor: 'optional',
      elementType: 'float32',
    });
    expect([emptyOpt.hasElement, emptyOpt.elementKind, emptyOpt.elementType]).toEqual([
      false,
      'sequence',
      'float32',
    ]);
  });
});
