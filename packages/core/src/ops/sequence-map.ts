import type { Tensor } from '../tensor/tensor.js';
import { TensorSequence, type Value } from '../tensor/value.js';
import { check, type OpDef, type ValueMeta } from './op.js';
import { sequenceInput } from './support/control-sequence.js';
import { runBody, tensorsOnly } from './support/control-subgraph.js';

/**
 * SequenceMap: runs `body` once per position i of the input sequence, with the i-th tensor of
 * every sequence input and each tensor input as is; output k is the sequence of the body's k-th outputs.
 */
export const SequenceMap: OpDef = {
  type: 'SequenceMap',
  infer(ctx) {
    const body = ctx.attrs.graph('body');
    const metas: ValueMeta[] = [];
    for (let k = 0; k < ctx.outputCount; k++) metas.push({ kind: 'sequence', type: body.outputs[k]?.type });
    return metas;
  },
  async run(ctx) {
    const body = ctx.attrs.graph('body');
    const first = sequenceInput(ctx, 0);
    const extra = ctx.values.slice(1).map((v, j) => {
      check(v, () => `input ${j + 1} is required`);
      if (v instanceof TensorSequence) {
        check(
          v.length === first.length,
          () => `input ${j + 1} is a sequence of ${v.length} tensors, input 0 of ${first.length}`,
        );
      }
      return v;
    });
    check(
      body.outputs.length === ctx.outputCount,
      () => `the body has ${body.outputs.length} outputs, the node ${ctx.outputCount}`,
    );
    const outputs: Tensor[][] = body.outputs.map(() => []);
    for (let i = 0; i < first.length; i++) {
      const args: Value[] = [first.tensors[i]];
      for (const v of extra) args.push(v instanceof TensorSequence ? v.tensors[i] : v);
      const outs = tensorsOnly(await runBody(ctx, body, args), 'body output');
      for (let k = 0; k < outputs.length; k++) outputs[k].push(outs[k]);
    }
    return outputs.map((tensors, k) => {
      // An empty input sequence gives empty outputs, typed as the body declares.
      const type = tensors[0]?.type ?? body.outputs[k].type;
      check(type, () => `the body does not declare the type of output ${k}`);
      return new TensorSequence(type, tensors);
    });
  },
};
