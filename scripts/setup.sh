#!/usr/bin/env bash
# Sets up a fresh machine (Debian bookworm, Node 20) and builds every package. Idempotent: quick when
# everything is already there. Used by the README's two commands and by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
export ONNXRUNTIME_NODE_INSTALL=skip   # onnxruntime-node's postinstall would fetch CUDA libraries
export npm_config_nodedir=/usr         # node-gyp: use /usr/include/node, never download headers

# System packages the build and the tests need (Debian names). The cross compiler and qemu-user run
# the ARM64 kernel tests (packages/native/test/arm64.test.ts).
APT_PACKAGES=(g++ make python3 g++-aarch64-linux-gnu qemu-user chromium emscripten)
missing=()
for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y "${missing[@]}"
fi

PNPM_VERSION=10.34.9
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version)" != "$PNPM_VERSION" ]; then
  npm install -g "pnpm@$PNPM_VERSION"
fi

pnpm install --frozen-lockfile
pnpm -s build
