/* SPDX-License-Identifier: MIT */
/* The harness of test_shadow.c and test_shadow_fill.c: one VM's shadow over the fake guest RAM of
 * shadow_guest.h, its ops, and walk and fill helpers with short names for their results. */
#ifndef TESTS_SHADOW_FILL_ENV_H
#define TESTS_SHADOW_FILL_ENV_H

#include "shadow_guest.h"

/* The harness of the walk and fill tests (test_shadow.c, test_shadow_fill.c): one struct shadow,
 * with no table-protection record, over a guest with a device page and a hole. */
#include "check.h"

#define DEV 0x10000000ull   /* one emulated device page */
#define HOLE 0x20000000ull  /* neither RAM nor a device */

static uint64_t ram_size; /* how much of the buffer ops_ram admits */
static uint64_t hpa_skew; /* added to every hpa: makes host frames misaligned */
static uint64_t ro_lo, ro_hi; /* [ro_lo, ro_hi): frames that must stay read-only */
static uint64_t *frames;      /* 3 roots, then the pool */
static struct shadow sh;

static inline void *ops_ram(void *ctx, uint64_t gpa, uint64_t len)
{
    (void)ctx;
    bool in = gpa >= GBASE && gpa - GBASE <= ram_size && len <= ram_size - (gpa - GBASE);
    return in ? ram + (gpa - GBASE) : NULL;
}

static inline uint64_t ops_hpa(void *ctx, uint64_t gpa)
{
    (void)ctx;
    return (uint64_t)(uintptr_t)ram + (gpa - GBASE) + hpa_skew;
}

static inline bool ops_device(void *ctx, uint64_t gpa)
{
    (void)ctx;
    return gpa >= DEV && gpa < DEV + PAGE;
}

static inline bool ops_may_write(void *ctx, uint64_t gpa, uint64_t len)
{
    (void)ctx;
    return gpa + len <= ro_lo || gpa >= ro_hi;
}

/* Shadow table frames: their "physical" address is the host pointer. */
static inline uint64_t *ops_table(void *ctx, uint64_t pa)
{
    (void)ctx;
    return (uint64_t *)(uintptr_t)pa;
}

static inline void ops_drop_vm(void *ctx)
{
    (void)ctx; /* these cases run without the table-protection record (shadow.vm = NULL) */
}

static const struct shadow_ops ops = { ops_ram,   ops_hpa,     ops_device, ops_may_write,
                                       ops_table, ops_drop_vm, NULL };

static inline void setup(unsigned npool, uint64_t offset)
{
    fresh_memory(&frames, SHADOW_VIEWS + NPOOL);
    ram_size = RAM_SIZE;
    hpa_skew = 0;
    ro_lo = ro_hi = 0;
    off = offset;
    next_table = GBASE;
    memset(&env, 0, sizeof(env));
    env.offset = offset;
    env.root = gtable() + offset;
    uint64_t base = (uint64_t)(uintptr_t)frames;
    const uint64_t roots[SHADOW_VIEWS] = { base, base + PAGE, base + 2 * PAGE };
    shadow_init(&sh, &ops, roots, base + SHADOW_VIEWS * PAGE, npool, RESERVED_PTE, NULL);
}

#define hpa(gpa) ops_hpa(NULL, (gpa))
#define ROOT(view) ops_table(NULL, sh.root[view])

/* What the last walk or fill reported (test_shadow.c keeps the rest of a walk's report), and the
 * level of the last sh_leaf. */
static uint64_t out_gpa;
static unsigned sh_level;

/* The hardware's view of a shadow tree: the leaf for va (0 if none); its level in sh_level. */
static inline uint64_t sh_leaf(enum shadow_view view, uint64_t va)
{
    uint64_t *t = ops_table(NULL, sh.root[view]);
    for (int l = 2; l >= 0; l--) {
        uint64_t e = t[vpn(va, (unsigned)l)];
        if (!(e & V)) {
            return 0;
        }
        if (e & RWX) {
            sh_level = (unsigned)l;
            return e;
        }
        t = ops_table(NULL, (e >> 10) << 12);
    }
    return 0;
}

/* Every root still holds the hypervisor's entry in its slot. */
static inline bool reserved_intact(void)
{
    bool ok = true;
    for (int v = 0; v < SHADOW_VIEWS; v++) {
        ok &= ROOT(v)[SHADOW_RESERVED_SLOT] == RESERVED_PTE;
    }
    return ok;
}

static inline uint64_t leaf_pa(uint64_t e)
{
    return ((e >> 10) & ((1ull << 44) - 1)) << 12;
}

static inline enum shadow_result fill(enum shadow_view view, uint64_t va, enum shadow_access acc)
{
    return shadow_fill(&sh, &ops, &env, view, va, acc, &out_gpa);
}

#define OK SHADOW_OK
#define PF SHADOW_PAGE_FAULT
#define AF SHADOW_ACCESS_FAULT
#define WF SHADOW_WALK_FAULT
#define KER SHADOW_KERNEL
#define KSUM SHADOW_KERNEL_SUM
#define USR SHADOW_USER
#define LD SHADOW_LOAD
#define ST SHADOW_STORE
#define EX SHADOW_EXEC

#endif
