import { describe, expect, it } from 'vitest';
import { escapeName, InferenceSession, unescapeName } from '../src/index.js';
import { testdata } from '../src/testing/index.js';

describe("OnnxStream's name escaping", () => {
  it.each([
    ['input_ids', 'input_5F_ids'],
    ['onnx::Split_137', 'onnx_3A__3A_Split_5F_137'],
    ['/model.0/conv/Conv_output_0', '_2F_model_2E_0_2F_conv_2F_Conv_5F_output_5F_0'],
    ['中', '_4E2D_'],
    ['images', 'images'],
  ])('%s <-> %s', (name, escaped) => {
    expect(escapeName(name)).toBe(escaped);
    expect(unescapeName(escaped)).toBe(name);
  });

  it('loads a model given as the path of its model.txt', async () => {
    const s = await InferenceSession.create(testdata('yolov8n-onnxstream', 'model.txt'));
    expect(s.graph.format).toBe('onnxstream');
    expect(s.graph.nodes).toHaveLength(233);
    await s.release();
  });
});
