import { normalSampler, randomGenerator } from './support/random.js';

export const RandomNormal = randomGenerator('RandomNormal', false, normalSampler);
