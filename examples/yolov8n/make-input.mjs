#!/usr/bin/env node
// Writes the synthetic YOLOv8n input used by OnnxStream's reference output as a .npy file:
// value[0][c][y][x] = ((x*7 + y*13 + c*29) % 256) / 255, float32 [1,3,640,640].
import { writeFileSync } from 'node:fs';

const out = process.argv[2] ?? 'images.npy';
const data = new Float32Array(3 * 640 * 640);
for (let c = 0; c < 3; c++)
  for (let y = 0; y < 640; y++)
    for (let x = 0; x < 640; x++) data[(c * 640 + y) * 640 + x] = ((x * 7 + y * 13 + c * 29) % 256) / 255;
let header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 640, 640), }";
header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
const head = Buffer.alloc(10);
Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(head);
head.writeUInt16LE(header.length, 8);
writeFileSync(out, Buffer.concat([head, Buffer.from(header, 'latin1'), Buffer.from(data.buffer)]));
console.log(`wrote ${out}`);
