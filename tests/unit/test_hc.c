// SPDX-License-Identifier: MIT
// The hypervisor's own extension (HV_EXT) through the SBI dispatcher: probe, page-table calls,
// multicall, block I/O, and the work one exit may do for them (hyp/budget.h): calls cut at a clean
// point answer how much they did, and the guest's next call goes on from there.
#include <stdint.h>
#include <stdlib.h>

#include "budget.h"
#include "sbi_env.h"

TEST(hv_probe_null_and_unknown)
{
    setup();
    ecall(HV_EXT, HV_FID_PROBE, 0, 0, 0);
    CHECK_EQ(A0, 0);
    CHECK_EQ(A1 >> 32, HV_ABI_VERSION);
    CHECK(A1 & HV_FEAT_MMU);
    ecall(HV_EXT, HV_FID_NULL, 0, 0, 0);
    CHECK_EQ(A0, 0);
    CHECK_EQ(A1, 0);
    ecall(HV_EXT, 4242, 0, 0, 0);
    CHECK_EQ(A0, SBI_ERR_NOT_SUPPORTED);
    ecall(SBI_EXT_BASE, SBI_BASE_PROBE_EXTENSION, HV_EXT, 0, 0);
    CHECK_EQ(A1, 1);
}

TEST(hv_vcpu_page_registration)
{
    setup();
    vcpu_page_offered = false;
    ecall(HV_EXT, HV_FID_VCPU_PAGE, 0x80003000, 0, 0);
    CHECK_EQ(A0, SBI_ERR_NOT_SUPPORTED); /* hext: no page, whatever the address */
    ecall(HV_EXT, HV_FID_PROBE, 0, 0, 0);
    CHECK(!(A1 & HV_FEAT_VCPU_PAGE));
    vcpu_page_offered = true;
    ecall(HV_EXT, HV_FID_PROBE, 0, 0, 0);
    CHECK(A1 & HV_FEAT_VCPU_PAGE);
    vcpu_page_now = 1;
    ecall(HV_EXT, HV_FID_VCPU_PAGE, 0x80003008, 0, 0);
    CHECK_EQ(A0, SBI_ERR_INVALID_PARAM);
    ecall(HV_EXT, HV_FID_VCPU_PAGE, 0x7ffff000, 0, 0);
    CHECK_EQ(A0, SBI_ERR_INVALID_ADDRESS);
    ecall(HV_EXT, HV_FID_VCPU_PAGE, 0x80000000 + RAM_SIZE, 0, 0);
    CHECK_EQ(A0, SBI_ERR_INVALID_ADDRESS);
    ecall(HV_EXT, HV_FID_VCPU_PAGE, ~0xfffull, 0, 0);
    CHECK_EQ(A0, SBI_ERR_INVALID_ADDRESS);
    CHECK_EQ(vcpu_page_now, 1); /* none of those reached the engine */
    ecall(HV_EXT, HV_FID_VCPU_PAGE, 0x80000000 + RAM_SIZE - 4096, 0, 0);
    CHECK_EQ(A0, 0);
    CHECK_EQ(vcpu_page_now, 0x80000000 + RAM_SIZE - 4096);
    ecall(HV_EXT, HV_FID_VCPU_PAGE, 0, 0, 0);
    CHECK_EQ(A0, 0);
    CHECK_EQ(vcpu_page_now, 0);
    /* Not from inside a multicall; neither is the return, which is not one there. */
    struct hv_multicall *mc = (struct hv_multicall *)(ram + 0x2000);
    mc[0] = (struct hv_multicall){ .fid = HV_FID_VCPU_PAGE, .args = { 0x80003000 } };
    mc[1] = (struct hv_multicall){ .fid = HV_FID_TRAP_RETURN };
    ecall(HV_EXT, HV_FID_MULTICALL, 0x80002000, 1, 0);
    CHECK_EQ(mc[0].error, SBI_ERR_DENIED);
    ecall(HV_EXT, HV_FID_MULTICALL, 0x80002000 + sizeof(*mc), 1, 0);
    CHECK_EQ(mc[1].error, SBI_ERR_DENIED);
    CHECK_EQ(vcpu_page_now, 0);
    /* The return call alone goes to the engine, which has nothing to return to here. */
    ecall(HV_EXT, HV_FID_TRAP_RETURN, 0, 0, 0);
    CHECK_EQ(A0, SBI_ERR_NOT_SUPPORTED);
    ecall(HV_EXT, HV_FID_IRQ_CHECK, 0, 0, 0);
    CHECK_EQ(A0, 0);
    vcpu_page_offered = false;
    pv_release(&vm);
}

TEST(hv_tables_fenced_where_tables_are_shadowed)
{
    setup();
    vcpu_page_offered = false;
    tables_fenced_calls = 0;
    ecall(HV_EXT, HV_FID_PROBE, 0, 0, 0);
    CHECK(!(A1 & HV_FEAT_TABLES_FENCED));
    ecall(HV_EXT, HV_FID_TABLES_FENCED, 0, 0, 0);
    CHECK_EQ(A0, SBI_ERR_NOT_SUPPORTED); /* hext: nothing is shadowed */
    CHECK_EQ(tables_fenced_calls, 0);
    vcpu_page_offered = true;
    ecall(HV_EXT, HV_FID_PROBE, 0, 0, 0);
    CHECK(A1 & HV_FEAT_TABLES_FENCED);
    ecall(HV_EXT, HV_FID_TABLES_FENCED, 0, 0, 0);
    CHECK_EQ(A0, 0);
    CHECK_EQ(tables_fenced_calls, 1);
    vcpu_page_offered = false;
    pv_release(&vm);
}

/* PIN or UNPIN as a guest makes it: again, with the same root, until it answers 1 (done). Returns
 * the error; *exits counts the calls. */
static long pin_call(uint64_t fid, uint64_t root, unsigned *exits)
{
    *exits = 0;
    do {
        ecall(HV_EXT, fid, root, 0, 0);
        (*exits)++;
    } while (A0 == 0 && A1 == 0 && *exits < 100000);
    CHECK(A0 != 0 || A1 == 1);
    return A0;
}

TEST(hv_pin_switch_unpin)
{
    setup();
    /* A root at RAM + 64 KiB, then L1 and L0, mapping the first page of RAM read-only. */
    uint64_t *root = (uint64_t *)(ram + 0x10000), *l1 = (uint64_t *)(ram + 0x11000);
    uint64_t *l0 = (uint64_t *)(ram + 0x12000);
    memset(root, 0, 3 * 4096);
    root[2] = ((0x80011000ull >> 12) << 10) | 1;
    l1[0] = ((0x80012000ull >> 12) << 10) | 1;
    l0[0] = ((0x80000000ull >> 12) << 10) | 0x3 | 0x40;
    ecall(HV_EXT, HV_FID_SET_ROOT, 0x80010000, 1, 0);
    CHECK_EQ(A0, SBI_ERR_DENIED); /* not pinned */
    unsigned exits;
    CHECK_EQ(pin_call(HV_FID_PIN_TABLE, 0x80010000, &exits), 0);
    CHECK(exits <= 3 * 512 / EXIT_BUDGET + 1);
    ecall(HV_EXT, HV_FID_SET_ROOT, 0x80010000, 1, 0);
    CHECK_EQ(A0, 0);
    CHECK_EQ(satp_now, (8ull << 60) | (1ull << 44) | (0x80010000ull >> 12));
    ecall(HV_EXT, HV_FID_UNPIN_TABLE, 0x80010000, 0, 0);
    CHECK_EQ(A0, SBI_ERR_DENIED); /* in use */
    satp_now = 0;
    CHECK_EQ(pin_call(HV_FID_UNPIN_TABLE, 0x80010000, &exits), 0);
    /* A root switch may end a multicall (after every other call), never sit in its middle. */
    CHECK_EQ(pin_call(HV_FID_PIN_TABLE, 0x80010000, &exits), 0);
    struct hv_multicall *mc = (struct hv_multicall *)(ram + 0x2000);
    mc[0] = (struct hv_multicall){ .fid = HV_FID_NULL, .error = 77 };
    mc[1] = (struct hv_multicall){ .fid = HV_FID_SET_ROOT, .args = { 0x80010000, 2, 0 }, .error = 77 };
    ecall(HV_EXT, HV_FID_MULTICALL, 0x80002000, 2, 0);
    CHECK_EQ(A0, 0);
    CHECK_EQ(A1, 2);
    CHECK_EQ(satp_now, (8ull << 60) | (2ull << 44) | (0x80010000ull >> 12));
    mc[2] = (struct hv_multicall){ .fid = HV_FID_NULL, .error = 77 };
    ecall(HV_EXT, HV_FID_MULTICALL, 0x80002000, 3, 0);
    CHECK_EQ(A0, SBI_ERR_DENIED);
    CHECK_EQ(A1, 1);
    CHECK_EQ(mc[2].error, 77);
    satp_now = 0;
    CHECK_EQ(pin_call(HV_FID_UNPIN_TABLE, 0x80010000, &exits), 0);
    pv_release(&vm);
}

TEST(hv_multicall_stops_at_first_error)
{
    setup();
    struct hv_multicall *mc = (struct hv_multicall *)(ram + 0x2000);
    mc[0] = (struct hv_multicall){ .fid = HV_FID_NULL, .error = 77 };
    mc[1] = (struct hv_multicall){ .fid = HV_FID_SET_ROOT, .error = 77 };
    mc[2] = (struct hv_multicall){ .fid = HV_FID_NULL, .error = 77 };
    ecall(HV_EXT, HV_FID_MULTICALL, 0x80002000, 3, 0);
    CHECK_EQ(A0, SBI_ERR_DENIED);
    CHECK_EQ(A1, 1);
    CHECK_EQ(mc[0].error, 0);
    CHECK_EQ(mc[1].error, SBI_ERR_DENIED);
    CHECK_EQ(mc[2].error, 77);
    ecall(HV_EXT, HV_FID_MULTICALL, 0x80000000 + RAM_SIZE - 64, 2, 0); /* runs off the end */
    CHECK_EQ(A0, SBI_ERR_INVALID_ADDRESS);
    ecall(HV_EXT, HV_FID_MULTICALL, 0x80002000, HV_MULTICALL_MAX + 1, 0);
    CHECK_EQ(A0, SBI_ERR_INVALID_PARAM);
    ecall(HV_EXT, HV_FID_MMU_UPDATE, ~0ul - 8, 2, 0);
    CHECK_EQ(A0, SBI_ERR_INVALID_ADDRESS);
    pv_release(&vm);
}

TEST(hv_blk_batch_write_read)
{
    struct hv_blk_req *r = blk_setup();
    ecall(HV_EXT, HV_FID_PROBE, 0, 0, 0);
    CHECK(A1 & HV_FEAT_BLK);
    ecall(HV_EXT, HV_FID_BLK_CTL, HV_BLK_CTL_CAPACITY, 0, 0);
    CHECK_EQ(A0, 0);
    CHECK_EQ(A1, DISK_SECTORS);
    for (unsigned i = 0; i < 2048; i++) {
        ram[0x4000 + i] = (uint8_t)(i * 13);
    }
    r[0] = (struct hv_blk_req){ .op = HV_BLK_WRITE, .status = 9, .sector = 2, .buf = 0x80004000, .len = 1024 };
    r[1] = (struct hv_blk_req){ .op = HV_BLK_WRITE, .status = 9, .sector = 60, .buf = 0x80004400, .len = 1024 };
    r[2] = (struct hv_blk_req){ .op = HV_BLK_FLUSH, .status = 9 };
    r[3] = (struct hv_blk_req){ .op = HV_BLK_READ, .status = 9, .sector = 2, .buf = 0x80008000, .len = 2048 };
    ecall(HV_EXT, HV_FID_BLK_SUBMIT, 0x80002000, 4, 0);
    CHECK_EQ(A0, 0);
    CHECK_EQ(A1, 4);
    for (unsigned i = 0; i < 4; i++) {
        CHECK_EQ(r[i].status, HV_BLK_OK);
    }
    CHECK(memcmp(disk_bytes + 1024, ram + 0x4000, 1024) == 0);
    CHECK(memcmp(disk_bytes + 60 * 512, ram + 0x4400, 1024) == 0);
    CHECK(memcmp(ram + 0x8000, ram + 0x4000, 1024) == 0);
    CHECK(blk_irq_pending());
    ecall(HV_EXT, HV_FID_BLK_CTL, HV_BLK_CTL_ACK, 0, 0);
    CHECK_EQ(A0, 0);
    CHECK(!blk_irq_pending());
    ecall(HV_EXT, HV_FID_BLK_CTL, 7, 0, 0);
    CHECK_EQ(A0, SBI_ERR_INVALID_PARAM);
    /* More than a batch holds: the first HV_BLK_BATCH_MAX are done, the caller comes back for the rest. */
    for (unsigned i = 0; i < HV_BLK_BATCH_MAX + 3; i++) {
        r[i] = (struct hv_blk_req){ .op = HV_BLK_READ, .sector = i % DISK_SECTORS, .buf = 0x80040000, .len = 512 };
    }
    ecall(HV_EXT, HV_FID_BLK_SUBMIT, 0x80002000, HV_BLK_BATCH_MAX + 3, 0);
    CHECK_EQ(A0, 0);
    CHECK_EQ(A1, HV_BLK_BATCH_MAX);
}

TEST(hv_blk_malformed)
{
    struct hv_blk_req *r = blk_setup();
    const struct hv_blk_req bad[] = {
        { .op = HV_BLK_READ, .sector = 0, .buf = 0x1000, .len = 512 },                  /* not RAM */
        { .op = HV_BLK_READ, .sector = 0, .buf = 0x80000000 + RAM_SIZE - 512, .len = 1024 }, /* past RAM */
        { .op = HV_BLK_WRITE, .sector = 0, .buf = ~0ull - 511, .len = 1024 },           /* wraps */
        { .op = HV_BLK_WRITE, .sector = 0, .buf = 0x80004000, .len = ~0ull - 511 },     /* huge */
        { .op = HV_BLK_WRITE, .sector = 0, .buf = 0x80004000, .len = 100 },             /* not sectors */
        { .op = HV_BLK_WRITE, .sector = 0, .buf = 0x80004000, .len = 0 },
        { .op = HV_BLK_WRITE, .sector = DISK_SECTORS - 1, .buf = 0x80004000, .len = 1024 }, /* past disk */
        { .op = HV_BLK_READ, .sector = ~0ull, .buf = 0x80004000, .len = 512 },
    };
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r[0] = (struct hv_blk_req){ .op = HV_BLK_FLUSH, .status = 9 };
        r[1] = bad[i];
        r[1].status = 9;
        r[2] = (struct hv_blk_req){ .op = HV_BLK_FLUSH, .status = 9 };
        ecall(HV_EXT, HV_FID_BLK_SUBMIT, 0x80002000, 3, 0);
        CHECK_EQ(A0, SBI_ERR_IO);
        CHECK_EQ(A1, 1);
        CHECK_EQ(r[0].status, HV_BLK_OK);
        CHECK_EQ(r[1].status, HV_BLK_IOERR);
        CHECK_EQ(r[2].status, 9); /* not run */
    }
    r[0] = (struct hv_blk_req){ .op = 5, .status = 9 };
    ecall(HV_EXT, HV_FID_BLK_SUBMIT, 0x80002000, 1, 0);
    CHECK_EQ(A0, SBI_ERR_IO);
    CHECK_EQ(r[0].status, HV_BLK_UNSUPP);
    /* The array itself: outside RAM, running off its end, misaligned. */
    ecall(HV_EXT, HV_FID_BLK_SUBMIT, 0x1000, 1, 0);
    CHECK_EQ(A0, SBI_ERR_INVALID_ADDRESS);
    ecall(HV_EXT, HV_FID_BLK_SUBMIT, 0x80000000 + RAM_SIZE - 32, 2, 0);
    CHECK_EQ(A0, SBI_ERR_INVALID_ADDRESS);
    ecall(HV_EXT, HV_FID_BLK_SUBMIT, 0x80002004, 1, 0);
    CHECK_EQ(A0, SBI_ERR_INVALID_ADDRESS);
    ecall(HV_EXT, HV_FID_BLK_SUBMIT, ~0ul - 8, 64, 0);
    CHECK_EQ(A0, SBI_ERR_INVALID_ADDRESS);
    CHECK(memcmp(disk_bytes, (uint8_t[DISK_SECTORS * 512]){ 0 }, sizeof disk_bytes) == 0);
    /* A read into a validated page table is refused; so is an array inside one. */
    uint64_t *root = (uint64_t *)(ram + 0x10000);
    memset(root, 0, 4096);
    ecall(HV_EXT, HV_FID_PIN_TABLE, 0x80010000, 0, 0);
    CHECK_EQ(A0, 0);
    CHECK_EQ(A1, 1); /* one table: one exit */
    r[0] = (struct hv_blk_req){ .op = HV_BLK_READ, .sector = 0, .buf = 0x8000fe00, .len = 1024 };
    ecall(HV_EXT, HV_FID_BLK_SUBMIT, 0x80002000, 1, 0);
    CHECK_EQ(A0, SBI_ERR_IO);
    CHECK_EQ(r[0].status, HV_BLK_IOERR);
    r[0] = (struct hv_blk_req){ .op = HV_BLK_WRITE, .sector = 0, .buf = 0x8000fe00, .len = 1024 };
    ecall(HV_EXT, HV_FID_BLK_SUBMIT, 0x80002000, 1, 0);
    CHECK_EQ(A0, 0); /* reading a table out to disk is harmless */
    ecall(HV_EXT, HV_FID_BLK_SUBMIT, 0x80010000, 1, 0);
    CHECK_EQ(A0, SBI_ERR_INVALID_ADDRESS);
    pv_release(&vm);
    /* Without a disk the calls do not exist. */
    vm.disk.kind = BLK_NONE;
    ecall(HV_EXT, HV_FID_BLK_SUBMIT, 0x80002000, 1, 0);
    CHECK_EQ(A0, SBI_ERR_NOT_SUPPORTED);
    ecall(HV_EXT, HV_FID_BLK_CTL, HV_BLK_CTL_CAPACITY, 0, 0);
    CHECK_EQ(A0, SBI_ERR_NOT_SUPPORTED);
    ecall(HV_EXT, HV_FID_PROBE, 0, 0, 0);
    CHECK(!(A1 & HV_FEAT_BLK));
}


/* ---- work per exit ---- */

/* A tree longer to validate than one exit may work: root (RAM + 64 KiB) -> level-1 table -> BIG
 * level-0 tables, (BIG + 2) * 512 entries. */
#define BIG 40
#define BIG_ROOT 0x80010000ull
#define BIG_L1 0x80011000ull
#define BIG_L0 0x80012000ull
#define NL(pa) ((((pa) >> 12) << 10) | 1)

static void big_tree(void)
{
    memset(ram + 0x10000, 0, (BIG + 2) * 4096);
    uint64_t *root = (uint64_t *)(ram + 0x10000), *l1 = (uint64_t *)(ram + 0x11000);
    root[2] = NL(BIG_L1);
    for (unsigned i = 0; i < BIG; i++) {
        l1[i] = NL(BIG_L0 + 4096ull * i);
    }
}

TEST(hv_pin_of_a_big_tree_is_cut_and_continued)
{
    setup();
    big_tree();
    ecall(HV_EXT, HV_FID_PIN_TABLE, BIG_ROOT, 0, 0);
    CHECK_EQ(A0, 0);
    CHECK_EQ(A1, 0); /* not done yet */
    ecall(HV_EXT, HV_FID_SET_ROOT, BIG_ROOT, 1, 0);
    CHECK_EQ(A0, SBI_ERR_DENIED); /* not pinned yet */
    unsigned exits;
    CHECK_EQ(pin_call(HV_FID_PIN_TABLE, BIG_ROOT, &exits), 0);
    unsigned want = (BIG + 2) * 512 / EXIT_BUDGET; /* the first call's share is done already */
    CHECK(exits + 1 >= want && exits <= want + 1);
    ecall(HV_EXT, HV_FID_SET_ROOT, BIG_ROOT, 1, 0);
    CHECK_EQ(A0, 0);
    /* Its unpin drops as many entries: cut as well, and continued the same way. */
    satp_now = 0;
    ecall(HV_EXT, HV_FID_UNPIN_TABLE, BIG_ROOT, 0, 0);
    CHECK_EQ(A0, 0);
    CHECK_EQ(A1, 0);
    CHECK_EQ(pin_call(HV_FID_UNPIN_TABLE, BIG_ROOT, &exits), 0);
    CHECK(exits + 1 >= want && exits <= want + 1);
    pv_release(&vm);
}

/* A batch whose second entry links the big table into a pinned root: the first call does the first
 * entry and answers 1; calls with the rest finish it. */
TEST(hv_mmu_update_linking_a_big_table_is_cut_and_continued)
{
    setup();
    big_tree();
    uint64_t *root = (uint64_t *)(ram + 0x10000);
    root[2] = 0;
    unsigned exits;
    CHECK_EQ(pin_call(HV_FID_PIN_TABLE, BIG_ROOT, &exits), 0);
    CHECK_EQ(exits, 1);
    struct hv_mmu_update *u = (struct hv_mmu_update *)(ram + 0x3000);
    u[0] = (struct hv_mmu_update){ 0x80004000, 42 }; /* a plain write */
    u[1] = (struct hv_mmu_update){ BIG_ROOT + 8 * 3, NL(BIG_L1) };
    u[2] = (struct hv_mmu_update){ 0x80004008, 43 };
    ecall(HV_EXT, HV_FID_MMU_UPDATE, 0x80003000, 3, 0);
    CHECK_EQ(A0, 0);
    CHECK_EQ(A1, 1);
    CHECK_EQ(root[3], 0);
    uint64_t done = 1;
    for (exits = 0; done < 3 && exits < 1000; exits++) {
        ecall(HV_EXT, HV_FID_MMU_UPDATE, 0x80003000 + 16 * done, 3 - done, 0);
        CHECK_EQ(A0, 0);
        done += A1;
    }
    CHECK_EQ(done, 3);
    CHECK(exits + 1 >= (BIG + 1) * 512 / EXIT_BUDGET && exits <= (BIG + 1) * 512 / EXIT_BUDGET + 1);
    CHECK_EQ(root[3], NL(BIG_L1));
    CHECK_EQ(*(uint64_t *)(ram + 0x4008), 43);
    pv_release(&vm);
}

/* A multicall whose second call pins the big tree and whose last switches to it: it stops at the
 * pin (its value 0: not done), the guest calls again from there, and the root switch runs last. */
TEST(hv_multicall_cut_at_a_call_and_continued_from_it)
{
    setup();
    big_tree();
    struct hv_multicall *mc = (struct hv_multicall *)(ram + 0x2000);
    mc[0] = (struct hv_multicall){ .fid = HV_FID_NULL, .error = 77 };
    mc[1] = (struct hv_multicall){ .fid = HV_FID_PIN_TABLE, .args = { BIG_ROOT }, .error = 77, .value = 9 };
    mc[2] = (struct hv_multicall){ .fid = HV_FID_SET_ROOT, .args = { BIG_ROOT, 5, 0 }, .error = 77 };
    ecall(HV_EXT, HV_FID_MULTICALL, 0x80002000, 3, 0);
    CHECK_EQ(A0, 0);
    CHECK_EQ(A1, 1);
    CHECK_EQ(mc[0].error, 0);
    CHECK_EQ(mc[1].error, 0);
    CHECK_EQ(mc[1].value, 0);
    CHECK_EQ(mc[2].error, 77);
    CHECK_EQ(satp_now, 0);
    uint64_t at = 1;
    unsigned exits = 0;
    while (at < 3 && exits < 1000) {
        ecall(HV_EXT, HV_FID_MULTICALL, 0x80002000 + at * sizeof(*mc), 3 - at, 0);
        CHECK_EQ(A0, 0);
        at += A1;
        exits++;
    }
    CHECK_EQ(at, 3);
    CHECK_EQ(mc[1].value, 1);
    CHECK_EQ(mc[2].error, 0);
    CHECK_EQ(satp_now, (8ull << 60) | (5ull << 44) | (BIG_ROOT >> 12));
    satp_now = 0;
    pv_release(&vm);
}

/* Another vCPU's page-table call finishes the walk of a cut pin before its own work; the vCPU that
 * was cut, calling again, is told its pin is done (not "pinned already"). */
TEST(hv_cut_pin_finished_by_another_vcpu)
{
    smp_setup(2);
    big_tree();
    ecall(HV_EXT, HV_FID_PIN_TABLE, BIG_ROOT, 0, 0);
    CHECK_EQ(A1, 0);
    struct vcpu *v0 = v;
    v = &vm.vcpus[1];
    v->state = VCPU_RUNNABLE;
    struct hv_mmu_update *u = (struct hv_mmu_update *)(ram + 0x3000);
    u[0] = (struct hv_mmu_update){ 0x80004000, 42 };
    unsigned exits = 0;
    do {
        ecall(HV_EXT, HV_FID_MMU_UPDATE, 0x80003000, 1, 0);
        exits++;
    } while (A0 == 0 && A1 == 0 && exits < 1000);
    CHECK_EQ(A1, 1);
    CHECK(exits > 1); /* it finished the pin's walk first */
    v = v0;
    ecall(HV_EXT, HV_FID_PIN_TABLE, BIG_ROOT, 0, 0);
    CHECK_EQ(A0, 0);
    CHECK_EQ(A1, 1);
    ecall(HV_EXT, HV_FID_PIN_TABLE, BIG_ROOT, 0, 0);
    CHECK_EQ(A0, SBI_ERR_DENIED); /* now it is a second pin */
    pv_release(&vm);
}

/* A multicall of 64 block batches of 64 requests that each read the whole disk: 4,096 requests and
 * 128 MiB for one exit as it was. Each exit now moves at most its budget of bytes; the guest's
 * calls go on from where each stopped, and every request is done. */
TEST(hv_multicall_of_block_batches_is_bounded_per_exit)
{
    struct hv_blk_req *r = blk_setup();
    struct hv_multicall *mc = (struct hv_multicall *)(ram + 0x40000);
    for (unsigned i = 0; i < DISK_SECTORS * 512; i++) {
        disk_bytes[i] = (uint8_t)(i * 7);
    }
    for (unsigned k = 0; k < 64; k++) {
        r[k] = (struct hv_blk_req){ .op = HV_BLK_READ, .status = 9, .sector = 0, .buf = 0x80080000,
                                    .len = DISK_SECTORS * 512 };
    }
    for (unsigned c = 0; c < 64; c++) {
        mc[c] = (struct hv_multicall){ .fid = HV_FID_BLK_SUBMIT, .args = { 0x80002000, 64 } };
    }
    uint64_t per_request = UNITS_BLK_REQUEST + DISK_SECTORS * 512 / BYTES_PER_UNIT;
    uint64_t at = 0, requests = 0;
    unsigned exits = 0;
    while (at < 64 && exits < 100000) {
        ecall(HV_EXT, HV_FID_MULTICALL, 0x80040000 + at * sizeof(*mc), 64 - at, 0);
        CHECK_EQ(A0, 0);
        uint64_t in_exit = 0;
        for (uint64_t c = at; c <= at + A1 && c < 64; c++) {
            in_exit += mc[c].value;
        }
        CHECK(in_exit <= EXIT_BUDGET / per_request);
        requests += in_exit;
        at += A1;
        if (at < 64) {
            /* The call it stopped at did mc[at].value requests: the rest of its batch next. */
            mc[at].args[0] += mc[at].value * sizeof(struct hv_blk_req);
            mc[at].args[1] -= mc[at].value;
        }
        exits++;
    }
    CHECK_EQ(at, 64);
    CHECK_EQ(requests, 64 * 64);
    CHECK(exits >= 64 * 64 / (EXIT_BUDGET / per_request));
    CHECK(memcmp(ram + 0x80000, disk_bytes, sizeof disk_bytes) == 0);
    CHECK_EQ(r[63].status, HV_BLK_OK);
}

/* The validator's tables of a 256 MiB guest (about 1 MiB) are zeroed a budget's worth per exit:
 * its first page-table calls do nothing else, and say so, until they are ready. */
TEST(hv_tables_of_a_big_guest_are_made_over_several_exits)
{
    setup();
    vm.ram_size = 256ul << 20; /* only the first MiB is used below: that is the host memory */
    struct hv_mmu_update *u = (struct hv_mmu_update *)(ram + 0x3000);
    u[0] = (struct hv_mmu_update){ 0x80004000, 42 };
    unsigned exits = 0;
    do {
        ecall(HV_EXT, HV_FID_MMU_UPDATE, 0x80003000, 1, 0);
        CHECK_EQ(A0, 0);
        exits++;
    } while (A1 == 0 && exits < 1000);
    CHECK_EQ(A1, 1);
    uint64_t bytes = ptval_mem_bytes(vm.ram_size / 4096);
    CHECK(exits >= bytes / ((uint64_t)EXIT_BUDGET * BYTES_PER_UNIT));
    CHECK(exits <= bytes / ((uint64_t)EXIT_BUDGET * BYTES_PER_UNIT) + 2);
    CHECK(vm.mmu.ready);
    CHECK_EQ(*(uint64_t *)(ram + 0x4000), 42);
    /* Zeroed, all of it: the counts, the tree, the root slot 511 is nobody's. */
    CHECK_EQ(vm.mmu.val.frames[65535].tcount, 0);
    CHECK_EQ(ptval_typed_frames(&vm.mmu.val, 0, 65536), 0);
    ecall(HV_EXT, HV_FID_SET_ROOT, 0x80010000, 1, 0);
    CHECK_EQ(A0, SBI_ERR_DENIED);
    pv_release(&vm);
    CHECK(!vm.mmu.ready);
}
