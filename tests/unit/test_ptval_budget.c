// SPDX-License-Identifier: MIT
// The validator's work per exit (Xen XSA-264/290 class): every call draws steps from a budget, a
// walk that runs out stops at a clean point and goes on in the guest's next call (its own or
// another caller's), the caller that was cut gets its own result back, a failure found late is
// undone across calls, and a guest that never continues leaves a consistent state. Also: an undo
// gives back what was taken even when the guest rewrote the table meanwhile, and the typed-frame
// counts of any range.
#include <stdint.h>
#include <stdlib.h>

#include "ptval_env.h"

/* A tree whose validation is long: root 0 (pinned, slot 1 empty) and level-1 table 1, whose 512
 * entries name the level-0 tables 2..513, each full of read-only leaves: linking table 1 into the
 * root validates 513 tables (262,656 entries), unlinking it drops them all. */
#define ROOT 0
#define BIG_L1 1
#define FIRST_L0 2
#define DATA_FRAME 600
#define BIG_STEPS (513 * 512)

static struct env *env_toggle(void)
{
    struct env *e = env_new(1024);
    for (unsigned i = 0; i < 512; i++) {
        poke(e, BIG_L1, i, NL(FIRST_L0 + i));
        for (unsigned j = 0; j < 512; j++) {
            poke(e, FIRST_L0 + i, j, PTE(FA(DATA_FRAME), R));
        }
    }
    CHECK_EQ(PIN(e, ROOT), SBI_SUCCESS);
    e->snap_mem = false; /* 4 MiB copied per call would be most of the run */
    return e;
}

static void check_now(struct env *e)
{
    char why[160];
    bool ok = ptval_check(&e->pv, why, sizeof why);
    if (!ok) {
        fprintf(stderr, "ptval_check: %s\n", why);
    }
    CHECK(ok);
    CHECK(nothing_underflowed(e));
}

/* Calls an update as a guest does, budget steps per exit, until it is done; checks every invariant
 * after some cuts (all would take minutes under the sanitizers). Returns the result and the number
 * of calls in *calls: one step per entry means the number of entries over the budget. */
static long update_until_done(struct env *e, unsigned who, uint64_t pte, uint64_t val,
                              uint64_t budget, long *calls)
{
    long r;
    *calls = 0;
    do {
        e->pv.budget = budget;
        r = ptval_update(&e->pv, who, pte, val);
        (*calls)++;
        CHECK(e->pv.budget <= budget);
        if (*calls % 37 == 1) {
            check_now(e);
        }
    } while (r == PTVAL_AGAIN && *calls < 10 * BIG_STEPS);
    return r;
}

TEST(toggling_a_big_table_is_bounded_per_call)
{
    struct env *e = env_toggle();
    long calls;
    for (unsigned round = 0; round < 2; round++) {
        CHECK_EQ(update_until_done(e, 0, FA(ROOT) + 8, NL(BIG_L1), 1000, &calls), SBI_SUCCESS);
        CHECK(calls >= BIG_STEPS / 1000 && calls <= BIG_STEPS / 1000 + 3);
        CHECK(!ptval_busy(&e->pv));
        CHECK_EQ(e->frames[BIG_L1].type, PT_L1);
        CHECK_EQ(e->frames[FIRST_L0 + 511].type, PT_L0);
        CHECK_EQ(*slot(e, ROOT, 1), NL(BIG_L1));
        CHECK_EQ(update_until_done(e, 0, FA(ROOT) + 8, 0, 1000, &calls), SBI_SUCCESS);
        CHECK(calls >= BIG_STEPS / 1000 && calls <= BIG_STEPS / 1000 + 3);
        CHECK_EQ(e->frames[BIG_L1].type, PT_NONE);
        CHECK_EQ(e->frames[FIRST_L0].type, PT_NONE);
        CHECK(e->pv.flush_pending);
    }
    /* A budget too small for a single step does nothing and starts nothing. */
    e->pv.budget = 0;
    CHECK_EQ(ptval_update(&e->pv, 0, FA(ROOT) + 8, NL(BIG_L1)), PTVAL_AGAIN);
    CHECK(!ptval_busy(&e->pv));
    CHECK_EQ(*slot(e, ROOT, 1), 0);
    e->pv.budget = UINT64_MAX;
    CHECK_EQ(UNPIN(e, ROOT), SBI_SUCCESS);
    CHECK(all_released(e));
    env_free(e);
}

/* Calls as a guest does (budget steps per exit) until the answer is not PTVAL_AGAIN. */
static long until_done(struct env *e, enum op k, unsigned who, uint64_t addr, uint64_t val,
                       uint64_t budget, long *calls)
{
    long r;
    *calls = 0;
    do {
        e->pv.budget = budget;
        r = k == OP_PIN     ? ptval_pin(&e->pv, who, addr)
            : k == OP_UNPIN ? ptval_unpin(&e->pv, who, addr)
                            : ptval_update(&e->pv, who, addr, val);
        (*calls)++;
        if (*calls % 37 == 1) {
            check_now(e);
        }
    } while (r == PTVAL_AGAIN && *calls < 10 * BIG_STEPS);
    check_now(e);
    return r;
}

/* A pin is cut; another caller's call finishes its walk first (its own answer waits until it has);
 * the first caller, calling again, gets its own result: pinned, not "pinned already". */
TEST(the_next_call_finishes_the_walk_and_the_owner_gets_its_result)
{
    struct env *e = env_toggle();
    long calls;
    poke(e, 800, 3, NL(BIG_L1)); /* a second root, holding the big table */
    e->pv.budget = 100;
    CHECK_EQ(ptval_pin(&e->pv, 0, FA(800)), PTVAL_AGAIN);
    CHECK(ptval_busy(&e->pv));
    check_now(e);
    CHECK(!ptval_is_pinned_root(&e->pv, FA(800)));
    CHECK_EQ(e->frames[800].type, PT_L2); /* a table while it is validated: never writable */

    /* Caller 1 writes a data frame: its call waits for the walk, then is done. */
    CHECK_EQ(until_done(e, OP_UPDATE, 1, FA(DATA_FRAME + 1), 7, 1000, &calls), SBI_SUCCESS);
    CHECK(calls > BIG_STEPS / 1000);
    CHECK_EQ(*slot(e, DATA_FRAME + 1, 0), 7);
    CHECK(ptval_is_pinned_root(&e->pv, FA(800)));
    CHECK(!ptval_busy(&e->pv));

    /* Caller 0's same call again: its result, with no budget needed. Once only. */
    e->pv.budget = 0;
    CHECK_EQ(ptval_pin(&e->pv, 0, FA(800)), SBI_SUCCESS);
    e->pv.budget = 10;
    CHECK_EQ(ptval_pin(&e->pv, 0, FA(800)), SBI_ERR_DENIED);

    /* Caller 2 unpins and is cut; caller 3 finishes it; caller 2 calls something else first: that
     * is not a continuation, and its result is gone. */
    e->pv.budget = 100;
    CHECK_EQ(ptval_unpin(&e->pv, 2, FA(800)), PTVAL_AGAIN);
    CHECK(!ptval_is_pinned_root(&e->pv, FA(800)));
    CHECK_EQ(until_done(e, OP_UPDATE, 3, FA(DATA_FRAME + 2), 8, 1000, &calls), SBI_SUCCESS);
    CHECK_EQ(e->frames[BIG_L1].type, PT_NONE);
    CHECK_EQ(until_done(e, OP_UPDATE, 2, FA(DATA_FRAME + 2), 9, 1000, &calls), SBI_SUCCESS);
    CHECK_EQ(until_done(e, OP_UNPIN, 2, FA(800), 0, 1000, &calls), SBI_ERR_DENIED);

    /* A vCPU started afresh forgets what its earlier life was owed. */
    e->pv.budget = 100;
    CHECK_EQ(ptval_pin(&e->pv, 1, FA(800)), PTVAL_AGAIN);
    CHECK_EQ(ptval_finish(&e->pv), PTVAL_AGAIN);
    e->pv.budget = UINT64_MAX;
    CHECK_EQ(ptval_finish(&e->pv), SBI_SUCCESS);
    ptval_forget(&e->pv, 1);
    CHECK_EQ(ptval_pin(&e->pv, 1, FA(800)), SBI_ERR_DENIED);
    CHECK_EQ(UNPIN(e, 800), SBI_SUCCESS);
    CHECK_EQ(UNPIN(e, ROOT), SBI_SUCCESS);
    CHECK(all_released(e));
    env_free(e);
}

/* The last entry of the last level-0 table maps the big table writable: the failure is found after
 * 262,655 steps and everything taken is given back, over as many calls again; only then is the
 * error answered, and nothing has changed. */
TEST(a_failure_found_late_is_undone_across_calls)
{
    struct env *e = env_toggle();
    long calls;
    poke(e, FIRST_L0 + 511, 511, PTE(FA(BIG_L1), RW));
    memcpy(e->frames_snap, e->frames, e->n * sizeof(*e->frames));
    memcpy(e->chunks_snap, e->chunks, e->nchunks * sizeof(*e->chunks));
    memcpy(e->mem_snap, e->mem, e->n * 4096);
    CHECK_EQ(until_done(e, OP_UPDATE, 0, FA(ROOT) + 8, NL(BIG_L1), 1000, &calls), SBI_ERR_DENIED);
    CHECK(calls >= 2 * (BIG_STEPS / 1000) && calls <= 2 * (BIG_STEPS / 1000) + 4);
    CHECK(memcmp(e->frames_snap, e->frames, e->n * sizeof(*e->frames)) == 0);
    CHECK(memcmp(e->chunks_snap, e->chunks, e->nchunks * sizeof(*e->chunks)) == 0);
    CHECK(memcmp(e->mem_snap, e->mem, e->n * 4096) == 0);
    /* The same as a pin of a root holding it. */
    poke(e, 800, 0, NL(BIG_L1));
    memcpy(e->mem_snap, e->mem, e->n * 4096);
    CHECK_EQ(until_done(e, OP_PIN, 0, FA(800), 0, 1000, &calls), SBI_ERR_DENIED);
    CHECK(memcmp(e->frames_snap, e->frames, e->n * sizeof(*e->frames)) == 0);
    CHECK(memcmp(e->mem_snap, e->mem, e->n * 4096) == 0);
    env_free(e);
}

/* A guest that never calls again after a cut: the walk waits where it stopped, every invariant
 * holds (the half-validated tables are tables, so nothing maps them writable, and nothing the
 * hardware walks reaches them), and the guest's next call of any kind finishes it. */
TEST(a_guest_that_never_continues)
{
    struct env *e = env_toggle();
    long calls;
    e->pv.budget = 5000;
    CHECK_EQ(ptval_update(&e->pv, 0, FA(ROOT) + 8, NL(BIG_L1)), PTVAL_AGAIN);
    CHECK_EQ(*slot(e, ROOT, 1), 0); /* not linked: the hardware cannot reach the tables */
    CHECK_EQ(e->frames[FIRST_L0 + 3].type, PT_L0);
    CHECK_EQ(e->frames[FIRST_L0 + 100].type, PT_NONE);
    for (int i = 0; i < 3; i++) {
        check_now(e);
        e->pv.budget = 0; /* other exits of the guest: no page-table calls, no work */
        CHECK_EQ(ptval_update(&e->pv, 0, FA(ROOT) + 16, 0), PTVAL_AGAIN);
    }
    /* ZERO of a frame the walk typed waits for the walk, then is refused (it is a table). */
    CHECK_EQ(until_done(e, OP_UPDATE, 1, FA(DATA_FRAME), 0, 1000, &calls), SBI_SUCCESS);
    e->pv.budget = 100;
    CHECK_EQ(ptval_zero(&e->pv, FA(FIRST_L0 + 3)), SBI_ERR_DENIED);
    CHECK_EQ(*slot(e, ROOT, 1), NL(BIG_L1)); /* the cut update took effect when the walk ended */
    env_free(e);
}

/* The guest rewrites an entry already taken while the validation of its table goes on (it can on
 * hext, where its tables stay writable to it), and a later entry fails: the undo gives back what
 * was taken (level-0 table 20), not what the entry holds now (21, a table of another tree, which
 * must keep its type and count). */
TEST(an_undo_gives_back_what_was_taken)
{
    struct env *e = env_new(64);
    poke(e, 30, 0, NL(31)); /* another tree: root 30 -> level-1 31 -> level-0 21 */
    poke(e, 31, 0, NL(21));
    CHECK_EQ(PIN(e, 30), SBI_SUCCESS);
    poke(e, 0, 0, NL(10));  /* root 0 -> level-1 table 10: entry 0 -> level-0 table 20, */
    poke(e, 10, 0, NL(20)); /* entry 1 -> level-0 table 22, entry 2 maps table 10 writable */
    poke(e, 10, 1, NL(22));
    poke(e, 10, 2, PTE(FA(10), RW));
    e->hook_frame = 22; /* while table 22 is read, entry 0 of table 10 becomes table 21 */
    e->hook_target = 10;
    e->hook_index = 0;
    e->hook_val = NL(21);
    CHECK_EQ(ptval_pin(&e->pv, 0, FA(0)), SBI_ERR_INVALID_PARAM); /* a misaligned 2 MiB leaf */
    CHECK_EQ(e->frames[20].type, PT_NONE);
    CHECK_EQ(e->frames[20].tcount, 0);
    CHECK_EQ(e->frames[21].type, PT_L0);
    CHECK_EQ(e->frames[21].tcount, 1);
    CHECK_EQ(e->frames[22].type, PT_NONE);
    CHECK_EQ(e->frames[10].type, PT_NONE);
    CHECK_EQ(e->frames[0].type, PT_NONE);
    check_now(e);
    CHECK_EQ(UNPIN(e, 30), SBI_SUCCESS);
    CHECK(all_released(e));
    env_free(e);
}

static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd_below(uint64_t n)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return rnd_state % n;
}

/* The count of tables in a range, against a count frame by frame, as trees come and go. */
TEST(typed_frames_in_any_range)
{
    struct env *e = env_new(1024);
    for (int round = 0; round < 200; round++) {
        uint64_t root = rnd_below(1024), l1 = rnd_below(1024), l0 = rnd_below(1024);
        if (root != l1 && l1 != l0 && root != l0 && !e->frames[root].type && !e->frames[l1].type &&
            !e->frames[l0].type) {
            memset(e->mem + root * 4096, 0, 4096);
            memset(e->mem + l1 * 4096, 0, 4096);
            memset(e->mem + l0 * 4096, 0, 4096);
            poke(e, root, 0, NL(l1));
            poke(e, l1, 0, NL(l0));
            CHECK_EQ(PIN(e, root), SBI_SUCCESS);
        }
        uint64_t f = rnd_below(1024);
        if (e->frames[f].pinned && rnd_below(3) == 0) {
            CHECK_EQ(UNPIN(e, f), SBI_SUCCESS);
        }
        for (int q = 0; q < 20; q++) {
            uint64_t first = rnd_below(1100), n = rnd_below(1100), want = 0;
            for (uint64_t i = first; i < first + n && i < 1024; i++) {
                want += e->frames[i].type != PT_NONE;
            }
            CHECK_EQ(ptval_typed_frames(&e->pv, first, n), want);
        }
    }
    CHECK_EQ(ptval_typed_frames(&e->pv, 5, UINT64_MAX), ptval_typed_frames(&e->pv, 5, 1019));
    env_free(e);
}
