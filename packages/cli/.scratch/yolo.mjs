import { InferenceSession, Tensor } from '@onnxstream/core';
import '@onnxstream/native/register';
const s = await InferenceSession.create('/work/shared/testdata/yolov8n-onnxstream', { backend: 'native', threads: 2 });
const m = s.inputMetadata[0]; const dims = m.shape.map((d) => (typeof d === 'number' ? d : 1));
const x = new Tensor('float32', Float32Array.from({ length: dims.reduce((a,b)=>a*b,1) }, (_, i) => (i % 255) / 255), dims);
const end = performance.now() + 3000; while (performance.now() < end) for (const o of Object.values(await s.run({ [m.name]: x }))) o.dispose();
const t = []; for (let i = 0; i < 30; i++) { const t0 = performance.now(); for (const o of Object.values(await s.run({ [m.name]: x }))) o.dispose(); t.push(performance.now() - t0); }
t.sort((a,b)=>a-b); console.log(process.execArgv.join(' ') || 'default', 'median', t[15].toFixed(1), 'min', t[0].toFixed(1), 'maxRSS', (process.resourceUsage().maxRSS/1024).toFixed(0));
