/**
 * `import '@onnxstream/native/register'` makes `backend: 'native'` (and 'auto') use this backend when
 * its addon loads here, and the providers read weights into native blocks (`setHostAllocator`);
 * otherwise nothing is registered and 'auto' keeps falling back.
 */
import { registerBackend, setHostAllocator } from '@onnxstream/core';
import { nativeAvailability, nativeBackend, nativeHostAllocator } from './backend.js';

if (nativeAvailability().available) {
  registerBackend(nativeBackend, 10);
  setHostAllocator(nativeHostAllocator());
}
