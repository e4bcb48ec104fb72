import { InferenceSession, Tensor } from '@onnxstream/core';
import '@onnxstream/native/register';
const s = await InferenceSession.create(process.env.HOME + '/.cache/onnxstream-bench/sd15/unet_fp16', { backend: 'native', threads: 2, fp16Storage: true });
const feeds = new Map();
for (const m of s.inputMetadata) { const dims = m.shape.map((d) => (typeof d === 'number' ? d : 1)); feeds.set(m.name, new Tensor('float32', new Float32Array(dims.reduce((a,b)=>a*b,1)), dims)); }
const plan = await s.plan(feeds);
const [a, b] = process.argv.slice(2).map(Number);
for (let i = a; i < b; i++) { const st = plan.steps[i]; console.log(i, st.node.domain + ':' + st.node.opType, st.node.name, st.node.inputs.join(','), '->', st.node.outputs.join(','), st.slices ? 'sliced' : ''); }
