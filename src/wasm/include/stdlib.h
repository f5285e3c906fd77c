/* Freestanding <stdlib.h> for the wasm32 build: the allocator of
 * src/wasm/libc.c (one heap in the shared linear memory, a spin lock). */
#ifndef WEFT_WASM_STDLIB_H
#define WEFT_WASM_STDLIB_H
#include <stddef.h>
void *malloc(size_t n);
void *calloc(size_t n, size_t size);
void *realloc(void *p, size_t n);
void *aligned_alloc(size_t align, size_t n);
void free(void *p);
_Noreturn void abort(void);
#endif
