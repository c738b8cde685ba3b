// SPDX-License-Identifier: MIT
// MMU_UPDATE's HV_MMU_SHADOWED form and SET_ROOT's HV_ROOT_SHADOWED (hyp/pv/hc_mmu_shadow.c): a
// cooperative kernel's batches of updates to tables the trap engine shadows, each carried out and
// handed to the engine in order, within an exit's budget; and its root switch by hypercall.
#include <stdint.h>
#include <string.h>

#include "budget.h"
#include "sbi_env.h"

#define BATCH 0x80004000ull /* the entries */
#define TABLE 0x80008000ull /* a guest table */
#define ROOT 0x80009000ull  /* the root of the address space */

static struct hv_mmu_update_va *batch(void)
{
    return (struct hv_mmu_update_va *)(ram + (BATCH - 0x80000000));
}

static uint64_t *table(void)
{
    return (uint64_t *)(ram + (TABLE - 0x80000000));
}

static void update(uint64_t at, uint64_t n, uint64_t root)
{
    v->arch.regs.x[REG_A3] = root;
    ecall(HV_EXT, HV_FID_MMU_UPDATE, at, n, HV_MMU_SHADOWED);
}

static void shadowed_setup(void)
{
    setup();
    vcpu_page_offered = true;
    ntable_updates = 0;
    npages_drops = 0;
    table_protected_frame = ~0ull;
    table_update_all_at = ~0ull;
    shadow_root_satp = 0;
}

TEST(shadowed_only_where_offered)
{
    setup();
    vcpu_page_offered = false;
    ecall(HV_EXT, HV_FID_PROBE, 0, 0, 0);
    CHECK(!(A1 & HV_FEAT_TABLES_BATCHED));
    update(BATCH, 1, ROOT);
    CHECK_EQ(A0, SBI_ERR_NOT_SUPPORTED); /* hext: nothing is shadowed */
    ecall(HV_EXT, HV_FID_SET_ROOT, ROOT, 1, HV_ROOT_SHADOWED);
    CHECK_EQ(A0, SBI_ERR_NOT_SUPPORTED);
    shadowed_setup();
    ecall(HV_EXT, HV_FID_PROBE, 0, 0, 0);
    CHECK(A1 & HV_FEAT_TABLES_BATCHED);
    /* a2 names the form: anything but the two known ones is refused, nothing done. */
    batch()[0] = (struct hv_mmu_update_va){ TABLE, 0x1234, 0x5000 };
    ecall(HV_EXT, HV_FID_MMU_UPDATE, BATCH, 1, 2);
    CHECK_EQ(A0, SBI_ERR_INVALID_PARAM);
    CHECK_EQ(table()[0], 0);
    CHECK_EQ(ntable_updates, 0);
    vcpu_page_offered = false;
}

TEST(shadowed_updates_in_order)
{
    shadowed_setup();
    memset(table(), 0, 4096);
    table()[1] = 0x77;
    batch()[0] = (struct hv_mmu_update_va){ TABLE, 0x1001, 0x5000 };
    batch()[1] = (struct hv_mmu_update_va){ TABLE + 8, 0, 0x6000 | HV_MMU_VA_DROP };
    batch()[2] = (struct hv_mmu_update_va){ TABLE, 0x2001, 0x5000 | HV_MMU_VA_DROP };
    update(BATCH, 3, ROOT);
    CHECK_EQ(A0, 0);
    CHECK_EQ(A1, 3);
    CHECK_EQ(table()[0], 0x2001);
    CHECK_EQ(table()[1], 0);
    /* The engine is asked about the frame once (it does not protect it), with the value replaced. */
    CHECK_EQ(ntable_updates, 1);
    CHECK_EQ(table_updates[0].gpa, TABLE);
    CHECK_EQ(table_updates[0].old, 0);
    CHECK_EQ(table_updates[0].now, 0x1001);
    /* The pages flagged go in one drop, in the call's address space, flag bits off. */
    CHECK_EQ(npages_drops, 1);
    CHECK_EQ(pages_drops[0].root, ROOT);
    CHECK_EQ(pages_drops[0].lo, 0x5000);
    CHECK_EQ(pages_drops[0].hi, 0x7000);
    vcpu_page_offered = false;
}

TEST(shadowed_protected_tables_follow_each_update)
{
    shadowed_setup();
    memset(table(), 0, 4096);
    table_protected_frame = TABLE;
    batch()[0] = (struct hv_mmu_update_va){ TABLE, 0x1001, 0x5000 | HV_MMU_VA_DROP };
    batch()[1] = (struct hv_mmu_update_va){ TABLE + 8, 0x2001, 0x6000 | HV_MMU_VA_DROP };
    update(BATCH, 2, ROOT);
    CHECK_EQ(A0, 0);
    CHECK_EQ(A1, 2);
    /* Each update is the engine's (as a trapped store would be), with what it replaced; no page is
     * dropped by the call itself. */
    CHECK_EQ(ntable_updates, 2);
    CHECK_EQ(table_updates[1].gpa, TABLE + 8);
    CHECK_EQ(table_updates[1].now, 0x2001);
    CHECK_EQ(npages_drops, 0);
    vcpu_page_offered = false;
}

TEST(shadowed_drops_gathered_by_group)
{
    shadowed_setup();
    memset(table(), 0, 4096);
    /* Pages of two aligned groups of 64, in and out of order, and one without the flag. */
    uint64_t vas[] = { 0x40000, 0x41000, 0x7f000 | HV_MMU_VA_DROP, 0x40000 | HV_MMU_VA_DROP,
                       0x42000 | HV_MMU_VA_DROP, 0x80000 | HV_MMU_VA_DROP, 0x81000 | HV_MMU_VA_DROP,
                       0x3f000 | HV_MMU_VA_DROP };
    for (unsigned i = 0; i < 8; i++) {
        batch()[i] = (struct hv_mmu_update_va){ TABLE + 8 * i, i, vas[i] };
    }
    update(BATCH, 8, ROOT);
    CHECK_EQ(A0, 0);
    CHECK_EQ(A1, 8);
    CHECK_EQ(npages_drops, 3);
    CHECK_EQ(pages_drops[0].lo, 0x40000);
    CHECK_EQ(pages_drops[0].hi, 0x80000);
    CHECK_EQ(pages_drops[1].lo, 0x80000);
    CHECK_EQ(pages_drops[1].hi, 0x82000);
    CHECK_EQ(pages_drops[2].lo, 0x3f000);
    CHECK_EQ(pages_drops[2].hi, 0x40000);
    for (unsigned i = 0; i < npages_drops; i++) {
        CHECK_EQ(pages_drops[i].lo >> 18, (pages_drops[i].hi - 1) >> 18);
    }
    vcpu_page_offered = false;
}

TEST(shadowed_bad_arguments)
{
    shadowed_setup();
    memset(table(), 0, 4096);
    batch()[0] = (struct hv_mmu_update_va){ TABLE, 0x1001, 0x5000 };
    /* The array: misaligned, outside RAM, running off its end, an absurd count. */
    update(BATCH + 4, 1, ROOT);
    CHECK_EQ(A0, SBI_ERR_INVALID_ADDRESS);
    update(0x7fff0000, 1, ROOT);
    CHECK_EQ(A0, SBI_ERR_INVALID_ADDRESS);
    update(0x80000000 + RAM_SIZE - 24, 2, ROOT);
    CHECK_EQ(A0, SBI_ERR_INVALID_ADDRESS);
    update(BATCH, 1ull << 62, ROOT);
    CHECK_EQ(A0, SBI_ERR_INVALID_ADDRESS);
    /* The root: misaligned, outside RAM, the last page of RAM less a byte. */
    update(BATCH, 1, ROOT + 8);
    CHECK_EQ(A0, SBI_ERR_INVALID_ADDRESS);
    update(BATCH, 1, 0x1000);
    CHECK_EQ(A0, SBI_ERR_INVALID_ADDRESS);
    update(BATCH, 1, 0x80000000 + RAM_SIZE);
    CHECK_EQ(A0, SBI_ERR_INVALID_ADDRESS);
    CHECK_EQ(ntable_updates, 0);
    CHECK_EQ(table()[0], 0);
    /* Entries: the first good one is done, the next stops the call with its error. */
    batch()[1] = (struct hv_mmu_update_va){ TABLE | HV_MMU_ZERO, 0, 0 };
    update(BATCH, 2, ROOT);
    CHECK_EQ(A0, SBI_ERR_INVALID_PARAM);
    CHECK_EQ(A1, 1);
    CHECK_EQ(table()[0], 0x1001);
    batch()[1] = (struct hv_mmu_update_va){ 0x80000000 + RAM_SIZE, 1, 0 };
    update(BATCH, 2, ROOT);
    CHECK_EQ(A0, SBI_ERR_INVALID_ADDRESS);
    CHECK_EQ(A1, 1);
    batch()[1] = (struct hv_mmu_update_va){ 0x7ffffff8, 1, 0 };
    update(BATCH, 2, ROOT);
    CHECK_EQ(A0, SBI_ERR_INVALID_ADDRESS);
    batch()[1] = (struct hv_mmu_update_va){ TABLE + 4, 1, 0 }; /* the low bits are the command */
    update(BATCH, 2, ROOT);
    CHECK_EQ(A0, SBI_ERR_INVALID_PARAM);
    CHECK_EQ(ntable_updates, 4); /* the good first entry of each call */
    vcpu_page_offered = false;
}

TEST(shadowed_validated_tables_refused)
{
    shadowed_setup();
    /* A validated root (pinned): the shadowed form may not write into it. */
    uint64_t *root = (uint64_t *)(ram + 0x10000);
    memset(root, 0, 4096);
    unsigned exits = 0;
    do {
        ecall(HV_EXT, HV_FID_PIN_TABLE, 0x80010000, 0, 0);
    } while (A0 == 0 && A1 == 0 && ++exits < 1000);
    CHECK_EQ(A0, 0);
    CHECK_EQ(A1, 1);
    batch()[0] = (struct hv_mmu_update_va){ 0x80010000, 0x1001, 0 };
    update(BATCH, 1, ROOT);
    CHECK_EQ(A0, SBI_ERR_DENIED);
    CHECK_EQ(A1, 0);
    CHECK_EQ(root[0], 0);
    CHECK_EQ(ntable_updates, 0);
    pv_release(&vm);
    vcpu_page_offered = false;
}

TEST(shadowed_work_per_exit)
{
    shadowed_setup();
    memset(table(), 0, 4096);
    struct hv_mmu_update_va *b = batch();
    /* Every entry a page of a group of its own to drop: each costs the walks of every vCPU's trees.
     * With three vCPUs a batch takes many exits, each call says how many it did, and the guest goes
     * on from there. */
    for (unsigned i = 0; i < 512; i++) {
        b[i] = (struct hv_mmu_update_va){ TABLE + 8 * i, i + 1, ((uint64_t)i << 18) | HV_MMU_VA_DROP };
    }
    unsigned nv = vm.nvcpus;
    vm.nvcpus = 3;
    uint64_t done = 0, calls = 0;
    npages_drops = 0;
    while (done < 512 && calls < 1000) {
        update(BATCH + done * sizeof(*b), 512 - done, ROOT);
        CHECK_EQ(A0, 0);
        CHECK(A1 > 0);
        CHECK(A1 * (1 + 3 * 64) <= EXIT_BUDGET);
        done += A1;
        calls++;
    }
    CHECK_EQ(done, 512);
    CHECK(calls >= 512 / 5);
    CHECK_EQ(npages_drops, 512);
    vm.nvcpus = nv;
    for (unsigned i = 0; i < 512; i++) {
        CHECK_EQ(table()[i], i + 1);
    }
    /* More than a batch: cut at HV_MMU_BATCH_MAX whatever the budget. */
    update(BATCH, 600, ROOT);
    CHECK_EQ(A0, 0);
    CHECK(A1 <= HV_MMU_BATCH_MAX);
    /* An update that took every tree of the VM ends the call's work: the next entry waits. */
    ntable_updates = 0;
    table_protected_frame = TABLE;
    table_update_all_at = TABLE + 8;
    update(BATCH, 4, ROOT);
    CHECK_EQ(A0, 0);
    CHECK_EQ(A1, 2);
    CHECK_EQ(ntable_updates, 2);
    vcpu_page_offered = false;
}

TEST(shadowed_inside_a_multicall)
{
    shadowed_setup();
    memset(table(), 0, 4096);
    batch()[0] = (struct hv_mmu_update_va){ TABLE, 0x1001, 0x5000 | HV_MMU_VA_DROP };
    struct hv_multicall *mc = (struct hv_multicall *)(ram + 0x2000);
    mc[0] = (struct hv_multicall){ .fid = HV_FID_MMU_UPDATE, .args = { BATCH, 1, HV_MMU_SHADOWED, ROOT } };
    mc[1] = (struct hv_multicall){ .fid = HV_FID_SET_ROOT, .args = { ROOT, 3, HV_ROOT_SHADOWED } };
    ecall(HV_EXT, HV_FID_MULTICALL, 0x80002000, 2, 0);
    CHECK_EQ(A0, 0);
    CHECK_EQ(A1, 2);
    CHECK_EQ(mc[0].error, 0);
    CHECK_EQ(mc[0].value, 1);
    CHECK_EQ(table()[0], 0x1001);
    CHECK_EQ(shadow_root_satp, (8ull << 60) | (3ull << 44) | (ROOT >> 12));
    /* Not in the middle of one. */
    shadow_root_satp = 0;
    mc[2] = (struct hv_multicall){ .fid = HV_FID_NULL };
    ecall(HV_EXT, HV_FID_MULTICALL, 0x80002000 + sizeof(*mc), 2, 0);
    CHECK_EQ(A0, SBI_ERR_DENIED);
    CHECK_EQ(shadow_root_satp, 0);
    vcpu_page_offered = false;
}

TEST(shadowed_root_switch)
{
    shadowed_setup();
    ecall(HV_EXT, HV_FID_SET_ROOT, ROOT, 5, HV_ROOT_SHADOWED);
    CHECK_EQ(A0, 0);
    CHECK_EQ(shadow_root_satp, (8ull << 60) | (5ull << 44) | (ROOT >> 12));
    shadow_root_satp = 0;
    ecall(HV_EXT, HV_FID_SET_ROOT, ROOT + 8, 5, HV_ROOT_SHADOWED);
    CHECK_EQ(A0, SBI_ERR_INVALID_PARAM);
    ecall(HV_EXT, HV_FID_SET_ROOT, ROOT, 0x10000, HV_ROOT_SHADOWED);
    CHECK_EQ(A0, SBI_ERR_INVALID_PARAM);
    ecall(HV_EXT, HV_FID_SET_ROOT, 0x7ffff000, 5, HV_ROOT_SHADOWED);
    CHECK_EQ(A0, SBI_ERR_INVALID_ADDRESS);
    ecall(HV_EXT, HV_FID_SET_ROOT, 0x80000000 + RAM_SIZE, 5, HV_ROOT_SHADOWED);
    CHECK_EQ(A0, SBI_ERR_INVALID_ADDRESS);
    CHECK_EQ(shadow_root_satp, 0);
    /* Without the flag it is the validated switch, which wants a pinned root. */
    ecall(HV_EXT, HV_FID_SET_ROOT, ROOT, 5, 0);
    CHECK_EQ(A0, SBI_ERR_DENIED);
    vcpu_page_offered = false;
}
