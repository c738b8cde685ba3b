// SPDX-License-Identifier: MIT
// A fill from a guest superpage maps its aligned group of SHADOW_AROUND pages at once (shadow.c's
// fill_around) and records their table once (a PIECES record): what it leaves out, what it never
// overwrites, and how a frame of the group that becomes a table loses its writable leaf, alone.
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
