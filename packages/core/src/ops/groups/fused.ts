/** Our own fused operators (domain com.onnxstream), written by the planner's fusion pass. */
import { FusedAdd } from '../fused/fused-add.js';
import { FusedConv } from '../fused/fused-conv.js';
import { Silu } from '../fused/silu.js';
import type { OpDef } from '../op.js';

export const FUSED_OPS: readonly OpDef[] = [FusedAdd, FusedConv, Silu];
