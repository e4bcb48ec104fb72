import type { Backend, KernelCall } from './backend.js';

/**
 * The pure-TypeScript reference backend: runs each operator's reference kernel. It supports
 * everything the operator registry has and is the judge other backends are tested against.
 */
export const referenceBackend: Backend = {
  name: 'reference',
  supports: () => true,
  run: (call: KernelCall) => call.op.run(call),
};
