/**
 * Node.js front end of the converter: an .onnx path in, a model folder out. Node modules are loaded
 * on call, so the `@onnxstream/core/onnx` entry stays importable in browsers (where
 * `convertOnnxModel` with a ModelFiles and a ConvertOutput of one's own does the same job).
 */
import {
  type ConvertOptions,
  type ConvertOutput,
  type ConvertReport,
  convertOnnxModel,
} from './converter.js';

/**
 * Converts the ONNX file at `input` (external data files are looked up next to it) into the folder
 * `outDir`, created if needed. Like onnx2txt, which empties its destination, it first deletes the
 * `model.txt` and `*.bin` files already there (other files are left alone).
 */
export async function convertOnnxFile(
  input: string,
  outDir: string,
  options: ConvertOptions = {},
): Promise<ConvertReport> {
  const fs = await import('node:fs/promises');
  const path = await import('node:path');
  const { NodeModelFiles } = await import('#platform');
  const abs = path.resolve(input);
  const files = new NodeModelFiles(path.dirname(abs));
  // Clearing the destination must never delete the model's own files (external data is often *.bin).
  const realOut = await fs.realpath(outDir).catch(() => path.resolve(outDir));
  const realIn = await fs.realpath(path.dirname(abs)).catch(() => path.dirname(abs));
  if (realOut === realIn) {
    throw new Error(`the destination ${outDir} is the folder of ${input}: choose another folder`);
  }
  await fs.mkdir(outDir, { recursive: true });
  for (const name of await fs.readdir(outDir)) {
    if (name === 'model.txt' || name.endsWith('.bin')) await fs.rm(path.join(outDir, name), { force: true });
  }
  const out: ConvertOutput = {
    async writeFile(name, data) {
      const handle = await fs.open(path.join(outDir, name), 'w');
      try {
        if (data instanceof Uint8Array) await handle.writeFile(data);
        else for await (const chunk of data) await handle.writeFile(chunk);
      } finally {
        await handle.close();
      }
    },
  };
  try {
    return await convertOnnxModel(files, path.basename(abs), out, options);
  } finally {
    await files.close?.();
  }
}

/** A ConvertOutput that keeps the files in memory (tests, browsers). */
export class MemoryOutput implements ConvertOutput {
  readonly files = new Map<string, Uint8Array>();

  async writeFile(name: string, data: Uint8Array | AsyncIterable<Uint8Array>): Promise<void> {
    if (data instanceof Uint8Array) {
      this.files.set(name, data.slice());
      return;
    }
    const parts: Uint8Array[] = [];
    let n = 0;
    for await (const c of data) {
      parts.push(c.slice());
      n += c.byteLength;
    }
    const all = new Uint8Array(n);
    let p = 0;
    for (const c of parts) {
      all.set(c, p);
      p += c.byteLength;
    }
    this.files.set(name, all);
  }
}
