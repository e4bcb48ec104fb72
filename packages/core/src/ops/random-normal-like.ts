import { normalSampler, randomGenerator } from './support/random.js';

export const RandomNormalLike = randomGenerator('RandomNormalLike', true, normalSampler);
