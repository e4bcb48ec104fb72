/**
 * A Vite plugin serving model folders from disk at /models/ in `vite dev` and `vite preview`, with
 * HEAD and Range support and the cross-origin isolation headers: the demo's default model URL
 * (`models/yolov8n-onnxstream/`) then works locally and in the end-to-end test.
 *
 * The folder is $ONNXSTREAM_MODELS, else $ONNXSTREAM_SHARED/testdata, else ../shared/testdata
 * beside the repository.
 */
import { existsSync } from 'node:fs';
import { open, realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vite';
import { CROSS_ORIGIN_ISOLATION_HEADERS } from '../src/headers.js';

export function defaultModelsDir(): string | undefined {
  if (process.env.ONNXSTREAM_MODELS) return resolve(process.env.ONNXSTREAM_MODELS);
  const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
  const shared = process.env.ONNXSTREAM_SHARED ?? join(repo, '..', 'shared');
  const dir = join(shared, 'testdata');
  return existsSync(dir) ? dir : undefined;
}

type Next = (err?: unknown) => void;

/** Connect middleware serving `dir` under `prefix`. */
export function serveFolder(dir: string, prefix = '/models/') {
  return async (req: IncomingMessage, res: ServerResponse, next: Next): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!url.pathname.startsWith(prefix) || (req.method !== 'GET' && req.method !== 'HEAD')) return next();
    try {
      const rel = decodeURIComponent(url.pathname.slice(prefix.length));
      const root = await realpath(dir);
      const real = await realpath(join(root, rel)).catch(() => undefined);
      const full = real?.startsWith(root + sep) ? real : undefined;
      if (!full || !(await stat(full)).isFile()) {
        res.writeHead(404, CROSS_ORIGIN_ISOLATION_HEADERS);
        res.end();
        return;
      }
      const size = (await stat(full)).size;
      const headers: Record<string, string> = {
        ...CROSS_ORIGIN_ISOLATION_HEADERS,
        'Accept-Ranges': 'bytes',
        'Content-Type': full.endsWith('.txt') ? 'text/plain; charset=utf-8' : 'application/octet-stream',
        'Cache-Control': 'no-cache',
      };
      let start = 0;
      let end = size - 1;
      let status = 200;
      const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
      if (m) {
        start = Number(m[1]);
        end = m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
        if (start >= size || end < start) {
          res.writeHead(416, { ...headers, 'Content-Range': `bytes */${size}` });
          res.end();
          return;
        }
        status = 206;
        headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
      }
      headers['Content-Length'] = String(end - start + 1);
      res.writeHead(status, headers);
      if (req.method === 'HEAD' || end < start) {
        res.end();
        return;
      }
      const file = await open(full);
      try {
        const buf = Buffer.allocUnsafe(end - start + 1);
        await file.read(buf, 0, buf.length, start);
        res.end(buf);
      } finally {
        await file.close();
      }
    } catch (e) {
      next(e);
    }
  };
}

export function modelsPlugin(dir = defaultModelsDir()): Plugin {
  return {
    name: 'onnxstream-models',
    configureServer(server) {
      if (dir) server.middlewares.use(serveFolder(dir));
    },
    configurePreviewServer(server) {
      if (dir) server.middlewares.use(serveFolder(dir));
    },
  };
}
