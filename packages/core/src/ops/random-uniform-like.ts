import { randomGenerator, uniformSampler } from './support/random.js';

export const RandomUniformLike = randomGenerator('RandomUniformLike', true, uniformSampler);
