/* SPDX-License-Identifier: MIT */
/* A flattened device tree writer: builds each VM's device tree in a buffer the caller provides. */
#include "fdt_write.h"

#include <string.h>

/* Devicetree spec v0.4, chapter 5: header, memory-reservation block, structure and strings. */
#define FDT_MAGIC 0xd00dfeedu
#define FDT_HDR_SIZE 40u
#define FDT_RSV_SIZE 16u /* only the terminating (0, 0) entry: we reserve nothing */
#define FDT_STRUCT_OFF (FDT_HDR_SIZE + FDT_RSV_SIZE)
enum { TOK_BEGIN_NODE = 1, TOK_END_NODE = 2, TOK_PROP = 3, TOK_END = 9 };

/*
 * Neither block's size is known until the end, so while building, the structure block grows up
 * from FDT_STRUCT_OFF and the strings block sits at the very end of buf, growing down;
 * fdtw_finish() closes the gap.
 * Invariant, while !error: FDT_STRUCT_OFF + struct_len + strings_len <= cap.
 */

/* The blob is big-endian and buf may have any alignment, so stores go byte by byte. */
static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static size_t pad4(size_t n)
{
    return (n + 3) & ~(size_t)3;
}

/* Whether n more bytes fit between the two blocks. A miss poisons the writer: a blob with a
 * hole in it must never be handed to a guest, so every later call is a no-op. */
static bool room(struct fdt_writer *w, size_t n)
{
    /* The invariant keeps the subtraction from wrapping; error is tested first for that reason. */
    if (!w->error && n <= w->cap - FDT_STRUCT_OFF - w->struct_len - w->strings_len) {
        return true;
    }
    w->error = true;
    return false;
}

void fdtw_init(struct fdt_writer *w, void *buf, size_t cap)
{
    *w = (struct fdt_writer){ .buf = buf, .cap = cap, .error = !buf || cap < FDT_STRUCT_OFF };
}

/* Appends a token and n zeroed bytes (padding must be zero) to the structure block; returns
 * where those n bytes start, or NULL when they do not fit. */
static uint8_t *emit(struct fdt_writer *w, uint32_t tok, size_t n)
{
    if (!room(w, 4 + n)) {
        return NULL;
    }
    uint8_t *p = w->buf + FDT_STRUCT_OFF + w->struct_len;
    put_be32(p, tok);
    memset(p + 4, 0, n);
    w->struct_len += 4 + n;
    return p + 4;
}

/* The offset of name in the strings block, storing it on first use. Like dtc, a name that is the
 * tail of a stored one reuses it ("cells" in "#size-cells"), so blobs match dtc's byte for byte. */
static bool string_off(struct fdt_writer *w, const char *name, uint32_t *off)
{
    uint8_t *strs = w->buf + w->cap - w->strings_len;
    size_t n = strlen(name) + 1;
    for (size_t i = 0; i + n <= w->strings_len; i++) {
        if (memcmp(strs + i, name, n) == 0) {
            *off = (uint32_t)i;
            return true;
        }
    }
    if (!room(w, n)) {
        return false;
    }
    /* Offsets already written count from the block's start, so the block slides down by n and the
     * new name goes at its end. */
    memmove(strs - n, strs, w->strings_len);
    memcpy(w->buf + w->cap - n, name, n);
    *off = (uint32_t)w->strings_len;
    w->strings_len += n;
    return true;
}

/* Writes a property's header and returns where its len bytes of value go, or NULL on error. */
static uint8_t *prop_value(struct fdt_writer *w, const char *name, size_t len)
{
    uint32_t nameoff;
    if (w->depth == 0 || len > w->cap) {
        w->error = true; /* a property outside any node, or a length that can never fit */
    }
    if (w->error || !string_off(w, name, &nameoff)) {
        return NULL;
    }
    uint8_t *p = emit(w, TOK_PROP, 8 + pad4(len));
    if (!p) {
        return NULL;
    }
    put_be32(p, (uint32_t)len);
    put_be32(p + 4, nameoff);
    return p + 8;
}

void fdtw_begin_node(struct fdt_writer *w, const char *name)
{
    size_t n = strlen(name) + 1;
    if (w->depth == 0 && w->struct_len != 0) {
        w->error = true; /* DT spec 5.4.2: one root; a node at depth 0 after it is a second tree */
    }
    uint8_t *p = emit(w, TOK_BEGIN_NODE, pad4(n));
    if (p) {
        memcpy(p, name, n);
        w->depth++;
    }
}

void fdtw_end_node(struct fdt_writer *w)
{
    if (w->depth == 0) {
        w->error = true;
        return;
    }
    if (emit(w, TOK_END_NODE, 0)) {
        w->depth--;
    }
}

void fdtw_prop(struct fdt_writer *w, const char *name, const void *val, size_t len)
{
    uint8_t *p = prop_value(w, name, len);
    if (p && len) {
        memcpy(p, val, len);
    }
}

void fdtw_prop_empty(struct fdt_writer *w, const char *name)
{
    prop_value(w, name, 0);
}

void fdtw_prop_u32(struct fdt_writer *w, const char *name, uint32_t v)
{
    fdtw_prop_cells(w, name, &v, 1);
}

void fdtw_prop_u64(struct fdt_writer *w, const char *name, uint64_t v)
{
    const uint32_t cells[2] = { (uint32_t)(v >> 32), (uint32_t)v };
    fdtw_prop_cells(w, name, cells, 2);
}

void fdtw_prop_cells(struct fdt_writer *w, const char *name, const uint32_t *cells, size_t n)
{
    if (n > w->cap / 4) {
        w->error = true; /* cannot fit, and 4 * n might wrap */
        return;
    }
    uint8_t *p = prop_value(w, name, 4 * n);
    for (size_t i = 0; p && i < n; i++) {
        put_be32(p + 4 * i, cells[i]);
    }
}

void fdtw_prop_str(struct fdt_writer *w, const char *name, const char *s)
{
    fdtw_prop(w, name, s, strlen(s) + 1);
}

void fdtw_prop_strs(struct fdt_writer *w, const char *name, const char *const *list, size_t n)
{
    size_t len = 0;
    for (size_t i = 0; i < n && len <= w->cap; i++) {
        len += strlen(list[i]) + 1; /* stopping past cap keeps the sum from wrapping */
    }
    uint8_t *p = prop_value(w, name, len);
    for (size_t i = 0; p && i < n; i++) {
        size_t l = strlen(list[i]) + 1;
        memcpy(p, list[i], l);
        p += l;
    }
}

size_t fdtw_finish(struct fdt_writer *w)
{
    if (w->depth != 0 || w->struct_len == 0) {
        w->error = true; /* nodes left open, or no root at all */
    }
    emit(w, TOK_END, 0);
    size_t off_str = FDT_STRUCT_OFF + w->struct_len, total = off_str + w->strings_len;
    if (w->error || total > UINT32_MAX) {
        w->error = true;
        return 0;
    }
    memmove(w->buf + off_str, w->buf + w->cap - w->strings_len, w->strings_len);
    uint8_t *h = w->buf;
    put_be32(h + 0, FDT_MAGIC);
    put_be32(h + 4, (uint32_t)total);
    put_be32(h + 8, FDT_STRUCT_OFF);
    put_be32(h + 12, (uint32_t)off_str);
    put_be32(h + 16, FDT_HDR_SIZE); /* the reservation block, 8-aligned as spec 5.3 asks */
    put_be32(h + 20, 17); /* version 17, readable by version-16 readers */
    put_be32(h + 24, 16);
    put_be32(h + 28, 0); /* boot_cpuid_phys: the guest's boot hart is its vCPU 0 */
    put_be32(h + 32, (uint32_t)w->strings_len);
    put_be32(h + 36, (uint32_t)w->struct_len);
    memset(h + FDT_HDR_SIZE, 0, FDT_RSV_SIZE);
    return total;
}
