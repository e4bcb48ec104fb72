import { randomGenerator, uniformSampler } from './support/random.js';

export const RandomUniform = randomGenerator('RandomUniform', false, uniformSampler);
