// SPDX-License-Identifier: MIT
// Shadow page tables: the hypervisor trees a fill makes from the guest's (flags, 2 MiB leaves,
// refusals), the drop of one address or of everything, and pool exhaustion.
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "check.h"
#include "shadow_fill_env.h"

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
    /* Unmapped, non-canonical, or the hypervisor's own slot: nothing happens. The two non-canonical
     * addresses would land, with their upper bits ignored, on the first pages of root slots 448 and
     * 256: those are mapped, so that a drop that skipped the check would show. */
    static const uint64_t aliased[] = { 0xfffffff000000000ull, 0xffffffc000000000ull };
    for (size_t i = 0; i < sizeof(aliased) / sizeof(aliased[0]); i++) {
        gmap(aliased[i], 0, pte(DATA, V | RWX | A | D));
        CHECK_EQ(fill(KER, aliased[i], LD), OK);
    }
    static uint8_t before[SHADOW_VIEWS * PAGE]; /* the roots are the first frames */
    memcpy(before, frames, sizeof(before));
    static const uint64_t vas[] = { 0x7000000000ull, 1ull << 38, 0xffffffffc0000000ull, 0x5000 };
    for (size_t i = 0; i < sizeof(vas) / sizeof(vas[0]); i++) {
        shadow_drop_va(&sh, &ops, vas[i]);
    }
    CHECK(memcmp(before, frames, sizeof(before)) == 0);
    CHECK(sh_leaf(KER, 0x2000) != 0);
    for (size_t i = 0; i < sizeof(aliased) / sizeof(aliased[0]); i++) {
        CHECK(sh_leaf(KER, aliased[i]) != 0);
    }
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
