// SPDX-License-Identifier: MIT
// Shadow page tables: the software Sv39 walk (levels, permissions per view, SUM, MXR, A/D, faults),
// and that a fill maps what the walk allows and nothing it refuses.
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "check.h"
#include "shadow_fill_env.h"

/* What the last walk reported besides out_gpa. */
static uint64_t out_pte;
static unsigned out_level;

static enum shadow_result walk(enum shadow_view view, uint64_t va, enum shadow_access acc,
                               bool set_ad)
{
    return shadow_translate(&ops, &env, view, va, acc, set_ad, &out_gpa, &out_pte, &out_level,
                            NULL);
}

/* A walk that succeeds (setting A/D) and ends at gpa, at level. */
static void expect_walk(enum shadow_view view, uint64_t va, enum shadow_access acc, uint64_t gpa,
                        unsigned level)
{
    CHECK_EQ(walk(view, va, acc, true), SHADOW_OK);
    CHECK_EQ(out_gpa, gpa);
    CHECK_EQ(out_level, level);
}

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
