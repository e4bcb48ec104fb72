import { symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { InferenceSession, OperatorError, Tensor, WeightsError } from '@onnxstream/core';
import { afterAll, describe, expect, it } from 'vitest';
import { createProvider, type ProviderName } from '../src/index.js';
import { TempDirs, withFileSpy, writeModel, writeWeights } from './helpers.js';

const dirs = new TempDirs();
afterAll(() => dirs.cleanup());

/** 32 floats: large enough to stream through the provider (tiny weights are read at load time). */
const VALUES = Array.from({ length: 32 }, (_, i) => i);

interface Escape {
  readonly title: string;
  /** Given the model folder and the folder holding outside.bin, the weight name model.txt uses. */
  setup(model: string, outside: string): Promise<string>;
  readonly refusal: RegExp;
}

const ESCAPES: readonly Escape[] = [
  {
    title: "a '..' path",
    setup: async () => '../outside/outside.bin',
    refusal: /path '\.\.\/outside\/outside\.bin' refused: '\.\.' would leave the model folder/,
  },
  {
    title: 'an absolute path',
    setup: async (_model, outside) => join(outside, 'outside.bin'),
    refusal: /absolute path '[^']*outside\.bin' refused: weights must stay inside the model folder/,
  },
  {
    title: 'a symlink inside the folder pointing outside',
    setup: async (model, outside) => {
      await symlink(join(outside, 'outside.bin'), join(model, 'link.bin'));
      return 'link.bin';
    },
    refusal: /'link\.bin' resolves to [^ ]*outside\.bin, outside the model folder .*: refused/,
  },
];

const PROVIDERS: readonly ProviderName[] = ['nocache', 'prefetch', 'ram'];

describe('weights outside the model folder are refused, never read', () => {
  for (const attempt of ESCAPES) {
    for (const name of PROVIDERS) {
      it(`${attempt.title} (${name} provider)`, async () => {
        const root = await dirs.make();
        const model = join(root, 'model');
        const outside = join(root, 'outside');
        await writeWeights(outside, { 'outside.bin': VALUES });
        await writeWeights(model, {});
        const weight = await attempt.setup(model, outside);
        // The escaping weight comes second, so the provider has a legitimate weight to read first.
        const lines = [
          'add1:Add*input:x(1,32);inside.bin(float32:1,32)*output:a(1,32)',
          `add2:Add*input:a(1,32);${weight}(float32:1,32)*output:y(1,32)`,
        ];
        await writeModel(model, lines, { 'inside.bin': VALUES });
        const { provider, spy } = withFileSpy(createProvider(name));
        const session = await InferenceSession.create(model, { weightsProvider: provider });
        const x = new Tensor('float32', new Float32Array(32), [1, 32]);
        const err = await session.run({ x }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(OperatorError);
        const message = (err as Error).message;
        expect(message).toContain("Add 'add2' (model.txt:2): cannot load weights: ");
        expect(message).toContain(`cannot read weight '${weight}' from '${weight}'`);
        expect(message).toMatch(attempt.refusal);
        const cause = (err as Error).cause;
        expect(cause).toBeInstanceOf(WeightsError);
        // The sandbox refused before opening: only the legitimate weight was ever read.
        expect(spy().done).toEqual(['inside.bin']);
        await session.release();
      });
    }
  }
});
