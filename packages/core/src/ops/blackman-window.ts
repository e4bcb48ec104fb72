import { cosineWindow } from './support/signal-window.js';

export const BlackmanWindow = cosineWindow('BlackmanWindow', [0.42, 0.5, 0.08]);
