// A weights provider for the benchmarks that keeps every weight in its final (packed) form, like
// the RAM provider, without depending on @onnxstream/providers.
import { weightTensor } from '@onnxstream/core';

export function keeping() {
  const kept = new Map();
  let files;
  return {
    name: 'keeping',
    init: (f) => {
      files = f;
    },
    get: async (ref) => {
      if (!kept.has(ref.name))
        kept.set(ref.name, weightTensor(ref, await files.read(ref.file, ref.offset, ref.byteLength)));
      return kept.get(ref.name);
    },
    update: (ref, t) => {
      kept.set(ref.name, t);
      return true;
    },
    held: (ref) => kept.get(ref.name),
  };
}
