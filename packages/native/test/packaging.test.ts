/**
 * Packaging, on the package as npm packs it, unpacked in a temp directory: `prebuildify --napi --strip`
 * makes a prebuild, the install script (node-gyp-build) uses it when it loads and otherwise builds from
 * source, and the loader (dist/binding.js) picks build/Release when it holds an addon, else the prebuild
 * (node-gyp-build's order). Builds run with no npm configuration, an empty HOME and proxies that refuse
 * every connection, so a header download would fail them: node-gyp must use this Node's own headers.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const tuple = `${process.platform}-${process.arch}`;
const BUILD_TIMEOUT = 600_000;

let work: string;
let pkg: string;

/** No npm_config_* from the caller (pnpm passes the repo's .npmrc), no proxies but dead ones. */
function isolatedEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^npm_|proxy/i.test(k)) env[k] = v;
  }
  const dead = 'http://127.0.0.1:9';
  return {
    ...env,
    HOME: join(work, 'home'),
    http_proxy: dead,
    https_proxy: dead,
    HTTP_PROXY: dead,
    HTTPS_PROXY: dead,
  };
}

function npmRun(script: string): { status: number | null; log: string } {
  const r = spawnSync('npm', ['run', script], {
    cwd: pkg,
    env: isolatedEnv(),
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  return { status: r.status, log: `${r.stdout}${r.stderr}` };
}

/** The binary the package's own loader loads (relative to the package), after checking it runs. */
function loadedBinary(): string {
  const script = `
    import { createRequire } from 'node:module';
    const { binding } = await import(${JSON.stringify(join(pkg, 'dist/binding.js'))});
    const info = binding().info();
    if (!info.kernels.includes('unary_f32')) throw new Error('no kernels');
    const file = Object.keys(createRequire(import.meta.url).cache).find((f) => f.endsWith('.node'));
    console.log(file.slice(${JSON.stringify(pkg.length + 1)}));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`loading the addon failed: ${r.stderr}`);
  return r.stdout.trim();
}

/** The node-gyp evidence that a build used local headers and fetched nothing. */
function expectOfflineBuild(log: string) {
  expect(log, 'node-gyp downloaded headers').not.toMatch(/gyp http|headers\.tar|ECONNREFUSED/);
  expect(log).toMatch(/-Dnode_root_dir=/);
  expect(log).toMatch(/gyp info ok/);
  // scripts/build-env.cjs gave node-gyp a job count (make's --jobs; one per core that memory allows).
  expect(log).toMatch(/'--jobs',\s*[1-9]/);
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'onnxstream-packaging-'));
  mkdirSync(join(work, 'home'));
  const packed = spawnSync('npm', ['pack', '--pack-destination', work, '--json'], {
    cwd: root,
    encoding: 'utf8',
  });
  if (packed.status !== 0) throw new Error(`npm pack failed: ${packed.stderr}`);
  const [{ filename }] = JSON.parse(packed.stdout) as { filename: string }[];
  const untar = spawnSync('tar', ['xzf', join(work, filename), '-C', work]);
  if (untar.status !== 0) throw new Error(`tar failed: ${untar.stderr}`);
  pkg = join(work, 'package');
  // A prebuild made in this checkout (pnpm prebuildify) would be packed too; these tests make their own.
  rmSync(join(pkg, 'prebuilds'), { recursive: true, force: true });
  // The dependencies as installed for this checkout (node-gyp-build, node-addon-api, node-gyp, prebuildify).
  symlinkSync(join(root, 'node_modules'), join(pkg, 'node_modules'));
  // npm pack takes about 2 s alone; with every package's tests sharing two cores, far longer.
}, 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('packaging', () => {
  it('the packed package holds what a source build needs, and no build', () => {
    for (const f of ['binding.gyp', 'binding/addon.cc', 'csrc/dispatch/kernels.h', 'scripts/sources.cjs']) {
      expect(existsSync(join(pkg, f)), f).toBe(true);
    }
    expect(existsSync(join(pkg, 'build'))).toBe(false);
  });

  it(`prebuildify --napi --strip builds prebuilds/${tuple}/ offline`, { timeout: BUILD_TIMEOUT }, () => {
    const { status, log } = npmRun('prebuildify');
    expect(status, log.slice(-3000)).toBe(0);
    expectOfflineBuild(log);
    expect(readdirSync(join(pkg, 'prebuilds', tuple)).filter((f) => f.endsWith('.node'))).toHaveLength(1);
  });

  it('the loader picks the prebuild, and install builds nothing when it loads', {
    timeout: BUILD_TIMEOUT,
  }, () => {
    rmSync(join(pkg, 'build'), { recursive: true, force: true });
    expect(loadedBinary()).toMatch(new RegExp(`^prebuilds/${tuple}/.*\\.node$`));
    const { status, log } = npmRun('install');
    expect(status, log.slice(-3000)).toBe(0);
    expect(log).not.toMatch(/gyp info/);
    expect(existsSync(join(pkg, 'build'))).toBe(false);
  });

  it('without a prebuild, install builds from source offline and the loader picks that build', {
    timeout: BUILD_TIMEOUT,
  }, () => {
    cpSync(join(pkg, 'prebuilds'), join(work, 'prebuilds'), { recursive: true });
    rmSync(join(pkg, 'prebuilds'), { recursive: true });
    const { status, log } = npmRun('install');
    expect(status, log.slice(-3000)).toBe(0);
    expectOfflineBuild(log);
    expect(loadedBinary()).toBe('build/Release/onnxstream_native.node');
  });

  // binding.gyp compiles with hidden visibility: calls inside the addon bind directly (no PLT), and
  // its C++ symbols stay out of the dynamic symbol table.
  it.runIf(process.platform === 'linux')(
    'the source build exports the N-API entry points and no kernel symbols',
    () => {
      const nm = spawnSync(
        'nm',
        ['-D', '-C', '--defined-only', join(pkg, 'build/Release/onnxstream_native.node')],
        {
          encoding: 'utf8',
        },
      );
      expect(nm.status, nm.stderr).toBe(0);
      expect(nm.stdout).toMatch(/ napi_register_module_v1$/m);
      expect(nm.stdout).not.toMatch(/ os::/);
    },
  );

  it('a source build in build/Release takes precedence over a prebuild', () => {
    cpSync(join(work, 'prebuilds'), join(pkg, 'prebuilds'), { recursive: true });
    expect(loadedBinary()).toBe('build/Release/onnxstream_native.node');
  });
});
