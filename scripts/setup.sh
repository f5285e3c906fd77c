#!/usr/bin/env bash
# Installs what weft's build, tests, benchmarks and demo need from Debian's
# packages. Idempotent: installs only what is missing. Needs root (or sudo).
set -euo pipefail

pkgs=(build-essential cmake clang lld llvm libomp-dev libclang-rt-14-dev libtbb-dev
      spin python3 nodejs pkg-config
      python3-matplotlib                                        # bench/run.py's SVG plots
      openmpi-bin libopenmpi-dev                                # weft_mpi, its tests, bench/mpi
      chromium                                                  # browser tests of js/ (headless)
      gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user   # aarch64 cross + emulation
      gcc-mingw-w64-x86-64 wine wine64)                         # Windows cross + wine
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# node may come from elsewhere than Debian's package (a newer build on PATH).
if command -v node >/dev/null 2>&1; then
  missing=("${missing[@]/nodejs}")
fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "setup: all packages present"
fi

# npm packages, each folder from its committed lock file: installed only
# when the lock file is newer than the copy npm keeps in node_modules (so
# again after the lock file changes). Debian's nodejs ships without npm: its
# npm package then.
root="$(cd "$(dirname "$0")/.." && pwd)"
npm_ci() {  # folder (relative to the repository), what its packages are for
  local dir="$root/$1"
  if [ -f "$dir/node_modules/.package-lock.json" ] &&
     [ ! "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    echo "setup: $1 npm packages present"
    return
  fi
  if ! command -v npm >/dev/null 2>&1; then
    echo "setup: installing npm"
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends npm >/dev/null
  fi
  echo "setup: npm ci in $1 ($2)"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
}
npm_ci bench/js "the JavaScript benchmarks: piscina"
npm_ci js/test/browser "the browser tests: playwright-core, which drives the chromium above"
npm_ci js/test/types "the type check of js/index.d.ts: typescript"
