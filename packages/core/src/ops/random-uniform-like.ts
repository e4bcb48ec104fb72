import { randomGenerator, uniformSampler } from './support/control-random.js';

export const RandomUniformLike = randomGenerator('RandomUniformLike', true, uniformSampler);
