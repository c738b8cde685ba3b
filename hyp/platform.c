/* SPDX-License-Identifier: MIT */
/* Board policy: which harts to take, which engine to run, how to reach the console UART. */
#include "platform.h"

#include <string.h>

/* Register indexes of a 16550 the driver touches; LSR is the highest. */
#define NS_LSR 5u
/* The SiFive UART's registers the driver touches end with rxctrl (FU540 manual, UART chapter). */
#define SF_REGS_END 0x10u

/* Every compatible string fdt.c accepts for a UART, and the driver that runs it. The
 * DesignWare, xscale and K1 names are 16550s wired with reg-shift and reg-io-width. */
static const struct {
    const char *compatible;
    enum platform_uart_kind kind;
} uart_kinds[] = {
    { "ns16550a", PLATFORM_UART_NS16550 },
    { "ns16550", PLATFORM_UART_NS16550 },
    { "snps,dw-apb-uart", PLATFORM_UART_NS16550 },  /* StarFive JH7110, ESWIN EIC7700 */
    { "intel,xscale-uart", PLATFORM_UART_NS16550 }, /* SpacemiT K1 */
    { "spacemit,k1-uart", PLATFORM_UART_NS16550 },
    { "sifive,uart0", PLATFORM_UART_SIFIVE },
};

enum platform_uart_kind platform_uart_kind(const char *compatible)
{
    for (size_t i = 0; i < sizeof uart_kinds / sizeof uart_kinds[0]; i++) {
        if (strcmp(compatible, uart_kinds[i].compatible) == 0) {
            return uart_kinds[i].kind;
        }
    }
    return PLATFORM_UART_NONE;
}

/* A 16550's registers sit 1 << reg-shift bytes apart and are read reg-io-width bytes at a time.
 * Accesses must be aligned and stay inside the node's reg; real wirings space registers 1, 4 or
 * 8 bytes apart, so a larger shift is taken for a broken tree. */
static bool ns16550_layout_ok(const struct fdt_uart *u, uint32_t stride, uint32_t width)
{
    return u->reg_shift <= 4 && (width == 1 || width == 2 || width == 4) && width <= stride &&
           u->dev.base % width == 0 && (!u->dev.size || NS_LSR * stride + width <= u->dev.size);
}

void platform_uart_choose(const struct fdt_uart *u, struct platform_uart *out)
{
    *out = (struct platform_uart){ .kind = PLATFORM_UART_NONE };
    if (!u->dev.present) {
        return;
    }
    enum platform_uart_kind kind = platform_uart_kind(u->dev.compatible);
    if (kind == PLATFORM_UART_NS16550) {
        uint32_t stride = u->reg_shift < 32 ? 1u << u->reg_shift : 0;
        if (ns16550_layout_ok(u, stride, u->reg_io_width)) {
            *out = (struct platform_uart){ kind, u->dev.base, stride, u->reg_io_width };
        }
    } else if (kind == PLATFORM_UART_SIFIVE) {
        /* Fixed 32-bit registers: reg-shift and reg-io-width do not apply. */
        if (u->dev.base % 4 == 0 && (!u->dev.size || u->dev.size >= SF_REGS_END)) {
            *out = (struct platform_uart){ kind, u->dev.base, 4, 4 };
        }
    }
}

/* Why a hart is left alone, or NULL when the hypervisor can run guests on it. A hart without F and
 * D is a monitor core (the HiFive Unleashed's E51, the VisionFive 2's S7), made to run firmware,
 * not the RV64GC kernels guests are. */
static const char *hart_refusal(const struct fdt_hart *h)
{
    if (!h->enabled) {
        return "disabled in the device tree";
    }
    if (!h->has_mmu) {
        return "no MMU (mmu-type absent or riscv,none)";
    }
    if (!h->has_fd) {
        return "no F and D: a monitor core";
    }
    return NULL;
}

void platform_choose(const struct platform_info *p, unsigned long boot_hartid, bool force_trap,
                     struct platform_choice *out)
{
    bool all_h = true, any_h = false, all_sstc = true, any_sstc = false;
    const struct platform_hart *boot = NULL;

    memset(out, 0, sizeof *out);
    out->nharts = p->nharts < FDT_MAX_HARTS ? p->nharts : FDT_MAX_HARTS;
    for (unsigned i = 0; i < out->nharts; i++) {
        const struct fdt_hart *h = &p->harts[i];
        struct platform_hart *c = &out->harts[i];
        c->hartid = h->hartid;
        c->why = hart_refusal(h);
        c->usable = c->why == NULL;
        if (h->hartid == boot_hartid) {
            boot = c;
        }
        if (!c->usable) {
            continue;
        }
        out->nusable++;
        all_h &= h->has_h;
        any_h |= h->has_h;
        all_sstc &= h->has_sstc;
        any_sstc |= h->has_sstc;
    }
    /* Guests may move between harts, so what they are given is what every usable hart has. */
    out->common_subset = all_h != any_h || all_sstc != any_sstc;
    out->sstc = out->nusable > 0 && all_sstc;

    if (!boot) {
        out->engine = PLATFORM_ENGINE_NONE;
        out->problem = "the boot hart is not in the device tree";
    } else if (!boot->usable) {
        out->engine = PLATFORM_ENGINE_NONE;
        out->problem = boot->why;
    } else if (force_trap) {
        out->engine = PLATFORM_ENGINE_TRAP;
        out->engine_why = "forced by hyp.engine=trap";
    } else if (all_h) {
        out->engine = PLATFORM_ENGINE_HEXT;
        out->engine_why = "H extension on every usable hart";
    } else {
        out->engine = PLATFORM_ENGINE_TRAP;
        out->engine_why = any_h ? "not every usable hart has the H extension" : "no H extension";
    }

    platform_uart_choose(&p->uart, &out->uart);
    out->nram = p->nmem < FDT_MAX_MEM ? p->nmem : FDT_MAX_MEM;
    memcpy(out->ram, p->mem, out->nram * sizeof out->ram[0]);
}

const char *platform_engine_name(enum platform_engine e)
{
    return e == PLATFORM_ENGINE_HEXT ? "hext" : e == PLATFORM_ENGINE_TRAP ? "trap" : "none";
}

const char *platform_uart_kind_name(enum platform_uart_kind k)
{
    return k == PLATFORM_UART_NS16550 ? "ns16550" : k == PLATFORM_UART_SIFIVE ? "sifive" : "none";
}

/* Multi-letter extensions guests never get, and those only the trap engine withholds. A prefix
 * ending in '*' matches a family (zve32x, zvfh, ...). */
static const char *const isa_never[] = { "zv*",     "zihpm",  "sscofpmf", "smaia",     "ssaia",
                                         "svpbmt",  "zicbom", "zicboz",   "zkr",       "smstateen",
                                         "ssstateen", NULL };
static const char *const isa_not_trap[] = { "sstc", "svnapot", "svinval", NULL };

static bool ext_in(const char *ext, size_t n, const char *const *list)
{
    for (const char *const *l = list; *l; l++) {
        size_t k = strlen(*l);
        bool family = (*l)[k - 1] == '*';
        if (family ? n >= k - 1 && strncmp(ext, *l, k - 1) == 0 : n == k && strncmp(ext, *l, k) == 0) {
            return true;
        }
    }
    return false;
}

void platform_guest_isa(const char *isa, bool trap, char *out, size_t cap)
{
    size_t o = 0, i = 0, n = strlen(isa);

    if (cap == 0) {
        return;
    }
    /* "rv64" and the single letters, up to the first '_' or multi-letter extension (ISA manual,
     * "ISA Extension Naming Conventions"). */
    for (; i < n && isa[i] != '_' && !(i >= 4 && (isa[i] == 'z' || isa[i] == 's' || isa[i] == 'x'));
         i++) {
        bool drop = i >= 4 && (isa[i] == 'h' || isa[i] == 'v');
        if (!drop && o + 1 < cap) {
            out[o++] = isa[i];
        }
    }
    while (i < n) {
        i += isa[i] == '_';
        size_t start = i;
        while (i < n && isa[i] != '_') {
            i++;
        }
        size_t len = i - start;
        bool drop = len == 0 || ext_in(&isa[start], len, isa_never) ||
                    (trap && ext_in(&isa[start], len, isa_not_trap));
        if (!drop && o + 1 + len < cap) {
            out[o++] = '_';
            memcpy(&out[o], &isa[start], len);
            o += len;
        }
    }
    out[o] = '\0';
}

bool platform_parse_harts(const char *s, uint64_t *mask)
{
    uint64_t m = 0;

    if (!*s) {
        return false;
    }
    while (*s) {
        unsigned long lo = 0, hi;
        if (*s < '0' || *s > '9') {
            return false;
        }
        while (*s >= '0' && *s <= '9' && lo < 64) {
            lo = lo * 10 + (unsigned long)(*s++ - '0');
        }
        hi = lo;
        if (*s == '-') {
            s++;
            if (*s < '0' || *s > '9') {
                return false;
            }
            hi = 0;
            while (*s >= '0' && *s <= '9' && hi < 64) {
                hi = hi * 10 + (unsigned long)(*s++ - '0');
            }
        }
        if (lo >= 64 || hi >= 64 || hi < lo || (*s && *s != ',')) {
            return false;
        }
        for (unsigned long h = lo; h <= hi; h++) {
            m |= 1ull << h;
        }
        if (*s == ',' && !*++s) {
            return false; /* a trailing comma: a hart id is missing */
        }
    }
    *mask = m;
    return true;
}
