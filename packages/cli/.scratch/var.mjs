import '@onnxstream/native/register';
import { readFileSync } from 'node:fs';
import { InferenceSession, Tensor } from '@onnxstream/core';
import { createProvider } from '@onnxstream/providers';
const T = '/work/shared/testdata';
const which = process.argv[2] ?? 'yolo';
const dispose = process.argv.includes('dispose');
const [model, name, dims, file] = which === 'yolo'
  ? [`${T}/yolov8n-onnxstream`, 'images', [1,3,640,640], `${T}/yolov8n-onnxstream-reference/synthetic_input_images.f32`]
  : [`${T}/models/ultraface-rfb-320/version-RFB-320.onnx`, 'input', [1,3,240,320], null];
const n = dims.reduce((a,b)=>a*b,1);
const data = file ? new Float32Array(readFileSync(file).buffer.slice(0)) : Float32Array.from({length:n},(_, i)=>(i%97)/97);
const s = await InferenceSession.create(model, { backend: 'native', threads: 2, weightsProvider: createProvider(process.argv[3] ?? 'ram') });
const feeds = { [name]: new Tensor('float32', data, dims) };
const ms = [];
const runs = Number(process.env.RUNS ?? 40);
for (let i = 0; i < runs + 1; i++) {
  const f0 = process.resourceUsage().minorPageFault;
  const t0 = performance.now();
  const out = await s.run(feeds);
  const t = performance.now() - t0;
  if (dispose) for (const v of Object.values(out)) v.dispose();
  ms.push([t, process.resourceUsage().minorPageFault - f0]);
}
console.log(ms.map(([t,f]) => `${t.toFixed(1)}/${f}`).join(' '));
const sorted = ms.slice(1).map(x=>x[0]).sort((a,b)=>a-b);
console.log('min', sorted[0].toFixed(1), 'median', sorted[sorted.length>>1].toFixed(1));
