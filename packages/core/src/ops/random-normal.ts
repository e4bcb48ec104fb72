import { normalSampler, randomGenerator } from './support/control-random.js';

export const RandomNormal = randomGenerator('RandomNormal', false, normalSampler);
