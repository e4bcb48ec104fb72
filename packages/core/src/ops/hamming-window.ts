import { cosineWindow } from './support/signal-window.js';

export const HammingWindow = cosineWindow('HammingWindow', [25 / 46, 21 / 46]);
