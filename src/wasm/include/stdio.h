/* Freestanding <stdio.h> for the wasm32 build: snprintf only, with the
 * conversions weft uses (%s %c %d %i %u %x %p %%, the l/ll/z length
 * modifiers, no width or precision). */
#ifndef WEFT_WASM_STDIO_H
#define WEFT_WASM_STDIO_H
#include <stdarg.h>
#include <stddef.h>
int snprintf(char *restrict buf, size_t cap, const char *restrict fmt, ...);
int vsnprintf(char *restrict buf, size_t cap, const char *restrict fmt, va_list ap);
#endif
