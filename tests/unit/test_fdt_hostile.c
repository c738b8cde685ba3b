// SPDX-License-Identifier: MIT
// Unit tests for the device-tree reader on hostile blobs: bad headers, offsets, nesting, damage.
#define _POSIX_C_SOURCE 200809L /* strnlen */
#include "check.h"
#include "fdt.h"
#include "fdt_blobs.h"

#include <stdint.h>

static uint8_t *dup_bytes(const uint8_t *src, size_t n)
{
    uint8_t *p = malloc(n ? n : 1);
    if (n) {
        memcpy(p, src, n);
    }
    return p;
}

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Parses a private copy of `blob` with the header field at `field` replaced by `value`. */
static int parse_patched(const uint8_t *blob, size_t size, size_t field, uint32_t value)
{
    static struct platform_info info;
    uint8_t *copy = dup_bytes(blob, size);
    put_be32(copy + field, value);
    int r = fdt_parse(copy, size, &info);
    free(copy);
    return r;
}

/* Offset in the blob of the first FDT_PROP token, found by walking a known-good blob. */
static size_t first_prop(const uint8_t *blob)
{
    size_t pos = get_be32(blob + H_OFF_STRUCT);
    while (get_be32(blob + pos) != 3) {
        uint32_t tok = get_be32(blob + pos);
        pos += 4;
        if (tok == 1) {
            pos += (strlen((const char *)blob + pos) + 4) & ~(size_t)3;
        }
    }
    return pos;
}

/* ---- Hostile blobs ---- */

TEST(fdt_bad_header)
{
    LOAD_DTB_OR_FAIL(blob, size, "qemu-virt");
    struct platform_info info;
    CHECK_EQ(parse_patched(blob, size, 0, 0xd00dfeee), FDT_ERR_BADMAGIC);
    CHECK_EQ(parse_patched(blob, size, H_VERSION, 15), FDT_ERR_BADVERSION);
    CHECK_EQ(parse_patched(blob, size, H_LAST_COMP, 18), FDT_ERR_BADVERSION);
    CHECK_EQ(parse_patched(blob, size, H_TOTAL, (uint32_t)size + 1), FDT_ERR_TRUNCATED);
    CHECK_EQ(parse_patched(blob, size, H_TOTAL, 39), FDT_ERR_TRUNCATED);
    CHECK_EQ(fdt_parse(blob, size - 1, &info), FDT_ERR_TRUNCATED);
    CHECK_EQ(fdt_parse(blob, 3, &info), FDT_ERR_TRUNCATED);
    CHECK_EQ(fdt_parse(NULL, 100, &info), FDT_ERR_TRUNCATED);
    CHECK_EQ(fdt_total_size(blob), size);
    uint8_t bad[8] = { 0xd0, 0x0d, 0xfe, 0xef, 0, 0, 1, 0 };
    CHECK_EQ(fdt_total_size(bad), 0);
    free(blob);
}

TEST(fdt_too_big)
{
    size_t big = FDT_MAX_SIZE + 64;
    uint8_t *blob = calloc(1, big);
    struct platform_info info;
    put_be32(blob, 0xd00dfeed);
    put_be32(blob + H_TOTAL, (uint32_t)big);
    put_be32(blob + H_VERSION, 17);
    put_be32(blob + H_LAST_COMP, 16);
    CHECK_EQ(fdt_parse(blob, big, &info), FDT_ERR_TRUNCATED);
    free(blob);
}

TEST(fdt_offsets_past_end)
{
    LOAD_DTB_OR_FAIL(blob, size, "qemu-virt");
    uint32_t n = (uint32_t)size;
    uint32_t off_str = get_be32(blob + H_OFF_STRINGS);
    CHECK_EQ(parse_patched(blob, size, H_OFF_STRUCT, n), FDT_ERR_TRUNCATED);
    CHECK_EQ(parse_patched(blob, size, H_OFF_STRUCT, 0xfffffff0u), FDT_ERR_TRUNCATED);
    CHECK_EQ(parse_patched(blob, size, H_SIZE_STRUCT, n), FDT_ERR_TRUNCATED);
    CHECK_EQ(parse_patched(blob, size, H_SIZE_STRUCT, 0xffffffffu), FDT_ERR_TRUNCATED);
    CHECK_EQ(parse_patched(blob, size, H_OFF_STRINGS, n + 1), FDT_ERR_TRUNCATED);
    CHECK_EQ(parse_patched(blob, size, H_SIZE_STRINGS, n - off_str + 1), FDT_ERR_TRUNCATED);
    /* off + size wraps to a small number: must not pass as in range. */
    CHECK_EQ(parse_patched(blob, size, H_OFF_STRINGS, 0xffffff00u), FDT_ERR_TRUNCATED);
    CHECK_EQ(parse_patched(blob, size, H_OFF_RSV, n - 8), FDT_ERR_TRUNCATED);
    CHECK_EQ(parse_patched(blob, size, H_OFF_RSV, 0xfffffff8u), FDT_ERR_TRUNCATED);
    /* A structure block cut short: no FDT_END inside it. */
    CHECK_EQ(parse_patched(blob, size, H_SIZE_STRUCT, get_be32(blob + H_SIZE_STRUCT) - 4),
             FDT_ERR_BADSTRUCT);
    CHECK_EQ(parse_patched(blob, size, H_SIZE_STRUCT, 0), FDT_ERR_BADSTRUCT);
    /* A strings block too small for the names used. */
    CHECK_EQ(parse_patched(blob, size, H_SIZE_STRINGS, 4), FDT_ERR_BADPROP);
    free(blob);
}

TEST(fdt_reservation_map_unterminated)
{
    struct builder b;
    size_t size;
    struct platform_info info;
    b_minimal_open(&b);
    b_end_node(&b);
    b_u32(&b, 9);
    uint8_t *p = b_finish(&b, &size);
    /* Point the map at the structure block, whose words never form a 0,0 pair before the end. */
    uint8_t *copy = dup_bytes(p, size);
    memset(copy + get_be32(copy + H_OFF_STRUCT), 0xff, size - get_be32(copy + H_OFF_STRUCT));
    put_be32(copy + H_OFF_RSV, get_be32(copy + H_OFF_STRUCT));
    CHECK_EQ(fdt_parse(copy, size, &info), FDT_ERR_TRUNCATED);
    free(copy);
    free(p);
}

TEST(fdt_nameoff_past_strings)
{
    LOAD_DTB_OR_FAIL(blob, size, "qemu-virt");
    size_t prop = first_prop(blob);
    uint32_t str_size = get_be32(blob + H_SIZE_STRINGS);
    CHECK_EQ(parse_patched(blob, size, prop + 8, str_size), FDT_ERR_BADPROP);
    CHECK_EQ(parse_patched(blob, size, prop + 8, 0xffffffffu), FDT_ERR_BADPROP);
    /* Length running past the block, by one byte and by wrapping. */
    uint32_t room = (uint32_t)(get_be32(blob + H_OFF_STRUCT) + get_be32(blob + H_SIZE_STRUCT) -
                               (prop + 12));
    CHECK_EQ(parse_patched(blob, size, prop + 4, room + 1), FDT_ERR_BADPROP);
    CHECK_EQ(parse_patched(blob, size, prop + 4, 0xfffffffcu), FDT_ERR_BADPROP);
    /* An unknown token. */
    CHECK_EQ(parse_patched(blob, size, prop, 7), FDT_ERR_BADSTRUCT);
    free(blob);
}

TEST(fdt_name_unterminated_in_strings)
{
    struct builder b;
    struct platform_info info;
    b_minimal_open(&b);
    b_end_node(&b);
    b_u32(&b, 9);
    /* The last name in the strings block loses its NUL. */
    b.strs[b.str_len - 1] = 'x';
    CHECK_EQ(parse_built(&b, &info), FDT_ERR_BADPROP);
}

TEST(fdt_unterminated_node_name)
{
    struct builder b;
    struct platform_info info;
    memset(&b, 0, sizeof b);
    b_begin(&b, "");
    b_u32(&b, 1);
    memcpy(b.st + b.st_len, "abcdefgh", 8); /* no NUL before the end of the block */
    b.st_len += 8;
    CHECK_EQ(parse_built(&b, &info), FDT_ERR_BADSTRUCT);
}

TEST(fdt_bad_nesting)
{
    struct builder b;
    struct platform_info info;
    /* No FDT_END at all. */
    b_minimal_open(&b);
    b_end_node(&b);
    CHECK_EQ(parse_built(&b, &info), FDT_ERR_BADSTRUCT);
    /* FDT_END with the root still open. */
    b_minimal_open(&b);
    b_u32(&b, 9);
    CHECK_EQ(parse_built(&b, &info), FDT_ERR_BADSTRUCT);
    /* One END_NODE too many. */
    b_minimal_open(&b);
    b_end_node(&b);
    b_end_node(&b);
    b_u32(&b, 9);
    CHECK_EQ(parse_built(&b, &info), FDT_ERR_BADSTRUCT);
    /* A second root. */
    b_minimal_open(&b);
    b_end_node(&b);
    b_begin(&b, "");
    b_end_node(&b);
    b_u32(&b, 9);
    CHECK_EQ(parse_built(&b, &info), FDT_ERR_BADSTRUCT);
    /* A property before the root. */
    memset(&b, 0, sizeof b);
    b_prop_str(&b, "model", "x");
    CHECK_EQ(parse_built(&b, &info), FDT_ERR_BADSTRUCT);
    /* An empty block, and only NOPs. */
    memset(&b, 0, sizeof b);
    CHECK_EQ(parse_built(&b, &info), FDT_ERR_BADSTRUCT);
    b_u32(&b, 4);
    b_u32(&b, 4);
    CHECK_EQ(parse_built(&b, &info), FDT_ERR_BADSTRUCT);
    /* NOPs anywhere are fine. */
    b_minimal_open(&b);
    b_u32(&b, 4);
    b_end_node(&b);
    b_u32(&b, 4);
    b_u32(&b, 9);
    CHECK_EQ(parse_built(&b, &info), FDT_OK);
}

TEST(fdt_depth_limit)
{
    struct builder b;
    struct platform_info info;
    /* 16 levels (the root and 15 below it) are accepted. */
    b_minimal_open(&b);
    for (int i = 0; i < 15; i++) {
        b_begin(&b, "n");
    }
    for (int i = 0; i < 16; i++) {
        b_end_node(&b);
    }
    b_u32(&b, 9);
    CHECK_EQ(parse_built(&b, &info), FDT_OK);
    /* One more is refused. */
    b_minimal_open(&b);
    for (int i = 0; i < 16; i++) {
        b_begin(&b, "n");
    }
    for (int i = 0; i < 17; i++) {
        b_end_node(&b);
    }
    b_u32(&b, 9);
    CHECK_EQ(parse_built(&b, &info), FDT_ERR_TOODEEP);
    /* And a deep open chain without any END_NODE. */
    memset(&b, 0, sizeof b);
    for (int i = 0; i < 200; i++) {
        b_begin(&b, "");
    }
    CHECK_EQ(parse_built(&b, &info), FDT_ERR_TOODEEP);
}

/* Every prefix of a valid blob, both as a short buffer and with totalsize claiming the prefix. */
static void truncate_every_length(const char *name)
{
    size_t size;
    uint8_t *blob = load_dtb(name, &size);
    static struct platform_info info;
    if (!blob) {
        CHECK(blob != NULL);
        return;
    }
    for (size_t len = 0; len <= size; len++) {
        uint8_t *copy = dup_bytes(blob, len);
        int r = fdt_parse(copy, len, &info);
        CHECK(len == size ? r == FDT_OK : r < 0);
        if (len >= 8) {
            put_be32(copy + H_TOTAL, (uint32_t)len);
            r = fdt_parse(copy, len, &info);
            check_sane(r, &info);
            CHECK(len == size ? r == FDT_OK : r < 0);
        }
        free(copy);
    }
    free(blob);
}

TEST(fdt_truncation_virt)
{
    truncate_every_length("qemu-virt");
}

TEST(fdt_truncation_edge_cases)
{
    truncate_every_length("edge-cases");
}

static uint32_t xorshift32(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

/* Random byte flips with a fixed seed: reproducible, and never a crash, hang or overflow. */
static void mutate(const char *name, uint32_t seed, int iterations)
{
    size_t size;
    uint8_t *blob = load_dtb(name, &size);
    static struct platform_info info;
    int ok = 0;
    if (!blob) {
        CHECK(blob != NULL);
        return;
    }
    for (int it = 0; it < iterations; it++) {
        uint8_t *copy = dup_bytes(blob, size);
        int flips = 1 + (int)(xorshift32(&seed) % 4);
        for (int f = 0; f < flips; f++) {
            uint32_t r = xorshift32(&seed);
            /* One flip in four lands in the header, where the offsets are. */
            size_t pos = (r & 3) == 0 ? (r >> 2) % 40 : (r >> 2) % size;
            copy[pos] ^= (uint8_t)(1 + xorshift32(&seed) % 255);
        }
        int r = fdt_parse(copy, size, &info);
        check_sane(r, &info);
        ok += r == FDT_OK;
        free(copy);
    }
    /* Most flips hit property values, so many mutants must still parse: the loop tests the walk. */
    CHECK(ok > iterations / 10);
    free(blob);
}

TEST(fdt_mutation_virt)
{
    mutate("qemu-virt", 0x12345678u, 20000);
}

TEST(fdt_mutation_edge_cases)
{
    mutate("edge-cases", 0x9e3779b9u, 10000);
}

TEST(fdt_strerror_texts)
{
    for (int e = FDT_OK; e >= FDT_ERR_NOMEM; e--) {
        const char *s = fdt_strerror(e);
        CHECK(s != NULL && s[0] != '\0');
        for (int f = e + 1; f <= FDT_OK; f++) {
            CHECK(strcmp(s, fdt_strerror(f)) != 0);
        }
    }
    CHECK(fdt_strerror(-100) != NULL);
    CHECK(fdt_strerror(5) != NULL);
}
