#!/usr/bin/env bash
# Builds js/dist/weft.wasm: the weft core (the same src/*.c as the native
# build) + the wasm backend (src/wasm/) + the C tasks of js/csrc/, with
# Debian's clang and wasm-ld, freestanding (no libc, no Emscripten).
# Usage: js/build.sh [out.wasm]    env: CC (clang), WASM_LD (wasm-ld), OPT (-O2)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
out="${1:-$here/dist/weft.wasm}"
CC="${CC:-clang}"
WASM_LD="${WASM_LD:-wasm-ld}"
OPT="${OPT:--O2}"
obj="$(mktemp -d)"
trap 'rm -rf "$obj"' EXIT

# Memory: imported, shared; 16 MiB initial, 1 GiB maximum (js/src/layout.js
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
        -isystem "$root/src/wasm/include" -I "$root/include" -I "$root/src")
srcs=(error.c deque.c pool.c worker.c sleep.c submit.c loop.c scratch.c stats.c graph.c)
objs=()
for s in "${srcs[@]}"; do
  "$CC" "${cflags[@]}" -c "$root/src/$s" -o "$obj/${s%.c}.o"
  objs+=("$obj/${s%.c}.o")
done
for s in prim host host_graph host_loop libc; do
  "$CC" "${cflags[@]}" -c "$root/src/wasm/$s.c" -o "$obj/wasm_$s.o"
  objs+=("$obj/wasm_$s.o")
done
for s in tasks graph_tasks; do
  "$CC" "${cflags[@]}" -c "$here/csrc/$s.c" -o "$obj/$s.o"
  objs+=("$obj/$s.o")
done

mkdir -p "$(dirname "$out")"
# --shared-memory: memory is shared and data segments passive (initialised
# once, by the first instance, in __wasm_init_memory). TLS: each instance
# gets its own block through __wasm_init_tls (exported with __tls_size /
# __tls_align); each instance sets its own __stack_pointer (exported).
"$WASM_LD" --no-entry --import-memory --shared-memory \
  --initial-memory=$INITIAL --max-memory=$MAXIMUM --stack-first -z stack-size=$STACK \
  --export=__stack_pointer --export=__tls_base --export=__tls_size --export=__tls_align \
  --export=__wasm_init_tls --export=__heap_base \
  --export-table --allow-undefined-file=<(printf 'now_ms\ncore_count\njs_call\njs_chunk\n') \
  -o "$out" "${objs[@]}"
echo "built $out ($(stat -c %s "$out") bytes)"
