import { InferenceSession, WeightsError } from '@onnxstream/core';
import { describe, expect, it } from 'vitest';
import {
  DirectoryHandleFiles,
  type DirectoryHandleLike,
  FileListFiles,
  findModelEntry,
  HttpProvider,
  type RelativeFile,
} from '../src/index.js';
import { f32Bytes } from './helpers.js';
import { TINY_LINES, TINY_WEIGHTS, tinyExpected, tinyInput } from './tiny-model.js';

/** The tiny model's files as path -> bytes, under an optional sub-folder. */
function tinyFiles(prefix = ''): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>([
    [`${prefix}model.txt`, new TextEncoder().encode(`${TINY_LINES.join('\n')}\n`)],
  ]);
  for (const [name, values] of Object.entries(TINY_WEIGHTS)) files.set(`${prefix}${name}`, f32Bytes(values));
  return files;
}

class NotFound extends Error {
  override name = 'NotFoundError';
}

/** A fake FileSystemDirectoryHandle over path -> bytes; records every name it is asked for. */
class FakeDirectory implements DirectoryHandleLike {
  readonly kind = 'directory';
  constructor(
    readonly name: string,
    readonly files: Map<string, Uint8Array>,
    readonly prefix = '',
    readonly asked: string[] = [],
  ) {}

  async getDirectoryHandle(name: string): Promise<DirectoryHandleLike> {
    this.asked.push(this.prefix + name);
    if (name === '..' || name.includes('/')) throw new TypeError(`invalid name ${name}`);
    const sub = `${this.prefix}${name}/`;
    if (![...this.files.keys()].some((k) => k.startsWith(sub))) throw new NotFound(name);
    return new FakeDirectory(name, this.files, sub, this.asked);
  }

  async getFileHandle(name: string): Promise<{ getFile(): Promise<Blob> }> {
    this.asked.push(this.prefix + name);
    const bytes = this.files.get(this.prefix + name);
    if (!bytes) throw new NotFound(name);
    return { getFile: async () => new Blob([bytes as Uint8Array<ArrayBuffer>]) };
  }
}

/** Files as `<input webkitdirectory>` gives them: Blobs with a name and a webkitRelativePath. */
function fileList(folder: string, files: Map<string, Uint8Array>): RelativeFile[] {
  return [...files].map(([path, bytes]) =>
    Object.assign(new Blob([bytes as Uint8Array<ArrayBuffer>]), {
      name: path.split('/').pop()!,
      webkitRelativePath: `${folder}/${path}`,
    }),
  );
}

async function runTiny(files: DirectoryHandleFiles | FileListFiles): Promise<number[]> {
  const entry = await findModelEntry(files);
  const session = await InferenceSession.create(
    { files, entry },
    { weightsProvider: new HttpProvider({ lookaheadBytes: 256 }) },
  );
  try {
    const { out } = await session.run({ x: tinyInput() });
    return [...(out.data as Float32Array)];
  } finally {
    await session.release();
  }
}

const ESCAPES = ['../secret.bin', 'sub/../../secret.bin', '/etc/passwd', 'C:/secret.bin', '..\\secret.bin'];

describe('a folder picked with the File System Access API', () => {
  it('runs a model from a directory handle', async () => {
    const files = new DirectoryHandleFiles(new FakeDirectory('tiny', tinyFiles()));
    expect(files.root).toBe("picked folder 'tiny'");
    expect(await runTiny(files)).toEqual(tinyExpected());
  });

  it('reads files in sub-folders, byte ranges, and reports missing files', async () => {
    const dir = new FakeDirectory('models', tinyFiles('yolo/'));
    const files = new DirectoryHandleFiles(dir);
    expect(await files.exists('yolo/w1.bin')).toBe(true);
    expect(await files.exists('yolo/nope.bin')).toBe(false);
    expect(await files.exists('nope/w1.bin')).toBe(false);
    expect(await files.size('yolo/w2.bin')).toBe(512);
    const w2 = f32Bytes(TINY_WEIGHTS['w2.bin']);
    expect(await files.read('yolo/w2.bin', 8, 16)).toEqual(w2.subarray(8, 24));
    const into = new Uint8Array(16);
    expect(await files.read('yolo/w2.bin', 0, 16, into)).toBe(into);
    await expect(files.read('yolo/w2.bin', 500, 16)).rejects.toThrow(
      /too short: need bytes 500\.\.516, it has 512/,
    );
    await expect(files.read('yolo/nope.bin', 0, 4)).rejects.toThrow(/file 'yolo\/nope\.bin' not found/);
  });

  it('refuses paths leaving the folder before asking the handle', async () => {
    const dir = new FakeDirectory('tiny', tinyFiles());
    const files = new DirectoryHandleFiles(dir);
    for (const bad of ESCAPES) {
      await expect(files.read(bad, 0, 4), bad).rejects.toThrow(WeightsError);
      await expect(files.read(bad, 0, 4), bad).rejects.toThrow(/refused/);
      expect(await files.exists(bad), bad).toBe(false);
    }
    expect(dir.asked).toEqual([]);
  });
});

describe('a folder picked with <input webkitdirectory>', () => {
  it('runs a model from the FileList, dropping the folder name', async () => {
    const files = new FileListFiles(fileList('tiny', tinyFiles()));
    expect(files.root).toBe("picked folder 'tiny'");
    expect(files.paths()).toEqual(['model.txt', 'w1.bin', 'w2.bin', 'w3.bin', 'w4.bin']);
    expect(await runTiny(files)).toEqual(tinyExpected());
  });

  it('ignores entries that would leave the folder and refuses such paths', async () => {
    const list = fileList('tiny', tinyFiles());
    const evil = Object.assign(new Blob([new Uint8Array(4)]), {
      name: 'secret.bin',
      webkitRelativePath: 'tiny/../secret.bin',
    });
    const files = new FileListFiles([...list, evil]);
    expect(files.paths()).not.toContain('secret.bin');
    for (const bad of ESCAPES) {
      await expect(files.read(bad, 0, 4), bad).rejects.toThrow(/refused/);
      expect(await files.exists(bad), bad).toBe(false);
    }
  });

  it('finds the model entry: model.txt, model.onnx, or the only .onnx file', async () => {
    const one = (name: string) => new FileListFiles(fileList('m', new Map([[name, new Uint8Array(1)]])));
    expect(await findModelEntry(one('model.txt'))).toBe('model.txt');
    expect(await findModelEntry(one('model.onnx'))).toBe('model.onnx');
    const other = one('mnist-8.onnx');
    expect(await findModelEntry(other, other.paths())).toBe('mnist-8.onnx');
    await expect(findModelEntry(one('readme.md'))).rejects.toThrow(/no model\.txt or model\.onnx in/);
  });
});
