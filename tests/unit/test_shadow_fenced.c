// SPDX-License-Identifier: MIT
// A guest that fences its lower half's last-level tables (shadow_vm.fenced_lower, HV_FID_TABLES_FENCED):
// those tables are walked without being write-protected, so its stores to them are plain ones and a
// tree keeps what it made from an entry until the guest fences it, as a hardware TLB would. Every other
// table is protected as before.
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "shadow_vm_env.h"

#define OK SHADOW_OK
#define KER SHADOW_KERNEL
#define USR SHADOW_USER
#define LD SHADOW_LOAD
#define ST SHADOW_STORE
#define KB 0xffffffc000000000ull /* a 2 MiB kernel superpage over the first 2 MiB (the guest's tables) */
#define KSMALL 0xffffffc040000000ull /* a 4 KiB page of the kernel half */
#define USER 0x40201000ull

static uint64_t leaf_hpa(uint64_t e)
{
    return (e >> 10) << 12;
}

/* The kernel's linear map over the tables, and a user page: its tables are GBASE + 2 and 3 pages. */
static uint64_t user_page_table(void)
{
    gmap(KB, 1, pte(GBASE, V | R | W | A | D));
    gmap(USER, 0, pte(DATA, V | R | W | U | A | D));
    return gtable_of(USER, 0);
}

TEST(a_fenced_leaf_table_is_walked_but_not_protected)
{
    setup();
    vm.fenced_lower = true;
    uint64_t l0 = user_page_table();
    CHECK_EQ(fill(USR, USER, ST), OK);
    CHECK(shadow_wp_find(&vm, env.root) != NULL);
    CHECK(shadow_wp_find(&vm, gtable_of(USER, 1)) != NULL);
    CHECK(shadow_wp_find(&vm, l0) == NULL);
    /* The kernel stores to it through its linear map: a writable leaf, no table write. */
    CHECK_EQ(fill(KER, KB + (l0 - GBASE), ST), OK);
    CHECK(leaf(KER, KB + (l0 - GBASE)) & W);
    CHECK_EQ(drop_vm_calls, 0);
}

TEST(without_the_promise_the_same_table_is_protected)
{
    setup();
    uint64_t l0 = user_page_table();
    CHECK_EQ(fill(USR, USER, ST), OK);
    CHECK(shadow_wp_find(&vm, l0) != NULL);
    CHECK_EQ(fill(KER, KB + (l0 - GBASE), ST), SHADOW_TABLE_WRITE);
}

TEST(a_tree_keeps_the_old_entry_until_the_guest_fences_it)
{
    setup();
    vm.fenced_lower = true;
    uint64_t l0 = user_page_table();
    CHECK_EQ(fill(USR, USER, LD), OK);
    CHECK_EQ(leaf_hpa(leaf(USR, USER)), guest_ops_hpa(NULL, DATA));
    /* The guest points the page elsewhere with a plain store: the tree still says DATA (a TLB that
     * has not been fenced), and a fence of the page makes the next fill find the new frame. */
    *(gptr(l0) + vpn(USER, 0)) = pte(DATA + PAGE, V | R | U | A);
    CHECK_EQ(leaf_hpa(leaf(USR, USER)), guest_ops_hpa(NULL, DATA));
    shadow_drop_va(&sh, &ops, USER);
    CHECK_EQ(leaf(USR, USER), 0);
    CHECK_EQ(fill(USR, USER, LD), OK);
    CHECK_EQ(leaf_hpa(leaf(USR, USER)), guest_ops_hpa(NULL, DATA + PAGE));
    /* Cleared and fenced: the guest's own page fault, nothing left in the tree. */
    *(gptr(l0) + vpn(USER, 0)) = 0;
    shadow_drop_va(&sh, &ops, USER);
    CHECK_EQ(fill(USR, USER, LD), SHADOW_PAGE_FAULT);
    CHECK_EQ(leaf(USR, USER), 0);
}

TEST(the_upper_half_and_tables_protected_before_stay_protected)
{
    setup();
    vm.fenced_lower = true;
    gmap(KSMALL, 0, pte(DATA, V | R | W | A | D));
    CHECK_EQ(fill(KER, KSMALL, LD), OK);
    CHECK(shadow_wp_find(&vm, gtable_of(KSMALL, 0)) != NULL);
    /* A lower-half table the record already holds (walked before the promise) keeps its protection:
     * the record may have it for another walk too. */
    setup();
    uint64_t l0 = user_page_table();
    CHECK_EQ(fill(USR, USER, LD), OK);
    vm.fenced_lower = true;
    gmap(USER + PAGE, 0, pte(DATA + PAGE, V | R | U | A));
    CHECK_EQ(fill(USR, USER + PAGE, LD), OK);
    CHECK(shadow_wp_find(&vm, l0) != NULL);
    CHECK_EQ(fill(KER, KB + (l0 - GBASE), ST), SHADOW_TABLE_WRITE);
    /* Reached through a second 2 MiB range too: the record learns that, so that a store to it drops
     * every tree rather than the first range's entry alone. */
    uint64_t va;
    unsigned level;
    CHECK(shadow_table_written(&vm, l0 + 8 * vpn(USER, 0), &va, &level));
    gmap(USER + MEGA, 1, pte(l0, V));
    CHECK_EQ(fill(USR, USER + MEGA, LD), OK);
    CHECK(!shadow_table_written(&vm, l0 + 8 * vpn(USER, 0), &va, &level));
}

TEST(a_fenced_table_becoming_an_upper_table_loses_its_writable_leaves)
{
    setup();
    vm.fenced_lower = true;
    uint64_t l0 = user_page_table();
    CHECK_EQ(fill(USR, USER, LD), OK);
    CHECK_EQ(fill(KER, KB + (l0 - GBASE), ST), OK);
    CHECK(leaf(KER, KB + (l0 - GBASE)) & W);
    /* The guest reuses the frame as a kernel-half table: a walk through it protects it there, and
     * the writable leaf the linear map had goes. */
    *gmap(KSMALL, 1, pte(l0, V)) = pte(l0, V);
    *(gptr(l0) + vpn(KSMALL, 0)) = pte(DATA + 2 * PAGE, V | R | A);
    CHECK_EQ(fill(KER, KSMALL, LD), OK);
    CHECK(shadow_wp_find(&vm, l0) != NULL);
    CHECK(!(leaf(KER, KB + (l0 - GBASE)) & W));
}

TEST(setting_a_and_d_still_happens_in_the_guest_entry)
{
    setup();
    vm.fenced_lower = true;
    uint64_t *e = gmap(USER, 0, pte(DATA, V | R | W | U));
    CHECK_EQ(fill(USR, USER, LD), OK);
    CHECK_EQ(*e & (A | D), A);
    CHECK(!(leaf(USR, USER) & W)); /* no D yet: the first store comes back */
    CHECK_EQ(fill(USR, USER, ST), OK);
    CHECK_EQ(*e & (A | D), A | D);
    CHECK(leaf(USR, USER) & W);
}
