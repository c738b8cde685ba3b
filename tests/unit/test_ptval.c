// SPDX-License-Identifier: MIT
// PV page-table validator: each rule (and the Xen advisory behind it) accepted and refused,
// failed calls change nothing, flushes come before reuse, ptval_check reports corruption.
#include <stdint.h>
#include <stdlib.h>

#include "ptval_env.h"

/* The table of env_std at each level. */
static const uint64_t level_table[3] = { 2, 1, 0 };

struct pte_case {
    const char *rule;
    unsigned level;
    uint64_t val;
    long want;
};

static const struct pte_case pte_cases[] = {
    { "invalid entry: other bits ignored", 0, ~PV_PTE_V, SBI_SUCCESS },
    { "read-only leaf", 0, PTE(FA(10), R), SBI_SUCCESS },
    { "writable leaf", 0, PTE(FA(10), RW | PV_PTE_A | PV_PTE_D), SBI_SUCCESS },
    { "execute-only leaf", 0, PTE(FA(10), X), SBI_SUCCESS },
    { "user RWX leaf, G, RSW bits", 0, PTE(FA(10), RW | X | PV_PTE_U | PV_PTE_G | (3 << 8)),
      SBI_SUCCESS },
    { "ownership: last guest frame", 0, PTE(FA(63), RW), SBI_SUCCESS },
    { "ownership: frame just below the guest", 0, PTE(FA(-1), R), SBI_ERR_INVALID_ADDRESS },
    { "ownership: frame just past the guest", 0, PTE(FA(64), R), SBI_ERR_INVALID_ADDRESS },
    { "ownership: hypervisor image below", 0, PTE(BASE - 0x200000, RW), SBI_ERR_INVALID_ADDRESS },
    { "ownership: firmware at 0", 0, PTE(0, X), SBI_ERR_INVALID_ADDRESS },
    { "ownership: another guest above", 0, PTE(BASE + 0x10000000, RW), SBI_ERR_INVALID_ADDRESS },
    { "ownership: highest PPN", 0, PV_PTE_PPN_MASK | R | PV_PTE_V, SBI_ERR_INVALID_ADDRESS },
    { "ownership: non-leaf outside", 1, PTE(FA(64), 0), SBI_ERR_INVALID_ADDRESS },
    { "ownership: root entry far away", 2, PTE(BASE + (1ull << 40), 0), SBI_ERR_INVALID_ADDRESS },
    { "ownership: 2 MiB page past the guest", 1, PTE(FA(0), R), SBI_ERR_INVALID_ADDRESS },
    { "ownership: 1 GiB page past the guest", 2, PTE(FA(0), R), SBI_ERR_INVALID_ADDRESS },
    { "read-only mapping of the root", 0, PTE(FA(0), R), SBI_SUCCESS },
    { "execute-only mapping of a table", 0, PTE(FA(1), X), SBI_SUCCESS },
    { "writable mapping of the root", 0, PTE(FA(0), RW), SBI_ERR_DENIED },
    { "writable mapping of a level-1 table", 0, PTE(FA(1), RW | X), SBI_ERR_DENIED },
    { "writable mapping of the table itself", 0, PTE(FA(2), RW), SBI_ERR_DENIED },
    { "reserved bit 54", 0, PTE(FA(10), R) | 1ull << 54, SBI_ERR_INVALID_PARAM },
    { "reserved bit 60", 0, PTE(FA(10), R) | 1ull << 60, SBI_ERR_INVALID_PARAM },
    { "PBMT bit 61 (no Svpbmt)", 0, PTE(FA(10), R) | 1ull << 61, SBI_ERR_INVALID_PARAM },
    { "PBMT bit 62 (no Svpbmt)", 0, PTE(FA(10), R) | 1ull << 62, SBI_ERR_INVALID_PARAM },
    { "N bit 63 (no Svnapot)", 0, PTE(FA(10), R) | 1ull << 63, SBI_ERR_INVALID_PARAM },
    { "reserved bit on a non-leaf", 1, NL(20) | 1ull << 55, SBI_ERR_INVALID_PARAM },
    { "W without R", 0, PTE(FA(10), W), SBI_ERR_INVALID_PARAM },
    { "W and X without R", 0, PTE(FA(10), W | X), SBI_ERR_INVALID_PARAM },
    { "non-leaf at level 0", 0, NL(20), SBI_ERR_INVALID_PARAM },
    { "non-leaf at level 1", 1, NL(20), SBI_SUCCESS },
    { "non-leaf with G", 1, NL(20) | PV_PTE_G, SBI_SUCCESS },
    { "A on a non-leaf", 1, NL(20) | PV_PTE_A, SBI_ERR_INVALID_PARAM },
    { "D on a non-leaf", 1, NL(20) | PV_PTE_D, SBI_ERR_INVALID_PARAM },
    { "U on a non-leaf", 2, NL(20) | PV_PTE_U, SBI_ERR_INVALID_PARAM },
    { "misaligned 2 MiB page", 1, PTE(FA(1), R), SBI_ERR_INVALID_PARAM },
    { "misaligned 1 GiB page", 2, PTE(FA(512), R), SBI_ERR_INVALID_PARAM },
    { "two levels: level-0 table as level 1", 2, NL(2), SBI_ERR_DENIED },
    { "two levels: level-1 table as level 0", 1, NL(1), SBI_ERR_DENIED },
    { "two levels: root as level 0", 1, NL(0), SBI_ERR_DENIED },
    { "two levels: root as level 1", 2, NL(0), SBI_ERR_DENIED },
    { "same level: shared level-0 table", 1, NL(2), SBI_SUCCESS },
    { "same level: shared level-1 table", 2, NL(1), SBI_SUCCESS },
};

TEST(pte_rules)
{
    for (size_t c = 0; c < sizeof(pte_cases) / sizeof(pte_cases[0]); c++) {
        const struct pte_case *pc = &pte_cases[c];
        struct env *e = env_std();
        int before = test_failures;
        CHECK_EQ(UPD(e, level_table[pc->level], 5, pc->val), pc->want);
        if (pc->want == SBI_SUCCESS) {
            CHECK_EQ(UPD(e, level_table[pc->level], 5, 0), SBI_SUCCESS);
            CHECK_EQ(UNPIN(e, 0), SBI_SUCCESS);
            CHECK(all_released(e));
        }
        if (test_failures != before) {
            fprintf(stderr, "  in case \"%s\"\n", pc->rule);
        }
        env_free(e);
    }
}

TEST(pin_rules)
{
    struct env *e = env_std();
    CHECK(ptval_is_pinned_root(&e->pv, FA(0)));
    CHECK(!ptval_is_pinned_root(&e->pv, FA(1)));
    CHECK_EQ(PIN(e, 0), SBI_ERR_DENIED);                           /* pin twice */
    CHECK_EQ(PIN(e, 1), SBI_ERR_DENIED);                           /* a level-1 table */
    CHECK_EQ(op(e, OP_PIN, FA(3) + 8, 0), SBI_ERR_INVALID_ADDRESS); /* misaligned */
    CHECK_EQ(PIN(e, 64), SBI_ERR_INVALID_ADDRESS);
    CHECK_EQ(PIN(e, -1), SBI_ERR_INVALID_ADDRESS);
    CHECK_EQ(op(e, OP_PIN, 0, 0), SBI_ERR_INVALID_ADDRESS);
    CHECK_EQ(op(e, OP_PIN, ~0xfffull, 0), SBI_ERR_INVALID_ADDRESS);
    CHECK_EQ(UNPIN(e, 1), SBI_ERR_DENIED); /* a table, not a pinned root */
    CHECK_EQ(UNPIN(e, 30), SBI_ERR_DENIED);
    CHECK_EQ(UNPIN(e, 64), SBI_ERR_DENIED);
    CHECK_EQ(op(e, OP_UNPIN, FA(0) + 8, 0), SBI_ERR_DENIED);
    /* A root with a bad entry deep down is refused whole. */
    poke(e, 3, 7, NL(4));
    poke(e, 4, 0, NL(5));
    poke(e, 5, 0, PTE(FA(10), RW));
    poke(e, 5, 1, PTE(FA(11), W));
    CHECK_EQ(PIN(e, 3), SBI_ERR_INVALID_PARAM);
    poke(e, 5, 1, PTE(FA(11), R));
    CHECK_EQ(PIN(e, 3), SBI_SUCCESS);
    CHECK_EQ(e->frames[10].wcount, 1);
    CHECK_EQ(PIN(e, 10), SBI_ERR_DENIED); /* writable-mapped */
    CHECK_EQ(UNPIN(e, 3), SBI_SUCCESS);
    CHECK_EQ(UNPIN(e, 3), SBI_ERR_DENIED); /* unpin of an unpinned root */
    CHECK_EQ(UNPIN(e, 0), SBI_SUCCESS);
    CHECK_EQ(PIN(e, 0), SBI_SUCCESS); /* and again */
    env_free(e);
}

TEST(update_addresses)
{
    struct env *e = env_std();
    CHECK_EQ(op(e, OP_UPDATE, FA(2) + 4, 0), SBI_ERR_INVALID_ADDRESS);
    CHECK_EQ(op(e, OP_UPDATE, FA(2) + 1, 0), SBI_ERR_INVALID_ADDRESS);
    CHECK_EQ(op(e, OP_UPDATE, BASE - 8, 0), SBI_ERR_INVALID_ADDRESS);
    CHECK_EQ(op(e, OP_UPDATE, FA(64), 0), SBI_ERR_INVALID_ADDRESS);
    CHECK_EQ(op(e, OP_UPDATE, ~7ull, 0), SBI_ERR_INVALID_ADDRESS);
    CHECK_EQ(op(e, OP_UPDATE, 0, 0), SBI_ERR_INVALID_ADDRESS);
    CHECK_EQ(UPD(e, 30, 0, PTE(FA(10), R)), SBI_SUCCESS); /* not a table: a plain write */
    CHECK_EQ(*slot(e, 30, 0), PTE(FA(10), R));
    CHECK_EQ(UPD(e, 2, 511, PTE(FA(10), R)), SBI_SUCCESS);   /* last entry */
    CHECK_EQ(*slot(e, 2, 511), PTE(FA(10), R));
    env_free(e);
}

TEST(writable_then_table)
{
    struct env *e = env_std();
    CHECK_EQ(UPD(e, 2, 3, PTE(FA(10), RW)), SBI_SUCCESS);
    CHECK_EQ(e->frames[10].wcount, 1);
    CHECK_EQ(UPD(e, 1, 1, NL(10)), SBI_ERR_DENIED);
    CHECK_EQ(UPD(e, 0, 1, NL(10)), SBI_ERR_DENIED);
    CHECK_EQ(PIN(e, 10), SBI_ERR_DENIED);
    /* A second writable mapping of the same frame. */
    CHECK_EQ(UPD(e, 2, 4, PTE(FA(10), RW | X)), SBI_SUCCESS);
    CHECK_EQ(e->frames[10].wcount, 2);
    CHECK_EQ(UPD(e, 2, 3, 0), SBI_SUCCESS);
    CHECK_EQ(UPD(e, 1, 1, NL(10)), SBI_ERR_DENIED); /* one mapping left */
    CHECK_EQ(UPD(e, 2, 4, PTE(FA(10), R)), SBI_SUCCESS);
    CHECK_EQ(UPD(e, 1, 1, NL(10)), SBI_SUCCESS);
    CHECK_EQ(e->frames[10].type, PT_L0);
    env_free(e);
}

TEST(table_then_writable)
{
    struct env *e = env_std();
    CHECK_EQ(UPD(e, 1, 1, NL(10)), SBI_SUCCESS);
    CHECK_EQ(UPD(e, 2, 3, PTE(FA(10), RW)), SBI_ERR_DENIED);
    CHECK_EQ(UPD(e, 10, 3, PTE(FA(10), RW)), SBI_ERR_DENIED); /* through itself */
    /* A table reached from a second root is still a table. */
    poke(e, 3, 0, NL(1));
    CHECK_EQ(PIN(e, 3), SBI_SUCCESS);
    CHECK_EQ(e->frames[1].tcount, 2);
    CHECK_EQ(UNPIN(e, 0), SBI_SUCCESS);
    CHECK_EQ(e->frames[1].type, PT_L1);
    CHECK_EQ(UPD(e, 10, 0, PTE(FA(1), RW)), SBI_ERR_DENIED);
    CHECK_EQ(UPD(e, 10, 0, PTE(FA(0), RW)), SBI_SUCCESS); /* no longer a table */
    env_free(e);
}

TEST(xsa182_flag_only_upgrade)
{
    struct env *e = env_std();
    CHECK_EQ(UPD(e, 2, 3, PTE(FA(1), R)), SBI_SUCCESS); /* a table may be mapped read-only */
    CHECK_EQ(UPD(e, 2, 3, PTE(FA(1), RW)), SBI_ERR_DENIED);
    CHECK_EQ(UPD(e, 2, 3, PTE(FA(1), RW | PV_PTE_A | PV_PTE_D)), SBI_ERR_DENIED);
    CHECK_EQ(UPD(e, 2, 3, PTE(FA(2), RW)), SBI_ERR_DENIED);
    CHECK_EQ(UPD(e, 2, 3, PTE(FA(1), R | PV_PTE_A)), SBI_SUCCESS);
    CHECK_EQ(e->frames[1].wcount, 0);
    env_free(e);
}

TEST(xsa148_superpage_over_table)
{
    struct env *e = env_big();
    CHECK_EQ(UPD(e, 601, 0, NL(5)), SBI_SUCCESS);
    CHECK_EQ(UPD(e, 601, 1, PTE(FA(0), RW)), SBI_ERR_DENIED);   /* covers table 5 */
    CHECK_EQ(UPD(e, 601, 2, PTE(FA(512), RW)), SBI_ERR_DENIED); /* covers 600 and 601 */
    CHECK_EQ(UPD(e, 601, 1, PTE(FA(0), R)), SBI_SUCCESS);
    CHECK_EQ(UPD(e, 601, 1, PTE(FA(0), RW)), SBI_ERR_DENIED);   /* flag-only upgrade */
    CHECK_EQ(UPD(e, 601, 1, PTE(FA(256), RW)), SBI_ERR_INVALID_PARAM);
    env_free(e);

    /* The other order: the superpage first, then a covered frame as a table. The superpage counts
     * once in its 2 MiB chunk, not in each of its 512 frames. */
    e = env_big();
    CHECK_EQ(UPD(e, 601, 1, PTE(FA(0), RW)), SBI_SUCCESS);
    for (uint64_t f = 0; f < 1024; f++) {
        CHECK_EQ(e->frames[f].wcount, 0);
    }
    CHECK_EQ(e->chunks[0].wsuper, 1);
    CHECK_EQ(e->chunks[0].typed, 0);
    CHECK_EQ(e->chunks[1].wsuper, 0);
    CHECK_EQ(e->chunks[1].typed, 2); /* 600 and 601 */
    CHECK_EQ(UPD(e, 601, 0, NL(5)), SBI_ERR_DENIED);
    CHECK_EQ(PIN(e, 511), SBI_ERR_DENIED);
    CHECK_EQ(PIN(e, 512), SBI_SUCCESS);
    CHECK_EQ(e->chunks[1].typed, 3);
    /* A second writable superpage over the chunk, and 4 KiB pages in it: all counted apart. */
    CHECK_EQ(UPD(e, 601, 3, PTE(FA(0), RW | X)), SBI_SUCCESS);
    CHECK_EQ(UPD(e, 601, 4, PTE(FA(0), R)), SBI_SUCCESS); /* read-only: free */
    CHECK_EQ(e->chunks[0].wsuper, 2);
    CHECK_EQ(UPD(e, 601, 3, 0), SBI_SUCCESS);
    CHECK_EQ(UPD(e, 601, 0, NL(5)), SBI_ERR_DENIED); /* one writable superpage left */
    CHECK_EQ(UPD(e, 601, 1, 0), SBI_SUCCESS);
    CHECK_EQ(e->chunks[0].wsuper, 0);
    CHECK(e->pv.flush_pending);
    e->probe = 5;
    int flushes = e->flushes;
    CHECK_EQ(UPD(e, 601, 0, NL(5)), SBI_SUCCESS);
    CHECK_EQ(e->flushes, flushes + 1);
    CHECK_EQ(e->probe_type, PT_NONE);
    env_free(e);
}

TEST(superpage_must_fit_in_the_guest)
{
    for (uint64_t n = 511; n <= 513; n++) {
        struct env *e = env_new(n); /* root n-1 -> level-1 table n-2 */
        poke(e, n - 1, 0, NL(n - 2));
        CHECK_EQ(PIN(e, n - 1), SBI_SUCCESS);
        long want = n == 511 ? SBI_ERR_INVALID_ADDRESS : SBI_SUCCESS;
        CHECK_EQ(UPD(e, n - 2, 1, PTE(FA(0), R)), want);
        CHECK_EQ(UPD(e, n - 2, 1, 0), SBI_SUCCESS);
        CHECK_EQ(UPD(e, n - 2, 2, PTE(FA(0), RW)), n == 511 ? want : SBI_ERR_DENIED);
        env_free(e);
    }
}

TEST(xsa148_gigapage_over_table)
{
    struct env *e = env_new(512 * 512); /* 1 GiB, mapped lazily */
    CHECK_EQ(PIN(e, 1000), SBI_SUCCESS);
    CHECK_EQ(UPD(e, 1000, 1, PTE(FA(0), RW)), SBI_ERR_DENIED); /* covers the root */
    CHECK_EQ(UPD(e, 1000, 1, PTE(FA(512), R)), SBI_ERR_INVALID_PARAM);
    CHECK_EQ(UPD(e, 1000, 1, PTE(FA(0), R | X)), SBI_SUCCESS);
    CHECK_EQ(UNPIN(e, 1000), SBI_SUCCESS);
    env_free(e);
}

TEST(xsa217_unmap_flushes_before_reuse_as_table)
{
    struct env *e = env_std();
    CHECK_EQ(UPD(e, 2, 3, PTE(FA(10), RW)), SBI_SUCCESS);
    ptval_flush_if_pending(&e->pv);
    int flushes = e->flushes;
    CHECK_EQ(UPD(e, 2, 3, 0), SBI_SUCCESS);
    CHECK(e->pv.flush_pending);
    CHECK_EQ(e->flushes, flushes); /* deferred to the end of the batch, or to a reuse */
    e->probe = 10;
    CHECK_EQ(UPD(e, 1, 1, NL(10)), SBI_SUCCESS);
    CHECK_EQ(e->flushes, flushes + 1);
    CHECK_EQ(e->probe_type, PT_NONE); /* flushed before the type was granted */
    CHECK_EQ(e->frames[10].type, PT_L0);
    CHECK(!e->pv.flush_pending);

    /* The same through pin, after a downgrade RW -> RO. */
    CHECK_EQ(UPD(e, 2, 4, PTE(FA(11), RW)), SBI_SUCCESS);
    CHECK_EQ(UPD(e, 2, 4, PTE(FA(11), R)), SBI_SUCCESS);
    CHECK(e->pv.flush_pending);
    e->probe = 11;
    CHECK_EQ(PIN(e, 11), SBI_SUCCESS);
    CHECK_EQ(e->flushes, flushes + 2);
    CHECK_EQ(e->probe_type, PT_NONE);
    env_free(e);
}

TEST(xsa217_dropped_table_flushes_before_writable)
{
    struct env *e = env_std();
    CHECK_EQ(UPD(e, 1, 1, NL(10)), SBI_SUCCESS);
    ptval_flush_if_pending(&e->pv);
    int flushes = e->flushes;
    CHECK_EQ(UPD(e, 1, 1, 0), SBI_SUCCESS);
    CHECK_EQ(e->frames[10].type, PT_NONE);
    CHECK(e->pv.flush_pending);
    e->probe = 10;
    CHECK_EQ(UPD(e, 2, 3, PTE(FA(10), RW)), SBI_SUCCESS);
    CHECK_EQ(e->flushes, flushes + 1);
    CHECK_EQ(e->probe_wcount, 0); /* flushed before the writable mapping was granted */
    env_free(e);
}

TEST(flush_only_when_reduced)
{
    struct env *e = env_std();
    ptval_flush_if_pending(&e->pv);
    int flushes = e->flushes;
    ptval_flush_if_pending(&e->pv);
    CHECK_EQ(e->flushes, flushes);
    static const struct {
        uint64_t from, to;
        bool reduces;
    } steps[] = {
        { 0, PTE(FA(10), R), false },
        { PTE(FA(10), R), PTE(FA(10), RW | X | PV_PTE_U), false }, /* more rights */
        { PTE(FA(10), RW | X | PV_PTE_U), PTE(FA(10), RW | PV_PTE_U), true },
        { PTE(FA(10), RW | PV_PTE_U), PTE(FA(10), RW), true },
        { PTE(FA(10), RW), PTE(FA(11), RW), true },
        { PTE(FA(11), RW), PTE(FA(11), RW | PV_PTE_G), false },
        { PTE(FA(11), RW | PV_PTE_G), PTE(FA(11), RW), true },
        { PTE(FA(11), RW), 0, true },
        { 0, 0, false },
    };
    for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
        CHECK_EQ(*slot(e, 2, 3), steps[s].from);
        CHECK_EQ(UPD(e, 2, 3, steps[s].to), SBI_SUCCESS);
        CHECK_EQ(e->pv.flush_pending, steps[s].reduces);
        ptval_flush_if_pending(&e->pv);
        CHECK(!e->pv.flush_pending);
    }
    CHECK_EQ(e->flushes, flushes + 5);
    env_free(e);
}

TEST(ad_only_change_is_fast)
{
    struct env *e = env_std();
    CHECK_EQ(UPD(e, 2, 3, PTE(FA(10), RW | PV_PTE_A)), SBI_SUCCESS);
    CHECK_EQ(UPD(e, 2, 4, PTE(FA(0), R)), SBI_SUCCESS);
    ptval_flush_if_pending(&e->pv);
    struct pt_frame before[64];
    memcpy(before, e->frames, sizeof(before));
    CHECK_EQ(UPD(e, 2, 3, PTE(FA(10), RW | PV_PTE_A | PV_PTE_D)), SBI_SUCCESS);
    CHECK_EQ(UPD(e, 2, 3, PTE(FA(10), RW)), SBI_SUCCESS); /* clearing A/D does not flush */
    CHECK_EQ(UPD(e, 2, 4, PTE(FA(0), R | PV_PTE_A | PV_PTE_D)), SBI_SUCCESS);
    CHECK(memcmp(before, e->frames, sizeof(before)) == 0);
    CHECK(!e->pv.flush_pending);
    CHECK_EQ(e->frames[10].wcount, 1);
    /* Not for non-leaves: A/D there are reserved. */
    CHECK_EQ(UPD(e, 1, 0, NL(2) | PV_PTE_A), SBI_ERR_INVALID_PARAM);
    CHECK_EQ(UPD(e, 0, 0, NL(1) | PV_PTE_D), SBI_ERR_INVALID_PARAM);
    env_free(e);
}

TEST(failed_calls_change_nothing)
{
    struct env *e = env_std();
    CHECK_EQ(UPD(e, 2, 0, PTE(FA(30), RW)), SBI_SUCCESS);
    /* A level-1 table whose second child fails after the first took references. */
    poke(e, 20, 0, NL(21));
    poke(e, 20, 1, NL(22));
    poke(e, 20, 2, NL(23));
    poke(e, 21, 0, PTE(FA(30), RW));
    poke(e, 21, 1, PTE(FA(31), R));
    poke(e, 21, 2, PTE(FA(30), RW));
    poke(e, 22, 0, PTE(FA(32), RW));
    poke(e, 22, 9, PTE(FA(33), W)); /* W without R */
    poke(e, 23, 0, PTE(FA(34), RW));
    CHECK_EQ(UPD(e, 0, 1, NL(20)), SBI_ERR_INVALID_PARAM);
    CHECK_EQ(PIN(e, 20), SBI_ERR_INVALID_PARAM); /* as a root: 21's leaves misaligned 2 MiB */
    poke(e, 22, 9, NL(2)); /* a non-leaf at level 0 */
    CHECK_EQ(UPD(e, 0, 1, NL(20)), SBI_ERR_INVALID_PARAM);
    poke(e, 22, 9, PTE(FA(64), R));
    CHECK_EQ(UPD(e, 0, 1, NL(20)), SBI_ERR_INVALID_ADDRESS);
    poke(e, 22, 9, PTE(FA(1), RW)); /* a table, writable */
    CHECK_EQ(UPD(e, 0, 1, NL(20)), SBI_ERR_DENIED);
    poke(e, 22, 9, PTE(FA(21), RW)); /* a sibling being validated, writable */
    CHECK_EQ(UPD(e, 0, 1, NL(20)), SBI_ERR_DENIED);
    poke(e, 22, 9, PTE(FA(21), R));
    CHECK_EQ(UPD(e, 0, 1, NL(20)), SBI_SUCCESS);
    CHECK_EQ(e->frames[30].wcount, 3);
    CHECK_EQ(e->frames[21].type, PT_L0);
    /* A failure replacing a valid entry keeps the old one and its references. */
    CHECK_EQ(UPD(e, 0, 1, NL(2)), SBI_ERR_DENIED);
    CHECK_EQ(*slot(e, 0, 1), NL(20));
    env_free(e);
}

TEST(shared_children_and_overlap)
{
    struct env *e = env_std();
    CHECK_EQ(UPD(e, 1, 1, NL(2)), SBI_SUCCESS);
    CHECK_EQ(e->frames[2].tcount, 2);
    ptval_flush_if_pending(&e->pv);
    /* The same child with another flag: taken before dropped, so it never loses its type. */
    CHECK_EQ(UPD(e, 1, 1, NL(2) | PV_PTE_G), SBI_SUCCESS);
    CHECK_EQ(UPD(e, 1, 0, NL(2) | PV_PTE_G), SBI_SUCCESS);
    CHECK_EQ(e->frames[2].tcount, 2);
    CHECK(!e->pv.flush_pending);
    CHECK_EQ(UPD(e, 2, 3, PTE(FA(10), RW)), SBI_SUCCESS);
    CHECK_EQ(UPD(e, 2, 3, PTE(FA(10), RW | X)), SBI_SUCCESS);
    CHECK_EQ(UPD(e, 2, 4, PTE(FA(10), RW)), SBI_SUCCESS);
    CHECK_EQ(e->frames[10].wcount, 2);
    CHECK_EQ(UPD(e, 1, 0, 0), SBI_SUCCESS);
    CHECK_EQ(e->frames[2].type, PT_L0);
    CHECK_EQ(UPD(e, 1, 1, NL(11)), SBI_SUCCESS); /* the last reference: table 2 goes */
    CHECK_EQ(e->frames[2].type, PT_NONE);
    CHECK_EQ(e->frames[10].wcount, 0);
    CHECK_EQ(e->frames[11].type, PT_L0);
    env_free(e);
}

TEST(unpin_releases_everything)
{
    struct env *e = env_std();
    poke(e, 3, 0, NL(1));
    CHECK_EQ(PIN(e, 3), SBI_SUCCESS);
    CHECK_EQ(UPD(e, 0, 1, NL(1)), SBI_SUCCESS);
    CHECK_EQ(UPD(e, 1, 2, NL(4)), SBI_SUCCESS);
    for (unsigned i = 0; i < 6; i++) {
        CHECK_EQ(UPD(e, 2, i, PTE(FA(10 + i), RW)), SBI_SUCCESS);
        CHECK_EQ(UPD(e, 4, i, PTE(FA(10 + i), RW)), SBI_SUCCESS);
    }
    CHECK_EQ(UPD(e, 2, 9, PTE(FA(0), R)), SBI_SUCCESS);
    CHECK_EQ(e->frames[1].tcount, 3);
    CHECK_EQ(e->frames[12].wcount, 2);
    CHECK_EQ(UNPIN(e, 0), SBI_SUCCESS);
    CHECK_EQ(e->frames[1].tcount, 1);
    CHECK_EQ(e->frames[12].wcount, 2);
    ptval_flush_if_pending(&e->pv);
    CHECK_EQ(UNPIN(e, 3), SBI_SUCCESS);
    CHECK(e->pv.flush_pending);
    CHECK(all_released(e));
    env_free(e);
}

TEST(check_reports_corruption)
{
    struct env *e = env_std();
    char why[96];
    CHECK(ptval_check(&e->pv, why, sizeof(why)));
    e->frames[2].tcount++;
    CHECK(!ptval_check(&e->pv, why, sizeof(why)));
    CHECK_STR(why, "frame 2: tcount (have, expected) (2, 1)");
    CHECK(!ptval_check(&e->pv, why, 10));
    CHECK_STR(why, "frame 2: ");
    CHECK(!ptval_check(&e->pv, why, 1));
    CHECK_STR(why, "");
    CHECK(!ptval_check(&e->pv, NULL, 0));
    e->frames[2].tcount--;
    e->frames[40].wcount = 0xffffffffu;
    CHECK(!ptval_check(&e->pv, why, sizeof(why)));
    CHECK_STR(why, "frame 40: wcount (have, expected) (4294967295, 0)");
    e->frames[40].wcount = 0;
    e->frames[40].pinned = 1;
    CHECK(!ptval_check(&e->pv, why, sizeof(why)));
    e->frames[40].pinned = 0;
    poke(e, 2, 7, PTE(FA(10), W));
    CHECK(!ptval_check(&e->pv, why, sizeof(why)));
    CHECK_STR(why, "frame 2: entry (index, error) is invalid (7, 3)");
    poke(e, 2, 7, PTE(FA(1), RW));
    CHECK(!ptval_check(&e->pv, why, sizeof(why)));
    poke(e, 2, 7, 0);
    poke(e, 1, 7, NL(0));
    CHECK(!ptval_check(&e->pv, why, sizeof(why)));
    poke(e, 1, 7, 0);
    CHECK(ptval_check(&e->pv, why, sizeof(why)));
    e->chunks[0].typed++; /* frames 0, 1 and 2 are tables */
    CHECK(!ptval_check(&e->pv, why, sizeof(why)));
    CHECK_STR(why, "frame 0: chunk typed (have, expected) (4, 3)");
    e->chunks[0].typed--;
    e->chunks[0].wsuper = 1;
    CHECK(!ptval_check(&e->pv, why, sizeof(why)));
    CHECK_STR(why, "frame 0: chunk wsuper (have, expected) (1, 0)");
    e->chunks[0].wsuper = 0;
    CHECK(ptval_check(&e->pv, why, sizeof(why)));
    env_free(e);
}
