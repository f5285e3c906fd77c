#!/usr/bin/env bash
# Compiles C files with the weft core into a .wasm of your own: the weft
# runtime (the same src/*.c as the native library), the wasm host
# (src/wasm/), the package's documented C tasks (csrc/builtin.c) and your
# files, whose WEFT_JS_TASK(name) tasks (include/weft_task.h) JavaScript then
# calls by name. Debian's clang and wasm-ld; freestanding (no libc, no
# Emscripten). Give the result to createPool({ wasm: ... }).
#
#   weft-build-c -o OUT.wasm [-I DIR]... [-D NAME[=VALUE]]... FILE.c...
#   (in the package: npm run build-c -- -o OUT.wasm FILE.c...)
#
# env: CC (clang), WASM_LD (wasm-ld), OPT (-O2). A file that does not
# compile: the compiler's message on stderr, exit status 1.
set -euo pipefail
here="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"   # the package (js/)
# The C sources: in the repository, the parent folder; in the npm package,
# c/ (copied there by tools/pack-c.sh when the package is packed).
if [ -f "$here/../src/wasm/host.c" ]; then core="$(cd "$here/.." && pwd)"; else core="$here/c"; fi
CC="${CC:-clang}"
WASM_LD="${WASM_LD:-wasm-ld}"
OPT="${OPT:--O2}"

usage() { echo "usage: weft-build-c -o OUT.wasm [-I DIR]... [-D NAME[=VALUE]]... FILE.c..." >&2; exit 2; }
out=""
files=()
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    -o) [ $# -ge 2 ] || usage; out="$2"; shift 2 ;;
    -o*) out="${1#-o}"; shift ;;
    -I|-D) [ $# -ge 2 ] || usage; extra+=("$1$2"); shift 2 ;;
    -I*|-D*) extra+=("$1"); shift ;;
    -h|--help) usage ;;
    -*) echo "weft-build-c: unknown option $1" >&2; usage ;;
    *) files+=("$1"); shift ;;
  esac
done
[ -n "$out" ] || usage
for f in "${files[@]}"; do
  [ -f "$f" ] || { echo "weft-build-c: no such file: $f" >&2; exit 1; }
done
for tool in "$CC" "$WASM_LD"; do
  command -v "$tool" >/dev/null 2>&1 ||
    { echo "weft-build-c: $tool not found (Debian: apt-get install clang lld)" >&2; exit 1; }
done

obj="$(mktemp -d)"
trap 'rm -rf "$obj"' EXIT

# Memory: imported, shared; 16 MiB initial, 1 GiB maximum (src/common.js
# must agree). The main thread's stack (1 MiB) sits first in memory, then
# data, then the heap (src/wasm/libc.c) that grows with memory.grow.
INITIAL=16777216
MAXIMUM=1073741824
STACK=1048576

# -mmultivalue + the multivalue C ABI: small structs are returned (and
# passed) as several wasm values instead of through the linear-memory shadow
# stack, e.g. the struct result of a typed task (tree: 25 % faster). Every
# exported or imported function takes and returns scalars only, so the JS side
# is unaffected; every engine with wasm threads has multi-value.
cflags=(--target=wasm32 -matomics -mbulk-memory -mmutable-globals -msign-ext -mnontrapping-fptoint
        -mmultivalue -Xclang -target-abi -Xclang experimental-mv
        -nostdlib -ffreestanding -ftls-model=local-exec -std=c11 "$OPT"
        -Wall -Wextra -Wno-unused-parameter
        -isystem "$core/src/wasm/include" -I "$core/include" -I "$core/src" -I "$here/include")
objs=()
n=0
cc() {  # source; compiles it to the next object
  n=$((n + 1))
  local o="$obj/$n-$(basename "${1%.c}").o"
  "$CC" "${cflags[@]}" "${extra[@]}" -c "$1" -o "$o" || { echo "weft-build-c: $1 did not compile" >&2; exit 1; }
  objs+=("$o")
}
# The core is every src/*.c (the platform backends live in subfolders; the
# wasm one is src/wasm/*.c).
for s in "$core"/src/*.c "$core"/src/wasm/*.c; do cc "$s"; done
cc "$here/csrc/builtin.c"
for f in "${files[@]}"; do cc "$f"; done

mkdir -p "$(dirname "$out")"
# --shared-memory: memory is shared and data segments passive (initialised
# once, by the first instance, in __wasm_init_memory). TLS: each instance
# gets its own block through __wasm_init_tls (exported with __tls_size /
# __tls_align); each instance sets its own __stack_pointer (exported).
"$WASM_LD" --no-entry --import-memory --shared-memory \
  --initial-memory=$INITIAL --max-memory=$MAXIMUM --stack-first -z stack-size=$STACK \
  --export=__stack_pointer --export=__tls_base --export=__tls_size --export=__tls_align \
  --export=__wasm_init_tls --export=__heap_base \
  --export-table --allow-undefined-file=<(printf 'now_ms\ncore_count\njs_call\njs_chunk\njs_launch\n') \
  -o "$out" "${objs[@]}" || { echo "weft-build-c: linking $out failed" >&2; exit 1; }
echo "built $out ($(stat -c %s "$out") bytes)"
