import { scalarOf } from '../tensor/convert.js';
import { check, input, type OpDef, type ValueMeta } from './op.js';
import { declaredMeta, mergeDims, runBody } from './support/control-subgraph.js';

/**
 * If: runs then_branch or else_branch (graphs without inputs) and returns that branch's outputs,
 * which may be tensors, sequences or optionals.
 */
export const If: OpDef = {
  type: 'If',
  infer(ctx) {
    const then = ctx.attrs.graph('then_branch');
    const otherwise = ctx.attrs.graph('else_branch');
    const cond = ctx.inputs[0]?.value;
    const metas: ValueMeta[] = [];
    for (let i = 0; i < ctx.outputCount; i++) {
      const a = declaredMeta(then.outputs[i]);
      const b = declaredMeta(otherwise.outputs[i]);
      if (cond) metas.push(scalarOf(cond, 'cond') !== 0 ? a : b);
      else {
        metas.push({
          kind: a.kind ?? b.kind,
          optionalOf: a.optionalOf ?? b.optionalOf,
          type: a.type ?? b.type,
          dims: mergeDims(a.dims, b.dims),
        });
      }
    }
    return metas;
  },
  async run(ctx) {
    const cond = scalarOf(input(ctx, 0), 'cond') !== 0;
    const branch = ctx.attrs.graph(cond ? 'then_branch' : 'else_branch');
    check(
      branch.outputs.length === ctx.outputCount,
      () =>
        `the ${cond ? 'then' : 'else'} branch has ${branch.outputs.length} outputs, the node ${ctx.outputCount}`,
    );
    return runBody(ctx, branch, []);
  },
};
