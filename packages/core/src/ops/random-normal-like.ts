import { normalSampler, randomGenerator } from './support/control-random.js';

export const RandomNormalLike = randomGenerator('RandomNormalLike', true, normalSampler);
