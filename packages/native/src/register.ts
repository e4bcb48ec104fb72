/** `import '@onnxstream/native/register'` makes `backend: 'native'` (and 'auto') use this backend. */
import { registerBackend } from '@onnxstream/core';
import { nativeBackend } from './backend.js';

registerBackend(nativeBackend, 10);
