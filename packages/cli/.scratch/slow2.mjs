import { InferenceSession, MemoryFiles, Tensor, toHalf } from '@onnxstream/core';
import '@onnxstream/native/register';
const [rows, k, h, n, S] = process.argv.slice(2).map(Number);
const values = (len, s) => Float32Array.from({ length: len }, (_, i) => Math.sin(i * s) * 0.5);
const halfBytes = (v) => new Uint8Array(Uint16Array.from(v, toHalf).buffer);
const [p, x, half] = [`(${rows},${k})`, `(${rows},${2 * h})`, `(${rows},${h})`];
const text = [
  `proj:MatMul*input:p${p};w1.bin(float16:${k},${2 * h})*output:pw${x}`,
  `proj_bias:Add*input:b.bin(float32:${2 * h});pw${x}*output:x${x}`,
  `split:Split*input:x${x};sizes.bin(int64:2)*output:hidden${half};gate${half}*axis:-1`,
  `div:Div*input:gate${half};sqrt2.bin(float32:)*output:d${half}`,
  `erf:Erf*input:d${half}*output:e${half}`,
  `add:Add*input:e${half};one.bin(float32:)*output:a${half}`,
  `mul:Mul*input:gate${half};a${half}*output:m${half}`,
  `mul_1:Mul*input:m${half};half.bin(float32:)*output:g${half}`,
  `mul_2:Mul*input:hidden${half};g${half}*output:gated${half}`,
  `out:MatMul*input:gated${half};w2.bin(float16:${h},${n})*output:y(${rows},${n})`,
].join('\n');
const scalar = (v) => new Uint8Array(Float32Array.of(v).buffer);
const files = new MemoryFiles([
  ['model.txt', new TextEncoder().encode(`${text}\n`)],
  ['w1.bin', halfBytes(values(k * 2 * h, 1.1))],
  ['b.bin', new Uint8Array(values(2 * h, 1.3).buffer)],
  ['sizes.bin', new Uint8Array(BigInt64Array.of(BigInt(h), BigInt(h)).buffer)],
  ['sqrt2.bin', scalar(Math.SQRT2)], ['one.bin', scalar(1)], ['half.bin', scalar(0.5)],
  ['w2.bin', halfBytes(values(h * n, 0.7))],
]);
const pt = new Tensor('float32', values(rows * k, 0.3), [rows, k]);
for (const slice of [0, S]) {
  const s = await InferenceSession.create({ files, entry: 'model.txt' }, { backend: 'native', threads: 2, weightSliceBytes: slice });
  for (let i = 0; i < 2; i++) { const t = performance.now(); await s.run({ p: pt }, {profile: true}); console.log(slice, (performance.now() - t).toFixed(1), 'ms', JSON.stringify(s.lastRunStats.opTimes)); }
}
