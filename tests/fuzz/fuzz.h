/* SPDX-License-Identifier: MIT */
/* Shared by the libFuzzer targets: a reader that takes typed values off the fuzz input (zeros once
 * it runs dry, so every input is a complete program) and an invariant check that aborts, which
 * libFuzzer reports as a crash with the input that caused it. */
#ifndef TESTS_FUZZ_FUZZ_H
#define TESTS_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

struct fuzz_in {
    const uint8_t *p;
    size_t n;
};

static inline uint8_t fz_u8(struct fuzz_in *in)
{
    if (in->n == 0) {
        return 0;
    }
    in->n--;
    return *in->p++;
}

/* Little-endian, like the guest: a seed written with a hex editor reads naturally. */
static inline uint64_t fz_bytes(struct fuzz_in *in, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++) {
        v |= (uint64_t)fz_u8(in) << (8 * i);
    }
    return v;
}

static inline uint16_t fz_u16(struct fuzz_in *in)
{
    return (uint16_t)fz_bytes(in, 2);
}

static inline uint32_t fz_u32(struct fuzz_in *in)
{
    return (uint32_t)fz_bytes(in, 4);
}

static inline uint64_t fz_u64(struct fuzz_in *in)
{
    return fz_bytes(in, 8);
}

/* An invariant the code under test promises: a violation is a bug, reported as a crash. */
#define FUZZ_CHECK(cond, ...)                                                                      \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant failed: %s: ", __FILE__, __LINE__, #cond);          \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
