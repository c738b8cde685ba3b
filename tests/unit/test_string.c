// SPDX-License-Identifier: MIT
// The hypervisor's own memcpy (hyp/lib/string.c) for every alignment of source and destination and
// every length around the word size, against a byte-by-byte model; what is around the destination
// stays untouched. Built under other names so the host's C library keeps its own (the test uses the
// hypervisor's memset and memcmp too).
#define memcpy hyp_memcpy
#define memmove hyp_memmove
#define memset hyp_memset
#define memcmp hyp_memcmp
#define strlen hyp_strlen
#define strnlen hyp_strnlen
#define strcmp hyp_strcmp
#define strncmp hyp_strncmp
#include "../../hyp/lib/string.c"
#undef memcpy
#undef memmove
#undef memset
#undef memcmp
#undef strlen
#undef strnlen
#undef strcmp
#undef strncmp

#include "check.h"

static uint8_t src[512], dst[512], want[512];

TEST(memcpy_every_alignment_and_length)
{
    for (unsigned i = 0; i < sizeof src; i++) {
        src[i] = (uint8_t)(i * 7 + 3);
    }
    /* Source and destination start inside the buffers: the source's aligned word reads stay in it. */
    for (unsigned so = 8; so < 16; so++) {
        for (unsigned dof = 8; dof < 16; dof++) {
            for (unsigned n = 0; n < 80; n++) {
                hyp_memset(dst, 0xee, sizeof dst);
                hyp_memset(want, 0xee, sizeof want);
                for (unsigned i = 0; i < n; i++) {
                    want[dof + i] = src[so + i];
                }
                CHECK(hyp_memcpy(dst + dof, src + so, n) == dst + dof);
                CHECK(hyp_memcmp(dst, want, sizeof dst) == 0);
            }
        }
    }
}

TEST(memcpy_long_unaligned)
{
    for (unsigned i = 0; i < sizeof src; i++) {
        src[i] = (uint8_t)(i ^ 0x5a);
    }
    hyp_memset(dst, 0, sizeof dst);
    hyp_memcpy(dst + 1, src + 12, 400);
    CHECK(hyp_memcmp(dst + 1, src + 12, 400) == 0);
    CHECK_EQ(dst[0], 0);
    CHECK_EQ(dst[401], 0);
}

TEST(memset_every_alignment_and_length)
{
    /* Zero takes the word path (in rounds of eight words), any other byte the byte loop: both from
     * every alignment, for lengths across a round, leaving the bytes around untouched. */
    static const int values[] = {0, 0xa5};
    for (unsigned v = 0; v < 2; v++) {
        for (unsigned off = 0; off < 16; off++) {
            for (unsigned n = 0; n < 200; n++) {
                for (unsigned i = 0; i < sizeof dst; i++) {
                    dst[i] = want[i] = (uint8_t)(i * 13 + 1);
                }
                for (unsigned i = 0; i < n; i++) {
                    want[off + i] = (uint8_t)values[v];
                }
                CHECK(hyp_memset(dst + off, values[v], n) == dst + off);
                CHECK(hyp_memcmp(dst, want, sizeof dst) == 0);
            }
        }
    }
}
