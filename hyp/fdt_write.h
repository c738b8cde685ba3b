/* SPDX-License-Identifier: MIT */
/* A flattened device tree writer: builds the device tree each VM is handed. */
#ifndef HYP_FDT_WRITE_H
#define HYP_FDT_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fdt_writer {
    uint8_t *buf;
    size_t cap;
    size_t struct_len;  /* bytes of structure block written so far */
    size_t strings_len; /* bytes of strings block written so far */
    unsigned depth;
    bool error;         /* overflow or misuse: fdtw_finish() then fails */
};

/* The blob is built in buf[0..cap); nothing is written past cap. */
void fdtw_init(struct fdt_writer *w, void *buf, size_t cap);
void fdtw_begin_node(struct fdt_writer *w, const char *name); /* "" for the root */
void fdtw_end_node(struct fdt_writer *w);
void fdtw_prop(struct fdt_writer *w, const char *name, const void *val, size_t len);
void fdtw_prop_empty(struct fdt_writer *w, const char *name);
void fdtw_prop_u32(struct fdt_writer *w, const char *name, uint32_t v);
void fdtw_prop_u64(struct fdt_writer *w, const char *name, uint64_t v); /* two cells */
void fdtw_prop_cells(struct fdt_writer *w, const char *name, const uint32_t *cells, size_t n);
void fdtw_prop_str(struct fdt_writer *w, const char *name, const char *s);
/* A string list, as compatible uses: the strings one after the other, each NUL-terminated. */
void fdtw_prop_strs(struct fdt_writer *w, const char *name, const char *const *list, size_t n);
/* Completes the blob (header, empty memory-reservation block, FDT_END) and returns its total size,
 * or 0 when anything failed: overflow, unbalanced nodes, a property outside a node. */
size_t fdtw_finish(struct fdt_writer *w);

#endif
