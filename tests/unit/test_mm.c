// SPDX-License-Identifier: MIT
// Frame allocator: pools, reservations, alignment, exhaustion, and refusals of bad frees.
#include <stdint.h>

#include "check.h"
#include "hverr.h"
#include "mm.h"

#define BASE 0x80000000ull
#define SIZE (64ull << 20)

static uint64_t bitmap[FRAMES_BITMAP_WORDS(SIZE)];

static void pool(struct frame_alloc *fa)
{
    memset(fa, 0, sizeof(*fa));
    CHECK_EQ(frames_add_pool(fa, BASE, SIZE, bitmap), HV_OK);
}

TEST(pool_counts_whole_pages)
{
    struct frame_alloc fa = { 0 };
    CHECK_EQ(frames_add_pool(&fa, BASE + 100, 3 * PAGE_SIZE, bitmap), HV_OK);
    CHECK_EQ(fa.pools[0].base, BASE + PAGE_SIZE);
    CHECK_EQ(frames_free_count(&fa), 2); /* the partial first and last pages are dropped */
}

TEST(pool_rejects_overlap_and_empty)
{
    struct frame_alloc fa;
    static uint64_t other[64];
    pool(&fa);
    CHECK_EQ(frames_add_pool(&fa, BASE + SIZE - PAGE_SIZE, 4 * PAGE_SIZE, other), HV_EINVAL);
    CHECK_EQ(frames_add_pool(&fa, BASE + SIZE, 100, other), HV_EINVAL);
    CHECK_EQ(frames_add_pool(&fa, ~0ull - PAGE_SIZE, 8 * PAGE_SIZE, other), HV_EINVAL);
    CHECK_EQ(fa.npools, 1);
}

TEST(reserve_marks_touched_frames)
{
    struct frame_alloc fa;
    pool(&fa);
    uint64_t before = frames_free_count(&fa);
    frames_reserve(&fa, BASE + 10, PAGE_SIZE); /* touches frames 0 and 1 */
    CHECK_EQ(frames_free_count(&fa), before - 2);
    frames_reserve(&fa, BASE, PAGE_SIZE); /* already reserved: no double count */
    CHECK_EQ(frames_free_count(&fa), before - 2);
    frames_reserve(&fa, 0x1000, 0x1000); /* outside every pool: ignored */
    frames_reserve(&fa, BASE + SIZE - PAGE_SIZE, ~0ull); /* runs off the end of the address space */
    CHECK_EQ(frames_free_count(&fa), before - 3);
    CHECK(frames_in_use(&fa, BASE + PAGE_SIZE));
    CHECK(!frames_in_use(&fa, BASE + 2 * PAGE_SIZE));
}

TEST(alloc_honours_alignment)
{
    struct frame_alloc fa;
    pool(&fa);
    frames_reserve(&fa, BASE, PAGE_SIZE);
    uint64_t a = frames_alloc(&fa, 512, 2ull << 20);
    CHECK_EQ(a, BASE + (2ull << 20));
    uint64_t b = frames_alloc(&fa, 4, 4 * PAGE_SIZE);
    CHECK_EQ(b % (4 * PAGE_SIZE), 0);
    CHECK(b != 0 && (b + 4 * PAGE_SIZE <= a || b >= a + (2ull << 20)));
    CHECK_EQ(frames_alloc(&fa, 1, 3 * PAGE_SIZE), 0); /* not a power of two */
    CHECK_EQ(frames_alloc(&fa, 1, 16), 0);             /* below a page */
    CHECK_EQ(frames_alloc(&fa, 0, PAGE_SIZE), 0);
}

TEST(alloc_until_exhausted_then_free_all)
{
    struct frame_alloc fa;
    pool(&fa);
    uint64_t total = frames_free_count(&fa), n = 0;
    uint64_t a;
    while ((a = frames_alloc(&fa, 1, PAGE_SIZE)) != 0) {
        CHECK(a >= BASE && a < BASE + SIZE);
        n++;
    }
    CHECK_EQ(n, total);
    CHECK_EQ(frames_free_count(&fa), 0);
    CHECK_EQ(frames_free(&fa, BASE, total), HV_OK);
    CHECK_EQ(frames_free_count(&fa), total);
}

TEST(free_refuses_double_and_foreign)
{
    struct frame_alloc fa;
    pool(&fa);
    uint64_t a = frames_alloc(&fa, 2, PAGE_SIZE);
    uint64_t before = frames_free_count(&fa);
    CHECK_EQ(frames_free(&fa, a, 3), HV_EINVAL);          /* third frame is not allocated */
    CHECK_EQ(frames_free_count(&fa), before);              /* and nothing was freed */
    CHECK_EQ(frames_free(&fa, a + 1, 1), HV_EINVAL);      /* unaligned */
    CHECK_EQ(frames_free(&fa, 0x1000, 1), HV_EINVAL);     /* outside */
    CHECK_EQ(frames_free(&fa, a, ~0ull), HV_EINVAL);      /* count past the pool */
    CHECK_EQ(frames_free(&fa, a, 2), HV_OK);
    CHECK_EQ(frames_free(&fa, a, 2), HV_EINVAL);          /* double free */
    CHECK_EQ(frames_free_count(&fa), before + 2);
}

TEST(fragmentation_finds_later_runs)
{
    struct frame_alloc fa;
    pool(&fa);
    /* Use every other frame of the first 64, then ask for 8 in a row: it must come after them. */
    for (uint64_t i = 0; i < 64; i += 2) {
        frames_reserve(&fa, BASE + i * PAGE_SIZE, PAGE_SIZE);
    }
    uint64_t a = frames_alloc(&fa, 8, PAGE_SIZE);
    CHECK(a >= BASE + 63 * PAGE_SIZE);
    for (uint64_t i = 0; i < 8; i++) {
        CHECK(frames_in_use(&fa, a + i * PAGE_SIZE));
    }
}

TEST(alloc_free_cycles_restore_count)
{
    struct frame_alloc fa;
    pool(&fa);
    uint64_t before = frames_free_count(&fa);
    for (int i = 0; i < 1000; i++) {
        uint64_t a = frames_alloc(&fa, 4096, 2ull << 20);
        uint64_t b = frames_alloc(&fa, 4, 4 * PAGE_SIZE);
        CHECK(a && b);
        CHECK_EQ(frames_free(&fa, b, 4), HV_OK);
        CHECK_EQ(frames_free(&fa, a, 4096), HV_OK);
    }
    CHECK_EQ(frames_free_count(&fa), before);
}

static uint64_t scrubbed;

static void count_scrub(void *ctx, uint64_t pa, uint64_t n)
{
    (void)ctx;
    (void)pa;
    scrubbed += n;
}

TEST(scrub_only_frames_used_before)
{
    struct frame_alloc fa;
    pool(&fa);
    scrubbed = 0;
    uint64_t a = frames_alloc(&fa, 8, PAGE_SIZE);
    frames_scrub(&fa, a, 8, count_scrub, NULL);
    CHECK_EQ(scrubbed, 0); /* never handed out since boot */
    CHECK_EQ(frames_free(&fa, a, 8), HV_OK);
    uint64_t b = frames_alloc(&fa, 12, PAGE_SIZE); /* the eight used frames and four fresh ones */
    CHECK_EQ(b, a);
    frames_scrub(&fa, b, 12, count_scrub, NULL);
    CHECK_EQ(scrubbed, 8);
    frames_scrub(&fa, 0x1000, 4, count_scrub, NULL); /* outside: ignored */
    CHECK_EQ(scrubbed, 8);
}

/* Random allocations and frees of every size and alignment against a plain array of flags: the
 * summaries and word-at-a-time runs must agree with it, frame by frame, after every operation. */
TEST(model_random_alloc_free)
{
    enum { FRAMES = 4096 + 37, LIVE = 64 };
    static uint64_t bm[FRAMES_BITMAP_WORDS((uint64_t)FRAMES * PAGE_SIZE)];
    static bool model[FRAMES];
    struct frame_alloc fa = { 0 };
    struct {
        uint64_t pa, n;
    } live[LIVE] = { { 0, 0 } };
    uint32_t seed = 99;
    /* A base that is 8 KiB- but not 16 KiB-aligned, so pool indexes and addresses align apart. */
    const uint64_t base = BASE + 2 * PAGE_SIZE;

    memset(model, 0, sizeof model);
    CHECK_EQ(frames_add_pool(&fa, base, (uint64_t)FRAMES * PAGE_SIZE, bm), HV_OK);
    frames_reserve(&fa, base + 100 * PAGE_SIZE, 70 * PAGE_SIZE);
    for (unsigned i = 100; i < 170; i++) {
        model[i] = true;
    }
    for (unsigned iter = 0; iter < 20000; iter++) {
        seed = seed * 1103515245u + 12345u;
        unsigned slot = (seed >> 16) % LIVE;
        if (live[slot].n) {
            CHECK_EQ(frames_free(&fa, live[slot].pa, live[slot].n), HV_OK);
            for (uint64_t i = 0; i < live[slot].n; i++) {
                model[(live[slot].pa - base) / PAGE_SIZE + i] = false;
            }
            live[slot].n = 0;
            continue;
        }
        static const uint64_t sizes[] = { 1, 1, 1, 3, 64, 65, 130, 512, 700 };
        static const uint64_t aligns[] = { 1, 1, 2, 16, 64, 512 };
        uint64_t n = sizes[(seed >> 8) % 9], af = aligns[(seed >> 4) % 6];
        uint64_t pa = frames_alloc(&fa, n, af * PAGE_SIZE);
        /* The model's answer: the lowest aligned free run (the allocator's is the lowest too). */
        uint64_t want = 0;
        for (uint64_t f = 0; f + n <= FRAMES && !want; f++) {
            if ((base + f * PAGE_SIZE) % (af * PAGE_SIZE)) {
                continue;
            }
            uint64_t k = 0;
            while (k < n && !model[f + k]) {
                k++;
            }
            want = k == n ? base + f * PAGE_SIZE : 0;
        }
        CHECK_EQ(pa, want);
        if (pa) {
            for (uint64_t i = 0; i < n; i++) {
                model[(pa - base) / PAGE_SIZE + i] = true;
            }
            live[slot].pa = pa;
            live[slot].n = n;
        }
        uint64_t nfree = 0;
        for (unsigned f = 0; f < FRAMES; f++) {
            nfree += !model[f];
            CHECK_EQ(frames_in_use(&fa, base + (uint64_t)f * PAGE_SIZE), model[f]);
        }
        CHECK_EQ(frames_free_count(&fa), nfree);
        if (test_failures) {
            return;
        }
    }
}

/* The search cost does not grow with what is allocated: with 1 GiB of a 1.5 GiB pool handed out
 * frame by frame, one more frame or one more 2 MiB-aligned 2 MiB run looks at a few words. */
TEST(cost_does_not_grow_with_allocation)
{
    static uint64_t bm[FRAMES_BITMAP_WORDS(3ull << 29)];
    struct frame_alloc fa = { 0 };
    CHECK_EQ(frames_add_pool(&fa, BASE, 3ull << 29, bm), HV_OK);
    struct frame_pool *p = &fa.pools[0];

    for (uint64_t i = 0; i < (1ull << 30) / PAGE_SIZE; i++) {
        p->probes = 0;
        CHECK(frames_alloc(&fa, 1, PAGE_SIZE) != 0);
        if (p->probes > 8) {
            CHECK_EQ(p->probes, 8);
            return;
        }
    }
    p->probes = 0;
    uint64_t run = frames_alloc(&fa, 512, 2 << 20);
    CHECK(run != 0 && run % (2 << 20) == 0);
    /* Past the allocated GiB: the summary of wholly free words skips it 4096 frames per word. */
    CHECK(p->probes < 100);
    /* A guest's 512 MiB costs word operations, not one per frame. */
    p->probes = 0;
    CHECK(frames_alloc(&fa, (256ull << 20) / PAGE_SIZE, 2 << 20) != 0);
    CHECK(p->probes < 2000);
}

TEST(largest_run_reports_aligned_free_space)
{
    struct frame_alloc fa;
    pool(&fa);
    CHECK_EQ(frames_largest_run(&fa, 2 << 20), SIZE);
    /* A frame taken at 10 MiB + 4 KiB leaves 10 MiB below and, 2 MiB aligned, 52 MiB above. */
    frames_reserve(&fa, BASE + (10 << 20) + PAGE_SIZE, PAGE_SIZE);
    CHECK_EQ(frames_largest_run(&fa, 2 << 20), SIZE - (12 << 20));
    CHECK_EQ(frames_largest_run(&fa, PAGE_SIZE), SIZE - (10 << 20) - 2 * PAGE_SIZE);
    frames_reserve(&fa, BASE, SIZE);
    CHECK_EQ(frames_largest_run(&fa, 2 << 20), 0);
}
