import { readFileSync } from 'node:fs';
import { InferenceSession, Tensor } from '@onnxstream/core';
import '@onnxstream/native/register';
import { setBufferCache } from '@onnxstream/native';
import { createProvider } from '@onnxstream/providers';
const dir = process.env.HOME + '/.cache/onnxstream-bench/sd15/unet_fp16';
if (process.env.NOBC) setBufferCache(0);
const s = await InferenceSession.create(dir, { backend: 'native', threads: 2, fp16Storage: !!process.env.FP16S, weightsProvider: createProvider(process.argv[2] ?? 'nocache'), ...(process.env.SLICE ? { weightSliceBytes: Number(process.env.SLICE) << 20 } : {}) });
const hwm = () => Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
console.log('after create: hwm', hwm().toFixed(1), 'rss', rss().toFixed(1), 'heap', (process.memoryUsage().heapUsed/2**20).toFixed(1));
const rnd = (n) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898) * 0.5);
const feeds = {};
for (const m of s.inputMetadata) {
  const dims = m.shape.map((d) => (typeof d === 'number' ? d : 1));
  feeds[m.name] = new Tensor('float32', rnd(dims.reduce((a, b) => a * b, 1)), dims);
}
for (let r = 0; r < Number(process.argv[3] ?? 1); r++) {
let last = hwm(); const ups = [];
const t0 = performance.now();
const out = await s.run(feeds, { onProgress: (e) => { const h = hwm(); if (h > last + 0.5) { ups.push(`${h.toFixed(1)} (+${(h-last).toFixed(1)}) during/before ${e.step}/${e.steps} ${e.opType} ${e.nodeName} rss-now ${rss().toFixed(1)} heap ${(process.memoryUsage().heapUsed/2**20).toFixed(1)}`); last = h; } } });
for (const o of Object.values(out)) o.dispose();
console.log(`run ${r}: ${(performance.now()-t0).toFixed(0)} ms, peak tensors ${(s.lastRunStats.peakTensorBytes/2**20).toFixed(1)} MiB, hwm ${hwm().toFixed(1)}`);
console.log(ups.slice(-12).join('\n'));
}
