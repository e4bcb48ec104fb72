/**
 * How the demo's Vite build and dev server deliver @onnxstream/wasm's browser files (its
 * dist/wasm/web: each build's ES module glue, its .wasm and the pthreads build's worker script).
 *
 * The wasm loader names them with `new URL(\`./wasm/web/${file}\`, import.meta.url)`, which Vite
 * turns into a table of emitted assets, so the glue, the .wasm and the worker script are found
 * wherever they land. Three constraints remain:
 * - in a build they must stay files: a worker script inlined as a data: URL gets an opaque origin,
 *   where the threads build can neither import its glue nor share its memory;
 * - the pthreads worker script imports its glue as `./onnxstream-threads.mjs` (emscripten 3.1.6
 *   passes another URL only when the module's `mainScriptUrlOrBlob` is set, which the loader does
 *   not do), so in a build the files keep their names, side by side, in a folder named by a hash of
 *   their contents (a new build gets a new folder: nothing stale is served from a cache);
 * - the dev server must serve them as they are: Vite would transform the worker script, a classic
 *   script, into a module (with import statements), which a classic worker cannot run.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, realpathSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Plugin } from 'vite';
import { CROSS_ORIGIN_ISOLATION_HEADERS } from '../src/headers.js';

/** A file of the wasm package's browser builds, by its path. */
export const WASM_WEB_FILE = /[\\/]wasm[\\/]web[\\/]onnxstream-[\w.-]+\.(?:mjs|wasm|js)$/;
const NAME = /^onnxstream-[\w.-]+\.(?:mjs|wasm|js)$/;

/** The folder of @onnxstream/wasm's browser builds, as this app resolves the package. */
export function wasmWebDir(): string {
  const pkg = createRequire(import.meta.url).resolve('@onnxstream/wasm/package.json');
  return join(dirname(realpathSync(pkg)), 'dist', 'wasm', 'web');
}

/** The first 10 hex digits of a SHA-256 over the folder's files (names and contents). */
export function folderHash(dir: string): string {
  const h = createHash('sha256');
  let files: string[] = [];
  try {
    files = readdirSync(dir).sort();
  } catch {
    // Not built: the backend will report itself unavailable; the name only needs to be stable.
  }
  for (const f of files)
    h.update(f)
      .update('\0')
      .update(readFileSync(join(dir, f)))
      .update('\0');
  return h.digest('hex').slice(0, 10);
}

interface AssetInfo {
  /** Where the asset came from (Vite: relative to the app's root). */
  readonly originalFileNames?: readonly string[];
}

/** Rollup's `output.assetFileNames`: wasm files in `assets/wasm-<hash>/` unrenamed, others hashed. */
export function wasmAssetFileNames(dir = wasmWebDir()): (asset: AssetInfo) => string {
  const folder = `assets/wasm-${folderHash(dir)}`;
  return (asset) =>
    asset.originalFileNames?.some((f) => WASM_WEB_FILE.test(f))
      ? `${folder}/[name][extname]`
      : 'assets/[name]-[hash][extname]';
}

const TYPES: Record<string, string> = {
  mjs: 'text/javascript',
  js: 'text/javascript',
  wasm: 'application/wasm',
};

/** Dev server only: the wasm files served untransformed, with the cross-origin isolation headers. */
export function wasmDevPlugin(dir = wasmWebDir()): Plugin {
  const prefix = `${dir.replaceAll('\\', '/')}/`;
  return {
    name: 'onnxstream-wasm-files',
    apply: 'serve',
    configureServer(server) {
      server.middlewares.use(async (req, res, next) => {
        // Vite serves files outside the app's root at /@fs/<absolute path>; with a query (`?url`,
        // `?import`) it serves a module made from the file, which is Vite's to answer.
        const url = new URL(req.url ?? '/', 'http://localhost');
        const path = decodeURIComponent(url.pathname);
        const at = path.indexOf(prefix);
        const name = at >= 0 ? path.slice(at + prefix.length) : '';
        if (url.search || !NAME.test(name)) return next();
        let body: Buffer;
        try {
          body = await readFile(join(dir, name));
        } catch {
          return next();
        }
        res.writeHead(200, {
          ...CROSS_ORIGIN_ISOLATION_HEADERS,
          'Content-Type': TYPES[name.slice(name.lastIndexOf('.') + 1)] ?? 'application/octet-stream',
          'Cache-Control': 'no-cache',
        });
        res.end(body);
      });
    },
  };
}
