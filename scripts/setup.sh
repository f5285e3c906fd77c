#!/usr/bin/env bash
# Installs what weft's build, tests, benchmarks and demo need from Debian's
# packages. Idempotent: installs only what is missing. Needs root (or sudo).
set -euo pipefail

pkgs=(build-essential cmake clang lld llvm libomp-dev libclang-rt-14-dev libtbb-dev
      spin python3 nodejs
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

# npm packages of the JavaScript benchmarks (bench/js: piscina), from the
# lock file, once: again only when package-lock.json is newer than the
# installed tree. (Debian's nodejs ships without npm: its npm package then.)
benchjs="$(cd "$(dirname "$0")/.." && pwd)/bench/js"
if [ -f "$benchjs/package-lock.json" ] && \
   [ ! "$benchjs/node_modules/.package-lock.json" -nt "$benchjs/package-lock.json" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "setup: installing npm"
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends npm >/dev/null
  fi
  echo "setup: npm ci in bench/js"
  (cd "$benchjs" && npm ci --no-audit --no-fund --loglevel=error)
else
  echo "setup: bench/js npm packages present"
fi

# npm packages of the browser tests (playwright-core, which drives the
# chromium above): installed from the committed lock file, only when
# the lock file is newer than the copy npm keeps in node_modules.
browser_tests="$(cd "$(dirname "$0")/.." && pwd)/js/test/browser"
if [ ! -f "$browser_tests/node_modules/.package-lock.json" ] ||
   [ "$browser_tests/package-lock.json" -nt "$browser_tests/node_modules/.package-lock.json" ]; then
  if command -v npm >/dev/null 2>&1; then
    echo "setup: npm ci in js/test/browser"
    (cd "$browser_tests" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  else
    echo "setup: npm not found; the browser tests (js/test/browser) need it" >&2
  fi
fi

# npm packages of the type check of js/index.d.ts (typescript, pinned):
# installed from the committed lock file, only when the lock file is newer
# than the copy npm keeps in node_modules.
type_tests="$(cd "$(dirname "$0")/.." && pwd)/js/test/types"
if [ ! -f "$type_tests/node_modules/.package-lock.json" ] ||
   [ "$type_tests/package-lock.json" -nt "$type_tests/node_modules/.package-lock.json" ]; then
  if command -v npm >/dev/null 2>&1; then
    echo "setup: npm ci in js/test/types"
    (cd "$type_tests" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  else
    echo "setup: npm not found; the type check (js/test/types) needs it" >&2
  fi
else
  echo "setup: js/test/types npm packages present"
fi
