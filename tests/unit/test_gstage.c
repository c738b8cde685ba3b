// SPDX-License-Identifier: MIT
// G-stage mapper: superpages, 4 KiB pages, lookups, refusals, and that every table frame comes back.
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "hverr.h"
#include <arch/gstage.h>

static int live_frames;

static uint64_t test_alloc(void *ctx, uint64_t n, uint64_t align)
{
    (void)ctx;
    void *p = aligned_alloc(align, n * 4096);
    if (!p) {
        return 0;
    }
    memset(p, 0, n * 4096);
    live_frames += (int)n;
    return (uint64_t)(uintptr_t)p;
}

static void test_free(void *ctx, uint64_t pa, uint64_t n)
{
    (void)ctx;
    live_frames -= (int)n;
    free((void *)(uintptr_t)pa);
}

static const struct pt_alloc pa = { test_alloc, test_free, 0 };

#define RAM 0x80000000ull
#define HOST 0x90000000ull

TEST(maps_ram_with_superpages)
{
    struct gstage gs;
    CHECK_EQ(gstage_init(&gs, &pa), HV_OK);
    CHECK_EQ(gs.root % (4 * 4096), 0);
    CHECK_EQ(gstage_map(&gs, &pa, RAM, HOST, 16 << 20, PTE_R | PTE_W | PTE_X), HV_OK);
    /* 2 MiB leaves: root + one level-1 table, no level-0 tables. */
    CHECK_EQ(gs.tables, 5);
    uint64_t hpa, perm;
    CHECK(gstage_lookup(&gs, RAM, &hpa, &perm));
    CHECK_EQ(hpa, HOST);
    CHECK_EQ(perm, PTE_R | PTE_W | PTE_X);
    CHECK(gstage_lookup(&gs, RAM + (16 << 20) - 1, &hpa, &perm));
    CHECK_EQ(hpa, HOST + (16 << 20) - 1);
    CHECK(!gstage_lookup(&gs, RAM + (16 << 20), &hpa, &perm));
    CHECK(!gstage_lookup(&gs, RAM - 1, &hpa, &perm));
    CHECK(!gstage_lookup(&gs, 1ull << 41, &hpa, &perm));
    gstage_destroy(&gs, &pa);
    CHECK_EQ(live_frames, 0);
}

TEST(unaligned_ranges_use_small_pages)
{
    struct gstage gs;
    gstage_init(&gs, &pa);
    /* hpa not 2 MiB aligned relative to gpa: every leaf is 4 KiB. */
    CHECK_EQ(gstage_map(&gs, &pa, RAM, HOST + 4096, 4 << 20, PTE_R | PTE_W), HV_OK);
    CHECK_EQ(gs.tables, 4 + 1 + 2);
    uint64_t hpa, perm;
    CHECK(gstage_lookup(&gs, RAM + 0x123456, &hpa, &perm));
    CHECK_EQ(hpa, HOST + 4096 + 0x123456);
    CHECK_EQ(perm, PTE_R | PTE_W);
    gstage_destroy(&gs, &pa);
    CHECK_EQ(live_frames, 0);
}

TEST(leaves_carry_user_and_accessed_bits)
{
    struct gstage gs;
    gstage_init(&gs, &pa);
    gstage_map(&gs, &pa, 0x10000000, 0x10000000, 4096, PTE_R | PTE_W);
    uint64_t *root = (uint64_t *)(uintptr_t)gs.root;
    uint64_t l1 = root[0x10000000 >> 30];
    uint64_t *t1 = (uint64_t *)(uintptr_t)(((l1 >> 10) & ((1ull << 44) - 1)) << 12);
    uint64_t l0 = t1[(0x10000000 >> 21) & 0x1ff];
    uint64_t *t0 = (uint64_t *)(uintptr_t)(((l0 >> 10) & ((1ull << 44) - 1)) << 12);
    uint64_t leaf = t0[0];
    CHECK_EQ(leaf & 0x3ff, PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D);
    CHECK_EQ(l1 & 0x3ff, PTE_V); /* non-leaf: only V */
    gstage_destroy(&gs, &pa);
}

TEST(root_covers_41_bits)
{
    struct gstage gs;
    gstage_init(&gs, &pa);
    uint64_t top = (1ull << 41) - 4096;
    CHECK_EQ(gstage_map(&gs, &pa, top, HOST, 4096, PTE_R), HV_OK);
    uint64_t hpa, perm;
    CHECK(gstage_lookup(&gs, top + 5, &hpa, &perm));
    CHECK_EQ(hpa, HOST + 5);
    CHECK_EQ(gstage_map(&gs, &pa, top, HOST, 8192, PTE_R), HV_ERANGE);
    CHECK_EQ(gstage_map(&gs, &pa, 1ull << 41, HOST, 4096, PTE_R), HV_ERANGE);
    gstage_destroy(&gs, &pa);
    CHECK_EQ(live_frames, 0);
}

TEST(rejects_bad_arguments)
{
    struct gstage gs;
    gstage_init(&gs, &pa);
    CHECK_EQ(gstage_map(&gs, &pa, RAM + 1, HOST, 4096, PTE_R), HV_EINVAL);
    CHECK_EQ(gstage_map(&gs, &pa, RAM, HOST + 8, 4096, PTE_R), HV_EINVAL);
    CHECK_EQ(gstage_map(&gs, &pa, RAM, HOST, 100, PTE_R), HV_EINVAL);
    CHECK_EQ(gstage_map(&gs, &pa, RAM, HOST, 0, PTE_R), HV_EINVAL);
    CHECK_EQ(gstage_map(&gs, &pa, RAM, HOST, 4096, 0), HV_EINVAL);
    CHECK_EQ(gstage_map(&gs, &pa, RAM, HOST, 4096, PTE_W), HV_EINVAL); /* W without R */
    CHECK_EQ(gstage_map(&gs, &pa, ~0ull & ~0xfffull, HOST, 8192, PTE_R), HV_ERANGE);
    CHECK_EQ(gstage_map(&gs, &pa, RAM, ~0ull & ~0xfffull, 8192, PTE_R), HV_ERANGE);
    gstage_destroy(&gs, &pa);
    CHECK_EQ(live_frames, 0);
}

TEST(double_map_is_refused)
{
    struct gstage gs;
    gstage_init(&gs, &pa);
    CHECK_EQ(gstage_map(&gs, &pa, RAM, HOST, 2 << 20, PTE_R), HV_OK);
    CHECK_EQ(gstage_map(&gs, &pa, RAM, HOST, 4096, PTE_R), HV_ENOMEM); /* inside the superpage */
    CHECK_EQ(gstage_map(&gs, &pa, RAM + (2 << 20), HOST, 4096, PTE_R), HV_OK);
    CHECK_EQ(gstage_map(&gs, &pa, RAM + (2 << 20), HOST, 4096, PTE_R), HV_EEXIST);
    gstage_destroy(&gs, &pa);
    CHECK_EQ(live_frames, 0);
}

TEST(unmap_removes_and_refuses_splits)
{
    struct gstage gs;
    gstage_init(&gs, &pa);
    gstage_map(&gs, &pa, RAM, HOST, 4 << 20, PTE_R | PTE_W);
    gstage_map(&gs, &pa, 0x10000000, 0x10000000, 8192, PTE_R | PTE_W);
    CHECK_EQ(gstage_unmap(&gs, RAM, 4096), HV_EINVAL); /* would split a 2 MiB leaf */
    CHECK_EQ(gstage_unmap(&gs, RAM, 2 << 20), HV_OK);
    uint64_t hpa, perm;
    CHECK(!gstage_lookup(&gs, RAM, &hpa, &perm));
    CHECK(gstage_lookup(&gs, RAM + (2 << 20), &hpa, &perm));
    CHECK_EQ(gstage_unmap(&gs, 0x10000000, 4096), HV_OK);
    CHECK(!gstage_lookup(&gs, 0x10000000, &hpa, &perm));
    CHECK(gstage_lookup(&gs, 0x10001000, &hpa, &perm));
    CHECK_EQ(gstage_unmap(&gs, 0x10000000, 4096), HV_ENOENT);
    CHECK_EQ(gstage_unmap(&gs, 0x10000001, 4096), HV_EINVAL);
    gstage_destroy(&gs, &pa);
    CHECK_EQ(live_frames, 0);
}

static uint64_t budget_alloc(void *ctx, uint64_t n, uint64_t align)
{
    int *budget = ctx;
    if (*budget < (int)n) {
        return 0;
    }
    *budget -= (int)n;
    return test_alloc(NULL, n, align);
}

TEST(out_of_frames_is_an_error)
{
    int budget = 5; /* the root (4) and one more table: not enough for a 4 KiB mapping */
    const struct pt_alloc tight = { budget_alloc, test_free, &budget };
    struct gstage gs;
    CHECK_EQ(gstage_init(&gs, &tight), HV_OK);
    CHECK_EQ(gstage_map(&gs, &tight, RAM, HOST, 4096, PTE_R), HV_ENOMEM);
    uint64_t hpa, perm;
    CHECK(!gstage_lookup(&gs, RAM, &hpa, &perm));
    gstage_destroy(&gs, &tight);
    CHECK_EQ(live_frames, 0);
    budget = 3;
    CHECK_EQ(gstage_init(&gs, &tight), HV_ENOMEM);
}
