import v8 from 'node:v8'; if (process.env.SEMI) v8.setFlagsFromString('--max-semi-space-size=' + process.env.SEMI);
import { readFileSync } from 'node:fs';
import { InferenceSession, Tensor } from '@onnxstream/core';
import '@onnxstream/native/register';
import { setBufferCache, nativeInfo } from '@onnxstream/native';
import { createProvider } from '@onnxstream/providers';
const dir = process.env.HOME + '/.cache/onnxstream-bench/sd15/unet_fp16';
if (process.env.NOBC) setBufferCache(0);
const s = await InferenceSession.create(dir, { backend: 'native', threads: 2, fp16Storage: !!process.env.FP16S, weightsProvider: createProvider(process.argv[2] ?? 'nocache') });
const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
function summary() {
  const text = readFileSync('/proc/self/smaps', 'utf8');
  const groups = {};
  let name = '', size = 0;
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (m) { size = (parseInt(m[2], 16) - parseInt(m[1], 16)) / 2 ** 20; name = m[3] || (size >= 1 ? `anon>=1M` : 'anon<1M'); if (name.includes('/')) name = name.split('/').pop(); continue; }
    const r = /^Rss:\s+(\d+)/.exec(line);
    if (r) { groups[name] = (groups[name] ?? 0) + Number(r[1]) / 1024; if (name === 'anon>=1M' && Number(r[1]) > 256) (groups.list ??= []).push(`${size.toFixed(1)}/${(Number(r[1])/1024).toFixed(1)}`); }
  }
  const list = groups.list ?? []; delete groups.list;
  return list.join(' ') + '\n  ' + Object.entries(groups).filter(([, v]) => v > 0.5).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k}:${v.toFixed(1)}`).join(' ');
}
const feeds = {};
const rnd = (n) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898) * 0.5);
for (const m of s.inputMetadata) { const dims = m.shape.map((d) => (typeof d === 'number' ? d : 1)); feeds[m.name] = new Tensor('float32', rnd(dims.reduce((a, b) => a * b, 1)), dims); }
console.log('after create', rss().toFixed(1), summary());
let best = 0, info = '';
await s.run(feeds, { onProgress: (e) => { const r = rss(); if (r > best) { best = r; const ni = nativeInfo(); info = `${r.toFixed(1)} at ${e.step} ${e.opType} ${e.nodeName}: native inUse ${(ni.bytesInUse/2**20).toFixed(1)} cached ${(ni.bytesCached/2**20).toFixed(1)} heap ${(process.memoryUsage().heapTotal/2**20).toFixed(1)}/${(process.memoryUsage().heapUsed/2**20).toFixed(1)}\n  ${summary()}`; } } });
console.log(info);
