// SPDX-License-Identifier: MIT
// Shadow trees after a store to a guest table (arch/riscv/shadow.c, shadow_vm.c): only the span of
// the entry written is dropped, a table the guest unlinks stops being protected with the tables it
// points to, a root no vCPU runs on can be forgotten, a new address space starts with the upper half
// of the one it follows (and lends what it makes there to the others), a store to a root's entry
// drops that root's spaces only, and the code a vCPU runs is found in its tree.
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "shadow_vm_env.h"
#include "../../arch/riscv/shadow_int.h" /* shadow_any_protected_in */

#define OK SHADOW_OK
#define KER SHADOW_KERNEL
#define USR SHADOW_USER
#define LD SHADOW_LOAD
#define EX SHADOW_EXEC
#define KERN 0xffffffc000603000ull /* a kernel-half page */
#define USER 0x40201000ull         /* a user page */

static uint64_t satp_of(uint64_t root)
{
    return (8ull << 60) | (root >> 12);
}

/* What the engine does after carrying out a guest store at gpa (ttables.c, tv_table_write): the entry's
 * old value was old. True when a span was dropped, false when everything must go. */
static bool stored(uint64_t gpa, uint64_t old)
{
    uint64_t va;
    unsigned level;
    if (!shadow_table_written(&vm, gpa, &va, &level) ||
        !shadow_entry_changed(&vm, &ops, old, *gptr(gpa & ~7ull), va, level)) {
        return false;
    }
    shadow_drop_span(&sh, &ops, va, level);
    return true;
}

TEST(a_span_drop_takes_its_range_only)
{
    setup();
    for (unsigned i = 0; i < 3; i++) {
        gmap(USER + i * MEGA, 0, pte(DATA + i * PAGE, V | R | U | A));
    }
    gmap(USER + GIGA, 0, pte(DATA, V | R | U | A));
    CHECK_EQ(fill(USR, USER, LD) | fill(USR, USER + MEGA, LD) | fill(USR, USER + 2 * MEGA, LD) |
               fill(USR, USER + GIGA, LD),
             OK);
    sh.fence = false;
    shadow_drop_span(&sh, &ops, USER + MEGA + 0x5000, 1); /* the 2 MiB holding it */
    CHECK(sh.fence);
    CHECK(leaf(USR, USER) != 0 && leaf(USR, USER + 2 * MEGA) != 0);
    CHECK_EQ(leaf(USR, USER + MEGA), 0);
    shadow_drop_span(&sh, &ops, USER, 2); /* its whole GiB */
    CHECK_EQ(leaf(USR, USER) | leaf(USR, USER + 2 * MEGA), 0);
    CHECK(leaf(USR, USER + GIGA) != 0);
    /* The hypervisor's slot is never the guest's to drop; nor is a non-canonical address. */
    shadow_drop_span(&sh, &ops, 0xffffffffc0000000ull, 2);
    shadow_drop_span(&sh, &ops, 1ull << 40, 2);
    CHECK_EQ(guest_ops_table(NULL, sh.root[USR])[SHADOW_RESERVED_SLOT], RESERVED_PTE);
    CHECK(leaf(USR, USER + GIGA) != 0);
}

TEST(unlinking_a_table_forgets_it_and_what_it_points_to)
{
    setup();
    gmap(USER, 0, pte(DATA, V | R | U | A));
    gmap(USER + MEGA, 0, pte(DATA + PAGE, V | R | U | A));
    uint64_t l1 = gtable_of(USER, 1), l0a = gtable_of(USER, 0), l0b = gtable_of(USER + MEGA, 0);
    CHECK_EQ(fill(USR, USER, LD) | fill(USR, USER + MEGA, LD), OK);
    CHECK_EQ(vm.nwp, 4);
    /* A leaf's change, or a pointer that keeps its table, forgets nothing. */
    uint64_t *e = gptr(l0a) + vpn(USER, 0), old = *e;
    *e = 0;
    CHECK(stored(l0a + 8 * vpn(USER, 0), old));
    CHECK_EQ(vm.nwp, 4);
    CHECK_EQ(leaf(USR, USER), 0);
    e = gptr(l1) + vpn(USER + MEGA, 1);
    old = *e;
    *e = old | (1ull << 8); /* an RSW bit: the same table */
    CHECK(stored(l1 + 8 * vpn(USER + MEGA, 1), old));
    CHECK(shadow_wp_find(&vm, l0b) != NULL);
    /* The level-1 entry cleared: its last-level table is plain memory again. */
    old = *e;
    *e = 0;
    CHECK(stored(l1 + 8 * vpn(USER + MEGA, 1), old));
    CHECK(shadow_wp_find(&vm, l0b) == NULL);
    CHECK(shadow_wp_find(&vm, l0a) != NULL && shadow_wp_find(&vm, l1) != NULL);
    CHECK_EQ(leaf(USR, USER + MEGA), 0);
    /* The root entry cleared: the level-1 table and the tables it still points to. */
    e = gptr(env.root) + vpn(USER, 2);
    old = *e;
    *e = 0;
    CHECK(stored(env.root + 8 * vpn(USER, 2), old));
    CHECK(shadow_wp_find(&vm, l1) == NULL && shadow_wp_find(&vm, l0a) == NULL);
    CHECK_EQ(vm.nwp, 1);
    CHECK(shadow_wp_find(&vm, env.root) != NULL);
    /* Stores to the old tables are plain stores now. */
    CHECK_EQ(fill(USR, USER + GIGA, LD), SHADOW_PAGE_FAULT);
    CHECK_EQ(drop_vm_calls, 0);
}

TEST(an_unlinked_table_reached_another_way_too_drops_everything)
{
    setup();
    gmap(USER, 0, pte(DATA, V | R | U | A));
    uint64_t l1 = gtable_of(USER, 1), l0 = gtable_of(USER, 0);
    gptr(l1)[vpn(USER, 1) + 1] = pte(l0, V); /* the same table for the next 2 MiB */
    CHECK_EQ(fill(USR, USER, LD) | fill(USR, USER + MEGA, LD), OK);
    uint64_t *e = gptr(l1) + vpn(USER, 1), old = *e;
    *e = 0;
    CHECK(!stored(l1 + 8 * vpn(USER, 1), old)); /* aliased: the engine drops every tree */
    /* A child recorded at another level (a table used as two levels) is no subtree either. */
    setup();
    gmap(USER, 0, pte(DATA, V | R | U | A));
    l1 = gtable_of(USER, 1);
    CHECK_EQ(fill(USR, USER, LD), OK);
    uint64_t *r = gptr(env.root) + vpn(USER, 2);
    old = pte(env.root, V); /* as if the root pointed to itself as a level-1 table */
    *r = 0;
    uint64_t va;
    unsigned level;
    CHECK(shadow_table_written(&vm, env.root + 8 * vpn(USER, 2), &va, &level));
    CHECK(!shadow_entry_changed(&vm, &ops, old, 0, va, level));
}

TEST(an_idle_root_is_forgotten_whole)
{
    setup();
    uint64_t ra = env.root;
    gmap(USER, 0, pte(DATA, V | R | U | A));
    CHECK_EQ(fill(USR, USER, LD), OK);
    CHECK(shadow_wp_find(&vm, ra) != NULL);
    /* Its spaces go (tmem.c empties them first), then the record forgets the frame. */
    shadow_drop_match(&sh, &ops, (1ull << 44) - 1, ra >> 12, false, 0);
    CHECK(shadow_forget_root(&vm, ra + 0x18));
    CHECK(shadow_wp_find(&vm, ra) == NULL);
    CHECK(shadow_wp_find(&vm, gtable_of(USER, 1)) != NULL);
    /* A frame the record has at another level is not a root to forget. */
    CHECK(!shadow_forget_root(&vm, gtable_of(USER, 1)));
    CHECK(shadow_forget_root(&vm, DATA)); /* not recorded: nothing to do */
}

TEST(a_new_space_starts_with_the_upper_half_it_shares)
{
    setup();
    uint64_t ra = env.root;
    gmap(KERN, 0, pte(DATA, V | R | X | A));
    gmap(USER, 0, pte(DATA + PAGE, V | R | U | A));
    CHECK(!shadow_switch(&sh, &ops, satp_of(ra)));
    CHECK_EQ(fill(KER, KERN, EX) | fill(USR, USER, LD), OK);
    /* A second root with the same kernel half (as Linux's pgd_alloc copies it) and its own user
     * half; a third whose kernel half differs in the slot that matters. */
    uint64_t rb = gtable(), rc = gtable();
    memcpy(gptr(rb) + 256, gptr(ra) + 256, 256 * 8);
    memcpy(gptr(rc) + 256, gptr(ra) + 256, 256 * 8);
    gptr(rc)[vpn(KERN, 2)] = 0;
    env.root = rb;
    CHECK(!shadow_switch(&sh, &ops, satp_of(rb)));
    CHECK(leaf(KER, KERN) != 0); /* without a fill */
    CHECK_EQ(leaf(USR, USER), 0);
    CHECK(shadow_wp_find(&vm, rb) != NULL); /* protected as a walk would have */
    /* A store to the shared last-level table drops it for both spaces. */
    uint64_t l0 = gtable_of(KERN, 0), *e = gptr(l0) + vpn(KERN, 0), old = *e;
    *e = pte(DATA + 2 * PAGE, V | R | X | A);
    CHECK(stored(l0 + 8 * vpn(KERN, 0), old));
    CHECK_EQ(leaf(KER, KERN), 0);
    CHECK(shadow_switch(&sh, &ops, satp_of(ra)));
    CHECK_EQ(leaf(KER, KERN), 0);
    CHECK_EQ(fill(KER, KERN, EX), OK);
    env.root = rc;
    CHECK(!shadow_switch(&sh, &ops, satp_of(rc)));
    CHECK_EQ(leaf(KER, KERN), 0);
    CHECK_EQ(drop_vm_calls, 0);
    /* Bare mode and unknown keys share nothing. */
    CHECK(!shadow_switch(&sh, &ops, 0));
    CHECK_EQ(leaf(KER, KERN), 0);
}

/* A store to a root's entry (ttables.c): only the spaces on that root built anything from it, so the
 * others keep their trees, shared subtrees included; a space of unknown key may be on it and goes. */
TEST(a_root_entry_written_drops_that_roots_spaces_only)
{
    setup();
    uint64_t ra = env.root;
    gmap(KERN, 0, pte(DATA, V | R | X | A));
    CHECK(!shadow_switch(&sh, &ops, satp_of(ra)));
    CHECK_EQ(fill(KER, KERN, EX), OK);
    uint64_t rb = gtable();
    memcpy(gptr(rb) + 256, gptr(ra) + 256, 256 * 8);
    env.root = rb;
    CHECK(!shadow_switch(&sh, &ops, satp_of(rb)));
    CHECK(leaf(KER, KERN) != 0); /* shared from ra's space */
    /* ra's kernel entry changes (Linux tearing a process down): rb's space keeps its tree. */
    uint64_t *e = gptr(ra) + vpn(KERN, 2), old = *e;
    *e = 0;
    uint64_t va;
    unsigned level;
    CHECK(shadow_table_written(&vm, ra + 8 * vpn(KERN, 2), &va, &level));
    CHECK(shadow_entry_changed(&vm, &ops, old, *e, va, level));
    CHECK_EQ(level, 2);
    shadow_drop_root_entry(&sh, &ops, ra, va);
    CHECK(leaf(KER, KERN) != 0);
    env.root = ra;
    CHECK(shadow_switch(&sh, &ops, satp_of(ra)));
    CHECK_EQ(leaf(KER, KERN), 0);
    /* rb's own entry: its space loses the slot. */
    env.root = rb;
    CHECK(shadow_switch(&sh, &ops, satp_of(rb)));
    shadow_drop_root_entry(&sh, &ops, rb, KERN);
    CHECK_EQ(leaf(KER, KERN), 0);
    /* Nothing for the hypervisor's slot, or a non-canonical address. */
    shadow_drop_root_entry(&sh, &ops, rb, 0xffffffffc0000000ull);
    shadow_drop_root_entry(&sh, &ops, rb, 0x0000800000000000ull);
    CHECK_EQ(drop_vm_calls, 0);
}

/* The first use of a kernel-half slot in a space is lent to the kept spaces whose guest roots hold
 * the same entry (shadow_lend_upper): a child of fork that is first to run kernel code in a view is
 * then followed by its parent's space, and the next child shares it from there. */
TEST(a_new_upper_slot_is_lent_to_the_spaces_that_share_it)
{
    setup();
    uint64_t ra = env.root;
    gmap(USER, 0, pte(DATA + PAGE, V | R | U | A));
    CHECK(!shadow_switch(&sh, &ops, satp_of(ra)));
    CHECK_EQ(fill(USR, USER, LD), OK); /* ra's space is kept, with nothing in its kernel half */
    gmap(KERN, 0, pte(DATA, V | R | X | A));
    uint64_t rb = gtable(), rc = gtable();
    memcpy(gptr(rb) + 256, gptr(ra) + 256, 256 * 8);
    memcpy(gptr(rc) + 256, gptr(ra) + 256, 256 * 8);
    gptr(rc)[vpn(KERN, 2)] = 0; /* rc's kernel half differs in that slot */
    env.root = rc;
    CHECK(!shadow_switch(&sh, &ops, satp_of(rc)));
    gmap(USER, 0, pte(DATA + PAGE, V | R | U | A));
    CHECK_EQ(fill(USR, USER, LD), OK);
    env.root = rb;
    CHECK(!shadow_switch(&sh, &ops, satp_of(rb)));
    CHECK_EQ(leaf(KER, KERN), 0);
    CHECK_EQ(fill(KER, KERN, EX), OK);
    uint64_t here = leaf(KER, KERN);
    CHECK(here != 0);
    /* ra's space has it now, without a fill; rc's, whose guest entry differs, does not. */
    env.root = ra;
    CHECK(shadow_switch(&sh, &ops, satp_of(ra)));
    CHECK_EQ(leaf(KER, KERN), here);
    CHECK_EQ(leaf(USR, USER) != 0, 1); /* its own tree is as it was */
    env.root = rc;
    CHECK(shadow_switch(&sh, &ops, satp_of(rc)));
    CHECK_EQ(leaf(KER, KERN), 0);
    CHECK_EQ(drop_vm_calls, 0);
}

TEST(code_is_found_in_the_tree)
{
    setup();
    gmap(KERN, 0, pte(DATA, V | R | X | A));
    gmap(KERN + PAGE, 0, pte(DATA + PAGE, V | R | A)); /* not executable */
    CHECK_EQ(fill(KER, KERN, EX) | fill(KER, KERN + PAGE, LD), OK);
    CHECK_EQ(shadow_exec_hpa(&sh, &ops, KER, KERN + 0x12), guest_ops_hpa(NULL, DATA) + 0x12);
    CHECK_EQ(shadow_exec_hpa(&sh, &ops, KER, KERN + PAGE), 0);
    CHECK_EQ(shadow_exec_hpa(&sh, &ops, KER, KERN + 2 * PAGE), 0); /* not mapped */
    CHECK_EQ(shadow_exec_hpa(&sh, &ops, USR, KERN), 0);            /* another view */
    CHECK_EQ(shadow_exec_hpa(&sh, &ops, KER, 0xffffffffc0000000ull), 0);
    CHECK_EQ(shadow_exec_hpa(&sh, &ops, KER, 1ull << 40), 0);
    /* A 2 MiB leaf: the offset within it. */
    gmap(0x40000000, 1, pte(GBASE + 2 * MEGA, V | R | X | A));
    CHECK_EQ(fill(KER, 0x40012340, EX), OK);
    CHECK_EQ(shadow_exec_hpa(&sh, &ops, KER, 0x40012340), guest_ops_hpa(NULL, GBASE + 2 * MEGA) + 0x12340);
}

TEST(a_region_with_tables_is_known_without_a_scan)
{
    setup();
    gmap(USER, 0, pte(DATA, V | R | U | A));
    CHECK_EQ(fill(USR, USER, LD), OK);
    /* The tables are in the first 2 MiB of RAM; the data region holds none. */
    CHECK(shadow_any_protected_in(&vm, GBASE, MEGA));
    CHECK(!shadow_any_protected_in(&vm, GBASE + MEGA, MEGA));
    CHECK(!shadow_any_protected_in(&vm, GBASE + 2 * MEGA, MEGA));
    CHECK(shadow_any_protected_in(&vm, GBASE + PAGE, PAGE)); /* a narrower question scans */
}

TEST(a_path_protected_again_after_the_record_lost_it)
{
    setup();
    gmap(USER, 0, pte(DATA, V | R | U | A));
    gmap(USER + PAGE, 0, pte(DATA + PAGE, V | R | U | A));
    uint64_t l1 = gtable_of(USER, 1), l0 = gtable_of(USER, 0);
    CHECK_EQ(fill(USR, USER, LD), OK);
    /* The same path again: nothing to add (the last path is remembered). */
    CHECK_EQ(fill(USR, USER + PAGE, LD), OK);
    CHECK_EQ(vm.nwp, 3);
    /* The guest unlinks the table and links it again: the record forgot it, so the next fill
     * through the very same path must protect it anew, or its stores would go unseen. */
    uint64_t *e = gptr(l1) + vpn(USER, 1), old = *e;
    *e = 0;
    CHECK(stored(l1 + 8 * vpn(USER, 1), old));
    CHECK(shadow_wp_find(&vm, l0) == NULL);
    *e = old;
    CHECK(stored(l1 + 8 * vpn(USER, 1), 0));
    CHECK_EQ(fill(USR, USER + PAGE, LD), OK);
    CHECK(shadow_wp_find(&vm, l0) != NULL);
    CHECK_EQ(fill(USR, USER + PAGE, SHADOW_STORE), SHADOW_PAGE_FAULT); /* not W in the guest */
    CHECK_EQ(fill(KER, l0 - GBASE + 0x80000000ull, SHADOW_LOAD), SHADOW_PAGE_FAULT); /* unmapped */
}

TEST(a_store_to_a_table_is_known_from_the_tree)
{
    setup();
    /* The kernel maps its table frames through its linear map, writable and dirty (as Linux). */
    gmap(USER, 0, pte(DATA, V | R | U | A));
    uint64_t l0 = gtable_of(USER, 0), alias = 0xffffffc000800000ull;
    gmap(alias, 0, pte(l0, V | R | W | A | D));
    gmap(alias + PAGE, 0, pte(env.root, V | R | W | A)); /* no D yet */
    CHECK_EQ(fill(USR, USER, LD), OK); /* l0 and the root become protected */
    CHECK_EQ(fill(KER, alias, LD) | fill(KER, alias + PAGE, LD), OK);
    CHECK_EQ(leaf(KER, alias) & W, 0);
    CHECK_EQ(shadow_table_store_hpa(&sh, &ops, KER, alias + 0x18), guest_ops_hpa(NULL, l0) + 0x18);
    CHECK_EQ(shadow_table_store_hpa(&sh, &ops, KER, alias + PAGE), 0); /* D clear: the fill sets it */
    CHECK_EQ(shadow_table_store_hpa(&sh, &ops, USR, alias), 0);         /* not mapped in that view */
    /* A data page mapped writable is no table store; neither is a read-only guest entry. */
    gmap(alias + 2 * PAGE, 0, pte(DATA + PAGE, V | R | W | A | D));
    gmap(alias + 3 * PAGE, 0, pte(gtable_of(USER, 1), V | R | A | D));
    CHECK_EQ(fill(KER, alias + 2 * PAGE, SHADOW_STORE) | fill(KER, alias + 3 * PAGE, LD), OK);
    CHECK_EQ(shadow_table_store_hpa(&sh, &ops, KER, alias + 2 * PAGE), 0);
    CHECK_EQ(shadow_table_store_hpa(&sh, &ops, KER, alias + 3 * PAGE), 0);
}

/* ttables.c after each table store: a table stored to SHADOW_FLOOD times with no walk through it is
 * given up (its span dropped). True when that happened. */
static bool flood_check(uint64_t gpa)
{
    uint64_t va;
    unsigned level;
    if (!shadow_table_flooded(&vm, gpa, &va, &level)) {
        return false;
    }
    shadow_drop_span(&sh, &ops, va, level);
    return true;
}

TEST(a_table_stored_to_again_and_again_is_given_up)
{
    setup();
    for (unsigned i = 0; i < 8; i++) {
        gmap(USER + i * PAGE, 0, pte(DATA + i * PAGE, V | R | U | A));
    }
    uint64_t l0 = gtable_of(USER, 0);
    CHECK_EQ(fill(USR, USER, LD) | fill(USR, USER + 7 * PAGE, LD), OK);
    /* Three stores, then a walk through it (the guest used the table): nothing given up. */
    for (unsigned i = 1; i < SHADOW_FLOOD; i++) {
        uint64_t at = l0 + 8 * vpn(USER + i * PAGE, 0), old = *gptr(at);
        *gptr(at) = 0;
        CHECK(stored(at, old));
        CHECK(!flood_check(at));
    }
    CHECK_EQ(fill(USR, USER + 7 * PAGE, LD), OK);
    CHECK(leaf(USR, USER) != 0);
    /* Now SHADOW_FLOOD stores in a row: the table is plain memory, and nothing made from it is
     * left in the trees, not even the pages whose entries were not written. */
    bool given_up = false;
    for (unsigned i = 0; i < SHADOW_FLOOD && !given_up; i++) {
        uint64_t at = l0 + 8 * vpn(USER + (4 + i) * PAGE, 0), old = *gptr(at);
        *gptr(at) = 0;
        CHECK(stored(at, old));
        given_up = flood_check(at);
        CHECK_EQ(given_up, i == SHADOW_FLOOD - 1);
    }
    CHECK(shadow_wp_find(&vm, l0) == NULL);
    CHECK_EQ(leaf(USR, USER), 0);
    CHECK_EQ(vm.unprotects, 1);
    /* The next walk through it protects it again. */
    CHECK_EQ(fill(USR, USER, LD), OK);
    CHECK(shadow_wp_find(&vm, l0) != NULL);
    /* Roots are never given up this way (an idle root is forgotten instead). */
    for (unsigned i = 0; i < 2 * SHADOW_FLOOD; i++) {
        CHECK(!flood_check(env.root + 8 * 100));
    }
    CHECK(shadow_wp_find(&vm, env.root) != NULL);
    CHECK_EQ(drop_vm_calls, 0);
}

/* A batch of updates names the pages it changed (HV_MMU_SHADOWED): shadow_drop_pages drops those of
 * one 2 MiB region, in the spaces on the batch's root only, and a guest superpage's pieces whole. */
TEST(a_batch_drops_its_pages_in_its_roots_spaces)
{
    setup();
    uint64_t ra = env.root;
    for (unsigned i = 0; i < 5; i++) {
        gmap(USER + i * PAGE, 0, pte(DATA + i * PAGE, V | R | U | A));
    }
    gmap(0x40400000, 1, pte(DATA, V | R | U | A)); /* a guest superpage: pieces in the shadow */
    CHECK(!shadow_switch(&sh, &ops, satp_of(ra)));
    for (unsigned i = 0; i < 5; i++) {
        CHECK_EQ(fill(USR, USER + i * PAGE, LD), OK);
    }
    CHECK_EQ(fill(USR, 0x40400000 + 3 * PAGE, LD), OK);
    CHECK_EQ(fill(USR, 0x40400000 + 4 * PAGE, LD), OK);
    /* Another process (root rb) with the same user pages in its own space. */
    uint64_t rb = gtable();
    memcpy(gptr(rb), gptr(ra), 4096);
    env.root = rb;
    CHECK(!shadow_switch(&sh, &ops, satp_of(rb)));
    CHECK_EQ(fill(USR, USER + PAGE, LD), OK);
    env.root = ra;
    CHECK(shadow_switch(&sh, &ops, satp_of(ra)));
    sh.fence = false;
    shadow_drop_pages(&sh, &ops, ra, USER + PAGE + 0x123, USER + 3 * PAGE);
    CHECK(sh.fence);
    CHECK(leaf(USR, USER) != 0 && leaf(USR, USER + 3 * PAGE) != 0 && leaf(USR, USER + 4 * PAGE) != 0);
    CHECK_EQ(leaf(USR, USER + PAGE) | leaf(USR, USER + 2 * PAGE), 0);
    /* One page of the superpage: every piece goes (the fence's rule for a guest superpage). */
    shadow_drop_pages(&sh, &ops, ra, 0x40400000 + 4 * PAGE, 0x40400000 + 5 * PAGE);
    CHECK_EQ(leaf(USR, 0x40400000 + 3 * PAGE), 0);
    /* Nothing across a 2 MiB boundary, in the hypervisor's slot, or for another root. */
    shadow_drop_pages(&sh, &ops, ra, USER + MEGA - PAGE - 0x1000, USER + MEGA + PAGE);
    shadow_drop_pages(&sh, &ops, ra, 0xffffffffc0000000ull, 0xffffffffc0002000ull);
    shadow_drop_pages(&sh, &ops, rb, USER, USER + 5 * PAGE);
    CHECK(leaf(USR, USER) != 0 && leaf(USR, USER + 4 * PAGE) != 0);
    env.root = rb;
    CHECK(shadow_switch(&sh, &ops, satp_of(rb)));
    CHECK_EQ(leaf(USR, USER + PAGE), 0); /* rb's own drop above */
    env.root = ra;
    CHECK(shadow_switch(&sh, &ops, satp_of(ra)));
    /* An empty range drops nothing. */
    shadow_drop_pages(&sh, &ops, ra, USER + 4 * PAGE, USER + 4 * PAGE);
    CHECK(leaf(USR, USER + 4 * PAGE) != 0);
    CHECK_EQ(drop_vm_calls, 0);
}
