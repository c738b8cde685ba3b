/* SPDX-License-Identifier: MIT */
/* Device-tree reader: walks an untrusted flattened device tree (checked by fdt_blob.c) and extracts
 * the platform. */
#include "fdt.h"

#include <string.h>

/* Deeper nesting is refused: real trees use five or six levels; the walk keeps a slot per level. */
#define FDT_MAX_DEPTH 16

/* The properties the reader looks at, gathered for the node being walked. */
enum fdt_prop_id {
    P_ADDR_CELLS, P_SIZE_CELLS, P_REG, P_COMPAT, P_STATUS, P_DEVTYPE, P_ISA, P_MMU, P_TIMEBASE,
    P_NDEV, P_SHIFT, P_WIDTH, P_CLOCK, P_BOOTARGS, P_STDOUT, P_LSTDOUT, P_MODEL, P_INTERRUPTS,
    P_INITRD_START, P_INITRD_END, P_ISA_BASE, P_ISA_EXT, P_COUNT
};

static const char *const prop_names[P_COUNT] = {
    [P_ADDR_CELLS] = "#address-cells", [P_SIZE_CELLS] = "#size-cells", [P_REG] = "reg",
    [P_COMPAT] = "compatible", [P_STATUS] = "status", [P_DEVTYPE] = "device_type",
    [P_ISA] = "riscv,isa", [P_MMU] = "mmu-type", [P_TIMEBASE] = "timebase-frequency",
    [P_NDEV] = "riscv,ndev", [P_SHIFT] = "reg-shift", [P_WIDTH] = "reg-io-width",
    [P_CLOCK] = "clock-frequency", [P_BOOTARGS] = "bootargs", [P_STDOUT] = "stdout-path",
    [P_LSTDOUT] = "linux,stdout-path", [P_MODEL] = "model", [P_INTERRUPTS] = "interrupts",
    [P_INITRD_START] = "linux,initrd-start", [P_INITRD_END] = "linux,initrd-end",
    [P_ISA_BASE] = "riscv,isa-base", [P_ISA_EXT] = "riscv,isa-extensions",
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
    struct fdt_blob b;
    struct platform_info *out;
    struct fdt_level lv[FDT_MAX_DEPTH];
    struct fdt_prop props[P_COUNT];
    const char *want; /* /chosen stdout-path as found in the blob, without options */
    size_t want_len;
    bool resolving; /* second pass: only looking for the node named by want */
    uint64_t cpu_timebase; /* fallback when /cpus has no timebase-frequency */
};

static const char *const uart_compat[] = { "ns16550a", "ns16550", "sifive,uart0", NULL };
/* 16550s that boards name only by their IP block: the DesignWare APB UART of the JH7110 and the
 * EIC7700, the xscale-style UART of the SpacemiT K1. Tried after the generic names, so a node that
 * lists both reports the generic one. platform_uart_kind() (hyp/platform.c) knows every name of
 * both lists. */
static const char *const uart_compat_16550[] = { "snps,dw-apb-uart", "intel,xscale-uart",
                                                 "spacemit,k1-uart", NULL };
static const char *const plic_compat[] = { "riscv,plic0", "sifive,plic-1.0.0", NULL };
static const char *const clint_compat[] = { "riscv,clint0", "sifive,clint0", "riscv,aclint-mtimer",
                                            NULL };
static const char *const virtio_compat[] = { "virtio,mmio", NULL };
static const char *const finisher_compat[] = { "sifive,test1", "sifive,test0", NULL };

/* A number of at most two cells; callers have checked that the cells lie inside the blob. */
static uint64_t read_cells(const uint8_t *p, uint32_t n)
{
    return n == 0 ? 0 : n == 1 ? fdt_be32(p) : (uint64_t)fdt_be32(p) << 32 | fdt_be32(p + 4);
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
    return p->data && name_is((const char *)p->data, fdt_strnlen((const char *)p->data, p->len), lit);
}

static uint32_t prop_u32(const struct fdt_prop *p, uint32_t dflt)
{
    return p->data && p->len == 4 ? fdt_be32(p->data) : dflt;
}

/* A number of one or two cells (timebase-frequency, linux,initrd-*); other lengths read as 0. */
static uint64_t prop_num(const struct fdt_prop *p)
{
    return p->data && (p->len == 4 || p->len == 8) ? read_cells(p->data, p->len / 4) : 0;
}

static void copy_str(char *dst, size_t cap, const struct fdt_prop *p)
{
    const char *src = p->data ? (const char *)p->data : "";
    size_t n = fdt_strnlen(src, p->data ? p->len : 0);
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
        size_t n = fdt_strnlen(s, p->len - off);
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
        .base = dev.base,
        .size = dev.size,
        .irq = irq->data && irq->len >= 4 ? fdt_be32(irq->data) : 0,
    };
}

static void take_uart(struct fdt_walk *w, const struct fdt_level *up)
{
    struct fdt_uart u = { .dev.present = false };
    if (take_device(w, up, &u.dev, uart_compat) || take_device(w, up, &u.dev, uart_compat_16550)) {
        u.reg_shift = prop_u32(&w->props[P_SHIFT], 0);
        u.reg_io_width = prop_u32(&w->props[P_WIDTH], 1);
        u.clock = prop_u32(&w->props[P_CLOCK], 0);
        w->out->uart = u;
    }
}

/* Extension names are case-insensitive ("SSTC" is Sstc). */
static bool ext_is(const char *s, size_t n, const char *lit)
{
    size_t i = 0;
    while (i < n && lit[i] && to_lower(s[i]) == lit[i]) {
        i++;
    }
    return i == n && !lit[i];
}

/* RISC-V ISA manual, "ISA Extension Naming Conventions": single letters follow rv32/rv64, then
 * multi-letter extensions (starting with z, s or x) separated by underscores. */
static void parse_isa(const struct fdt_prop *p, struct fdt_hart *h)
{
    const char *s = (const char *)p->data;
    size_t n = p->data ? fdt_strnlen(s, p->len) : 0, i = 4;
    bool f = false, d = false;
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
        f |= c == 'f' || c == 'g'; /* G is IMAFD plus Zicsr and Zifencei */
        d |= c == 'd' || c == 'g';
    }
    h->has_fd = f && d;
    while (i < n) {
        size_t start = i;
        while (i < n && s[i] != '_') {
            i++;
        }
        h->has_sstc |= ext_is(s + start, i - start, "sstc");
        i += i < n; /* the underscore */
    }
}

/* Newer trees (the EIC7700's) give riscv,isa-base and riscv,isa-extensions, one string per
 * extension, and no riscv,isa. The flags come from the list itself; h->isa is rebuilt in the form
 * of riscv,isa (rv64, the single letters, then each longer name after an underscore), which is what
 * the log prints and what guests are told, and stops at the first name that does not fit. */
static void isa_from_list(const struct fdt_prop *base, const struct fdt_prop *list,
                          struct fdt_hart *h)
{
    /* The binding requires the base with the list; without it the hart is taken to be RV64, the
     * only kind this hypervisor runs on. "rv64i" gives "rv64": the I is in the list too. */
    bool have_base = base->data && fdt_strnlen((const char *)base->data, base->len) >= 4;
    size_t n = 4;
    bool f = false, d = false, full = false;
    memcpy(h->isa, have_base ? (const char *)base->data : "rv64", 4);
    for (int pass = 0; pass < 2; pass++) { /* single letters first, then the longer names */
        for (uint32_t off = 0; off < list->len;) {
            const char *s = (const char *)list->data + off;
            size_t k = fdt_strnlen(s, list->len - off);
            off += (uint32_t)k + 1;
            if (k == 0 || (k == 1) != (pass == 0)) {
                continue;
            }
            char c = to_lower(s[0]);
            h->has_h |= k == 1 && c == 'h';
            f |= k == 1 && c == 'f';
            d |= k == 1 && c == 'd';
            h->has_sstc |= ext_is(s, k, "sstc");
            full |= n + (k > 1) + k >= sizeof h->isa;
            if (!full) {
                if (k > 1) {
                    h->isa[n++] = '_';
                }
                memcpy(h->isa + n, s, k);
                n += k;
            }
        }
    }
    h->isa[n] = '\0';
    h->has_fd = f && d;
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
    copy_str(h->mmu, sizeof h->mmu, &p[P_MMU]);
    if (p[P_ISA].data || !p[P_ISA_EXT].data) {
        copy_str(h->isa, sizeof h->isa, &p[P_ISA]);
        parse_isa(&p[P_ISA], h); /* from the blob, not the copy, so truncation cannot hide "sstc" */
    } else {
        isa_from_list(&p[P_ISA_BASE], &p[P_ISA_EXT], h);
    }
    if (!w->cpu_timebase) {
        w->cpu_timebase = prop_num(&p[P_TIMEBASE]);
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
        /* The loader writes these with one or two cells (QEMU two, U-Boot as #address-cells). */
        uint64_t is = prop_num(&p[P_INITRD_START]), ie = prop_num(&p[P_INITRD_END]);
        if (ie > is) {
            out->initrd_start = is;
            out->initrd_end = ie;
        }
        w->want = (const char *)sp->data;
        w->want_len = 0;
        while (sp->data && w->want_len < sp->len && w->want[w->want_len] != '\0' &&
               w->want[w->want_len] != ':') {
            w->want_len++; /* "/soc/serial@10000000:115200n8": options are not part of the path */
        }
    } else if (lv->kind == K_CPUS) {
        out->timebase_freq = prop_num(&p[P_TIMEBASE]);
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
    if (!out->finisher.present) {
        take_device(w, up, &out->finisher, finisher_compat);
    }
    add_virtio(w, up);
}

/* DT spec 3.6 (/chosen): a stdout-path that does not start with '/' names an alias, a property of
 * /aliases whose value is the node's full path ("serial0:115200n8" on most boards). Points w->want
 * at that path, or clears it when there is no such alias (a relative path after the alias,
 * "serial0/child", is not followed). The block has been walked once already. */
static void resolve_alias(struct fdt_walk *w)
{
    const char *alias = w->want;
    size_t alias_len = w->want_len;
    uint32_t pos = 0;
    int depth = -1;
    bool in_aliases = false; /* only until its first child: properties come before children */
    struct fdt_token t;

    w->want_len = 0;
    while (fdt_next(&w->b, &pos, &t) == FDT_OK && t.kind != FDT_END) {
        if (t.kind == FDT_BEGIN) {
            depth++;
            in_aliases = depth == 1 && name_is(t.name, t.name_len, "aliases");
        } else if (t.kind == FDT_END_NODE) {
            depth--;
            in_aliases = false;
        } else if (t.kind == FDT_PROP && in_aliases && t.name_len == alias_len &&
                   memcmp(t.name, alias, alias_len) == 0) {
            w->want = (const char *)t.data;
            w->want_len = fdt_strnlen(w->want, t.len);
            return;
        }
    }
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
    uint32_t pos = 0;
    int depth = -1; /* index in lv[] of the innermost open node */
    bool root_seen = false;
    struct fdt_token t;
    int err;

    while ((err = fdt_next(&w->b, &pos, &t)) == FDT_OK) {
        if (t.kind == FDT_BEGIN && (depth >= 0 || !root_seen)) {
            if (depth + 1 >= FDT_MAX_DEPTH) {
                return FDT_ERR_TOODEEP;
            }
            if (depth >= 0 && !w->lv[depth].done) {
                finish_node(w, depth); /* children follow properties: the parent's are all in */
            }
            depth++;
            w->lv[depth] = (struct fdt_level){ .name = t.name, .name_len = (uint32_t)t.name_len,
                                               .kind = classify(depth, t.name, t.name_len) };
            memset(w->props, 0, sizeof w->props);
            root_seen = true;
        } else if (t.kind == FDT_END_NODE && depth >= 0) {
            if (!w->lv[depth].done) {
                finish_node(w, depth);
            }
            depth--;
        } else if (t.kind == FDT_PROP && depth >= 0) {
            /* A property after the node's first child breaks the spec's order: it is ignored. */
            for (int i = 0; i < P_COUNT && !w->lv[depth].done; i++) {
                if (strcmp(t.name, prop_names[i]) == 0) {
                    w->props[i] = (struct fdt_prop){ t.data, t.len };
                    break;
                }
            }
        } else if (t.kind == FDT_END) {
            return depth < 0 && root_seen ? FDT_OK : FDT_ERR_BADSTRUCT;
        } else {
            return FDT_ERR_BADSTRUCT; /* a second root, or a token outside the root */
        }
    }
    return err;
}

int fdt_parse(const void *blob, size_t avail, struct platform_info *out)
{
    struct fdt_walk w;
    int err;

    memset(out, 0, sizeof *out);
    memset(&w, 0, sizeof w);
    w.out = out;
    if ((err = fdt_open(blob, avail, FDT_MAX_SIZE, &w.b)) != FDT_OK ||
        (err = fdt_rsvmap(&w.b, out->reserved, FDT_MAX_RESERVED, &out->nreserved)) != FDT_OK) {
        return err;
    }
    if ((err = walk(&w)) != FDT_OK) {
        return err;
    }
    if (w.want_len && w.want[0] != '/') {
        resolve_alias(&w);
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
