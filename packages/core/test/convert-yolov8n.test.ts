/**
 * Converting testdata/yolov8n-onnx/yolov8n.onnx and comparing with OnnxStream's own conversion of
 * YOLOv8n (testdata/yolov8n-onnxstream, onnx2txt with default options: fp32, shapes inferred),
 * line by line and byte by byte.
 *
 * One documented difference: yolov8n.onnx was rebuilt from that folder, and its values are named
 * with OnnxStream's already-escaped names (`_2F_model_2E_0_2F_...`, weights even with their `_nchw`
 * suffix: `model_2E_0_2E_conv_2E_weight_nchw`). The converter escapes names, so it escapes them a
 * second time ('_' -> `_5F_`) and appends `_nchw` again. The test maps each golden name through
 * the same rule (escapeName, plus the suffix for conv weights) and then requires equality of
 * everything: op names and types, shapes, dtypes, attributes and their order, and every .bin byte.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escapeName, InferenceSession, Tensor } from '../src/index.js';
import { convertOnnxFile } from '../src/onnx.js';
import { closeness, readFloat32, testdata } from '../src/testing/index.js';

const GOLDEN = testdata('yolov8n-onnxstream');
const ONNX = testdata('yolov8n-onnx', 'yolov8n.onnx');
let dir: string;
let out: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'onnxstream-convert-yolo-'));
  out = join(dir, 'yolov8n');
  await convertOnnxFile(ONNX, out);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** OnnxStream's YOLOv8n input. */
async function images(): Promise<Tensor> {
  const data = await readFloat32(testdata('yolov8n-onnxstream-reference', 'synthetic_input_images.f32'));
  return new Tensor('float32', data, [1, 3, 640, 640]);
}

let folderRun: Promise<Tensor> | undefined;
/** output0 of the converted folder, run once for the tests that compare it. */
function folderOutput(): Promise<Tensor> {
  folderRun ??= (async () => {
    const folder = await InferenceSession.create(out);
    expect(folder.inputNames).toEqual(['images']);
    expect(folder.outputNames).toEqual(['output0']);
    const { output0 } = await folder.run({ images: await images() });
    await folder.release();
    return output0;
  })();
  return folderRun;
}

/** Our file name for a golden weight file name. */
function ourWeightFile(golden: string): string {
  const w = golden.replace(/\.bin$/, '');
  if (w.endsWith('_nchw')) return `${escapeName(w)}_nchw.bin`;
  if (w.endsWith('_nhwc')) return `${escapeName(w.replace(/_nhwc$/, '_nchw'))}_nhwc.bin`;
  return `${escapeName(w)}.bin`;
}

/** A golden token with its names mapped to ours; shapes, dtypes and the empty token unchanged. */
function mapToken(tok: string): string {
  if (tok === '') return tok;
  const m = /^(.*)\((.*)\)$/.exec(tok);
  if (!m) throw new Error(`bad token ${tok}`);
  const [, name, spec] = m;
  return spec.includes(':') ? `${ourWeightFile(name)}(${spec})` : `${escapeName(name)}(${spec})`;
}

function mapLine(line: string): string {
  const parts = line.split('*');
  parts[1] = `input:${parts[1].slice('input:'.length).split(';').map(mapToken).join(';')}`;
  parts[2] = `output:${parts[2].slice('output:'.length).split(';').map(mapToken).join(';')}`;
  return parts.join('*');
}

describe('convert yolov8n.onnx vs OnnxStream’s yolov8n folder', () => {
  it('writes the same 233 model.txt lines', async () => {
    const golden = (await readFile(join(GOLDEN, 'model.txt'), 'utf8')).split('\n');
    const ours = (await readFile(join(out, 'model.txt'), 'utf8')).split('\n');
    expect(golden).toHaveLength(234); // 233 lines and the final newline
    expect(ours).toHaveLength(golden.length);
    for (let i = 0; i < golden.length; i++)
      expect(ours[i], `line ${i + 1}`).toBe(golden[i] && mapLine(golden[i]));
    // Spot check of the mapping itself, on the first line.
    expect(ours[0]).toBe(
      '/model.0/conv/Conv:Conv*input:images(1,3,640,640);model_5F_2E_5F_0_5F_2E_5F_conv_5F_2E_5F_weight_5F_nchw_nchw.bin(float32:16,3,3,3);model_5F_2E_5F_0_5F_2E_5F_conv_5F_2E_5F_bias.bin(float32:16)*output:_5F_2F_5F_model_5F_2E_5F_0_5F_2F_5F_conv_5F_2F_5F_Conv_5F_5F_5F_output_5F_5F_5F_0(1,16,320,320)*dilations:1,1;group:1;kernel_shape:3,3;pads:1,1,1,1;strides:2,2',
    );
  });

  it('writes the same 207 .bin files, byte for byte', async () => {
    const golden = (await readdir(GOLDEN)).filter((f) => f.endsWith('.bin')).sort();
    expect(golden).toHaveLength(207);
    const ours = (await readdir(out)).filter((f) => f.endsWith('.bin')).sort();
    expect(ours).toEqual(golden.map(ourWeightFile).sort());
    for (const f of golden) {
      const want = await readFile(join(GOLDEN, f));
      const got = await readFile(join(out, ourWeightFile(f)));
      expect(got.equals(want), f).toBe(true);
    }
  });

  it('--simplify changes nothing: the file has no constant subgraph left', async () => {
    const simplified = join(dir, 'simplified');
    const report = await convertOnnxFile(ONNX, simplified, { simplify: true });
    expect([report.folded, report.removed]).toEqual([0, 0]);
    const files = (await readdir(out)).sort();
    expect((await readdir(simplified)).sort()).toEqual(files);
    for (const f of files) {
      const same = (await readFile(join(simplified, f))).equals(await readFile(join(out, f)));
      expect(same, f).toBe(true);
    }
  });

  // Two tests of one reference-backend run of YOLOv8n each (about 50 s apiece on a loaded two-core
  // CI machine: as one test they came within a few seconds of the 120 s limit, and once over it).
  it('round trip: the converted folder gives what OnnxStream gives', async () => {
    const got = await folderOutput();
    expect(got.dims).toEqual([1, 84, 8400]);
    const reference = await readFloat32(
      testdata('yolov8n-onnxstream-reference', 'synthetic_output0_onnxstream_fp32.f32'),
    );
    expect(closeness(got.data as Float32Array, reference, 1e-3, 1e-4)).toBeUndefined();
  });

  it('round trip: the converted folder gives what the .onnx gives', async () => {
    const onnx = await InferenceSession.create(ONNX);
    const want = (await onnx.run({ images: await images() })).output0;
    await onnx.release();
    const got = await folderOutput();
    expect(closeness(got.data as Float32Array, want.data as Float32Array, 1e-5, 1e-4)).toBeUndefined();
  });
});
