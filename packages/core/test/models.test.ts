import { readFile } from 'node:fs/promises';
import jpeg from 'jpeg-js';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { InferenceSession, Tensor } from '../src/index.js';
import { decodeTensorProtoBytes } from '../src/onnx.js';
import { closeness, readFloat32, testdata } from '../src/testing/index.js';

const model = (...p: string[]) => testdata('models', ...p);

async function pb(path: string): Promise<Tensor> {
  return decodeTensorProtoBytes(await readFile(path));
}

/** Runs onnxruntime-node on the same file and feeds, for models that ship no reference outputs. */
async function ortRun(path: string, feeds: Record<string, Tensor>): Promise<Record<string, Float32Array>> {
  const s = await ort.InferenceSession.create(path);
  const out = await s.run(
    Object.fromEntries(
      Object.entries(feeds).map(([k, t]) => [
        k,
        new ort.Tensor('float32', t.data as Float32Array, [...t.dims]),
      ]),
    ),
  );
  await s.release();
  return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, t.data as Float32Array]));
}

/** The wonnx digit images as [1,1,28,28] from the red channel / 255. */
async function digit(name: string): Promise<Float32Array> {
  const img = jpeg.decode(await readFile(model('mnist-8-simplified', 'images', name)), { useTArray: true });
  expect([img.width, img.height]).toEqual([28, 28]);
  return Float32Array.from({ length: 28 * 28 }, (_, i) => img.data[i * 4] / 255);
}

const argmax = (v: ArrayLike<number>) => Array.from(v).reduce((best, x, i, a) => (x > a[best] ? i : best), 0);

describe('real ONNX models on the reference backend', () => {
  it('mnist-8 (IR 3, opset 8, Conv auto_pad SAME_UPPER) matches its test vector', async () => {
    const s = await InferenceSession.create(model('mnist-8', 'model.onnx'));
    const input = await pb(model('mnist-8', 'test_data_set_0', 'input_0.pb'));
    const want = await pb(model('mnist-8', 'test_data_set_0', 'output_0.pb'));
    const got = (await s.run({ Input3: input })).Plus214_Output_0;
    expect(got.dims).toEqual(want.dims);
    expect(closeness(got.data as Float32Array, want.data as Float32Array, 1e-4, 1e-5)).toBeUndefined();
  });

  it('mnist-8 simplified (Gemm) matches the same vector and reads the digits 0, 3, 5, 7', async () => {
    const path = model('mnist-8-simplified', 'opt-mnist.onnx');
    const s = await InferenceSession.create(path);
    const input = await pb(model('mnist-8', 'test_data_set_0', 'input_0.pb'));
    const want = await pb(model('mnist-8', 'test_data_set_0', 'output_0.pb'));
    const got = (await s.run({ Input3: input }))[s.outputNames[0]];
    expect(closeness(got.data as Float32Array, want.data as Float32Array, 1e-4, 1e-5)).toBeUndefined();
    const digits = [];
    for (const f of ['0.jpg', '3.jpg', '5.jpg', '7.jpg']) {
      const out = await s.run({ Input3: new Tensor('float32', await digit(f), [1, 1, 28, 28]) });
      digits.push(argmax(out[s.outputNames[0]].data as Float32Array));
    }
    expect(digits).toEqual([0, 3, 5, 7]);
  });

  it('mnist PyTorch opset 18, inline and with external data, agrees with onnxruntime and reads 0, 3, 3, 7', async () => {
    const inlinePath = model('mnist-pytorch-opset18', 'mnist.onnx');
    const externalPath = model('mnist-pytorch-opset18', 'mnist-external', 'mnist.onnx');
    const inline = await InferenceSession.create(inlinePath);
    const external = await InferenceSession.create(externalPath);
    // Its exporter kept two small biases inline; the other weights stream from the data file.
    const files = [...external.graph.weights.values()].map((w) => w.file);
    expect(files.filter((f) => f === 'mnist.onnx.data')).toHaveLength(5);
    expect(files.filter((f) => f === 'mnist.onnx')).toHaveLength(2);
    const digits: number[] = [];
    for (const f of ['0.jpg', '3.jpg', '5.jpg', '7.jpg']) {
      const x = new Tensor(
        'float32',
        (await digit(f)).map((v) => (v - 0.1307) / 0.3081),
        [1, 1, 28, 28],
      );
      // The two files hold differently trained weights: each is checked against onnxruntime on itself.
      for (const [session, path] of [
        [inline, inlinePath],
        [external, externalPath],
      ] as const) {
        const got = (await session.run({ input: x })).logits.data as Float32Array;
        const ref = await ortRun(path, { input: x });
        expect(closeness(got, ref.logits, 1e-4, 1e-5)).toBeUndefined();
        if (session === inline) digits.push(argmax(got));
      }
    }
    expect(digits).toEqual([0, 3, 3, 7]);
  });

  it('teams background segmentation (depthwise convs, linear Resize) matches its test vector', async () => {
    const s = await InferenceSession.create(model('teams-bg-segmentation', 'model.onnx'));
    const input = await pb(model('teams-bg-segmentation', 'test_data_set_0', 'input_0.pb'));
    const want = await pb(model('teams-bg-segmentation', 'test_data_set_0', 'output_0.pb'));
    const got = (await s.run({ bgrm: input })).mask;
    expect(got.dims).toEqual(want.dims);
    expect(closeness(got.data as Float32Array, want.data as Float32Array, 1e-3, 1e-5)).toBeUndefined();
  });

  it('super-resolution-10 on its input vector matches onnxruntime', async () => {
    const path = model('super-resolution-10', 'model.onnx');
    const s = await InferenceSession.create(path);
    const x = await pb(model('super-resolution-10', 'test_data_set_0', 'input_0.pb'));
    const got = (await s.run({ input: x }))[s.outputNames[0]];
    expect(got.dims).toEqual([1, 1, 672, 672]);
    const ref = await ortRun(path, { input: x });
    expect(closeness(got.data as Float32Array, ref[s.outputNames[0]], 1e-3, 1e-5)).toBeUndefined();
  });

  it('UltraFace RFB-320 matches onnxruntime on a synthetic image', async () => {
    const path = model('ultraface-rfb-320', 'version-RFB-320.onnx');
    const s = await InferenceSession.create(path);
    const x = new Tensor(
      'float32',
      Float32Array.from({ length: 3 * 240 * 320 }, (_, i) => (((i * 37) % 255) - 127) / 128),
      [1, 3, 240, 320],
    );
    const out = await s.run({ input: x });
    const ref = await ortRun(path, { input: x });
    expect(out.scores.dims).toEqual([1, 4420, 2]);
    expect(closeness(out.scores.data as Float32Array, ref.scores, 1e-3, 1e-5)).toBeUndefined();
    expect(closeness(out.boxes.data as Float32Array, ref.boxes, 1e-3, 1e-5)).toBeUndefined();
  });

  it('YOLOv8n as plain ONNX (opset 14) matches OnnxStream output0', async () => {
    const s = await InferenceSession.create(testdata('yolov8n-onnx', 'yolov8n.onnx'));
    const images = new Tensor(
      'float32',
      await readFloat32(testdata('yolov8n-onnxstream-reference/synthetic_input_images.f32')),
      [1, 3, 640, 640],
    );
    const got = (await s.run({ images })).output0.data as Float32Array;
    const ref = await readFloat32(
      testdata('yolov8n-onnxstream-reference/synthetic_output0_onnxstream_fp32.f32'),
    );
    expect(closeness(got, ref, 1e-3, 1e-4)).toBeUndefined();
  });
});
