/** Our own operators (domain com.onnxstream), written by the planner's fusion and storage passes. */
import { FusedAdd } from '../fused/fused-add.js';
import { FusedConv } from '../fused/fused-conv.js';
import { Geglu } from '../fused/geglu.js';
import { Gelu } from '../fused/gelu.js';
import { MatMulGeglu } from '../fused/matmul-geglu.js';
import { Silu } from '../fused/silu.js';
import { Uint8ChannelBlocks } from '../fused/uint8-channel-blocks.js';
import { LoadUint8, StoreUint8 } from '../fused/uint8-storage.js';
import type { OpDef } from '../op.js';

export const FUSED_OPS: readonly OpDef[] = [
  FusedAdd,
  FusedConv,
  Geglu,
  Gelu,
  LoadUint8,
  MatMulGeglu,
  Silu,
  StoreUint8,
  Uint8ChannelBlocks,
];
