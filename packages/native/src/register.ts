/**
 * `import '@onnxstream/native/register'` makes `backend: 'native'` (and 'auto') use this backend when
 * its addon loads here; otherwise nothing is registered and 'auto' keeps falling back.
 */
import { registerBackend } from '@onnxstream/core';
import { nativeAvailability, nativeBackend } from './backend.js';

if (nativeAvailability().available) registerBackend(nativeBackend, 10);
