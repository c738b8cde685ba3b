/* SPDX-License-Identifier: MIT */
/* Device-tree reader: checks an untrusted flattened device tree and extracts the platform. */
#include "fdt.h"

#include <string.h>

/* Devicetree spec v0.4, chapter 5 (flattened format). */
#define FDT_MAGIC 0xd00dfeedu
enum { TOK_BEGIN_NODE = 1, TOK_END_NODE = 2, TOK_PROP = 3, TOK_NOP = 4, TOK_END = 9 };
#define FDT_HDR_SIZE 40u
#define FDT_RSV_ENTRY 16u
/* Deeper nesting is refused: real trees use five or six levels; the walk keeps a slot per level. */
#define FDT_MAX_DEPTH 16

/* The properties the reader looks at, gathered for the node being walked. */
enum fdt_prop_id {
    P_ADDR_CELLS, P_SIZE_CELLS, P_REG, P_COMPAT, P_STATUS, P_DEVTYPE, P_ISA, P_MMU, P_TIMEBASE,
    P_NDEV, P_SHIFT, P_WIDTH, P_CLOCK, P_BOOTARGS, P_STDOUT, P_LSTDOUT, P_MODEL, P_INTERRUPTS,
    P_COUNT
};

static const char *const prop_names[P_COUNT] = {
    [P_ADDR_CELLS] = "#address-cells", [P_SIZE_CELLS] = "#size-cells", [P_REG] = "reg",
    [P_COMPAT] = "compatible", [P_STATUS] = "status", [P_DEVTYPE] = "device_type",
    [P_ISA] = "riscv,isa", [P_MMU] = "mmu-type", [P_TIMEBASE] = "timebase-frequency",
    [P_NDEV] = "riscv,ndev", [P_SHIFT] = "reg-shift", [P_WIDTH] = "reg-io-width",
    [P_CLOCK] = "clock-frequency", [P_BOOTARGS] = "bootargs", [P_STDOUT] = "stdout-path",
    [P_LSTDOUT] = "linux,stdout-path", [P_MODEL] = "model", [P_INTERRUPTS] = "interrupts",
};

struct fdt_prop {
    const uint8_t *data; /* NULL when the node has no such property */
    uint32_t len;
};

enum fdt_kind { K_OTHER, K_ROOT, K_CPUS, K_CHOSEN, K_RESMEM };

struct fdt_level {
    const char *name;
    uint32_t name_len;
    uint32_t ac, sc; /* this node's #address-cells / #size-cells, which apply to its children */
    enum fdt_kind kind;
    bool done; /* properties already consumed (at the first child or at the end of the node) */
};

struct fdt_walk {
    /* The blob's geometry, checked by read_header to lie inside the totalsize bytes. */
    const uint8_t *base, *st;
    const char *str;
    uint32_t total, rsv_off, st_size, str_size;
    struct platform_info *out;
    struct fdt_level lv[FDT_MAX_DEPTH];
    struct fdt_prop props[P_COUNT];
    const char *want; /* /chosen stdout-path as found in the blob, without options */
    size_t want_len;
    bool resolving; /* second pass: only looking for the node named by want */
    uint64_t cpu_timebase; /* fallback when /cpus has no timebase-frequency */
};

static const char *const uart_compat[] = { "ns16550a", "ns16550", "sifive,uart0", NULL };
static const char *const plic_compat[] = { "riscv,plic0", "sifive,plic-1.0.0", NULL };
static const char *const clint_compat[] = { "riscv,clint0", "sifive,clint0", "riscv,aclint-mtimer",
                                            NULL };
static const char *const virtio_compat[] = { "virtio,mmio", NULL };

/* The blob is big-endian and may sit at any alignment, so every read goes byte by byte. */
static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* A number of at most two cells; callers have checked that the cells lie inside the blob. */
static uint64_t read_cells(const uint8_t *p, uint32_t n)
{
    return n == 0 ? 0 : n == 1 ? be32(p) : (uint64_t)be32(p) << 32 | be32(p + 4);
}

/* strnlen is POSIX, not C11: the host test build would not see it. */
static size_t str_len(const char *s, size_t max)
{
    size_t n = 0;
    while (n < max && s[n]) {
        n++;
    }
    return n;
}

static char to_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool name_is(const char *s, size_t n, const char *lit)
{
    return n == strlen(lit) && memcmp(s, lit, n) == 0;
}

/* A node name matches with or without its unit address: "memory" and "memory@80000000". */
static bool node_named(const struct fdt_level *lv, const char *lit)
{
    size_t l = strlen(lit);
    return lv->name_len >= l && memcmp(lv->name, lit, l) == 0 &&
           (lv->name_len == l || lv->name[l] == '@');
}

/* A property value is not trusted to carry its NUL: compare within its length only. */
static bool prop_is(const struct fdt_prop *p, const char *lit)
{
    return p->data && name_is((const char *)p->data, str_len((const char *)p->data, p->len), lit);
}

static uint32_t prop_u32(const struct fdt_prop *p, uint32_t dflt)
{
    return p->data && p->len == 4 ? be32(p->data) : dflt;
}

/* timebase-frequency may take one or two cells; any other length is ignored. */
static uint64_t timebase(const struct fdt_prop *p)
{
    return p->data && (p->len == 4 || p->len == 8) ? read_cells(p->data, p->len / 4) : 0;
}

static void copy_str(char *dst, size_t cap, const struct fdt_prop *p)
{
    const char *src = p->data ? (const char *)p->data : "";
    size_t n = str_len(src, p->data ? p->len : 0);
    n = n < cap ? n : cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* DT spec 2.3.4: an absent status means the device is usable. */
static bool status_okay(const struct fdt_prop *p)
{
    return !p->data || prop_is(p, "okay") || prop_is(p, "ok");
}

/* The first string of a compatible list that one of `want` names; data is NULL when none does. */
static struct fdt_prop compat_match(const struct fdt_prop *p, const char *const *want)
{
    for (uint32_t off = 0; p->data && off < p->len;) {
        const char *s = (const char *)p->data + off;
        size_t n = str_len(s, p->len - off);
        for (const char *const *w = want; *w; w++) {
            if (name_is(s, n, *w)) {
                return (struct fdt_prop){ p->data + off, (uint32_t)n };
            }
        }
        off += (uint32_t)n + 1;
    }
    return (struct fdt_prop){ NULL, 0 };
}

/* Number of (address, size) entries in a reg; 0 when the parent's cell counts are unsupported. */
static uint32_t reg_count(const struct fdt_prop *reg, const struct fdt_level *up)
{
    if (!reg->data || up->ac < 1 || up->ac > 2 || up->sc > 2) {
        return 0;
    }
    return reg->len / (4 * (up->ac + up->sc));
}

static struct fdt_region reg_at(const struct fdt_prop *reg, const struct fdt_level *up, uint32_t i)
{
    const uint8_t *q = reg->data + (size_t)i * 4 * (up->ac + up->sc);
    return (struct fdt_region){ read_cells(q, up->ac), read_cells(q + 4 * up->ac, up->sc) };
}

/* Regions beyond the array are dropped: the hypervisor runs with what fits rather than not at all.
 * Empty regions say nothing and are skipped. */
static void add_regions(const struct fdt_prop *reg, const struct fdt_level *up,
                        struct fdt_region *arr, unsigned *n, unsigned max)
{
    uint32_t count = reg_count(reg, up);
    for (uint32_t i = 0; i < count && *n < max; i++) {
        struct fdt_region r = reg_at(reg, up, i);
        if (r.size) {
            arr[(*n)++] = r;
        }
    }
}

static bool take_device(struct fdt_walk *w, const struct fdt_level *up, struct fdt_device *dev,
                        const char *const *compat)
{
    struct fdt_prop name = compat_match(&w->props[P_COMPAT], compat);
    if (!name.data || reg_count(&w->props[P_REG], up) == 0) {
        return false;
    }
    struct fdt_region r = reg_at(&w->props[P_REG], up, 0);
    *dev = (struct fdt_device){ .present = true, .base = r.base, .size = r.size };
    copy_str(dev->compatible, sizeof dev->compatible, &name);
    return true;
}

/* Slots beyond FDT_MAX_VIRTIO are dropped, like memory regions: the hypervisor uses what fits. */
static void add_virtio(struct fdt_walk *w, const struct fdt_level *up)
{
    struct platform_info *out = w->out;
    struct fdt_device dev;
    if (out->nvirtio == FDT_MAX_VIRTIO || !take_device(w, up, &dev, virtio_compat) || !dev.size) {
        return;
    }
    const struct fdt_prop *irq = &w->props[P_INTERRUPTS];
    out->virtio[out->nvirtio++] = (struct fdt_virtio){
        .base = dev.base, .size = dev.size, .irq = irq->data && irq->len >= 4 ? be32(irq->data) : 0
    };
}

static void take_uart(struct fdt_walk *w, const struct fdt_level *up)
{
    struct fdt_uart u = { .dev.present = false };
    if (take_device(w, up, &u.dev, uart_compat)) {
        u.reg_shift = prop_u32(&w->props[P_SHIFT], 0);
        u.reg_io_width = prop_u32(&w->props[P_WIDTH], 1);
        u.clock = prop_u32(&w->props[P_CLOCK], 0);
        w->out->uart = u;
    }
}

/* RISC-V ISA manual, "ISA Extension Naming Conventions": single letters follow rv32/rv64, then
 * multi-letter extensions (starting with z, s or x) separated by underscores. */
static void parse_isa(const struct fdt_prop *p, struct fdt_hart *h)
{
    const char *s = (const char *)p->data;
    size_t n = p->data ? str_len(s, p->len) : 0, i = 4;
    if (n < 4 || to_lower(s[0]) != 'r' || to_lower(s[1]) != 'v' ||
        !((s[2] == '3' && s[3] == '2') || (s[2] == '6' && s[3] == '4'))) {
        return;
    }
    for (; i < n && s[i] != '_'; i++) {
        char c = to_lower(s[i]);
        if (c == 'z' || c == 's' || c == 'x') {
            break; /* a multi-letter extension with no underscore before it: not single letters */
        }
        h->has_h |= c == 'h';
    }
    while (i < n) {
        size_t start = i;
        while (i < n && s[i] != '_') {
            i++;
        }
        if (i - start == 4 && to_lower(s[start]) == 's' && to_lower(s[start + 1]) == 's' &&
            to_lower(s[start + 2]) == 't' && to_lower(s[start + 3]) == 'c') {
            h->has_sstc = true;
        }
        i += i < n; /* the underscore */
    }
}

static void add_hart(struct fdt_walk *w, const struct fdt_level *up, bool okay)
{
    struct platform_info *out = w->out;
    const struct fdt_prop *p = w->props;
    uint64_t id = reg_count(&p[P_REG], up) ? reg_at(&p[P_REG], up, 0).base : UINT64_MAX;
    if (id > UINT32_MAX || out->nharts == FDT_MAX_HARTS) {
        return;
    }
    struct fdt_hart *h = &out->harts[out->nharts++];
    h->hartid = (uint32_t)id;
    h->enabled = okay;
    h->has_mmu = p[P_MMU].data && !prop_is(&p[P_MMU], "riscv,none");
    copy_str(h->isa, sizeof h->isa, &p[P_ISA]);
    copy_str(h->mmu, sizeof h->mmu, &p[P_MMU]);
    parse_isa(&p[P_ISA], h); /* from the blob, not the copy, so truncation cannot hide "sstc" */
    if (!w->cpu_timebase) {
        w->cpu_timebase = timebase(&p[P_TIMEBASE]);
    }
}

/* Whether the node at `depth` has the path w->want, compared component by component. */
static bool path_is(const struct fdt_walk *w, int depth)
{
    size_t pos = 0;
    for (const struct fdt_level *lv = &w->lv[1]; lv <= &w->lv[depth]; lv++) {
        if (w->want_len - pos < 1 + lv->name_len || w->want[pos] != '/' ||
            memcmp(w->want + pos + 1, lv->name, lv->name_len) != 0) {
            return false;
        }
        pos += 1 + lv->name_len;
    }
    return pos == w->want_len;
}

/* Consumes the gathered properties of the node at `depth`: once per node, in document order. */
static void finish_node(struct fdt_walk *w, int depth)
{
    struct fdt_level *lv = &w->lv[depth];
    const struct fdt_level *up = depth > 0 ? &w->lv[depth - 1] : NULL;
    const struct fdt_prop *p = w->props;
    struct platform_info *out = w->out;
    bool okay = status_okay(&p[P_STATUS]);

    lv->done = true;
    lv->ac = prop_u32(&p[P_ADDR_CELLS], 2); /* DT spec 2.3.5: defaults 2 and 1 */
    lv->sc = prop_u32(&p[P_SIZE_CELLS], 1);
    if (w->resolving) {
        if (up && okay && path_is(w, depth)) {
            take_uart(w, up);
        }
        return;
    }
    if (lv->kind == K_ROOT) {
        copy_str(out->model, sizeof out->model, &p[P_MODEL]);
    } else if (lv->kind == K_CHOSEN) {
        const struct fdt_prop *sp = p[P_STDOUT].data ? &p[P_STDOUT] : &p[P_LSTDOUT];
        copy_str(out->bootargs, sizeof out->bootargs, &p[P_BOOTARGS]);
        copy_str(out->stdout_path, sizeof out->stdout_path, sp);
        w->want = (const char *)sp->data;
        w->want_len = 0;
        while (sp->data && w->want_len < sp->len && w->want[w->want_len] != '\0' &&
               w->want[w->want_len] != ':') {
            w->want_len++; /* "/soc/serial@10000000:115200n8": options are not part of the path */
        }
    } else if (lv->kind == K_CPUS) {
        out->timebase_freq = timebase(&p[P_TIMEBASE]);
    }
    if (!up) {
        return;
    }
    if (up->kind == K_CPUS) {
        if (prop_is(&p[P_DEVTYPE], "cpu") || node_named(lv, "cpu")) {
            add_hart(w, up, okay);
        }
        return;
    }
    if (up->kind == K_RESMEM && okay) {
        add_regions(&p[P_REG], up, out->reserved, &out->nreserved, FDT_MAX_RESERVED);
    } else if (up->kind == K_ROOT && okay &&
               (prop_is(&p[P_DEVTYPE], "memory") || node_named(lv, "memory"))) {
        add_regions(&p[P_REG], up, out->mem, &out->nmem, FDT_MAX_MEM);
    }
    if (!okay) {
        return;
    }
    if (!out->uart.dev.present) {
        take_uart(w, up);
    }
    if (!out->plic.dev.present && take_device(w, up, &out->plic.dev, plic_compat)) {
        out->plic.ndev = prop_u32(&p[P_NDEV], 0);
    }
    if (!out->clint.present) {
        take_device(w, up, &out->clint, clint_compat);
    }
    add_virtio(w, up);
}

static enum fdt_kind classify(int depth, const char *name, size_t n)
{
    if (depth != 1) {
        return depth == 0 ? K_ROOT : K_OTHER;
    }
    return name_is(name, n, "cpus")              ? K_CPUS
           : name_is(name, n, "chosen")          ? K_CHOSEN
           : name_is(name, n, "reserved-memory") ? K_RESMEM
                                                 : K_OTHER;
}

/* One pass over the structure block. Every token advances pos by at least 4, so the walk ends. */
static int walk(struct fdt_walk *w)
{
    uint32_t pos = 0, end = w->st_size;
    int depth = -1; /* index in lv[] of the innermost open node */
    bool root_seen = false;

    while (pos <= end && end - pos >= 4) {
        uint32_t tok = be32(w->st + pos);
        pos += 4;
        if (tok == TOK_BEGIN_NODE && (depth >= 0 || !root_seen)) {
            const char *name = (const char *)w->st + pos;
            size_t n = str_len(name, end - pos);
            if (n == end - pos) {
                return FDT_ERR_BADSTRUCT; /* the name runs to the end of the block */
            }
            if (depth + 1 >= FDT_MAX_DEPTH) {
                return FDT_ERR_TOODEEP;
            }
            if (depth >= 0 && !w->lv[depth].done) {
                finish_node(w, depth); /* children follow properties: the parent's are all in */
            }
            depth++;
            w->lv[depth] = (struct fdt_level){ .name = name, .name_len = (uint32_t)n,
                                               .kind = classify(depth, name, n) };
            memset(w->props, 0, sizeof w->props);
            root_seen = true;
            pos = (pos + (uint32_t)n + 4) & ~3u; /* the name, its NUL, padding to 4 */
        } else if (tok == TOK_END_NODE && depth >= 0) {
            if (!w->lv[depth].done) {
                finish_node(w, depth);
            }
            depth--;
        } else if (tok == TOK_PROP && depth >= 0 && end - pos >= 8) {
            uint32_t len = be32(w->st + pos), nameoff = be32(w->st + pos + 4);
            pos += 8;
            if (len > end - pos || nameoff >= w->str_size ||
                str_len(w->str + nameoff, w->str_size - nameoff) == w->str_size - nameoff) {
                return FDT_ERR_BADPROP;
            }
            /* A property after the node's first child breaks the spec's order: it is ignored. */
            for (int i = 0; i < P_COUNT && !w->lv[depth].done; i++) {
                if (strcmp(w->str + nameoff, prop_names[i]) == 0) {
                    w->props[i] = (struct fdt_prop){ w->st + pos, len };
                    break;
                }
            }
            pos = (pos + len + 3) & ~3u;
        } else if (tok == TOK_END) {
            return depth < 0 && root_seen ? FDT_OK : FDT_ERR_BADSTRUCT;
        } else if (tok != TOK_NOP) {
            return FDT_ERR_BADSTRUCT; /* unknown token, second root, or a token outside the root */
        }
    }
    return FDT_ERR_BADSTRUCT; /* ran off the block without FDT_END */
}

static bool in_blob(uint32_t off, uint32_t size, uint32_t total)
{
    return off <= total && size <= total - off;
}

static int read_header(const uint8_t *p, size_t avail, struct fdt_walk *w)
{
    if (avail >= 4 && be32(p) != FDT_MAGIC) {
        return FDT_ERR_BADMAGIC;
    }
    if (avail < FDT_HDR_SIZE) {
        return FDT_ERR_TRUNCATED;
    }
    uint32_t off_st = be32(p + 8), off_str = be32(p + 12), version = be32(p + 20);
    if (version < 16 || be32(p + 24) > 17) {
        return FDT_ERR_BADVERSION; /* a last_comp_version above 17 means a layout we do not know */
    }
    w->base = p;
    w->total = be32(p + 4);
    w->rsv_off = be32(p + 16);
    w->str_size = be32(p + 32);
    /* Version 16 has no size_dt_struct: the block then runs to the end of the blob. */
    w->st_size = version >= 17 ? be32(p + 36) : off_st <= w->total ? w->total - off_st : 0;
    if (w->total > avail || w->total > FDT_MAX_SIZE || w->total < FDT_HDR_SIZE ||
        !in_blob(off_st, w->st_size, w->total) || !in_blob(off_str, w->str_size, w->total) ||
        !in_blob(w->rsv_off, FDT_RSV_ENTRY, w->total)) {
        return FDT_ERR_TRUNCATED;
    }
    w->st = p + off_st;
    w->str = (const char *)p + off_str;
    return FDT_OK;
}

/* The memory-reservation block: (address, size) pairs up to a 0,0 entry, bounded by totalsize. */
static int read_rsvmap(const struct fdt_walk *w, struct platform_info *out)
{
    for (uint32_t off = w->rsv_off;; off += FDT_RSV_ENTRY) {
        if (!in_blob(off, FDT_RSV_ENTRY, w->total)) {
            return FDT_ERR_TRUNCATED;
        }
        struct fdt_region r = { read_cells(w->base + off, 2), read_cells(w->base + off + 8, 2) };
        if (r.base == 0 && r.size == 0) {
            return FDT_OK;
        }
        if (r.size && out->nreserved < FDT_MAX_RESERVED) {
            out->reserved[out->nreserved++] = r;
        }
    }
}

int fdt_parse(const void *blob, size_t avail, struct platform_info *out)
{
    struct fdt_walk w;
    int err;

    if (!blob) {
        return FDT_ERR_TRUNCATED;
    }
    memset(out, 0, sizeof *out);
    memset(&w, 0, sizeof w);
    w.out = out;
    if ((err = read_header(blob, avail, &w)) != FDT_OK || (err = read_rsvmap(&w, out)) != FDT_OK) {
        return err;
    }
    if ((err = walk(&w)) != FDT_OK) {
        return err;
    }
    /* stdout-path may name a node that precedes /chosen, so it is resolved in a second pass. */
    if (w.want_len && w.want[0] == '/') {
        w.resolving = true;
        if ((err = walk(&w)) != FDT_OK) {
            return err;
        }
    }
    if (!out->timebase_freq) {
        out->timebase_freq = w.cpu_timebase;
    }
    return out->nmem ? FDT_OK : FDT_ERR_NOMEM;
}

uint32_t fdt_total_size(const void *blob)
{
    const uint8_t *p = blob;
    return p && be32(p) == FDT_MAGIC ? be32(p + 4) : 0;
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
