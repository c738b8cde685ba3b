/* SPDX-License-Identifier: MIT */
/* SHA-256 (FIPS 180-4): checks the images of a guest bundle against the hashes it carries. */
#ifndef HYP_LIB_SHA256_H
#define HYP_LIB_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32

struct sha256 {
    uint32_t h[8];
    uint64_t bytes;     /* message length so far */
    uint8_t block[64];  /* a partial block waiting for more input */
    unsigned fill;
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, uint8_t out[SHA256_LEN]);
/* The three steps on one buffer. */
void sha256(const void *data, size_t len, uint8_t out[SHA256_LEN]);

#endif
