export {
  nativeAvailability,
  nativeBackend,
  nativeInfo,
  resetNativePeak,
  setBufferCache,
  useIsa,
} from './backend.js';
export type { NativeBinding, NativeInfo } from './binding.js';
