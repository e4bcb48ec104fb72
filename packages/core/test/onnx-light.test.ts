import { readdir, readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { InferenceSession, Tensor } from '../src/index.js';
import { decodeTensorProtoBytes } from '../src/onnx.js';
import { closeness, testdata } from '../src/testing/index.js';

/**
 * ONNX's "light" real CNNs (weights replaced by ConstantOfShape). Their input is the suite's rule:
 * for each non-initializer graph input, unknown dims -> 1, filled with arange(n).reshape(shape) / n.
 */
const dir = testdata('onnx-light');
const models = (await readdir(dir)).filter((f) => f.endsWith('.onnx')).sort();

describe('onnx-light models on the reference backend', () => {
  it('finds the nine models', () => {
    expect(models).toHaveLength(9);
  });

  it.each(models)('%s matches its expected output', async (file) => {
    const name = file.slice(0, -'.onnx'.length);
    const session = await InferenceSession.create(`${dir}/${file}`);
    const feeds: Record<string, Tensor> = {};
    for (const input of session.inputMetadata) {
      const dims = (input.shape ?? []).map((d) => (typeof d === 'number' ? d : 1));
      const n = dims.reduce((a, b) => a * b, 1);
      feeds[input.name] = new Tensor(
        'float32',
        Float32Array.from({ length: n }, (_, i) => i / n),
        dims,
      );
    }
    const out = await session.run(feeds);
    const want = decodeTensorProtoBytes(await readFile(`${dir}/${name}_output_0.pb`));
    const got = out[session.outputNames[0]];
    expect(got.dims).toEqual(want.dims);
    const rtol = name.includes('densenet') ? 2e-3 : 1e-3;
    expect(closeness(got.data as Float32Array, want.data as Float32Array, rtol, 1e-7)).toBeUndefined();
  });
});
