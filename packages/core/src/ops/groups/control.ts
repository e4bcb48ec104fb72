/** Control flow (If, Loop, Scan), sequences, losses and the remaining operators. */
import type { OpDef } from '../op.js';

export const CONTROL_OPS: readonly OpDef[] = [];
