// SPDX-License-Identifier: MIT
// A fill from a guest superpage maps its aligned group of SHADOW_AROUND pages at once (shadow_fill.c's
// fill_around) and records their table once (a PIECES record): what it leaves out, what it never
// overwrites, and how a frame of the group that becomes a table loses its writable leaf, alone. A
// fill from a last-level table with env.around maps the valid neighbours in its group
// (fill_around_leaves): only those a walk of their own would map, with the rights it would give.
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "shadow_vm_env.h"
#include "../../arch/riscv/shadow_int.h" /* SHADOW_AROUND */

#define OK SHADOW_OK
#define KER SHADOW_KERNEL
#define USR SHADOW_USER
#define LD SHADOW_LOAD
#define ST SHADOW_STORE
#define EX SHADOW_EXEC
#define KB 0xffffffc000000000ull /* a 2 MiB kernel superpage over the first 2 MiB (the guest's tables) */
#define USER 0x40201000ull
#define CSRR_A0_SEPC 0x14102573u

/* The host frame a leaf maps. */
static uint64_t leaf_hpa(uint64_t e)
{
    return (e >> 10) << 12;
}

static unsigned records(enum shadow_wmap_kind kind)
{
    unsigned n = 0;
    for (unsigned i = 0; i < vm.nwmap; i++) {
        n += vm.wmap[i].kind == kind;
    }
    return n;
}

TEST(a_fill_maps_its_group_but_not_the_tables_in_it)
{
    setup();
    gmap(KB, 1, pte(GBASE, V | R | W | A | D)); /* made the kernel half's level-1 table: GBASE + 1 page */
    CHECK_EQ(fill(KER, KB + 5 * PAGE, ST), OK);
    /* The root and the level-1 table the walk went through are protected: left for their own fills
     * (read-only). Every other page of the group is mapped writable, each to its own frame. */
    CHECK_EQ(leaf(KER, KB), 0);
    CHECK_EQ(leaf(KER, KB + PAGE), 0);
    for (unsigned k = 2; k < SHADOW_AROUND; k++) {
        uint64_t e = leaf(KER, KB + k * PAGE);
        CHECK((e & (V | R | W | U)) == (V | R | W | U));
        CHECK_EQ(leaf_hpa(e), guest_ops_hpa(NULL, GBASE + k * PAGE));
    }
    /* Nothing past the group. */
    CHECK_EQ(leaf(KER, KB + SHADOW_AROUND * PAGE), 0);
    CHECK_EQ(leaf(KER, KB - PAGE), 0);
    /* Their one table is recorded once, however many of its pages are writable or filled later. */
    CHECK_EQ(records(SHADOW_WMAP_PIECES), 1);
    CHECK_EQ(fill(KER, KB + (SHADOW_AROUND + 3) * PAGE, LD), OK);
    CHECK(leaf(KER, KB + (2 * SHADOW_AROUND - 1) * PAGE) != 0);
    CHECK_EQ(records(SHADOW_WMAP_PIECES), 1);
    CHECK_EQ(records(SHADOW_WMAP_PAGE), 0);
    /* A protected table's own fill: read-only, as without the group. */
    CHECK_EQ(fill(KER, KB + PAGE, LD), OK);
    CHECK(!(leaf(KER, KB + PAGE) & W));
}

TEST(a_frame_of_the_group_that_becomes_a_table_loses_its_writable_leaf_alone)
{
    setup();
    gmap(KB, 1, pte(GBASE, V | R | W | A | D));
    gmap(USER, 0, pte(DATA, V | R | U | A)); /* its level-1 and level-0 tables: GBASE + 2 and 3 pages */
    CHECK_EQ(fill(KER, KB + 5 * PAGE, ST), OK);
    CHECK(leaf(KER, KB + 2 * PAGE) & W);
    CHECK(leaf(KER, KB + 3 * PAGE) & W);
    sh.fence = false;
    /* A walk through them protects them: their writable leaves go, found through the record. */
    CHECK_EQ(fill(USR, USER, LD), OK);
    CHECK_EQ(leaf(KER, KB + 2 * PAGE), 0);
    CHECK_EQ(leaf(KER, KB + 3 * PAGE), 0);
    CHECK(sh.fence);
    CHECK(leaf(KER, KB + 4 * PAGE) & W);
    CHECK(leaf(KER, KB + 5 * PAGE) & W);
    CHECK_EQ(drop_vm_calls, 0);
    CHECK_EQ(records(SHADOW_WMAP_PIECES), 1); /* the rest of the table is still writable */
    /* Refilled now, they are read-only. */
    CHECK_EQ(fill(KER, KB + 3 * PAGE, LD), OK);
    CHECK(leaf(KER, KB + 3 * PAGE) != 0 && !(leaf(KER, KB + 3 * PAGE) & W));
}

TEST(a_dead_record_of_pieces_revokes_nothing_and_goes)
{
    setup();
    gmap(KB, 1, pte(GBASE, V | R | W | A | D));
    gmap(USER, 0, pte(DATA, V | R | U | A));
    CHECK_EQ(fill(KER, KB + 5 * PAGE, ST), OK);
    shadow_drop_span(&sh, &ops, KB, 1); /* the table of pieces is unlinked */
    CHECK_EQ(leaf(KER, KB + 2 * PAGE), 0);
    CHECK_EQ(fill(USR, USER, LD), OK);
    CHECK_EQ(records(SHADOW_WMAP_PIECES), 0);
    CHECK_EQ(drop_vm_calls, 0);
}

TEST(leaves_already_there_are_never_rewritten)
{
    setup();
    /* Clean: loads map the group read-only (no W before the guest's D). */
    uint64_t *g = gmap(KB, 1, pte(GBASE, V | R | W | A));
    CHECK_EQ(fill(KER, KB + 6 * PAGE, LD), OK);
    CHECK(leaf(KER, KB + 7 * PAGE) != 0 && !(leaf(KER, KB + 7 * PAGE) & W));
    CHECK_EQ(records(SHADOW_WMAP_PIECES), 0); /* nothing writable: nothing recorded */
    /* The store sets D and maps its own page writable; the neighbours keep their read-only leaves
     * (their first store comes back, as on a hart whose TLB holds them). */
    CHECK_EQ(fill(KER, KB + 6 * PAGE, ST), OK);
    CHECK(*g & D);
    CHECK(leaf(KER, KB + 6 * PAGE) & W);
    CHECK(!(leaf(KER, KB + 7 * PAGE) & W));
    CHECK_EQ(records(SHADOW_WMAP_PIECES), 1);
}

TEST(patched_frames_and_small_pages_are_left_to_their_own_fills)
{
    setup();
    gmap(KB, 1, pte(GBASE, V | R | W | X | A | D));
    uint64_t text = GBASE + 9 * PAGE;
    *(uint32_t *)gptr(text) = CSRR_A0_SEPC;
    CHECK_EQ(tpatch_add(&vm.patch, (uint8_t *)gptr(text), text, 0, KB + 9 * PAGE, CSRR_A0_SEPC), TPATCH_NEW_FRAME);
    CHECK_EQ(fill(KER, KB + 8 * PAGE, EX), OK);
    CHECK(leaf(KER, KB + 10 * PAGE) & X);
    CHECK_EQ(leaf(KER, KB + 9 * PAGE), 0); /* its own fill makes it execute-only */
    CHECK_EQ(fill(KER, KB + 9 * PAGE, EX), OK);
    CHECK((leaf(KER, KB + 9 * PAGE) & (R | X)) == X);
    /* A guest's 4 KiB pages map one by one: each has its own entry and rights. */
    gmap(USER, 0, pte(DATA, V | R | U | A));
    gmap(USER + PAGE, 0, pte(DATA + PAGE, V | R | U | A));
    CHECK_EQ(fill(USR, USER, LD), OK);
    CHECK_EQ(leaf(USR, USER + PAGE), 0);
}

/* The group of 4 KiB pages around USER (16-aligned): entry k of the guest's last-level table. */
#define UG (USER & ~(SHADOW_AROUND * PAGE - 1))

TEST(around_maps_the_valid_neighbours_in_a_last_level_table_with_their_own_rights)
{
    setup();
    env.around = true;
    /* Entries 0..15 of one last-level table, each to its own frame: a mix of what a walk would map
     * (for the user view) and what it would not. */
    uint64_t want[SHADOW_AROUND] = { 0 };
    for (unsigned k = 0; k < SHADOW_AROUND; k++) {
        uint64_t flags;
        switch (k % 8) {
        case 0: flags = V | R | W | U | A | D; want[k] = V | R | W | U; break; /* writable, dirty */
        case 1: flags = V | R | W | U | A; want[k] = V | R | U; break;         /* clean: no W yet */
        case 2: flags = V | R | U; break;                                      /* never accessed */
        case 3: flags = V | R | W | A | D; break;                              /* not a user page */
        case 4: flags = R | W | U | A | D; break;                              /* not valid */
        case 5: flags = V | W | U | A | D; break;                              /* W without R */
        case 6: flags = V | R | X | U | A; want[k] = V | R | X | U; break;     /* code */
        default: flags = V | R | U | A | (1ull << 61); break;                 /* PBMT set: reserved */
        }
        gmap(UG + k * PAGE, 0, pte(DATA + k * PAGE, flags));
    }
    unsigned self = (unsigned)((USER - UG) / PAGE); /* 1: a clean read-only entry's own fill */
    CHECK_EQ(fill(USR, USER, LD), OK);
    for (unsigned k = 0; k < SHADOW_AROUND; k++) {
        uint64_t e = leaf(USR, UG + k * PAGE);
        if (k == self) {
            CHECK((e & (V | R | W | U)) == (V | R | U));
            continue;
        }
        CHECK_EQ(e & (V | R | W | X | U), want[k]);
        if (want[k]) {
            CHECK_EQ(leaf_hpa(e), guest_ops_hpa(NULL, DATA + k * PAGE));
        }
    }
    /* Nothing outside the group, and nothing in the kernel's views. */
    gmap(UG + SHADOW_AROUND * PAGE, 0, pte(DATA, V | R | W | U | A | D));
    CHECK_EQ(leaf(USR, UG + SHADOW_AROUND * PAGE), 0);
    CHECK_EQ(leaf(KER, UG), 0);
    /* Each writable neighbour is recorded, so that a frame of it that becomes a table loses it. */
    CHECK_EQ(records(SHADOW_WMAP_PAGE), 2);
}

TEST(around_leaves_protected_tables_frames_outside_ram_and_what_is_mapped_alone)
{
    setup();
    env.around = true;
    /* Entry 2 maps the user table itself (a protected frame once walked); entry 3 is already in the
     * tree with fewer rights than its entry now gives, which only the guest's fence may change. */
    uint64_t table = gtable_of(UG, 0);
    gmap(UG + 2 * PAGE, 0, pte(table, V | R | W | U | A | D));
    /* Entries 7 and 8 name frames past the end of RAM and below it: never mapped. */
    gmap(UG + 7 * PAGE, 0, pte(GBASE + RAM_SIZE, V | R | W | U | A | D));
    gmap(UG + 8 * PAGE, 0, pte(0x10000000ull, V | R | W | U | A | D));
    gmap(UG + 3 * PAGE, 0, pte(DATA + 3 * PAGE, V | R | W | U | A));
    CHECK_EQ(fill(USR, UG + 3 * PAGE, LD), OK);
    CHECK(!(leaf(USR, UG + 3 * PAGE) & W));
    uint64_t *e3 = gptr(table) + vpn(UG + 3 * PAGE, 0);
    *e3 |= D;
    gmap(UG, 0, pte(DATA, V | R | W | U | A | D));
    CHECK_EQ(fill(USR, UG, ST), OK);
    CHECK(leaf(USR, UG) & W);
    CHECK_EQ(leaf(USR, UG + 2 * PAGE), 0);
    CHECK(!(leaf(USR, UG + 3 * PAGE) & W));
    CHECK_EQ(leaf(USR, UG + 7 * PAGE), 0);
    CHECK_EQ(leaf(USR, UG + 8 * PAGE), 0);
    /* Without env.around, a fill maps its own page only (patched_frames_and_small_pages...). */
    env.around = false;
    gmap(UG + 5 * PAGE, 0, pte(DATA + 5 * PAGE, V | R | U | A));
    gmap(UG + 6 * PAGE, 0, pte(DATA + 6 * PAGE, V | R | U | A));
    CHECK_EQ(fill(USR, UG + 5 * PAGE, LD), OK);
    CHECK_EQ(leaf(USR, UG + 6 * PAGE), 0);
}
