export {
  nativeAvailability,
  nativeBackend,
  nativeHostAllocator,
  nativeInfo,
  resetNativePeak,
  setBufferCache,
  useIsa,
} from './backend.js';
export type { NativeBinding, NativeInfo } from './binding.js';
