/** Every operator the native backend runs; the rest fall back to the reference backend. */
import { binaryOps, unaryOps } from './elementwise.js';
import type { NativeOp } from './native-op.js';

export const NATIVE_OPS: readonly NativeOp[] = [binaryOps, unaryOps];
