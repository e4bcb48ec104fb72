import { InferenceSession, Tensor, estimatePeak } from '@onnxstream/core';
import '@onnxstream/native/register';
const dir = process.env.HOME + '/.cache/onnxstream-bench/sd15/unet_fp16';
const s = await InferenceSession.create(dir, { backend: 'native', threads: 2, ...(process.env.FP16S ? { fp16Storage: true } : {}) });
const feeds = new Map();
for (const m of s.inputMetadata) { const dims = m.shape.map((d) => (typeof d === 'number' ? d : 1)); feeds.set(m.name, new Tensor('float32', new Float32Array(dims.reduce((a,b)=>a*b,1)), dims)); }
const plan = await s.plan(feeds);
const e = estimatePeak(plan);
console.log((e.peakBytes/2**20).toFixed(1), 'MiB at', e.peakStep, plan.steps[e.peakStep].node.opType, plan.steps[e.peakStep].node.name, 'maxStepWeight', (e.maxStepWeightBytes/2**20).toFixed(1));
const { DTYPES } = await import('@onnxstream/core');
const bytesOf = (id) => { const m = plan.metas.get(plan.valueNames[id]); if (!m?.dims) return 0; return m.dims.reduce((a,b)=>a*b,1) * (m.type ? (m.type === 'float16' ? 2 : m.type==='int64'?8:4) : 4); };
let live = 0; for (const id of plan.feeds.values()) live += bytesOf(id);
const rows = [];
plan.steps.forEach((st, i) => {
  for (const id of st.outputs) if (id >= 0) live += bytesOf(id);
  const w = st.weights.reduce((s, r) => s + r.byteLength, 0);
  rows.push([live, w, i, st.node.opType, st.node.name]);
  for (const id of st.free) live -= bytesOf(id);
});
const top = (k, f) => [...rows].sort((a,b)=>f(b)-f(a)).slice(0,k).map(r=>`${(r[0]/2**20).toFixed(1)}+${(r[1]/2**20).toFixed(1)} ${r[2]} ${r[3]} ${r[4]}`).join('\n');
console.log('by activations:\n' + top(6, r=>r[0]));
console.log('by act+weight:\n' + top(6, r=>r[0]+r[1]));
