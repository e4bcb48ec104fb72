// Runs a command (node-gyp-build, prebuildify) with node-gyp pointed at the running Node's own headers
// when npm's `nodedir` is not set: official Node tarballs and distribution packages install them in
// <prefix>/include/node, and without nodedir node-gyp downloads them from nodejs.org, which fails on
// offline machines (a Raspberry Pi on a private network) and behind proxies.
//   node scripts/with-node-headers.cjs <command> [args...]
const { spawnSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const { dirname, join } = require('node:path');

const [command, ...args] = process.argv.slice(2);
if (!command) {
  console.error('usage: with-node-headers.cjs <command> [args...]');
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
const r = spawnSync(command, args, { stdio: 'inherit', env, shell: process.platform === 'win32' });
if (r.error) {
  console.error(`${command}: ${r.error.message}`);
  process.exit(1);
}
process.exit(r.status ?? 1);
