export { nativeAvailability, nativeBackend, nativeInfo, useIsa } from './backend.js';
export type { NativeBinding, NativeInfo } from './binding.js';
