/** Neural-network operators: convolutions, pooling, normalisations, matrix products, attention, softmax, quantisation. */
import { Conv } from '../conv.js';
import { MaxPool } from '../max-pool.js';
import type { OpDef } from '../op.js';
import { Softmax } from '../softmax.js';

export const NN_OPS: readonly OpDef[] = [Conv, MaxPool, Softmax];
