import { randomGenerator, uniformSampler } from './support/control-random.js';

export const RandomUniform = randomGenerator('RandomUniform', false, uniformSampler);
