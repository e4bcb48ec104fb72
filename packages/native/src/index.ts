export {
  LOW_MEMORY_BUFFER_CACHE,
  nativeAvailability,
  nativeBackend,
  nativeHostAllocator,
  nativeInfo,
  resetNativePeak,
  setBufferCache,
  useIsa,
} from './backend.js';
export type { NativeBinding, NativeInfo } from './binding.js';
