import { cosineWindow } from './support/signal-window.js';

export const HannWindow = cosineWindow('HannWindow', [0.5, 0.5]);
