/* SPDX-License-Identifier: MIT */
/* What the device-tree reader's tests share (test_fdt.c, test_fdt_hostile.c): .dtb loading, the
 * sanity check every parse result must pass, and a tiny blob builder for hand-made trees. */
#ifndef TESTS_UNIT_FDT_BLOBS_H
#define TESTS_UNIT_FDT_BLOBS_H

#include <stdint.h>

#include "check.h"
#include "fdt.h"

static inline uint8_t *load_dtb(const char *name, size_t *size)
{
    return test_load_dtb(name, size);
}

/* Declares blob and size: the tree name.dtb of the test data, or the test fails and returns. */
#define LOAD_DTB_OR_FAIL(blob, size, name)                                                         \
    size_t size;                                                                                   \
    uint8_t *blob = load_dtb(name, &size);                                                         \
    if (!blob) {                                                                                   \
        CHECK(blob != NULL);                                                                       \
        return;                                                                                    \
    }

static inline void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Header field offsets, DT spec 5.2. */
enum { H_TOTAL = 4, H_OFF_STRUCT = 8, H_OFF_STRINGS = 12, H_OFF_RSV = 16, H_VERSION = 20,
       H_LAST_COMP = 24, H_SIZE_STRINGS = 32, H_SIZE_STRUCT = 36 };

/* Whatever the input, a successful parse leaves counts within the arrays and strings terminated. */
static inline void check_sane(int r, const struct platform_info *info)
{
    CHECK(r <= 0);
    if (r != FDT_OK) {
        return;
    }
    CHECK(info->nmem >= 1 && info->nmem <= FDT_MAX_MEM);
    CHECK(info->nreserved <= FDT_MAX_RESERVED);
    CHECK(info->nharts <= FDT_MAX_HARTS);
    CHECK(info->nvirtio <= FDT_MAX_VIRTIO);
    CHECK(strnlen(info->bootargs, FDT_BOOTARGS_LEN) < FDT_BOOTARGS_LEN);
    CHECK(strnlen(info->stdout_path, FDT_STR_LEN) < FDT_STR_LEN);
    CHECK(strnlen(info->model, FDT_STR_LEN) < FDT_STR_LEN);
    CHECK(strnlen(info->uart.dev.compatible, FDT_STR_LEN) < FDT_STR_LEN);
    for (unsigned i = 0; i < info->nharts && i < FDT_MAX_HARTS; i++) {
        CHECK(strnlen(info->harts[i].isa, FDT_ISA_LEN) < FDT_ISA_LEN);
        CHECK(strnlen(info->harts[i].mmu, FDT_STR_LEN) < FDT_STR_LEN);
    }
}

/* ---- A tiny blob builder, for shapes dtc refuses to produce. ---- */

struct builder {
    uint8_t st[4096];
    uint32_t st_len;
    char strs[512];
    uint32_t str_len;
};

static inline void b_u32(struct builder *b, uint32_t v)
{
    put_be32(b->st + b->st_len, v);
    b->st_len += 4;
}

static inline void b_bytes(struct builder *b, const void *p, uint32_t n)
{
    memcpy(b->st + b->st_len, p, n);
    b->st_len += n;
    while (b->st_len % 4) {
        b->st[b->st_len++] = 0;
    }
}

static inline void b_begin(struct builder *b, const char *name)
{
    b_u32(b, 1);
    b_bytes(b, name, (uint32_t)strlen(name) + 1);
}

static inline void b_end_node(struct builder *b)
{
    b_u32(b, 2);
}

static inline void b_prop(struct builder *b, const char *name, const void *val, uint32_t len)
{
    uint32_t off = 0;
    while (off < b->str_len && strcmp(b->strs + off, name) != 0) {
        off += (uint32_t)strlen(b->strs + off) + 1;
    }
    if (off == b->str_len) {
        memcpy(b->strs + off, name, strlen(name) + 1);
        b->str_len += (uint32_t)strlen(name) + 1;
    }
    b_u32(b, 3);
    b_u32(b, len);
    b_u32(b, off);
    b_bytes(b, val, len);
}

static inline void b_prop_str(struct builder *b, const char *name, const char *s)
{
    b_prop(b, name, s, (uint32_t)strlen(s) + 1);
}

static inline void b_prop_cells(struct builder *b, const char *name, int n, const uint32_t *cells)
{
    uint8_t buf[256];
    for (int i = 0; i < n; i++) {
        put_be32(buf + 4 * i, cells[i]);
    }
    b_prop(b, name, buf, (uint32_t)(4 * n));
}

/* A root with 2/2 cells and one memory node at 0x80000000, left open for more. */
static inline void b_minimal_open(struct builder *b)
{
    static const uint32_t two = 2, reg[] = { 0, 0x80000000, 0, 0x1000000 };
    memset(b, 0, sizeof *b);
    b_begin(b, "");
    b_prop_cells(b, "#address-cells", 1, &two);
    b_prop_cells(b, "#size-cells", 1, &two);
    b_begin(b, "memory@80000000");
    b_prop_str(b, "device_type", "memory");
    b_prop_cells(b, "reg", 4, reg);
    b_end_node(b);
}

/* Header (40 bytes), an empty reservation map, the structure block, then the strings. */
static inline uint8_t *b_finish(const struct builder *b, size_t *size)
{
    uint32_t off_st = 40 + 16, off_str = off_st + b->st_len, total = off_str + b->str_len;
    uint8_t *p = calloc(1, total);
    put_be32(p, 0xd00dfeed);
    put_be32(p + H_TOTAL, total);
    put_be32(p + H_OFF_STRUCT, off_st);
    put_be32(p + H_OFF_STRINGS, off_str);
    put_be32(p + H_OFF_RSV, 40);
    put_be32(p + H_VERSION, 17);
    put_be32(p + H_LAST_COMP, 16);
    put_be32(p + H_SIZE_STRINGS, b->str_len);
    put_be32(p + H_SIZE_STRUCT, b->st_len);
    memcpy(p + off_st, b->st, b->st_len);
    memcpy(p + off_str, b->strs, b->str_len);
    *size = total;
    return p;
}

static inline int parse_built(const struct builder *b, struct platform_info *info)
{
    size_t size;
    uint8_t *p = b_finish(b, &size);
    int r = fdt_parse(p, size, info);
    free(p);
    return r;
}

#endif
