// SPDX-License-Identifier: MIT
// Shadow trees kept per guest address space (arch/riscv/shadow.c): a switch back to a satp finds its
// tree, eviction of the least recently used space, drops of one ASID's trees or of one page in all,
// and the fence flag the engine turns into a TLB fence.
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "shadow_guest.h"

#define NROOTS (SHADOW_SPACES * SHADOW_VIEWS)
#define ASID(n) ((uint64_t)(n) << 44)
#define ASID_MASK (0xffffull << 44)

static uint64_t *frames;
static struct shadow sh;

static void ops_drop_vm(void *ctx)
{
    (void)ctx;
}

static const struct shadow_ops ops = GUEST_OPS(ops_drop_vm);

/* Two guest address spaces: root tables at ra and rb, each mapping DATA + its own page at 0x400000. */
static uint64_t ra, rb;

static void setup(void)
{
    fresh_memory(&frames, NROOTS + NPOOL * 4);
    off = 0;
    next_table = GBASE;
    memset(&env, 0, sizeof(env));
    ra = env.root = gtable();
    gmap(0x400000, 0, pte(DATA, V | R | W | U | A | D));
    rb = env.root = gtable();
    gmap(0x400000, 0, pte(DATA + PAGE, V | R | W | U | A | D));
    uint64_t base = (uint64_t)(uintptr_t)frames;
    uint64_t roots[NROOTS];
    for (unsigned i = 0; i < NROOTS; i++) {
        roots[i] = base + i * PAGE;
    }
    shadow_init(&sh, &ops, roots, base + NROOTS * PAGE, NPOOL * 4, RESERVED_PTE, NULL);
    shadow_add_spaces(&sh, &ops, roots + SHADOW_VIEWS, SHADOW_SPACES - 1);
}

static uint64_t satp_of(uint64_t root, unsigned asid)
{
    return (8ull << 60) | ASID(asid) | (root >> 12);
}

/* Switches to the space of (root, asid), as a guest satp write does; true when its trees were kept. */
static bool use(uint64_t root, unsigned asid)
{
    env.root = root;
    return shadow_switch(&sh, &ops, satp_of(root, asid));
}

static uint64_t leaf(enum shadow_view view, uint64_t va)
{
    unsigned level;
    return tree_leaf(sh.root[view], va, &level);
}

static uint64_t leaf_pa(uint64_t e)
{
    return ((e >> 10) & ((1ull << 44) - 1)) << 12;
}

static void fill_user(uint64_t va)
{
    uint64_t gpa;
    CHECK_EQ(shadow_fill(&sh, &ops, &env, SHADOW_USER, va, SHADOW_LOAD, &gpa), SHADOW_OK);
}

TEST(switch_back_finds_the_tree)
{
    setup();
    CHECK(!use(ra, 1));
    fill_user(0x400000);
    CHECK_EQ(leaf_pa(leaf(SHADOW_USER, 0x400000)), guest_ops_hpa(NULL, DATA));
    CHECK(!use(rb, 2));
    CHECK_EQ(leaf(SHADOW_USER, 0x400000), 0); /* the other space starts empty */
    fill_user(0x400000);
    CHECK_EQ(leaf_pa(leaf(SHADOW_USER, 0x400000)), guest_ops_hpa(NULL, DATA + PAGE));
    CHECK(use(ra, 1));
    CHECK_EQ(leaf_pa(leaf(SHADOW_USER, 0x400000)), guest_ops_hpa(NULL, DATA));
    CHECK(use(rb, 2));
    CHECK_EQ(leaf_pa(leaf(SHADOW_USER, 0x400000)), guest_ops_hpa(NULL, DATA + PAGE));
}

TEST(same_root_new_asid_is_another_space)
{
    setup();
    use(ra, 1);
    fill_user(0x400000);
    CHECK(!use(ra, 3));
    CHECK_EQ(leaf(SHADOW_USER, 0x400000), 0);
}

TEST(least_recently_used_is_evicted_and_emptied)
{
    setup();
    use(ra, 1);
    fill_user(0x400000);
    uint64_t first = sh.root[SHADOW_USER];
    /* SHADOW_SPACES other address spaces (all on root rb), each used once after ra. */
    for (unsigned i = 0; i < SHADOW_SPACES; i++) {
        CHECK(!use(rb, 10 + i));
        fill_user(0x400000);
    }
    CHECK(!use(ra, 1)); /* evicted */
    CHECK_EQ(leaf(SHADOW_USER, 0x400000), 0);
    CHECK_EQ(guest_ops_table(NULL, first)[SHADOW_RESERVED_SLOT], RESERVED_PTE);
    /* The one used least recently since then was ASID 11 (10 made way for ra). */
    CHECK(use(rb, 12));
    CHECK(!use(rb, 10));
}

TEST(a_recently_used_space_survives_eviction)
{
    setup();
    use(ra, 1);
    fill_user(0x400000);
    for (unsigned i = 0; i < SHADOW_SPACES * 2; i++) {
        use(rb, 10 + i);
        CHECK(use(ra, 1)); /* touched between every other space: never the victim */
    }
    CHECK_EQ(leaf_pa(leaf(SHADOW_USER, 0x400000)), guest_ops_hpa(NULL, DATA));
}

TEST(drop_by_asid_leaves_the_others)
{
    setup();
    use(ra, 1);
    fill_user(0x400000);
    use(rb, 2);
    fill_user(0x400000);
    sh.fence = false;
    shadow_drop_match(&sh, &ops, ASID_MASK, ASID(1), false, 0);
    CHECK(sh.fence);
    CHECK_EQ(leaf_pa(leaf(SHADOW_USER, 0x400000)), guest_ops_hpa(NULL, DATA + PAGE));
    CHECK(use(ra, 1));
    CHECK_EQ(leaf(SHADOW_USER, 0x400000), 0);
}

TEST(drop_one_page_of_one_asid)
{
    setup();
    use(ra, 1);
    fill_user(0x400000);
    use(rb, 2);
    fill_user(0x400000);
    shadow_drop_match(&sh, &ops, ASID_MASK, ASID(2), true, 0x400000);
    CHECK_EQ(leaf(SHADOW_USER, 0x400000), 0);
    use(ra, 1);
    CHECK(leaf(SHADOW_USER, 0x400000) != 0);
}

TEST(drop_va_and_drop_all_reach_every_space)
{
    setup();
    use(ra, 1);
    fill_user(0x400000);
    use(rb, 2);
    fill_user(0x400000);
    shadow_drop_va(&sh, &ops, 0x400000);
    CHECK_EQ(leaf(SHADOW_USER, 0x400000), 0);
    use(ra, 1);
    CHECK_EQ(leaf(SHADOW_USER, 0x400000), 0);
    fill_user(0x400000);
    use(rb, 2);
    fill_user(0x400000);
    shadow_drop_all(&sh, &ops);
    CHECK_EQ(sh.used, 0);
    CHECK(use(rb, 2)); /* the space is still rb's, only empty */
    CHECK_EQ(leaf(SHADOW_USER, 0x400000), 0);
    use(ra, 1);
    CHECK_EQ(leaf(SHADOW_USER, 0x400000), 0);
    for (unsigned i = 0; i < NROOTS; i++) {
        CHECK_EQ(guest_ops_table(NULL, (uint64_t)(uintptr_t)frames + i * PAGE)[SHADOW_RESERVED_SLOT], RESERVED_PTE);
    }
}

TEST(a_fill_raises_no_fence_a_drop_does)
{
    setup();
    use(ra, 1);
    sh.fence = false;
    fill_user(0x400000);
    CHECK(!sh.fence);
    use(rb, 2);
    CHECK(!sh.fence); /* a fresh space: nothing in it to forget */
    use(ra, 1);
    shadow_drop_va(&sh, &ops, 0x400000);
    CHECK(sh.fence);
}
