import { InferenceSession, Tensor } from '@onnxstream/core';
import '@onnxstream/native/register';
import { BufferPool, createProvider } from '@onnxstream/providers';
const dir = process.env.HOME + '/.cache/onnxstream-bench/sd15/unet_fp16';
const s = await InferenceSession.create(dir, { backend: 'native', threads: 2, ...(process.env.FP16S ? { fp16Storage: true } : {}), ...(process.env.FP16A ? { fp16Arithmetic: true } : {}), weightsProvider: process.env.POOL0 ? createProvider(process.argv[2] ?? 'prefetch', { pool: new BufferPool(0) }) : createProvider(process.argv[2] ?? 'prefetch') });
console.log('after create: maxRSS', (process.resourceUsage().maxRSS / 1024).toFixed(0), 'rss', (process.memoryUsage.rss()/2**20).toFixed(0));
const rnd = (n) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898) * 0.5);
const feeds = {};
for (const m of s.inputMetadata) {
  const dims = m.shape.map((d) => (typeof d === 'number' ? d : 1));
  const n = dims.reduce((a, b) => a * b, 1);
  feeds[m.name] = new Tensor('float32', rnd(n), dims);
}
console.log(s.inputMetadata.map((m) => `${m.name}:${m.shape}`));
const runs = Number(process.argv[3] ?? 1);
for (let r = 0; r < runs; r++) {
  let maxRss = 0, at = '';
  const rssOf = () => process.memoryUsage.rss();
  const t0 = performance.now();
  await s.run(feeds, { onProgress: (e) => { const v = rssOf(); if (v > maxRss) { maxRss = v; at = `${e.step}/${e.steps} ${e.opType} ${e.nodeName}`; } } });
  console.log(`run ${r}: ${(performance.now() - t0).toFixed(0)} ms, peak tensors ${(s.lastRunStats.peakTensorBytes / 2 ** 20).toFixed(1)} MiB, maxRSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB, step-sampled max ${(maxRss / 2 ** 20).toFixed(0)} MiB at ${at}; heap ${(process.memoryUsage().heapUsed/2**20).toFixed(0)} MiB`);
}
