/** PNG and .npy output, and model downloads from a local HTTP server. */
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testdata } from '@onnxstream/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DownloadError,
  type DownloadProgress,
  decodeLatentsNpy,
  decodePng,
  downloadModel,
  encodeLatentsNpy,
  encodePng,
  formatParameters,
  listModelWeights,
  ONNXSTREAM_REPOS,
  StableDiffusionPipeline,
} from '../src/index.js';
import { writeTinySd15 } from '../src/pipeline/fixtures.js';

let dir: string;
let model: string;
let server: Server;
let endpoint: string;
const requests: { url: string; range?: string }[] = [];
/** Files whose served length is cut (to test size checks). */
const truncated = new Set<string>();
const REPO = ONNXSTREAM_REPOS.sd15;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sd-io-'));
  model = await writeTinySd15(join(dir, 'served'), { clipDir: testdata('clip'), format: 'onnxstream' });
  server = createServer(async (req, res) => {
    requests.push({ url: req.url ?? '', range: req.headers.range });
    const prefix = `/${REPO}/resolve/main/`;
    const rel = decodeURIComponent((req.url ?? '').slice(prefix.length));
    if (!req.url?.startsWith(prefix) || rel.includes('..')) {
      res.writeHead(404).end();
      return;
    }
    const file = join(model, rel);
    let size: number;
    try {
      size = (await stat(file)).size;
    } catch {
      res.writeHead(404).end();
      return;
    }
    if (truncated.has(rel)) size -= 2;
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = m ? Number(m[1]) : 0;
    if (start >= size && m) {
      res.writeHead(416, { 'content-range': `bytes */${size}` }).end();
      return;
    }
    res.writeHead(m ? 206 : 200, {
      'content-length': String(size - start),
      ...(m ? { 'content-range': `bytes ${start}-${size - 1}/${size}` } : {}),
    });
    createReadStream(file, { start, end: size - 1 }).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 300_000);

afterAll(async () => {
  await new Promise((r) => server.close(r));
  await rm(dir, { recursive: true, force: true });
});

describe('PNG and latents', () => {
  it('writes a compressed RGB PNG with the parameters chunk', () => {
    const width = 64;
    const height = 32;
    const data = Uint8Array.from({ length: width * height * 3 }, (_, i) =>
      i % 3 === 0 ? (i / 3) % 64 : 128,
    );
    const parameters = formatParameters({
      prompt: 'a photo of a cat',
      negativePrompt: 'ugly, blurry',
      steps: 10,
      seed: 1024,
      width,
      height,
      model: '/models/x/stable-diffusion-1.5-onnxstream',
      kind: 'sd15',
      sampler: 'euler_a',
      cfg: 7,
    });
    expect(parameters).toBe(
      'a photo of a cat\nNegative prompt: ugly, blurry\nSteps: 10, Seed: 1024, Size: 64x32, Model: "x/stable-diffusion-1.5-onnxstream" (SD 1.5), Sampler: euler_a, CFG scale: 7, Version: OnnxStream',
    );
    const png = encodePng({ width, height, data }, { parameters });
    expect(png.length).toBeLessThan(data.length / 4); // deflate-compressed
    const back = decodePng(png);
    expect([back.width, back.height]).toEqual([width, height]);
    expect(back.data).toEqual(data);
    expect(back.text.parameters).toBe(parameters);
    const utf8 = decodePng(encodePng({ width, height, data }, { parameters: 'café 猫' }));
    expect(new TextDecoder().decode(Uint8Array.from(utf8.text.parameters, (c) => c.charCodeAt(0)))).toBe(
      'café 猫',
    );
  });

  it('latents round-trip through .npy as (n, 4, h, w)', () => {
    const a = Float32Array.from({ length: 4 * 6 * 5 }, (_, i) => i / 7);
    const b = a.map((v) => -v);
    const bytes = encodeLatentsNpy([a, b], 5, 6);
    const back = decodeLatentsNpy(bytes);
    expect([back.latentWidth, back.latentHeight]).toEqual([5, 6]);
    expect(back.latents).toEqual([a, b]);
    expect(() => decodeLatentsNpy(encodeLatentsNpy([a], 10, 3).slice(0, 40))).toThrow();
  });

  it('decodes saved latents to the same image', async () => {
    const pipe = await StableDiffusionPipeline.load(model, { fp16: false });
    const r = await pipe.generate({
      prompt: 'a dog',
      width: 64,
      height: 64,
      steps: 3,
      seed: 3,
      tiled: false,
    });
    const { latents, latentWidth, latentHeight } = decodeLatentsNpy(encodeLatentsNpy(r.latents, 8, 8));
    const images = await pipe.decodeLatents(latents, latentWidth, latentHeight, { tiled: false });
    expect(images[0].data).toEqual(r.images[0].data);
  }, 120_000);
});

describe('downloadModel', () => {
  it('lists the weights of a model.txt with their sizes (_nchw read as _nhwc)', () => {
    const txt =
      'c:Conv*input:x(1,4,8,8);w_nchw.bin(float16:8,4,3,3);b.bin(float32:8)*output:y(1,8,8,8)\n' +
      'q:Mul*input:y(1,8,8,8);s.bin(uint8[0.5,3]:8)*output:z(1,8,8,8)\nr:Reshape*input:z(1,8,8,8);k.bin(int64:)*output:o()';
    expect(listModelWeights(txt)).toEqual([
      { file: 'w_nhwc.bin', bytes: 8 * 4 * 9 * 2 },
      { file: 'b.bin', bytes: 32 },
      { file: 's.bin', bytes: 8 },
      { file: 'k.bin', bytes: 8 },
    ]);
  });

  it('fetches the model folder in parallel, then skips what is there; the pipeline loads it', async () => {
    const dest = join(dir, 'cache', 'stable-diffusion-1.5-onnxstream');
    const events: DownloadProgress[] = [];
    requests.length = 0;
    const r = await downloadModel({
      repo: REPO,
      dest,
      kind: 'sd15',
      endpoint,
      parallel: 4,
      onProgress: (p) => events.push(p),
    });
    const weights = events.filter((e) => e.phase === 'weights');
    const last = weights.at(-1)!;
    expect(last.files).toBe(last.totalFiles);
    expect(last.bytes).toBe(last.totalBytes);
    expect(r.downloaded.length).toBe(7 + last.totalFiles);
    expect(requests.length).toBe(r.downloaded.length);
    expect(await readFile(join(dest, 'unet_fp16', 'model.txt'))).toEqual(
      await readFile(join(model, 'unet_fp16', 'model.txt')),
    );
    const pipe = await StableDiffusionPipeline.load(join(dir, 'cache'), { fp16: false });
    expect(pipe.layout.root).toBe(dest);
    requests.length = 0;
    const again = await downloadModel({ repo: REPO, dest, kind: 'sd15', endpoint });
    expect(again.downloaded).toEqual([]);
    expect(requests).toEqual([]);
    expect((await downloadModel({ repo: REPO, dest, kind: 'sd15', endpoint, mode: 'never' })).present).toBe(
      r.downloaded.length,
    );
  }, 120_000);

  it('resumes a partial file with a range request and checks sizes', async () => {
    const dest = join(dir, 'resume');
    const rel = 'text_encoder_fp32/model.txt';
    const full = await readFile(join(model, rel));
    await mkdir(join(dest, 'text_encoder_fp32'), { recursive: true });
    await writeFile(join(dest, `${rel}.part`), full.subarray(0, 100));
    requests.length = 0;
    await downloadModel({ repo: REPO, dest, kind: 'sd15', endpoint });
    expect(await readFile(join(dest, rel))).toEqual(full);
    expect(requests.find((q) => q.url.endsWith(rel))?.range).toBe('bytes=100-');

    const dest2 = join(dir, 'short');
    const weight = (await readFile(join(model, 'unet_fp16', 'model.txt'), 'utf8')).match(
      /([A-Za-z0-9_]+_nchw)\.bin/,
    )![1];
    truncated.add(`unet_fp16/${weight.replace(/_nchw$/, '_nhwc')}.bin`);
    try {
      await expect(downloadModel({ repo: REPO, dest: dest2, kind: 'sd15', endpoint })).rejects.toThrow(
        /model\.txt needs/,
      );
    } finally {
      truncated.clear();
    }
  }, 120_000);

  it("'never' reports missing files; an unreachable host fails fast as offline", async () => {
    await expect(
      downloadModel({ repo: REPO, dest: join(dir, 'none'), kind: 'sd15', endpoint, mode: 'never' }),
    ).rejects.toThrow(/missing .* downloads are disabled/);
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    // Fast: a refused connection is not retried and no file is tried after it (the parallel first
    // batch aside). Counted, not timed: a busy CI machine makes any time bound loose or flaky.
    const urls: string[] = [];
    const counting: typeof fetch = (input, init) => {
      urls.push(String(input));
      return fetch(input, init);
    };
    const err = await downloadModel({
      repo: REPO,
      dest: join(dir, 'off'),
      kind: 'sd15',
      endpoint: `http://127.0.0.1:${port}`,
      fetch: counting,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect((err as DownloadError).offline).toBe(true);
    expect(urls.length).toBeGreaterThan(0);
    expect(new Set(urls).size).toBe(urls.length);
    expect(
      urls.every((u) => /\.txt$|\.json$/.test(u)),
      urls.join(' '),
    ).toBe(true);
  });
});
