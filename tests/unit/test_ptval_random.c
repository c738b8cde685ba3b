// SPDX-License-Identifier: MIT
// PV page-table validator: fixed-seed random runs keep the invariants; also ptval_zero, a plain
// write after untyping, superpages counted per 2 MiB chunk, and tables the guest rewrote itself
// (hext), which cannot make the validator recurse, underflow or take long.
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "ptval_env.h"

/* xorshift64*: a fixed sequence on every host. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(uint64_t n)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (rng_state * 0x2545f4914f6cdd1dull) % n;
}

/* A frame for the random runs: any of a small guest, or in a larger one one of the first 16 of its
 * first two 2 MiB chunks, where tables and superpages meet (superpages also go to the others). */
static uint64_t rnd_frame(const struct env *e)
{
    return e->n <= 64 ? rnd(e->n) : 512 * rnd(2) + rnd(16);
}

static uint64_t rnd_maddr(const struct env *e)
{
    switch (rnd(16)) {
    case 0: return BASE - 4096 * (1 + rnd(4));
    case 1: return FA(e->n + rnd(4));
    case 2: return rnd(1ull << 56) & ~0xfffull;
    default: return FA(rnd_frame(e));
    }
}

/* A PTE for the random runs: half well formed inside the guest, the rest broken in every way. */
static uint64_t rnd_pte(const struct env *e, uint64_t old)
{
    static const uint64_t leaf[] = { R, R, X, R | X, RW, RW | X, W, W | X };
    uint64_t ad = rnd(4) << 6, g = rnd(4) == 0 ? PV_PTE_G : 0, u = rnd(4) == 0 ? PV_PTE_U : 0;
    /* A small guest has no room for superpages (and keeps the sequence it always had). */
    switch (rnd(e->n <= 64 ? 20 : 26)) {
    case 0: return rnd(~0ull) & ~PV_PTE_V;
    case 1: return rnd(~0ull);
    case 2: return PTE(rnd_maddr(e), rnd(1024));
    case 3: return PTE(rnd_maddr(e), g | (PV_PTE_A << rnd(3))); /* A, D or U on a non-leaf */
    case 4: return PTE(rnd_maddr(e), R) | 1ull << (54 + rnd(10));
    case 5: return old ^ (PV_PTE_A << rnd(2));
    case 6: return old ^ (PV_PTE_R << rnd(4));
    case 7: return PTE(rnd_maddr(e), leaf[rnd(8)] | ad | g | u);
    case 8:
    case 9:
    case 10:
    case 11: return PTE(FA(rnd_frame(e)), g);
    case 12:
    case 13:
    case 14:
    case 15: return PTE(FA(rnd_frame(e)), leaf[rnd(6)] | ad | g | u);
    case 20:
    case 21:
    case 22:
    case 23:
    case 24: return PTE(FA(512 * rnd(e->nchunks + 1)), leaf[rnd(6)] | ad | g); /* superpages */
    default: return 0;
    }
}

static uint64_t pick_frame(struct env *e, bool typed, bool pinned)
{
    uint64_t start = rnd_frame(e);
    for (uint64_t k = 0; k < e->n; k++) {
        uint64_t f = (start + k) % e->n;
        if ((!typed || e->frames[f].type != PT_NONE) && (!pinned || e->frames[f].pinned)) {
            return f;
        }
    }
    return start;
}

struct run_counts {
    long ok[3], deep, tampered;
    long wsuper[2]; /* writable superpage leaves granted, refused */
};

/* Random pins, unpins (percent of steps below unpins), updates, flushes, and the guest writing its
 * frames: only frames that are not tables, or (hext) any frame. Each call is checked by op(). */
static struct run_counts random_run(struct env *e, long steps, unsigned snap_every, unsigned unpins)
{
    struct run_counts rc = { { 0 }, 0, 0, { 0 } };
    for (long step = 0; step < steps; step++) {
        e->snap_mem = e->mem_snap != NULL && step % snap_every == 0;
        uint64_t kind = rnd(100);
        if (e->hext && step % 1000 == 0) {
            /* Tampering leaks references (frames stay tables for good): start the guest afresh. */
            memset(e->tables, 0, ptval_mem_bytes(e->n));
            struct ptval_ops ops = { env_frame, env_flush, e };
            ptval_init(&e->pv, &ops, e->base, e->n, e->tables);
        }
        if (step % 20000 == 0) {
            for (uint64_t f = 0; f < e->n; f++) {
                if (e->frames[f].pinned) {
                    CHECK_EQ(UNPIN(e, f), SBI_SUCCESS);
                }
            }
        }
        if (kind < 6) {
            uint64_t a = rnd(8) ? FA(pick_frame(e, false, false)) : rnd_maddr(e) + rnd(2) * 8;
            rc.ok[OP_PIN] += op(e, OP_PIN, a, 0) == SBI_SUCCESS;
        } else if (kind < 6 + unpins) {
            uint64_t a = rnd(4) ? FA(pick_frame(e, false, true)) : rnd_maddr(e);
            rc.ok[OP_UNPIN] += op(e, OP_UNPIN, a, 0) == SBI_SUCCESS;
        } else if (kind < 9) {
            ptval_flush_if_pending(&e->pv);
        } else if (kind < 25) {
            /* The guest writes one of its frames: one entry, or all of them cleared. */
            uint64_t f = e->hext && rnd(2) ? pick_frame(e, true, false) : rnd_frame(e);
            bool may = e->frames[f].type == PT_NONE || e->hext;
            rc.tampered += may && e->frames[f].type != PT_NONE;
            if (may && kind < 21) {
                poke(e, f, rnd(8) ? rnd(8) : rnd(512), rnd_pte(e, 0));
            } else if (may) {
                memset(slot(e, f, 0), 0, 4096);
            }
        } else if (kind < 28) {
            ptval_flush_if_pending(&e->pv);
        } else {
            uint64_t f = rnd(8) ? pick_frame(e, true, false) : rnd_frame(e);
            uint64_t a = FA(f) + 8 * (rnd(8) ? rnd(8) : rnd(512));
            if (rnd(32) == 0) {
                a = rnd(4) ? a + 1 + rnd(7) : rnd_maddr(e);
            }
            bool inside = a >= BASE && a < FA(e->n);
            uint64_t old = inside ? *(uint64_t *)(e->mem + ((a - BASE) & ~7ull)) : 0;
            uint64_t val = rnd_pte(e, old);
            bool wsuper = inside && e->frames[(a - BASE) / 4096].type > PT_L0 &&
                          (val & (PV_PTE_V | RW)) == (PV_PTE_V | RW);
            long r = op(e, OP_UPDATE, a, val);
            rc.wsuper[0] += wsuper && r == SBI_SUCCESS;
            rc.wsuper[1] += wsuper && r == SBI_ERR_DENIED;
            rc.ok[OP_UPDATE] += r == SBI_SUCCESS;
            rc.deep += r == SBI_SUCCESS && (val & (PV_PTE_V | R | W | X)) == PV_PTE_V;
            if (r != SBI_SUCCESS && inside && !(a & 7)) {
                CHECK_EQ(*(uint64_t *)(e->mem + (a - BASE)), old);
            }
        }
        if (test_failures > 20) {
            fprintf(stderr, "random run: stopping at step %ld\n", step);
            break;
        }
    }
    return rc;
}

TEST(random_operations)
{
    struct env *e = env_new(32);
    struct run_counts rc = random_run(e, 200000, 16, 3);
    /* The run reached the interesting states, not only refusals. */
    CHECK(rc.ok[OP_PIN] > 1000);
    CHECK(rc.ok[OP_UNPIN] > 1000);
    CHECK(rc.ok[OP_UPDATE] > 20000);
    CHECK(rc.deep > 1000);
    fprintf(stderr, "random_operations: %ld pins, %ld unpins, %ld updates (%ld non-leaf) done\n",
            rc.ok[OP_PIN], rc.ok[OP_UNPIN], rc.ok[OP_UPDATE], rc.deep);
    env_free(e);
}

/* Three 2 MiB chunks and a bit: tables in the first two, superpages anywhere, counted per chunk. */
TEST(random_superpages)
{
    struct env *e = env_new(3 * 512 + 6);
    struct run_counts rc = random_run(e, 30000, 512, 1);
    CHECK(rc.ok[OP_PIN] > 150);
    CHECK(rc.ok[OP_UPDATE] > 4000);
    CHECK(rc.deep > 200);
    CHECK(rc.wsuper[0] > 40 && rc.wsuper[1] > 40);
    fprintf(stderr, "random_superpages: %ld pins, %ld unpins, %ld updates (%ld non-leaf), %ld "
            "writable superpages (%ld refused) done\n", rc.ok[OP_PIN], rc.ok[OP_UNPIN],
            rc.ok[OP_UPDATE], rc.deep, rc.wsuper[0], rc.wsuper[1]);
    env_free(e);
}

/* hext: the guest also writes its typed tables directly. Counts may drift from the tables, but no
 * call fails to return, recurses deeper than 3 tables, underflows a count or reads out of bounds
 * (ASan/UBSan), and a refused call still changes nothing. */
TEST(random_tampering)
{
    for (int big = 0; big < 2; big++) {
        struct env *e = env_new(big ? 3 * 512 + 6 : 32);
        e->hext = true;
        struct run_counts rc = random_run(e, big ? 40000 : 100000, big ? 512 : 16, 3);
        CHECK(rc.tampered > 500);
        CHECK(rc.ok[OP_UNPIN] > 100);
        CHECK(e->stack_max > 0 && e->stack_max < 4096);
        fprintf(stderr, "random_tampering: %ld pins, %ld unpins, %ld writes into tables, stack %lu"
                "\n", rc.ok[OP_PIN], rc.ok[OP_UNPIN], rc.tampered, (unsigned long)e->stack_max);
        env_free(e);
    }
}

TEST(zero_frames)
{
    struct env *e = env_std();
    char why[128];
    *slot(e, 30, 5) = 0x1234;
    CHECK_EQ(ptval_zero(&e->pv, FA(30)), SBI_SUCCESS);
    CHECK_EQ(*slot(e, 30, 5), 0);
    /* A table: refused, and left as it was. */
    uint64_t table[512];
    memcpy(table, slot(e, 2, 0), sizeof table);
    CHECK_EQ(ptval_zero(&e->pv, FA(2)), SBI_ERR_DENIED);
    CHECK(memcmp(table, slot(e, 2, 0), sizeof table) == 0);
    CHECK_EQ(ptval_zero(&e->pv, FA(30) + 8), SBI_ERR_INVALID_ADDRESS);
    CHECK_EQ(ptval_zero(&e->pv, BASE - 4096), SBI_ERR_INVALID_ADDRESS);
    CHECK_EQ(ptval_zero(&e->pv, FA(64)), SBI_ERR_INVALID_ADDRESS);
    CHECK(ptval_check(&e->pv, why, sizeof(why)));
    env_free(e);
}

TEST(plain_write_after_untyping_flushes_first)
{
    struct env *e = env_std();
    char why[128];
    /* A frame that was a table and is no longer typed (flush_pending, as an unpin leaves it) may be
     * written through a plain update only after a flush: a walk cache may still point at it. */
    e->pv.flush_pending = true;
    int before = e->flushes;
    CHECK_EQ(UPD(e, 30, 1, 7), SBI_SUCCESS);
    CHECK_EQ(e->flushes, before + 1);
    CHECK(!e->pv.flush_pending);
    CHECK(ptval_check(&e->pv, why, sizeof(why)));
    env_free(e);
}

/* 512 level-1 tables, each with 512 writable 2 MiB leaves of the same 2 MiB. Counted per frame, a
 * pin or an unpin of this tree took 512 * 512 * 512 (134 million) steps with the hart's interrupts
 * off; counted per chunk, one step a leaf. */
TEST(superpage_tree_counts_per_chunk)
{
    struct env *e = env_new(512 + 514); /* chunk 0: the data; root 512, tables 513..1024 */
    char why[128];
    for (unsigned i = 0; i < 512; i++) {
        poke(e, 512, i, NL(513 + i));
        for (unsigned j = 0; j < 512; j++) {
            poke(e, 513 + i, j, PTE(FA(0), RW | PV_PTE_A | PV_PTE_D));
        }
    }
    clock_t start = clock();
    CHECK_EQ(ptval_pin(&e->pv, 0, FA(512)), SBI_SUCCESS);
    clock_t pinned = clock();
    CHECK_EQ(e->chunks[0].wsuper, 512 * 512);
    CHECK_EQ(e->chunks[0].typed, 0);
    CHECK_EQ(e->chunks[1].typed, 512);
    CHECK_EQ(e->chunks[2].typed, 1);
    CHECK_EQ(e->chunks[1].wsuper + e->chunks[2].wsuper, 0);
    uint64_t counted = 0;
    for (uint64_t f = 0; f < e->n; f++) {
        counted += e->frames[f].wcount;
    }
    CHECK_EQ(counted, 0);
    CHECK(ptval_check(&e->pv, why, sizeof(why)));
    CHECK_EQ(ptval_pin(&e->pv, 0, FA(7)), SBI_ERR_DENIED); /* under the superpages */
    CHECK_EQ(ptval_update(&e->pv, 0, FA(1024) + 8, 0), SBI_SUCCESS);
    CHECK_EQ(e->chunks[0].wsuper, 512 * 512 - 1);
    clock_t unpin = clock();
    CHECK_EQ(ptval_unpin(&e->pv, 0, FA(512)), SBI_SUCCESS);
    clock_t done = clock();
    CHECK(all_released(e));
    /* Loose: counted per frame, each took seconds here; counted per chunk, milliseconds. */
    double secs = (double)(pinned - start + done - unpin) / CLOCKS_PER_SEC;
    CHECK(secs < 1.0);
    fprintf(stderr, "superpage_tree_counts_per_chunk: pin and unpin of 262144 leaves in %.3f s\n",
            secs);
    env_free(e);
}

/* A root of writable 1 GiB leaves counts 512 steps a leaf, one in each chunk. */
TEST(gigapages_count_per_chunk)
{
    const uint64_t root = 512 * 512;
    struct env *e = env_new(root + 512); /* 1 GiB of data, then a chunk for the tables */
    for (unsigned i = 0; i < 256; i++) {
        poke(e, root, i, PTE(FA(0), RW));
    }
    CHECK_EQ(ptval_pin(&e->pv, 0, FA(root)), SBI_SUCCESS);
    uint64_t wrong = 0;
    for (uint64_t c = 0; c < 512; c++) {
        wrong += e->chunks[c].wsuper != 256 || e->chunks[c].typed != 0;
    }
    CHECK_EQ(wrong, 0);
    CHECK_EQ(e->chunks[512].typed, 1);
    CHECK_EQ(e->chunks[512].wsuper, 0);
    CHECK_EQ(e->frames[100].wcount, 0);
    CHECK_EQ(ptval_pin(&e->pv, 0, FA(100)), SBI_ERR_DENIED);
    CHECK_EQ(ptval_pin(&e->pv, 0, FA(root + 1)), SBI_SUCCESS);
    CHECK_EQ(ptval_update(&e->pv, 0, FA(root + 1), PTE(FA(0), RW)), SBI_SUCCESS);
    CHECK_EQ(e->chunks[511].wsuper, 257);
    CHECK_EQ(ptval_update(&e->pv, 0, FA(root + 1), PTE(FA(0), R)), SBI_SUCCESS);
    CHECK_EQ(e->chunks[511].wsuper, 256);
    /* hext: the guest adds 256 writable 1 GiB leaves behind the validator's back; unpinning drops
     * 512 from counts of 256, which stop at zero. */
    for (unsigned i = 256; i < 512; i++) {
        poke(e, root, i, PTE(FA(0), RW | X));
    }
    CHECK_EQ(ptval_unpin(&e->pv, 0, FA(root)), SBI_SUCCESS);
    CHECK(nothing_underflowed(e));
    CHECK_EQ(ptval_unpin(&e->pv, 0, FA(root + 1)), SBI_SUCCESS);
    CHECK(all_released(e));
    env_free(e);
}

TEST(superpages_need_a_2mib_aligned_base)
{
    struct env *e = env_new_at(BASE + 4096, 1024);
#define FB(i) (e->base + (uint64_t)(i) * 4096)
    poke(e, 600, 0, PTE(FB(601), 0));
    poke(e, 601, 0, PTE(FB(602), 0));
    CHECK_EQ(op(e, OP_PIN, FB(600), 0), SBI_SUCCESS);
    /* FB(511) is 2 MiB aligned, but its 2 MiB would straddle two chunks. */
    CHECK_EQ(op(e, OP_UPDATE, FB(601) + 8, PTE(FB(511), R)), SBI_ERR_INVALID_PARAM);
    CHECK_EQ(op(e, OP_UPDATE, FB(601) + 8, PTE(FB(511), RW)), SBI_ERR_INVALID_PARAM);
    CHECK_EQ(op(e, OP_UPDATE, FB(601) + 8, PTE(FB(0), R)), SBI_ERR_INVALID_PARAM); /* misaligned */
    CHECK_EQ(op(e, OP_UPDATE, FB(602) + 8, PTE(FB(511), RW)), SBI_SUCCESS); /* 4 KiB is fine */
    CHECK_EQ(e->frames[511].wcount, 1);
    CHECK_EQ(op(e, OP_UNPIN, FB(600), 0), SBI_SUCCESS);
    CHECK(all_released(e));
#undef FB
    env_free(e);
}

/* hext: the guest pins many empty roots, then links each to the next (and to a level-1 table of
 * another tree) by writing the typed roots directly, and unpins the first. Followed blindly, the
 * chain recursed once per root and overflowed the 16 KiB hypervisor stack; now only a table of the
 * level below is followed, and one with references left. */
TEST(hext_linked_roots_unpin_is_bounded)
{
    const unsigned roots = 900;
    struct env *e = env_new(1024);
    poke(e, 1000, 0, NL(1001)); /* root 1000 -> level-1 table 1001 -> level-0 table 1002 */
    poke(e, 1001, 0, NL(1002));
    poke(e, 1002, 0, PTE(FA(950), RW));
    CHECK_EQ(PIN(e, 1000), SBI_SUCCESS);
    for (unsigned r = 0; r < roots; r++) {
        CHECK_EQ(ptval_pin(&e->pv, 0, FA(r)), SBI_SUCCESS);
    }
    e->hext = true;
    for (unsigned r = 0; r < roots; r++) {
        for (unsigned i = 0; i < 512; i += 2) {
            poke(e, r, i, NL(r + 1)); /* the next root (after the last: a frame that is no table) */
            poke(e, r, i + 1, NL(1001)); /* another tree's table: dropped, never taken */
        }
    }
    poke(e, 1001, 1, NL(1001)); /* a level-1 table as its own child */
    CHECK_EQ(UNPIN(e, 0), SBI_SUCCESS);
    CHECK(e->stack_max < 4096);
    fprintf(stderr, "hext_linked_roots_unpin_is_bounded: stack %lu bytes\n",
            (unsigned long)e->stack_max);
    CHECK_EQ(e->frames[0].type, PT_NONE);
    CHECK_EQ(e->frames[1].type, PT_L2); /* the next root keeps its pin and its count */
    CHECK_EQ(e->frames[1].tcount, 1);
    CHECK_EQ(e->frames[1001].type, PT_NONE); /* lost its one reference: the guest's own loss */
    CHECK_EQ(e->frames[1002].type, PT_NONE);
    CHECK_EQ(e->frames[950].wcount, 0);
    for (unsigned r = 1; r < roots; r++) {
        CHECK_EQ(UNPIN(e, r), SBI_SUCCESS);
    }
    CHECK_EQ(UNPIN(e, 1000), SBI_SUCCESS);
    CHECK(all_released(e));
    env_free(e);
}

/* hext: leaves written into typed tables behind the validator's back, then an update over one and
 * an unpin: counts of frames never counted stay at zero. */
TEST(hext_tampered_leaves_then_unpin)
{
    struct env *e = env_std();
    CHECK_EQ(UPD(e, 2, 3, PTE(FA(10), RW)), SBI_SUCCESS);
    e->hext = true;
    poke(e, 2, 3, PTE(FA(11), RW));      /* replaces a counted entry: 10 keeps its count */
    poke(e, 2, 4, PTE(FA(12), RW | X));  /* never counted */
    poke(e, 2, 5, PTE(FA(1), RW));       /* a table, writable */
    poke(e, 2, 6, PTE(FA(64), RW));      /* not the guest's */
    poke(e, 2, 7, PTE(FA(13), W));       /* malformed */
    poke(e, 2, 8, NL(2));                /* a non-leaf at level 0 */
    poke(e, 1, 3, PTE(FA(0), RW));       /* a 2 MiB leaf past the guest */
    poke(e, 1, 4, NL(1));                /* a level-1 table as its own child */
    poke(e, 0, 5, NL(2));                /* a level-0 table as a level-1 one */
    poke(e, 0, 6, NL(0));                /* the root as its own child */
    poke(e, 0, 7, NL(40));               /* a frame that is no table */
    CHECK_EQ(UPD(e, 2, 4, 0), SBI_SUCCESS);
    CHECK_EQ(e->frames[12].wcount, 0);
    CHECK_EQ(UPD(e, 2, 9, PTE(FA(12), RW)), SBI_SUCCESS); /* still grants what it checks */
    CHECK_EQ(UPD(e, 2, 10, PTE(FA(1), RW)), SBI_ERR_DENIED);
    CHECK_EQ(UNPIN(e, 0), SBI_SUCCESS);
    CHECK(nothing_underflowed(e));
    CHECK_EQ(e->frames[10].wcount, 1); /* leaked by the guest's own write: never a table again */
    CHECK_EQ(e->frames[11].wcount + e->frames[12].wcount + e->frames[13].wcount, 0);
    for (uint64_t f = 0; f < e->n; f++) {
        CHECK_EQ(e->frames[f].type, PT_NONE);
        CHECK_EQ(e->frames[f].tcount, 0);
    }
    CHECK_EQ(PIN(e, 10), SBI_ERR_DENIED);
    env_free(e);

    /* The same with 2 MiB leaves: counts per chunk stop at zero. */
    e = env_big();
    CHECK_EQ(UPD(e, 601, 2, PTE(FA(0), RW)), SBI_SUCCESS);
    e->hext = true;
    poke(e, 601, 1, PTE(FA(0), RW));     /* never counted */
    poke(e, 601, 2, PTE(FA(512), RW));   /* replaces the counted one: over the tables' chunk */
    poke(e, 601, 3, PTE(FA(512), RW | X));
    CHECK_EQ(UNPIN(e, 600), SBI_SUCCESS);
    CHECK(all_released(e));
    env_free(e);
}
