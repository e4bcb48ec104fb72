// Runs a command (node-gyp-build, prebuildify) with node-gyp set up for a source build here:
// - pointed at the running Node's own headers when npm's `nodedir` is not set: official Node tarballs
//   and distribution packages install them in <prefix>/include/node, and without nodedir node-gyp
//   downloads them from nodejs.org, which fails on offline machines (a Raspberry Pi on a private
//   network) and behind proxies;
// - compiling on as many cores as the free memory allows (compile-jobs.cjs) when neither JOBS nor
//   npm's `jobs` is set (node-gyp compiles one file at a time by default).
//   node scripts/build-env.cjs <command> [args...]
const { spawnSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const { dirname, join } = require('node:path');
const { compileJobs } = require('./compile-jobs.cjs');

const [command, ...args] = process.argv.slice(2);
if (!command) {
  console.error('usage: build-env.cjs <command> [args...]');
  process.exit(2);
}

const env = { ...process.env };
const prefix = dirname(dirname(process.execPath));
const headers = join(prefix, 'include', 'node');
if (
  !env.npm_config_nodedir &&
  existsSync(join(headers, 'node_api.h')) &&
  existsSync(join(headers, 'common.gypi'))
) {
  env.npm_config_nodedir = prefix;
}
if (!env.JOBS && !env.npm_config_jobs) env.JOBS = String(compileJobs());
const r = spawnSync(command, args, { stdio: 'inherit', env, shell: process.platform === 'win32' });
if (r.error) {
  console.error(`${command}: ${r.error.message}`);
  process.exit(1);
}
process.exit(r.status ?? 1);
