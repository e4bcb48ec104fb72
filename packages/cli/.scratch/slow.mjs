import { InferenceSession, MemoryFiles, Tensor, toHalf } from '@onnxstream/core';
import '@onnxstream/native/register';
const [R, K, N, S] = process.argv.slice(2).map(Number);
const text = `mm:MatMul*input:p(${R},${K});w.bin(float16:${K},${N})*output:y(${R},${N})\n`;
const w = new Uint8Array(Uint16Array.from({ length: K * N }, (_, i) => toHalf(Math.sin(i))).buffer);
const files = new MemoryFiles([['model.txt', new TextEncoder().encode(text)], ['w.bin', w]]);
const p = new Tensor('float32', Float32Array.from({ length: R * K }, (_, i) => Math.cos(i)), [R, K]);
for (const slice of [0, S]) {
  const s = await InferenceSession.create({ files, entry: 'model.txt' }, { backend: 'native', threads: 2, weightSliceBytes: slice });
  const plan = await s.plan(new Map([['p', p]]));
  for (let i = 0; i < 3; i++) { const t = performance.now(); await s.run({ p }); console.log(slice, plan.steps[0].slices?.rows, (performance.now() - t).toFixed(1), 'ms'); }
}
