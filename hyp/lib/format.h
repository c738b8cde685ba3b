/* SPDX-License-Identifier: MIT */
/* printf-style formatting into a buffer, shared by the hypervisor and guest-pv. */
#ifndef HYP_LIB_FORMAT_H
#define HYP_LIB_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

/* Supports %% %c %s %d %i %u %x %X %p with l/ll/z modifiers, '0' and '-' flags and a width (digits, or * for an
 * int argument, capped at 1024; negative: left-justified).
 * Always NUL-terminates when size > 0; returns the length written (not the length wanted). */
int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int fmt_snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
