// SPDX-License-Identifier: MIT
// Freestanding memory and string routines; the compiler also emits calls to memcpy/memset on its own.
#include <stdint.h>
#include <string.h>

void *memcpy(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;

    /* Guest buffers may start anywhere, and a byte loop costs five times a word loop (the work
     * budgets assume words): the destination is aligned first, and a source that is still not
     * aligned is read a word at a time and shifted into place (little-endian). An aligned word
     * holding a byte of the source never crosses into another page, so no read can fault. */
    if (n >= 16) {
        while ((uintptr_t)d & 7) {
            *d++ = *s++;
            n--;
        }
        unsigned off = (uintptr_t)s & 7;
        if (off == 0) {
            for (; n >= 8; n -= 8, d += 8, s += 8) {
                *(uint64_t *)d = *(const uint64_t *)s;
            }
        } else {
            const uint64_t *w = (const uint64_t *)(s - off);
            unsigned lo_shift = off * 8, hi_shift = 64 - off * 8;
            uint64_t lo = *w++;
            for (; n >= 8; n -= 8, d += 8, s += 8) {
                uint64_t hi = *w++;
                *(uint64_t *)d = (lo >> lo_shift) | (hi << hi_shift);
                lo = hi;
            }
        }
    }
    while (n--) {
        *d++ = *s++;
    }
    return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;

    if (d <= s || d >= s + n) {
        return memcpy(dst, src, n);
    }
    while (n--) {
        d[n] = s[n];
    }
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    uint8_t *d = dst;

    if (c == 0 && ((uintptr_t)d & 7) == 0) {
        /* Eight words a round: guest pages are cleared on first use inside exits (and VM slots when a
         * guest is built), where a word-at-a-time loop spends three instructions of four on itself. */
        for (; n >= 64; n -= 64, d += 64) {
            uint64_t *w = (uint64_t *)d;
            w[0] = 0;
            w[1] = 0;
            w[2] = 0;
            w[3] = 0;
            w[4] = 0;
            w[5] = 0;
            w[6] = 0;
            w[7] = 0;
        }
        for (; n >= 8; n -= 8, d += 8) {
            *(uint64_t *)d = 0;
        }
    }
    while (n--) {
        *d++ = (uint8_t)c;
    }
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const uint8_t *x = a, *y = b;

    for (size_t i = 0; i < n; i++) {
        if (x[i] != y[i]) {
            return x[i] < y[i] ? -1 : 1;
        }
    }
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;

    while (s[n]) {
        n++;
    }
    return n;
}

size_t strnlen(const char *s, size_t max)
{
    size_t n = 0;

    while (n < max && s[n]) {
        n++;
    }
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++) {
        if (*a != *b || !*a) {
            return (unsigned char)*a - (unsigned char)*b;
        }
    }
    return 0;
}
