// SPDX-License-Identifier: MIT
// Shadow page tables: the software Sv39 walk (levels, permissions per view, SUM, MXR, A/D, faults)
// and the hypervisor trees it fills (flags, 2 MiB leaves, refusals, drops, pool exhaustion).
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "check.h"
#include "shadow_guest.h"

#define DEV 0x10000000ull   /* one emulated device page */
#define HOLE 0x20000000ull  /* neither RAM nor a device */

static uint64_t ram_size; /* how much of the buffer ops_ram admits */
static uint64_t hpa_skew; /* added to every hpa: makes host frames misaligned */
static uint64_t ro_lo, ro_hi; /* [ro_lo, ro_hi): frames that must stay read-only */
static uint64_t *frames;      /* 3 roots, then the pool */
static struct shadow sh;

static void *ops_ram(void *ctx, uint64_t gpa, uint64_t len)
{
    (void)ctx;
    bool in = gpa >= GBASE && gpa - GBASE <= ram_size && len <= ram_size - (gpa - GBASE);
    return in ? ram + (gpa - GBASE) : NULL;
}

static uint64_t ops_hpa(void *ctx, uint64_t gpa)
{
    (void)ctx;
    return (uint64_t)(uintptr_t)ram + (gpa - GBASE) + hpa_skew;
}

static bool ops_device(void *ctx, uint64_t gpa)
{
    (void)ctx;
    return gpa >= DEV && gpa < DEV + PAGE;
}

static bool ops_may_write(void *ctx, uint64_t gpa, uint64_t len)
{
    (void)ctx;
    return gpa + len <= ro_lo || gpa >= ro_hi;
}

/* Shadow table frames: their "physical" address is the host pointer. */
static uint64_t *ops_table(void *ctx, uint64_t pa)
{
    (void)ctx;
    return (uint64_t *)(uintptr_t)pa;
}

static void ops_drop_vm(void *ctx)
{
    (void)ctx; /* these cases run without the table-protection record (shadow.vm = NULL) */
}

static const struct shadow_ops ops = { ops_ram, ops_hpa, ops_device, ops_may_write, ops_table, ops_drop_vm,
                                       NULL };

static void setup(unsigned npool, uint64_t offset)
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

/* What the last walk or fill reported, and the level of the last sh_leaf. */
static uint64_t out_gpa, out_pte;
static unsigned out_level, sh_level;

/* The hardware's view of a shadow tree: the leaf for va (0 if none); its level in sh_level. */
static uint64_t sh_leaf(enum shadow_view view, uint64_t va)
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
static bool reserved_intact(void)
{
    bool ok = true;
    for (int v = 0; v < SHADOW_VIEWS; v++) {
        ok &= ROOT(v)[SHADOW_RESERVED_SLOT] == RESERVED_PTE;
    }
    return ok;
}

static uint64_t leaf_pa(uint64_t e)
{
    return ((e >> 10) & ((1ull << 44) - 1)) << 12;
}

static enum shadow_result walk(enum shadow_view view, uint64_t va, enum shadow_access acc,
                               bool set_ad)
{
    return shadow_translate(&ops, &env, view, va, acc, set_ad, &out_gpa, &out_pte, &out_level, NULL);
}

static enum shadow_result fill(enum shadow_view view, uint64_t va, enum shadow_access acc)
{
    return shadow_fill(&sh, &ops, &env, view, va, acc, &out_gpa);
}

/* A walk that succeeds (setting A/D) and ends at gpa, at level. */
static void expect_walk(enum shadow_view view, uint64_t va, enum shadow_access acc, uint64_t gpa,
                        unsigned level)
{
    CHECK_EQ(walk(view, va, acc, true), SHADOW_OK);
    CHECK_EQ(out_gpa, gpa);
    CHECK_EQ(out_level, level);
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

TEST(walks_end_at_every_level)
{
    for (uint64_t o = 0; o <= (1ull << 32); o += 1ull << 32) { /* plain, then machine addresses */
        setup(NPOOL, o);
        gmap(0x1000, 0, pte(DATA + 0x5000, V | R | A));
        gmap(0x40200000, 1, pte(DATA, V | R | A));
        gmap(0xc0000000, 2, pte(GBASE, V | R | A));
        gmap(0xffffffc000001000ull, 0, pte(DATA + 0x7000, V | R | A)); /* canonical upper half */
        CHECK_EQ(walk(KER, 0x1abc, LD, false), OK);
        CHECK_EQ(out_gpa, DATA + 0x5abc);
        CHECK_EQ(out_level, 0);
        CHECK_EQ(out_pte, pte(DATA + 0x5000, V | R | A));
        expect_walk(KER, 0x40312345, LD, DATA + 0x112345, 1);
        expect_walk(KER, 0xc1234567, LD, GBASE + 0x1234567, 2);
        expect_walk(KER, 0xffffffc000001008ull, LD, DATA + 0x7008, 0);
        /* Nothing mapped: an invalid entry at each level. */
        CHECK_EQ(walk(KER, 0x2000, LD, false), PF);
        CHECK_EQ(walk(KER, 0x40000000, LD, false), PF);
        CHECK_EQ(walk(KER, 0x100000000ull, LD, false), PF);
    }
}

struct perm_case {
    uint64_t flags; /* of the guest's leaf, besides V, A, D */
    enum shadow_view view;
    enum shadow_access acc;
    bool sum, mxr;
    enum shadow_result want;
};

/* Supervisor chapter, "Memory Privilege in sstatus" and the translation process, steps 6 and 8. */
static const struct perm_case perm_cases[] = {
    { R, KER, LD, 0, 0, OK },        { R, KER, ST, 0, 0, PF },     { R, KER, EX, 0, 0, PF },
    { R | W, KER, ST, 0, 0, OK },    { R | X, KER, EX, 0, 0, OK }, { X, KER, LD, 0, 0, PF },
    { X, KER, LD, 0, 1, OK },        { X, KER, EX, 0, 0, OK },     { X, KER, ST, 0, 1, PF },
    /* U pages from the kernel: only with SUM, and never executed. */
    { U | R, KER, LD, 0, 0, PF },    { U | RWX, KER, ST, 0, 0, PF },
    { U | RWX, KER, EX, 0, 0, PF },  { U | R, KSUM, LD, 1, 0, OK },
    { U | R | W, KSUM, ST, 1, 0, OK }, { U | RWX, KSUM, EX, 1, 0, PF },
    { U | X, KSUM, LD, 1, 1, OK },   { U | X, KSUM, LD, 1, 0, PF },
    { R | W, KSUM, ST, 1, 0, OK },   { RWX, KSUM, EX, 1, 0, OK },
    /* User mode: only U pages, SUM irrelevant, MXR applies. */
    { U | R, USR, LD, 0, 0, OK },    { R, USR, LD, 0, 0, PF },     { R, USR, LD, 1, 0, PF },
    { RWX, USR, EX, 0, 0, PF },      { U | X, USR, EX, 0, 0, OK }, { U | X, USR, LD, 0, 0, PF },
    { U | X, USR, LD, 0, 1, OK },    { U | R | W, USR, ST, 0, 0, OK },
    { U | R, USR, ST, 0, 0, PF },    { U | R | X, USR, ST, 1, 1, PF },
};

TEST(leaf_permissions_per_view)
{
    for (size_t i = 0; i < sizeof(perm_cases) / sizeof(perm_cases[0]); i++) {
        const struct perm_case *c = &perm_cases[i];
        setup(NPOOL, 0);
        env.sum = c->sum;
        env.mxr = c->mxr;
        gmap(0x1000, 0, pte(DATA, V | A | D | c->flags));
        enum shadow_result r = walk(c->view, 0x1010, c->acc, true);
        if (r != c->want) {
            fprintf(stderr, "perm case %zu: got %d\n", i, r);
        }
        CHECK_EQ(r, c->want);
        /* What the walk allows, the fill maps; what it refuses maps nothing. */
        CHECK_EQ(fill(c->view, 0x1010, c->acc), c->want);
        CHECK_EQ(sh.used, c->want == OK ? 2 : 0);
    }
}

TEST(accessed_and_dirty_bits)
{
    setup(NPOOL, 0);
    uint64_t *e = gmap(0x1000, 0, pte(DATA, V | R | W));
    CHECK_EQ(walk(KER, 0x1000, ST, false), OK); /* the hypervisor's own reads leave A and D */
    CHECK_EQ(*e, pte(DATA, V | R | W));
    CHECK_EQ(walk(KER, 0x1000, LD, true), OK); /* a load sets A only */
    CHECK_EQ(*e, pte(DATA, V | R | W | A));
    CHECK_EQ(out_pte, *e);
    CHECK_EQ(walk(KER, 0x1000, ST, true), OK); /* a store sets D */
    CHECK_EQ(*e, pte(DATA, V | R | W | A | D));
    /* A refused access sets nothing. */
    uint64_t *f = gmap(0x2000, 0, pte(DATA, V | R));
    CHECK_EQ(walk(KER, 0x2000, ST, true), PF);
    CHECK_EQ(walk(USR, 0x2000, LD, true), PF);
    CHECK_EQ(*f, pte(DATA, V | R));
    /* On a superpage, the leaf at its level is the one updated. */
    uint64_t *m = gmap(0x40200000, 1, pte(DATA, V | R | W));
    CHECK_EQ(walk(KER, 0x40201000, ST, true), OK);
    CHECK_EQ(*m, pte(DATA, V | R | W | A | D));
}

/* The pointer entry at level (1 or 2) on the way to va. */
static uint64_t *gpointer(uint64_t va, unsigned level)
{
    uint64_t *p = gptr(env.root - off) + vpn(va, 2);
    return level == 2 ? p : gptr(((*p >> 10) << 12) - off) + vpn(va, 1);
}

/* Encodings that fault at any level: V clear, W without R, bits 63:54 (N, PBMT, reserved: those
 * extensions are not offered); in a pointer also D, A and U, "reserved for future standard use"
 * (supervisor chapter, Sv32: step 3 of the translation process). */
TEST(reserved_encodings_fault)
{
    static const uint64_t leaf_bad[] = { R | W | A | D /* V clear */, V | W | A | D,
                                         V | W | X | A | D, V | W | X | U | A | D };
    for (size_t i = 0; i < sizeof(leaf_bad) / sizeof(leaf_bad[0]); i++) {
        for (unsigned level = 0; level < 3; level++) {
            setup(NPOOL, 0);
            gmap(3 * GIGA, level, pte(GBASE, leaf_bad[i]));
            CHECK_EQ(walk(KER, 3 * GIGA, LD, true), PF);
            CHECK_EQ(walk(USR, 3 * GIGA, EX, true), PF);
            CHECK_EQ(fill(KER, 3 * GIGA, ST), PF);
        }
    }
    for (unsigned bit = 54; bit < 64; bit++) {
        for (unsigned level = 0; level < 3; level++) {
            setup(NPOOL, 0);
            uint64_t *e = gmap(0x3000, level, pte(GBASE, V | RWX | D) | 1ull << bit);
            CHECK_EQ(walk(KER, 0x3000, LD, true), PF);
            CHECK_EQ(*e & A, 0); /* a faulting walk updates nothing */
        }
    }
    /* In a pointer: the high bits, and D, A, U and W without R. */
    for (unsigned i = 0; i < 15; i++) {
        static const uint64_t low_bad[] = { A, D, U, A | D, W };
        for (unsigned level = 1; level < 3; level++) {
            setup(NPOOL, 0);
            gmap(0x3000, 0, pte(DATA, V | R | U | A));
            CHECK_EQ(walk(USR, 0x3000, LD, true), OK);
            *gpointer(0x3000, level) |= i < 5 ? low_bad[i] : 1ull << (54 + i - 5);
            CHECK_EQ(walk(USR, 0x3000, LD, true), PF);
            CHECK_EQ(fill(USR, 0x3000, LD), PF);
        }
    }
    /* A pointer at level 0 has nowhere to go. G and the RSW bits are fine in a pointer. */
    setup(NPOOL, 0);
    uint64_t *e0 = gmap(0x3000, 0, pte(DATA, V));
    CHECK_EQ(walk(KER, 0x3000, LD, true), PF);
    *e0 = pte(DATA, V | R | A);
    *gpointer(0x3000, 2) |= G | 3ull << 8;
    *gpointer(0x3000, 1) |= G | 3ull << 8;
    CHECK_EQ(walk(KER, 0x3000, LD, true), OK);
}

TEST(misaligned_superpages_fault)
{
    setup(NPOOL, 0);
    gmap(0x40000000, 1, pte(DATA + PAGE, V | R | A));
    gmap(0x80000000, 2, pte(GBASE + MEGA, V | R | A));
    gmap(0xc0000000, 2, pte(GBASE + PAGE, V | R | A));
    CHECK_EQ(walk(KER, 0x40000000, LD, true), PF);
    CHECK_EQ(walk(KER, 0x80000000, LD, true), PF);
    CHECK_EQ(walk(KER, 0xc0000000, LD, true), PF);
    CHECK_EQ(fill(KER, 0x40000000, LD), PF);
}

TEST(non_canonical_addresses_fault)
{
    setup(NPOOL, 0);
    gmap(0, 2, pte(0, V | RWX | A | D)); /* slots 0 and 256 mapped */
    gmap(0xffffffc000000000ull, 2, pte(GBASE, V | RWX | A | D));
    static const uint64_t bad[] = { 1ull << 38, 1ull << 39, 1ull << 63, 0xffffffbfffffffffull,
                                    0x0000004000001000ull, 0xfffffe0000000000ull };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK_EQ(walk(KER, bad[i], LD, true), PF);
        CHECK_EQ(fill(KER, bad[i], LD), PF);
    }
    expect_walk(KER, 0xffffffc000000010ull, LD, GBASE + 0x10, 2);
    CHECK_EQ(walk(KER, 0x3fffffffffull, LD, true), PF); /* slot 255: empty */
}

TEST(walks_leaving_ram_are_walk_faults)
{
    setup(NPOOL, 0);
    env.root = HOLE; /* the root itself */
    CHECK_EQ(walk(KER, 0x1000, LD, true), WF);
    env.root = DEV; /* a device is no table either */
    CHECK_EQ(walk(KER, 0x1000, LD, true), WF);
    setup(NPOOL, 0);
    gptr(env.root)[0] = pte(HOLE, V); /* a level-1 table outside RAM */
    CHECK_EQ(walk(KER, 0x1000, LD, true), WF);
    setup(NPOOL, 0);
    gmap(0x1000, 1, pte(GBASE + RAM_SIZE, V)); /* a level-0 table just past RAM */
    CHECK_EQ(walk(KER, 0x1000, LD, true), WF);
    CHECK_EQ(fill(KER, 0x1000, LD), WF);
    CHECK_EQ(sh.used, 0);
    /* With an offset, tables name machine addresses: an untranslated one is outside RAM. */
    setup(NPOOL, 1ull << 32);
    gptr(env.root - off)[0] = (GBASE >> 12) << 10 | V;
    CHECK_EQ(walk(KER, 0x1000, LD, true), WF);
}

TEST(bare_mode_is_identity)
{
    setup(NPOOL, 0);
    env.bare = true;
    env.root = HOLE; /* never read */
    for (int view = 0; view < SHADOW_VIEWS; view++) {
        expect_walk((enum shadow_view)view, DATA + 0x123, EX, DATA + 0x123, 2);
    }
    /* Filled with 2 MiB leaves with every right. */
    CHECK_EQ(fill(USR, DATA + 0x123, ST), OK);
    uint64_t e = sh_leaf(USR, DATA + 0x1ff000);
    CHECK_EQ(sh_level, 1);
    CHECK_EQ(leaf_pa(e), hpa(DATA));
    CHECK_EQ(e & 0x3ff, V | RWX | U | A | D);
    shadow_drop_va(&sh, &ops, DATA + 2 * MEGA); /* Bare never goes stale: only that page drops */
    CHECK(sh_leaf(USR, DATA) != 0);
    CHECK_EQ(fill(KER, DEV + 8, LD), SHADOW_DEVICE);
    CHECK_EQ(out_gpa, DEV + 8);
    CHECK_EQ(fill(KER, HOLE, LD), AF);
    /* The hypervisor's slot, and addresses the hardware's Sv39 cannot hold. */
    CHECK_EQ(fill(KER, 0xffffffffc0001000ull, LD), SHADOW_RESERVED);
    CHECK_EQ(fill(KER, 0xffffffc000000000ull, LD), AF);
    CHECK_EQ(fill(KER, 1ull << 38, LD), SHADOW_RESERVED);
    CHECK(reserved_intact());
}

struct fill_case {
    uint64_t flags; /* of the guest's 4 KiB leaf, besides V and A */
    enum shadow_view view;
    enum shadow_access acc;
    bool sum, mxr;
    uint64_t want; /* R, W, X of the shadow leaf */
};

/* Every shadow leaf is U (the guest kernel runs in U-mode), A and D (never updated by hardware). */
static const struct fill_case fill_cases[] = {
    { RWX | D, KER, LD, 0, 0, RWX },
    { R | W, KER, LD, 0, 0, R },           /* no W before D: the first store comes back */
    { R | W, KER, ST, 0, 0, R | W },       /* which sets D */
    { R | X, KER, EX, 0, 0, R | X },       { X, KER, EX, 0, 0, X },
    { X, KER, LD, 0, 1, R | X },           /* MXR: readable */
    { X | U, USR, LD, 0, 1, R | X },
    { RWX | U | D, KSUM, LD, 1, 0, R | W }, /* the kernel never executes U pages */
    { R | X | U, KSUM, LD, 1, 1, R },      { RWX | U | D, USR, EX, 0, 0, RWX },
    { R | U, USR, LD, 0, 0, R },           { RWX | D | G, KSUM, EX, 1, 0, RWX },
};

TEST(fill_copies_the_guest_rights)
{
    for (size_t i = 0; i < sizeof(fill_cases) / sizeof(fill_cases[0]); i++) {
        const struct fill_case *c = &fill_cases[i];
        setup(NPOOL, 0);
        env.sum = c->sum;
        env.mxr = c->mxr;
        uint64_t *g = gmap(0x5000, 0, pte(DATA + 0x3000, V | A | c->flags));
        CHECK_EQ(fill(c->view, 0x5678, c->acc), OK);
        CHECK_EQ(out_gpa, DATA + 0x3678);
        uint64_t e = sh_leaf(c->view, 0x5000);
        if ((e & RWX) != c->want) {
            fprintf(stderr, "fill case %zu: 0x%llx\n", i, (unsigned long long)e);
        }
        CHECK_EQ(e & 0x3ff & ~RWX, V | U | A | D);
        CHECK_EQ(e & RWX, c->want);
        CHECK_EQ(leaf_pa(e), hpa(DATA + 0x3000));
        CHECK_EQ(sh_level, 0);
        CHECK_EQ(*g & D, (c->flags & D) || c->acc == ST ? D : 0); /* a load never sets D */
        CHECK_EQ(sh.used, 2);
        CHECK_EQ(sh.fills, 1);
        for (int v = 0; v < SHADOW_VIEWS; v++) { /* only the faulting view's tree is filled */
            CHECK(v == (int)c->view || sh_leaf((enum shadow_view)v, 0x5000) == 0);
        }
    }
}

TEST(fill_refusals)
{
    setup(NPOOL, 0);
    /* Frames that must stay read-only: a store is refused, a load maps without W. */
    ro_lo = DATA + 0x3000;
    ro_hi = DATA + 0x4000;
    gmap(0x5000, 0, pte(DATA + 0x3000, V | R | W | A | D));
    gmap(0x6000, 0, pte(DATA + 0x4000, V | R | W | A | D));
    CHECK_EQ(fill(KER, 0x5000, ST), SHADOW_WRITE_PROTECTED);
    CHECK_EQ(sh.used, 0);
    CHECK_EQ(sh_leaf(KER, 0x5000), 0);
    CHECK_EQ(fill(KER, 0x5000, LD), OK);
    CHECK_EQ(sh_leaf(KER, 0x5000) & RWX, R);
    CHECK_EQ(fill(KER, 0x6000, LD), OK);
    CHECK_EQ(sh_leaf(KER, 0x6000) & RWX, R | W);
    /* Devices are emulated, holes (and the frame past RAM) are access faults: nothing mapped. */
    setup(NPOOL, 0);
    gmap(0x5000, 0, pte(DEV, V | R | W | A | D));
    gmap(0x6000, 0, pte(HOLE, V | R | W | A | D));
    gmap(0x7000, 0, pte(GBASE + RAM_SIZE, V | R | A));
    CHECK_EQ(fill(KER, 0x5010, ST), SHADOW_DEVICE);
    CHECK_EQ(out_gpa, DEV + 0x10);
    CHECK_EQ(fill(KER, 0x6000, LD), AF);
    CHECK_EQ(fill(KER, 0x7000, LD), AF);
    CHECK_EQ(sh.used, 0);
    CHECK_EQ(sh.fills, 0);
    /* The guest mapping the hypervisor's root slot. */
    gmap(0xffffffffc0000000ull, 2, pte(GBASE, V | RWX | A | D));
    gmap(0xffffffff80000000ull, 2, pte(GBASE, V | RWX | A | D));
    CHECK_EQ(fill(KER, 0xffffffffc0001000ull, LD), SHADOW_RESERVED);
    CHECK_EQ(fill(KER, 0xffffffff80001000ull, LD), OK); /* slot 510 is the guest's */
    CHECK(reserved_intact());
}

/* A guest superpage becomes one 2 MiB shadow leaf when all of it is RAM, aligned alike, and (when
 * writable) none of it must stay read-only; otherwise 4 KiB pieces. */
static void expect_leaf(uint64_t va, unsigned level, uint64_t gpa, uint64_t rwx)
{
    uint64_t e = sh_leaf(KER, va);
    CHECK(e != 0);
    CHECK_EQ(sh_level, level);
    CHECK_EQ(leaf_pa(e), hpa(gpa));
    CHECK_EQ(e & RWX, rwx);
}

TEST(two_mib_leaves_only_when_allowed)
{
    setup(NPOOL, 0); /* a writable 2 MiB guest page: one level-1 leaf, one pool frame */
    gmap(0x40200000, 1, pte(DATA, V | RWX | A | D));
    CHECK_EQ(fill(KER, 0x40345678, ST), OK);
    expect_leaf(0x40200000, 1, DATA, RWX);
    CHECK_EQ(sh_leaf(KER, 0x40200000) & 0x3ff, V | RWX | U | A | D);
    CHECK_EQ(sh.used, 1);
    setup(NPOOL, 0); /* a 1 GiB guest page: the 2 MiB holding va; past RAM, nothing */
    gmap(0x80000000, 2, pte(GBASE, V | R | A));
    CHECK_EQ(fill(KER, 0x80000000 + 3 * MEGA + 5, LD), OK);
    expect_leaf(0x80000000 + 3 * MEGA, 1, GBASE + 3 * MEGA, R);
    CHECK_EQ(fill(KER, 0x80000000 + RAM_SIZE, LD), AF);
    setup(NPOOL, 0); /* host frames not 2 MiB aligned */
    hpa_skew = PAGE;
    gmap(0x40200000, 1, pte(DATA, V | RWX | A | D));
    CHECK_EQ(fill(KER, 0x40345678, LD), OK);
    expect_leaf(0x40345000, 0, DATA + 0x145000, RWX);
    setup(NPOOL, 0); /* the 2 MiB not all RAM: RAM ends 4 KiB into it */
    ram_size = RAM_SIZE - MEGA + PAGE;
    gmap(0x40200000, 1, pte(GBASE + RAM_SIZE - 2 * MEGA, V | R | A));
    gmap(0x40400000, 1, pte(GBASE + RAM_SIZE - MEGA, V | R | A));
    CHECK_EQ(fill(KER, 0x40200000, LD), OK);
    expect_leaf(0x40200000, 1, GBASE + RAM_SIZE - 2 * MEGA, R);
    CHECK_EQ(fill(KER, 0x40400000, LD), OK);
    expect_leaf(0x40400000, 0, GBASE + RAM_SIZE - MEGA, R);
    CHECK_EQ(fill(KER, 0x40401000, LD), AF);
    setup(NPOOL, PAGE); /* an offset that is not 2 MiB aligned: va and gpa not congruent */
    gmap(0x40200000, 1, pte(DATA - PAGE, V | R | A)); /* machine address DATA: aligned */
    CHECK_EQ(fill(KER, 0x40201000, LD), OK);
    CHECK_EQ(out_gpa, DATA);
    expect_leaf(0x40201000, 0, DATA, R);
    setup(NPOOL, 0); /* writable over a read-only frame: 4 KiB, writable but that frame */
    ro_lo = DATA + 0x10000;
    ro_hi = DATA + 0x11000;
    gmap(0x40200000, 1, pte(DATA, V | R | W | A | D));
    CHECK_EQ(fill(KER, 0x40200000, ST), OK);
    expect_leaf(0x40200000, 0, DATA, R | W);
    CHECK_EQ(fill(KER, 0x40210000, ST), SHADOW_WRITE_PROTECTED);
    CHECK_EQ(fill(KER, 0x40210000, LD), OK);
    expect_leaf(0x40210000, 0, DATA + 0x10000, R);
    gmap(0x40400000, 1, pte(DATA, V | R | W | A)); /* clean, so read-only: still 2 MiB */
    CHECK_EQ(fill(KER, 0x40400000, LD), OK);
    expect_leaf(0x40400000, 1, DATA, R);
}

TEST(offset_tables_name_machine_addresses)
{
    setup(NPOOL, 1ull << 32);
    uint64_t *g = gmap(0x7000, 0, pte(DATA + 0x9000, V | R | W));
    CHECK_EQ(*g >> 10 << 12, DATA + 0x9000 + (1ull << 32));
    CHECK_EQ(fill(USR, 0x7abc, LD), PF); /* not U */
    CHECK_EQ(fill(KER, 0x7abc, ST), OK);
    CHECK_EQ(out_gpa, DATA + 0x9abc);
    CHECK_EQ(*g, pte(DATA + 0x9000, V | R | W | A | D));
    expect_leaf(0x7000, 0, DATA + 0x9000, R | W);
    gmap(0x40000000, 2, pte(GBASE, V | R | A)); /* a 1 GiB leaf: the offset comes off once */
    CHECK_EQ(fill(KER, 0x40000000 + MEGA + 4, LD), OK);
    CHECK_EQ(out_gpa, GBASE + MEGA + 4);
}

/* 4 KiB pages 0x1000 and 0x2000 and a 2 MiB page at 0x40200000, filled in every view. */
static void map_three_views(void)
{
    gmap(0x1000, 0, pte(DATA, V | U | RWX | A | D));
    gmap(0x2000, 0, pte(DATA + PAGE, V | U | RWX | A | D));
    gmap(0x40200000, 1, pte(DATA, V | U | R | A | D));
    env.sum = true;
    for (enum shadow_view v = KSUM; v <= USR; v++) {
        CHECK_EQ(fill(v, 0x1000, LD) | fill(v, 0x2000, LD) | fill(v, 0x40200000, LD), OK);
    }
    /* The plain kernel view reaches no U page: its own, non-U, pages. */
    gmap(0x1000, 0, pte(DATA, V | RWX | A | D));
    gmap(0x2000, 0, pte(DATA + PAGE, V | RWX | A | D));
    env.sum = false;
    CHECK_EQ(fill(KER, 0x1000, LD) | fill(KER, 0x2000, LD), OK);
}

TEST(drop_va_forgets_one_page_in_every_view)
{
    setup(NPOOL, 0);
    map_three_views();
    unsigned used = sh.used;
    shadow_drop_va(&sh, &ops, 0x1234);
    for (int v = 0; v < SHADOW_VIEWS; v++) {
        CHECK_EQ(sh_leaf((enum shadow_view)v, 0x1000), 0);
        CHECK(sh_leaf((enum shadow_view)v, 0x2000) != 0);
    }
    CHECK(reserved_intact());
    CHECK(sh_leaf(USR, 0x40200000) != 0);
    shadow_drop_va(&sh, &ops, 0x40234000); /* a 2 MiB shadow leaf goes whole */
    CHECK_EQ(sh_leaf(USR, 0x40200000) | sh_leaf(KSUM, 0x40200000), 0);
    CHECK(sh_leaf(USR, 0x2000) != 0);
    CHECK_EQ(sh.used, used); /* frames come back only with drop_all */
    /* Unmapped, non-canonical, or the hypervisor's own slot: nothing happens. */
    static uint8_t before[SHADOW_VIEWS * PAGE]; /* the roots are the first frames */
    memcpy(before, frames, sizeof(before));
    static const uint64_t vas[] = { 0x7000000000ull, 1ull << 38, 0xffffffffc0000000ull, 0x5000 };
    for (size_t i = 0; i < sizeof(vas) / sizeof(vas[0]); i++) {
        shadow_drop_va(&sh, &ops, vas[i]);
    }
    CHECK(memcmp(before, frames, sizeof(before)) == 0);
    CHECK(sh_leaf(KER, 0x2000) != 0);
}

/* sfence.vma of one address in a guest superpage invalidates every cached translation made from
 * its leaf (supervisor chapter, "SFENCE.VMA"), so all of its 4 KiB and 2 MiB pieces must go. */
TEST(drop_va_forgets_every_piece_of_a_superpage)
{
    setup(NPOOL, 0);
    ro_lo = DATA + 0x10000; /* forces 4 KiB pieces of writable superpages over it */
    ro_hi = DATA + 0x11000;
    gmap(0x40200000, 1, pte(DATA, V | R | W | A | D));
    gmap(0x40000000, 0, pte(DATA, V | R | W | A | D)); /* a 4 KiB page in the 2 MiB before */
    gmap(0x80000000, 2, pte(GBASE, V | R | W | A | D));
    CHECK_EQ(fill(KER, 0x40200000, ST) | fill(KER, 0x40201000, ST), OK);
    CHECK_EQ(fill(KER, 0x40000000, ST), OK);
    CHECK_EQ(fill(KER, 0x80000000 + 2 * MEGA, LD) | fill(KER, 0x80000000 + 3 * MEGA, LD), OK);
    CHECK_EQ(fill(KER, 0x80000000 + MEGA, ST), OK); /* over the read-only frame: 4 KiB */
    expect_leaf(0x80000000 + 2 * MEGA, 1, GBASE + 2 * MEGA, R | W);
    expect_leaf(0x80000000 + MEGA, 0, DATA, R | W);
    /* The guest moves its 2 MiB page and fences one address in it. */
    gmap(0x40200000, 1, pte(DATA + MEGA, V | R | A));
    shadow_drop_va(&sh, &ops, 0x40200000);
    CHECK_EQ(sh_leaf(KER, 0x40200000) | sh_leaf(KER, 0x40201000), 0);
    CHECK(sh_leaf(KER, 0x40000000) != 0);
    CHECK(sh_leaf(KER, 0x80000000 + MEGA) != 0);
    /* And its 1 GiB page, by an address in a 2 MiB of it that was never filled. */
    shadow_drop_va(&sh, &ops, 0x80000000 + 5 * MEGA);
    CHECK_EQ(sh_leaf(KER, 0x80000000 + MEGA) | sh_leaf(KER, 0x80000000 + 2 * MEGA), 0);
    CHECK_EQ(sh_leaf(KER, 0x80000000 + 3 * MEGA), 0);
    CHECK(sh_leaf(KER, 0x40000000) != 0);
    CHECK(reserved_intact());
}

TEST(init_and_drop_all_keep_the_reserved_slot)
{
    setup(NPOOL, 0);
    CHECK_EQ(sh.npool, NPOOL);
    CHECK_EQ(sh.used + sh.fills + sh.drops, 0);
    CHECK(reserved_intact());
    map_three_views();
    CHECK(sh.used > 0);
    shadow_drop_all(&sh, &ops);
    for (int v = 0; v < SHADOW_VIEWS; v++) {
        for (unsigned k = 0; k < SHADOW_RESERVED_SLOT; k++) {
            CHECK_EQ(ROOT(v)[k], 0);
        }
        CHECK_EQ(ROOT(v)[SHADOW_RESERVED_SLOT], RESERVED_PTE);
    }
    CHECK_EQ(sh.used, 0);
    CHECK_EQ(sh.drops, 1);
    /* Fills start over from the first pool frame, zeroed again. */
    memset(ops_table(NULL, sh.pool), 0xff, PAGE);
    CHECK_EQ(fill(KER, 0x1000, LD), OK);
    CHECK_EQ(sh.used, 2);
    CHECK_EQ(sh_leaf(KER, 0x2000), 0);
    CHECK(sh_leaf(KER, 0x1000) != 0);
}

TEST(pool_exhaustion_drops_everything_and_succeeds)
{
    setup(4, 0);
    for (uint64_t g = 0; g < 3; g++) {
        gmap(g * GIGA + 0x1000, 0, pte(DATA + g * PAGE, V | R | A));
    }
    CHECK_EQ(fill(KER, 0x1000, LD), OK);
    CHECK_EQ(fill(KER, 0x1000, LD), OK); /* refilled in place: no new frames */
    CHECK_EQ(sh.used, 2);
    CHECK_EQ(fill(KER, GIGA + 0x1000, LD), OK);
    CHECK_EQ(sh.used, 4);
    CHECK_EQ(sh.drops, 0);
    CHECK_EQ(fill(KER, 2 * GIGA + 0x1000, LD), OK);
    CHECK_EQ(sh.drops, 1);
    CHECK_EQ(sh.used, 2);
    CHECK_EQ(sh.fills, 4);
    CHECK_EQ(sh_leaf(KER, 0x1000) | sh_leaf(KER, GIGA + 0x1000), 0);
    expect_leaf(2 * GIGA + 0x1000, 0, DATA + 2 * PAGE, R);
    CHECK(reserved_intact());
    setup(3, 0); /* one frame left is not enough for two tables: drop, no overrun */
    gmap(0x1000, 0, pte(DATA, V | R | A));
    gmap(GIGA + 0x1000, 0, pte(DATA, V | R | A));
    CHECK_EQ(fill(KER, 0x1000, LD) | fill(KER, GIGA + 0x1000, LD), OK);
    CHECK_EQ(sh.used, 2);
    CHECK_EQ(sh.drops, 1);
}
