/**
 * Node 20 runs relaxed SIMD behind a V8 flag (Node 22+ and Chromium have it on): set it in every test
 * process before any module is compiled, so that the relaxed build is tested too. V8 flags are
 * process-wide; the pthreads pool's workers compile the module under the same flag.
 */
import { enableRelaxedSimd } from '../src/index.js';

if (!enableRelaxedSimd()) throw new Error('relaxed SIMD is unavailable even with V8 flag set');
