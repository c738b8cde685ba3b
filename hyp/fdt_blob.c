/* SPDX-License-Identifier: MIT */
/* The flattened device tree as bytes (Devicetree spec v0.4, chapter 5): header, memory reservations
 * and the structure block's tokens, every offset and length checked before use. The board's tree
 * (fdt.c) and the guest bundle (bundle.c) are both read through it. */
#include "fdt.h"

#include <string.h>

/* Devicetree spec v0.4, chapter 5 (flattened format). */
#define FDT_MAGIC 0xd00dfeedu
enum { TOK_BEGIN_NODE = 1, TOK_END_NODE = 2, TOK_PROP = 3, TOK_NOP = 4, TOK_END = 9 };
#define FDT_HDR_SIZE 40u
#define FDT_RSV_ENTRY 16u

/* The blob is big-endian and may sit at any alignment, so every read goes byte by byte. */
uint32_t fdt_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* A 64-bit number of two cells. */
static uint64_t cells2(const uint8_t *p)
{
    return (uint64_t)fdt_be32(p) << 32 | fdt_be32(p + 4);
}

/* strnlen is POSIX, not C11: the host test build would not see it. */
size_t fdt_strnlen(const char *s, size_t max)
{
    size_t n = 0;
    while (n < max && s[n]) {
        n++;
    }
    return n;
}

int fdt_next(const struct fdt_blob *b, uint32_t *pos, struct fdt_token *t)
{
    uint32_t p = *pos, end = b->st_size;

    for (;;) {
        if (p > end || end - p < 4) {
            return FDT_ERR_BADSTRUCT; /* ran off the block without FDT_END */
        }
        uint32_t tok = fdt_be32(b->st + p);
        p += 4;
        memset(t, 0, sizeof *t);
        t->kind = (enum fdt_token_kind)tok;
        if (tok == TOK_BEGIN_NODE) {
            t->name = (const char *)b->st + p;
            t->name_len = fdt_strnlen(t->name, end - p);
            if (t->name_len == end - p) {
                return FDT_ERR_BADSTRUCT; /* the name runs to the end of the block */
            }
            p = (p + (uint32_t)t->name_len + 4) & ~3u; /* the name, its NUL, padding to 4 */
        } else if (tok == TOK_PROP) {
            if (end - p < 8) {
                return FDT_ERR_BADSTRUCT;
            }
            uint32_t len = fdt_be32(b->st + p), nameoff = fdt_be32(b->st + p + 4);
            p += 8;
            if (len > end - p || nameoff >= b->str_size ||
                fdt_strnlen(b->str + nameoff, b->str_size - nameoff) == b->str_size - nameoff) {
                return FDT_ERR_BADPROP;
            }
            t->name = b->str + nameoff;
            t->name_len = strlen(t->name);
            t->data = b->st + p;
            t->len = len;
            p = (uint32_t)(((uint64_t)p + len + 3) & ~3ull); /* past end only if the block is */
        } else if (tok == TOK_NOP) {
            continue;
        } else if (tok != TOK_END_NODE && tok != TOK_END) {
            return FDT_ERR_BADSTRUCT; /* unknown token */
        }
        *pos = p;
        return FDT_OK;
    }
}

static bool in_blob(uint32_t off, uint32_t size, uint32_t total)
{
    return off <= total && size <= total - off;
}

int fdt_open(const void *blob, size_t avail, uint32_t max, struct fdt_blob *b)
{
    const uint8_t *p = blob;

    if (!p) {
        return FDT_ERR_TRUNCATED;
    }
    if (avail >= 4 && fdt_be32(p) != FDT_MAGIC) {
        return FDT_ERR_BADMAGIC;
    }
    if (avail < FDT_HDR_SIZE) {
        return FDT_ERR_TRUNCATED;
    }
    uint32_t off_st = fdt_be32(p + 8), off_str = fdt_be32(p + 12), version = fdt_be32(p + 20);
    if (version < 16 || fdt_be32(p + 24) > 17) {
        return FDT_ERR_BADVERSION; /* a last_comp_version above 17 means a layout we do not know */
    }
    b->base = p;
    b->total = fdt_be32(p + 4);
    b->rsv_off = fdt_be32(p + 16);
    b->str_size = fdt_be32(p + 32);
    /* Version 16 has no size_dt_struct: the block then runs to the end of the blob. */
    b->st_size = version >= 17 ? fdt_be32(p + 36) : off_st <= b->total ? b->total - off_st : 0;
    if (b->total > avail || b->total > max || b->total < FDT_HDR_SIZE ||
        !in_blob(off_st, b->st_size, b->total) || !in_blob(off_str, b->str_size, b->total) ||
        !in_blob(b->rsv_off, FDT_RSV_ENTRY, b->total)) {
        return FDT_ERR_TRUNCATED;
    }
    b->st = p + off_st;
    b->str = (const char *)p + off_str;
    return FDT_OK;
}

int fdt_rsvmap(const struct fdt_blob *b, struct fdt_region *out, unsigned max, unsigned *n)
{
    for (uint32_t off = b->rsv_off;; off += FDT_RSV_ENTRY) {
        if (!in_blob(off, FDT_RSV_ENTRY, b->total)) {
            return FDT_ERR_TRUNCATED;
        }
        struct fdt_region r = { cells2(b->base + off), cells2(b->base + off + 8) };
        if (r.base == 0 && r.size == 0) {
            return FDT_OK;
        }
        if (r.size && *n < max) {
            out[(*n)++] = r;
        }
    }
}

uint32_t fdt_total_size(const void *blob)
{
    const uint8_t *p = blob;
    return p && fdt_be32(p) == FDT_MAGIC ? fdt_be32(p + 4) : 0;
}

const char *fdt_strerror(int err)
{
    static const char *const text[] = {
        [-FDT_OK] = "ok", [-FDT_ERR_BADMAGIC] = "bad magic",
        [-FDT_ERR_BADVERSION] = "unsupported version", [-FDT_ERR_TRUNCATED] = "truncated blob",
        [-FDT_ERR_BADSTRUCT] = "malformed structure block", [-FDT_ERR_BADPROP] = "bad property",
        [-FDT_ERR_TOODEEP] = "nesting too deep", [-FDT_ERR_NOMEM] = "no usable memory node",
    };
    return err <= 0 && err >= FDT_ERR_NOMEM ? text[-err] : "unknown error";
}
