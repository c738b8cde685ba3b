// SPDX-License-Identifier: MIT
// Fuzzes the device-tree writer (hyp/fdt_write.c) with a round trip: the input is a program of
// writer calls (nodes, properties of every kind, misuse included) into a buffer of a size the input
// picks. A model of the blob predicts whether fdtw_finish succeeds and the exact size it returns; a
// blob that was made is walked token by token against the calls, and the hypervisor's own reader
// (hyp/fdt.c) must accept it. ASan sees any write past the buffer.
#include <stdbool.h>
#include <string.h>

#include "fdt.h"
#include "fdt_write.h"
#include "fuzz.h"

#define MAX_EVENTS 256
#define NAME_MAX 24
#define VAL_MAX 96

enum ev_kind { EV_BEGIN, EV_END, EV_PROP };

struct event {
    enum ev_kind kind;
    char name[NAME_MAX];
    uint8_t val[VAL_MAX];
    size_t len;
};

/* What the writer should produce, computed independently of it. */
struct model {
    struct event ev[2 * MAX_EVENTS]; /* the calls, then the END_NODEs that close what is open */
    unsigned nev;
    size_t struct_len;
    char strings[2 * MAX_EVENTS * NAME_MAX];
    size_t strings_len;
    unsigned depth, max_depth;
    bool misuse;  /* a call the writer must refuse: fdtw_finish then fails */
    bool started; /* a root was opened */
};

/* Names the reader looks for, so some programs build trees it extracts things from. */
static const char *const dict[] = {
    "", "memory@80000000", "memory", "cpus", "cpu@0", "cpu@1", "chosen", "reserved-memory",
    "soc", "serial@10000000", "plic@c000000", "clint@2000000", "virtio_mmio@10008000",
    "reg", "compatible", "#address-cells", "#size-cells", "status", "device_type", "riscv,isa",
    "mmu-type", "timebase-frequency", "riscv,ndev", "bootargs", "stdout-path", "model",
    "interrupts", "okay", "disabled", "ns16550a", "riscv,plic0", "virtio,mmio", "cpu",
    "rv64imafdch_zicsr_sstc", "riscv,sv39", "/soc/serial@10000000", "cells", "size-cells",
};
#define NDICT (sizeof dict / sizeof dict[0])

static void take_name(struct fuzz_in *in, char *out)
{
    uint8_t b = fz_u8(in);
    if (b < 0xc0) {
        strcpy(out, dict[b % NDICT]);
        return;
    }
    unsigned n = b & 15;
    for (unsigned i = 0; i < n; i++) {
        uint8_t c = fz_u8(in);
        out[i] = (char)(c ? c : 'x'); /* a C string: no NUL inside */
    }
    out[n] = '\0';
}

static size_t pad4(size_t n)
{
    return (n + 3) & ~(size_t)3;
}

/* The strings block as the writer keeps it: a name that already occurs (with its NUL) anywhere in
 * the block is reused, as dtc does. */
static void model_string(struct model *m, const char *name)
{
    size_t n = strlen(name) + 1;
    for (size_t i = 0; i + n <= m->strings_len; i++) {
        if (memcmp(m->strings + i, name, n) == 0) {
            return;
        }
    }
    memcpy(m->strings + m->strings_len, name, n);
    m->strings_len += n;
}

static struct event *model_event(struct model *m, enum ev_kind kind, const char *name)
{
    struct event *e = &m->ev[m->nev++];
    e->kind = kind;
    strcpy(e->name, name);
    e->len = 0;
    return e;
}

static void model_begin(struct model *m, const char *name)
{
    if (m->depth == 0 && m->started) {
        m->misuse = true;
    }
    m->started = true;
    model_event(m, EV_BEGIN, name);
    m->struct_len += 4 + pad4(strlen(name) + 1);
    m->depth++;
    m->max_depth = m->depth > m->max_depth ? m->depth : m->max_depth;
}

static void model_end(struct model *m)
{
    if (m->depth == 0) {
        m->misuse = true;
        return;
    }
    model_event(m, EV_END, "");
    m->struct_len += 4;
    m->depth--;
}

static void model_prop(struct model *m, const char *name, const void *val, size_t len)
{
    if (m->depth == 0) {
        m->misuse = true;
        return;
    }
    struct event *e = model_event(m, EV_PROP, name);
    memcpy(e->val, val, len);
    e->len = len;
    m->struct_len += 12 + pad4(len);
    model_string(m, name);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Walks the blob the writer made (sizes already checked) and compares it with the events. */
static void check_blob(const uint8_t *blob, size_t total, const struct model *m)
{
    FUZZ_CHECK(be32(blob) == 0xd00dfeedu && be32(blob + 4) == total, "header");
    FUZZ_CHECK(fdt_total_size(blob) == total, "fdt_total_size");
    uint32_t off_st = be32(blob + 8), off_str = be32(blob + 12), size_str = be32(blob + 32);
    uint32_t size_st = be32(blob + 36);
    FUZZ_CHECK(off_st == 56 && be32(blob + 16) == 40 && be32(blob + 20) == 17, "layout");
    FUZZ_CHECK(size_st == m->struct_len + 4 && off_str == off_st + size_st &&
                   size_str == m->strings_len && off_str + size_str == total,
               "block sizes: struct %u strings %u", size_st, size_str);
    for (unsigned i = 0; i < 16; i++) {
        FUZZ_CHECK(blob[40 + i] == 0, "reservation block not empty");
    }
    const uint8_t *st = blob + off_st;
    const char *strs = (const char *)blob + off_str;
    size_t pos = 0;
    for (unsigned k = 0; k < m->nev; k++) {
        const struct event *e = &m->ev[k];
        uint32_t tok = be32(st + pos);
        pos += 4;
        if (e->kind == EV_BEGIN) {
            size_t n = strlen(e->name) + 1;
            FUZZ_CHECK(tok == 1 && memcmp(st + pos, e->name, n) == 0, "event %u: node %s", k,
                       e->name);
            for (size_t i = n; i < pad4(n); i++) {
                FUZZ_CHECK(st[pos + i] == 0, "event %u: padding", k);
            }
            pos += pad4(n);
        } else if (e->kind == EV_END) {
            FUZZ_CHECK(tok == 2, "event %u: end node, token %u", k, tok);
        } else {
            uint32_t len = be32(st + pos), nameoff = be32(st + pos + 4);
            pos += 8;
            FUZZ_CHECK(tok == 3 && len == e->len, "event %u: property %s", k, e->name);
            FUZZ_CHECK(nameoff < size_str && strlen(strs + nameoff) < size_str - nameoff &&
                           strcmp(strs + nameoff, e->name) == 0,
                       "event %u: property name %s", k, e->name);
            FUZZ_CHECK(memcmp(st + pos, e->val, len) == 0, "event %u: value of %s", k, e->name);
            for (size_t i = len; i < pad4(len); i++) {
                FUZZ_CHECK(st[pos + i] == 0, "event %u: padding", k);
            }
            pos += pad4(len);
        }
    }
    FUZZ_CHECK(be32(st + pos) == 9 && pos + 4 == size_st, "FDT_END");

    /* The reader takes every blob the writer makes; only nesting past its limit is refused, and a
     * tree without memory says so. */
    struct platform_info pi;
    int err = fdt_parse(blob, total, &pi);
    if (m->max_depth > 16) {
        FUZZ_CHECK(err == FDT_ERR_TOODEEP, "depth %u: %d", m->max_depth, err);
    } else {
        FUZZ_CHECK(err == FDT_OK || err == FDT_ERR_NOMEM, "reader refuses the blob: %d (%s)", err,
                   fdt_strerror(err));
    }
}

static struct model model;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = { data, size };
    struct model *m = &model;
    m->nev = 0;
    m->struct_len = m->strings_len = 0;
    m->depth = m->max_depth = 0;
    m->misuse = m->started = false;

    size_t cap = fz_u16(&in) % 6144;
    uint8_t *buf = malloc(cap ? cap : 1);
    memset(buf, 0xee, cap ? cap : 1);
    struct fdt_writer w;
    fdtw_init(&w, cap ? buf : NULL, cap);
    if (cap < 56) {
        m->misuse = true;
    }

    while (in.n > 0 && m->nev < MAX_EVENTS) {
        char name[NAME_MAX];
        uint8_t op = fz_u8(&in) % 9;
        switch (op) {
        case 0:
            take_name(&in, name);
            model_begin(m, name);
            fdtw_begin_node(&w, name);
            break;
        case 1:
            model_end(m);
            fdtw_end_node(&w);
            break;
        case 2: {
            uint8_t val[64];
            size_t len = fz_u8(&in) % 65;
            for (size_t i = 0; i < len; i++) {
                val[i] = fz_u8(&in);
            }
            take_name(&in, name);
            model_prop(m, name, val, len);
            fdtw_prop(&w, name, val, len);
            break;
        }
        case 3:
            take_name(&in, name);
            model_prop(m, name, "", 0);
            fdtw_prop_empty(&w, name);
            break;
        case 4: {
            uint32_t v = fz_u32(&in);
            uint8_t be[4];
            put_be32(be, v);
            take_name(&in, name);
            model_prop(m, name, be, 4);
            fdtw_prop_u32(&w, name, v);
            break;
        }
        case 5: {
            uint64_t v = fz_u64(&in);
            uint8_t be[8];
            put_be32(be, (uint32_t)(v >> 32));
            put_be32(be + 4, (uint32_t)v);
            take_name(&in, name);
            model_prop(m, name, be, 8);
            fdtw_prop_u64(&w, name, v);
            break;
        }
        case 6: {
            uint32_t cells[8];
            uint8_t be[32];
            size_t n = fz_u8(&in) % 9;
            for (size_t i = 0; i < n; i++) {
                cells[i] = fz_u32(&in);
                put_be32(be + 4 * i, cells[i]);
            }
            take_name(&in, name);
            model_prop(m, name, be, 4 * n);
            fdtw_prop_cells(&w, name, cells, n);
            break;
        }
        case 7: {
            char s[NAME_MAX];
            take_name(&in, s);
            take_name(&in, name);
            model_prop(m, name, s, strlen(s) + 1);
            fdtw_prop_str(&w, name, s);
            break;
        }
        default: {
            char s[4][NAME_MAX];
            const char *list[4];
            uint8_t val[4 * NAME_MAX];
            size_t n = fz_u8(&in) % 5, len = 0;
            for (size_t i = 0; i < n; i++) {
                take_name(&in, s[i]);
                list[i] = s[i];
                memcpy(val + len, s[i], strlen(s[i]) + 1);
                len += strlen(s[i]) + 1;
            }
            take_name(&in, name);
            model_prop(m, name, val, len);
            fdtw_prop_strs(&w, name, list, n);
            break;
        }
        }
    }
    /* Usually close what is open, so most programs are complete trees. */
    if (!(size & 1)) {
        while (m->depth > 0) {
            model_end(m);
            fdtw_end_node(&w);
        }
    }

    size_t want = 56 + m->struct_len + 4 + m->strings_len;
    bool ok = !m->misuse && m->started && m->depth == 0 && want <= cap;
    size_t total = fdtw_finish(&w);
    FUZZ_CHECK(total == (ok ? want : 0),
               "fdtw_finish %zu, model %zu (cap %zu, misuse %d, depth %u)",
               total,
               ok ? want : 0,
               cap,
               m->misuse,
               m->depth);
    if (total) {
        check_blob(buf, total, m);
    }
    free(buf);
    return 0;
}
