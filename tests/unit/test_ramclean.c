// SPDX-License-Identifier: MIT
// Demand clearing of guest RAM: the bitmap, runs, partial steps and the whole-RAM sweep, against a
// byte model of a guest's RAM that starts full of another owner's data.
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "ramclean.h"

#define NPAGES 1000u /* not a multiple of 64: the last word is partial */

static uint8_t ram[NPAGES][64]; /* a few bytes stand for each 4 KiB page */
static uint64_t bits[(NPAGES + 63) / 64];
static unsigned calls;
static uint64_t zeroed;

static void zero(void *ctx, uint64_t first, uint64_t n)
{
    (void)ctx;
    CHECK(first + n <= NPAGES);
    for (uint64_t p = first; p < first + n; p++) {
        CHECK_EQ(ram[p][0], 0xAA); /* never clears a page twice */
        memset(ram[p], 0, sizeof ram[p]);
    }
    calls++;
    zeroed += n;
}

static void fresh(struct ram_clean *rc)
{
    memset(ram, 0xAA, sizeof ram);
    memset(bits, 0xff, sizeof bits); /* init must clear whatever the frames held */
    ram_clean_init(rc, bits, NPAGES);
    calls = 0;
    zeroed = 0;
}

TEST(starts_with_nothing_cleared)
{
    struct ram_clean rc;
    fresh(&rc);
    CHECK(!ram_clean_is(&rc, 0, 1));
    CHECK(!ram_clean_is(&rc, NPAGES - 1, 1));
    CHECK(!ram_clean_is(&rc, NPAGES, 0)); /* outside */
    CHECK(ram_clean_is(&rc, 5, 0));
}

TEST(make_clears_each_run_once)
{
    struct ram_clean rc;
    fresh(&rc);
    CHECK_EQ(ram_clean_make(&rc, 10, 3, zero, 0), 3);
    CHECK_EQ(calls, 1);
    CHECK(ram_clean_is(&rc, 10, 3));
    CHECK(!ram_clean_is(&rc, 9, 2));
    /* A range over the cleared pages clears only the others, in two runs. */
    CHECK_EQ(ram_clean_make(&rc, 5, 20, zero, 0), 17);
    CHECK_EQ(calls, 3);
    CHECK(ram_clean_is(&rc, 5, 20));
    CHECK_EQ(ram[4][0], 0xAA);
    CHECK_EQ(ram[25][0], 0xAA);
    CHECK_EQ(ram_clean_make(&rc, 5, 20, zero, 0), 0);
}

TEST(make_spans_words_and_the_partial_tail)
{
    struct ram_clean rc;
    fresh(&rc);
    CHECK_EQ(ram_clean_make(&rc, 60, NPAGES - 60, zero, 0), NPAGES - 60);
    CHECK(ram_clean_is(&rc, 60, NPAGES - 60));
    CHECK(!ram_clean_is(&rc, 59, 1));
    CHECK_EQ(ram_clean_make(&rc, NPAGES - 1, 2, zero, 0), 0); /* past the end: refused */
    CHECK_EQ(ram_clean_make(&rc, ~0ull, 2, zero, 0), 0);
}

TEST(missing_counts_what_a_use_would_clear)
{
    struct ram_clean rc;
    fresh(&rc);
    CHECK_EQ(ram_clean_missing(&rc, 0, NPAGES), NPAGES);
    ram_clean_make(&rc, 10, 100, zero, 0);
    CHECK_EQ(ram_clean_missing(&rc, 0, 200), 100);
    CHECK_EQ(ram_clean_missing(&rc, 10, 100), 0);
    CHECK_EQ(ram_clean_missing(&rc, 109, 2), 1);
    CHECK_EQ(ram_clean_missing(&rc, NPAGES - 1, 2), 0); /* outside: nothing */
}

TEST(step_starts_near_the_fault_and_is_bounded)
{
    struct ram_clean rc;
    fresh(&rc);
    /* A 512-page region from page 256, 64 pages per step: the fault's own group goes first. */
    CHECK(!ram_clean_step(&rc, 256, 512, 700, 64, zero, 0));
    CHECK_EQ(zeroed, 64);
    CHECK(ram_clean_is(&rc, 640, 64));
    unsigned steps = 1;
    while (!ram_clean_step(&rc, 256, 512, 700, 64, zero, 0)) {
        steps++;
        CHECK(zeroed <= 64ull * steps);
    }
    CHECK_EQ(steps + 1, 8);
    CHECK_EQ(zeroed, 512);
    CHECK(ram_clean_is(&rc, 256, 512));
    CHECK_EQ(ram[255][0], 0xAA);
    CHECK_EQ(ram[768][0], 0xAA);
}

TEST(step_over_an_unaligned_range)
{
    struct ram_clean rc;
    fresh(&rc);
    /* Steps of 5 pages over 100 pages that start and end inside words. */
    unsigned steps = 0;
    while (!ram_clean_step(&rc, 30, 100, 129, 5, zero, 0)) {
        steps++;
        CHECK(steps < 100);
    }
    CHECK_EQ(zeroed, 100);
    CHECK_EQ(ram[29][0], 0xAA);
    CHECK_EQ(ram[130][0], 0xAA);
}

TEST(sweep_clears_everything_in_bounded_calls)
{
    struct ram_clean rc;
    fresh(&rc);
    ram_clean_make(&rc, 100, 300, zero, 0); /* some already done: skipped, not cleared again */
    unsigned n = 0;
    uint64_t before = zeroed;
    while (!ram_clean_swept(&rc)) {
        uint64_t got = ram_clean_sweep(&rc, 4, 40, zero, 0);
        n++;
        CHECK_EQ(got, zeroed - before);
        CHECK(got <= 40);
        before = zeroed;
        CHECK(n < 1000);
    }
    CHECK_EQ(zeroed, NPAGES);
    CHECK(ram_clean_is(&rc, 0, NPAGES));
    for (unsigned p = 0; p < NPAGES; p++) {
        CHECK_EQ(ram[p][0], 0);
    }
    CHECK_EQ(ram_clean_sweep(&rc, 1, 1, zero, 0), 0);
}
