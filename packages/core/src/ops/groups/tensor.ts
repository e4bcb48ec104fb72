/** Shape and data-movement operators, reductions, indexing, generators. */
import { Concat } from '../concat.js';
import type { OpDef } from '../op.js';
import { Reshape } from '../reshape.js';
import { Resize } from '../resize.js';
import { Slice } from '../slice.js';
import { Split } from '../split.js';
import { Transpose } from '../transpose.js';
import { Upsample } from '../upsample.js';

export const TENSOR_OPS: readonly OpDef[] = [Concat, Reshape, Resize, Slice, Split, Transpose, Upsample];
