/** Elementwise operators: unary math and activations, binary arithmetic, comparisons, logic, casts. */
import { Add } from '../add.js';
import { Div } from '../div.js';
import { Mul } from '../mul.js';
import type { OpDef } from '../op.js';
import { Sigmoid } from '../sigmoid.js';
import { Sub } from '../sub.js';

export const ELEMENTWISE_OPS: readonly OpDef[] = [Add, Div, Mul, Sigmoid, Sub];
