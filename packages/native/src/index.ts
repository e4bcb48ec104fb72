export { nativeAvailability, nativeBackend, nativeInfo, setBufferCache, useIsa } from './backend.js';
export type { NativeBinding, NativeInfo } from './binding.js';
