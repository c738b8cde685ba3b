// SPDX-License-Identifier: MIT
// Hypercall test: every call of the paravirtual interface, well-formed and malformed, with the
// validation rules that past Xen advisories taught (XSA-148, -182, -212, -213, -217).
#include "guest.h"

#define MB (1ul << 20)
#define RAM 0x80000000ul
#define TABLES (RAM + 10 * MB) /* root, L1, L0: inside the 2 MiB at RAM + 10 MiB */
#define ROOT (TABLES + 0x0000)
#define L1 (TABLES + 0x1000)
#define L0 (TABLES + 0x2000)
#define SPARE (TABLES + 0x3000) /* a frame that becomes a table later */
#define DATA (TABLES + 0x10000) /* data frames, mapped writable */
/* Tables name machine addresses (guest physical + the machine offset). On the trap engine the kernel
 * runs deprivileged, so leaves it uses carry U (HV_FEAT_USER_ROOT): the tree here is built natively. */
#define MA(pa) ((uint64_t)(pa) + mo)
#define PTE(pa, flags) (((MA(pa) >> 12) << 10) | (flags) | PTE_V | (((flags) & 0xe) ? ubit : 0))
#define RWX (PTE_R | PTE_W | PTE_X | PTE_A | PTE_D)
#define RW (PTE_R | PTE_W | PTE_A | PTE_D)
#define RO (PTE_R | PTE_A)

static unsigned failures;
static uint64_t mo, ubit, feat;

static void expect(const char *what, long got, long want)
{
    if (got == want) {
        kprintf("hctest: %s: ok\n", what);
    } else {
        kprintf("hctest: %s: FAIL (got %ld, want %ld)\n", what, got, want);
        failures++;
    }
}

static struct sbiret hc(unsigned long fid, unsigned long a0, unsigned long a1, unsigned long a2,
                        unsigned long a3, unsigned long a4, unsigned long a5)
{
    return sbi_call(HV_EXT, fid, a0, a1, a2, a3, a4, a5);
}

static long update1(uint64_t ptr, uint64_t val)
{
    static struct hv_mmu_update u;
    u.ptr = MA(ptr);
    u.val = val;
    return hc(HV_FID_MMU_UPDATE, (unsigned long)&u, 1, 0, 0, 0, 0).error;
}

static uint64_t *table(uint64_t pa)
{
    return (uint64_t *)pa;
}

/* A tree that maps this kernel: 2 MiB leaves over the first 16 MiB, except the 2 MiB holding the
 * tables, which goes through L0: the tables read-only, the data frames writable. */
static void build_tree(void)
{
    for (uint64_t a = TABLES; a < TABLES + 0x4000; a += 0x1000) {
        for (int i = 0; i < 512; i++) {
            table(a)[i] = 0;
        }
    }
    table(ROOT)[2] = PTE(L1, 0);
    for (uint64_t i = 0; i < 8; i++) {
        table(L1)[i] = PTE(RAM + i * 2 * MB, RWX);
    }
    table(L1)[5] = PTE(L0, 0);
    for (uint64_t i = 0; i < 4; i++) {
        table(L0)[i] = PTE(TABLES + i * 0x1000, RO);
    }
    for (uint64_t i = 16; i < 32; i++) {
        table(L0)[i] = PTE(TABLES + i * 0x1000, RW);
    }
}

static void test_probe(void)
{
    struct sbiret r = hc(HV_FID_PROBE, 0, 0, 0, 0, 0, 0);
    expect("probe succeeds", r.error, 0);
    expect("probe ABI version", (long)((uint64_t)r.value >> 32), HV_ABI_VERSION);
    feat = (uint64_t)r.value & 0xffffffffu;
    uint64_t base = HV_FEAT_MMU | HV_FEAT_MULTICALL | HV_FEAT_DBCN_BATCH;
    expect("probe features: stage 2 or a deprivileged kernel",
           (feat & (base | HV_FEAT_STAGE2 | HV_FEAT_USER_ROOT)) == (base | HV_FEAT_STAGE2) ||
               (feat & (base | HV_FEAT_STAGE2 | HV_FEAT_USER_ROOT)) == (base | HV_FEAT_USER_ROOT),
           1);
    expect("null hypercall", hc(HV_FID_NULL, 1, 2, 3, 4, 5, 6).error, 0);
    mo = (uint64_t)hc(HV_FID_MACHINE_OFFSET, 0, 0, 0, 0, 0, 0).value;
    ubit = (feat & HV_FEAT_USER_ROOT) ? PTE_U : 0;
    /* With stage 2 tables name guest physical addresses; without, machine ones, 2 MiB aligned. */
    expect("machine offset", (feat & HV_FEAT_STAGE2) ? mo == 0 : (mo & (2 * MB - 1)) == 0, 1);
    expect("unknown function", hc(99, 0, 0, 0, 0, 0, 0).error, SBI_ERR_NOT_SUPPORTED);
    expect("probe through SBI base", sbi_call(SBI_EXT_BASE, SBI_BASE_PROBE_EXTENSION, HV_EXT, 0, 0, 0,
                                              0, 0).value, 1);
}

static void test_pin_and_updates(void)
{
    build_tree();
    expect("pin a well-formed tree", hv_call(HV_FID_PIN_TABLE, MA(ROOT), 0, 0).error, 0);
    expect("pin it twice", hv_call(HV_FID_PIN_TABLE, MA(ROOT), 0, 0).error, SBI_ERR_DENIED);
    /* The hypervisor would write the record: never into a table only validated updates change. */
    expect("steal-time record in a pinned table",
           sbi_call(SBI_EXT_STA, SBI_STA_SET_SHMEM, ROOT, 0, 0, 0, 0, 0).error, SBI_ERR_INVALID_ADDRESS);
    expect("map a data frame writable", update1(L0 + 8 * 40, PTE(DATA + 0x8000, RW)), 0);
    expect("map a table writable", update1(L0 + 8 * 41, PTE(L1, RW)), SBI_ERR_DENIED);
    expect("map a table read-only", update1(L0 + 8 * 42, PTE(L1, RO)), 0);
    expect("flag-only upgrade to writable (XSA-182)", update1(L0 + 8 * 42, PTE(L1, RW)),
           SBI_ERR_DENIED);
    expect("accessed/dirty-only change", update1(L0 + 8 * 40, PTE(DATA + 0x8000, PTE_R | PTE_W)), 0);
    expect("superpage over a table frame (XSA-148)", update1(L1 + 8 * 8, PTE(TABLES, RW)),
           SBI_ERR_DENIED);
    expect("misaligned superpage", update1(L1 + 8 * 9, PTE(DATA, RW)), SBI_ERR_INVALID_PARAM);
    expect("frame below guest RAM", update1(L0 + 8 * 43, PTE(RAM - 0x1000, RO)),
           SBI_ERR_INVALID_ADDRESS);
    expect("frame past guest RAM", update1(L0 + 8 * 43, PTE(RAM + 64 * MB, RO)),
           SBI_ERR_INVALID_ADDRESS);
    expect("device frame", update1(L0 + 8 * 43, PTE(0x10000000ul, RW)), SBI_ERR_INVALID_ADDRESS);
    expect("reserved PTE bits", update1(L0 + 8 * 43, PTE(DATA, RW) | (1ull << 60)),
           SBI_ERR_INVALID_PARAM);
    expect("write without read", update1(L0 + 8 * 43, PTE(DATA, PTE_W)), SBI_ERR_INVALID_PARAM);
    expect("accessed bit on a non-leaf", update1(L1 + 8 * 10, PTE(SPARE, PTE_A)), SBI_ERR_INVALID_PARAM);
    expect("plain write outside any table", update1(DATA + 8, PTE(DATA, RO)), 0);
    expect("the plain write landed", (long)*(volatile uint64_t *)(DATA + 8), (long)PTE(DATA, RO));
    static struct hv_mmu_update z;
    z = (struct hv_mmu_update){ MA(DATA) | HV_MMU_ZERO, 0 };
    expect("zero a frame that is not a table", hc(HV_FID_MMU_UPDATE, (unsigned long)&z, 1, 0, 0, 0, 0).error, 0);
    expect("the frame is zero", (long)*(volatile uint64_t *)(DATA + 8), 0);
    z.ptr = MA(L0) | HV_MMU_ZERO;
    expect("zero a table", hc(HV_FID_MMU_UPDATE, (unsigned long)&z, 1, 0, 0, 0, 0).error, SBI_ERR_DENIED);
    z.ptr = MA(DATA) | 5;
    expect("unknown update command", hc(HV_FID_MMU_UPDATE, (unsigned long)&z, 1, 0, 0, 0, 0).error,
           SBI_ERR_INVALID_PARAM);
    expect("PTE address with stray low bits", update1(L0 + 4, PTE(DATA, RO)), SBI_ERR_INVALID_PARAM);
    expect("PTE address outside RAM", update1(0x1000, PTE(DATA, RO)), SBI_ERR_INVALID_ADDRESS);

    /* A batch stops at its first bad entry and says how many went in. */
    static struct hv_mmu_update batch[600];
    batch[0] = (struct hv_mmu_update){ MA(L0) + 8 * 44, PTE(DATA + 0x9000, RW) };
    batch[1] = (struct hv_mmu_update){ MA(L0) + 8 * 45, PTE(DATA, RW) | (1ull << 55) };
    batch[2] = (struct hv_mmu_update){ MA(L0) + 8 * 46, PTE(DATA + 0xa000, RW) };
    struct sbiret r = hc(HV_FID_MMU_UPDATE, (unsigned long)batch, 3, 0, 0, 0, 0);
    expect("batch stops at the bad entry", r.error, SBI_ERR_INVALID_PARAM);
    expect("batch reports entries done", r.value, 1);
    expect("batch array outside RAM", hc(HV_FID_MMU_UPDATE, 0x1000, 1, 0, 0, 0, 0).error,
           SBI_ERR_INVALID_ADDRESS);
    expect("batch array wrapping around (XSA-212)",
           hc(HV_FID_MMU_UPDATE, ~0ul - 15, 4, 0, 0, 0, 0).error, SBI_ERR_INVALID_ADDRESS);
    expect("batch count overflowing the size",
           hc(HV_FID_MMU_UPDATE, (unsigned long)batch, 1ul << 60, 0, 0, 0, 0).error,
           SBI_ERR_INVALID_ADDRESS);
    expect("batch running past the end of RAM",
           hc(HV_FID_MMU_UPDATE, RAM + 16 * MB - 16, 2, 0, 0, 0, 0).error, SBI_ERR_INVALID_ADDRESS);
    for (int i = 0; i < 600; i++) {
        batch[i] = (struct hv_mmu_update){ MA(L0) + 8 * (100 + i % 300), PTE(DATA + (i % 16) * 0x1000, RW) };
    }
    r = hc(HV_FID_MMU_UPDATE, (unsigned long)batch, 600, 0, 0, 0, 0);
    expect("long batch is cut", r.error, 0);
    expect("long batch reports the part done", r.value, HV_MMU_BATCH_MAX);
    r = hc(HV_FID_MMU_UPDATE, (unsigned long)&batch[r.value], 600 - HV_MMU_BATCH_MAX, 0, 0, 0, 0);
    expect("the rest of the batch", r.value, 600 - HV_MMU_BATCH_MAX);
}

/* The form of MMU_UPDATE and SET_ROOT for tables the trap engine shadows (HV_FEAT_TABLES_BATCHED):
 * offered exactly where the kernel runs deprivileged; never a way into a validated table. */
static void test_shadowed_updates(void)
{
    static struct hv_mmu_update_va u;
    volatile uint64_t *word = (volatile uint64_t *)(DATA + 16);
    bool offered = (feat & HV_FEAT_TABLES_BATCHED) != 0;

    expect("shadowed form offered where tables are shadowed", offered, (feat & HV_FEAT_USER_ROOT) != 0);
    expect("unknown MMU_UPDATE form", hc(HV_FID_MMU_UPDATE, (unsigned long)&u, 1, 2, 0, 0, 0).error,
           SBI_ERR_INVALID_PARAM);
    *word = 7;
    u = (struct hv_mmu_update_va){ MA(DATA) + 16, 0x1234, 0x5000 | HV_MMU_VA_DROP };
    if (!offered) {
        expect("shadowed update without shadowed tables",
               hc(HV_FID_MMU_UPDATE, (unsigned long)&u, 1, HV_MMU_SHADOWED, MA(SPARE), 0, 0).error,
               SBI_ERR_NOT_SUPPORTED);
        expect("the word is left alone", (long)*word, 7);
        expect("shadowed root switch without shadowed tables",
               hc(HV_FID_SET_ROOT, MA(SPARE), 1, HV_ROOT_SHADOWED, 0, 0, 0).error, SBI_ERR_NOT_SUPPORTED);
        expect("the other form still writes", update1(DATA + 16, 0x1234), 0);
        return;
    }
    expect("shadowed update of a plain word",
           hc(HV_FID_MMU_UPDATE, (unsigned long)&u, 1, HV_MMU_SHADOWED, MA(SPARE), 0, 0).error, 0);
    expect("the shadowed update landed", (long)*word, 0x1234);
    u = (struct hv_mmu_update_va){ MA(L0) + 8 * 47, PTE(DATA, RW), 0x5000 | HV_MMU_VA_DROP };
    expect("shadowed update into a validated table",
           hc(HV_FID_MMU_UPDATE, (unsigned long)&u, 1, HV_MMU_SHADOWED, MA(SPARE), 0, 0).error,
           SBI_ERR_DENIED);
    expect("shadowed root switch to a misaligned root",
           hc(HV_FID_SET_ROOT, MA(SPARE) + 8, 1, HV_ROOT_SHADOWED, 0, 0, 0).error, SBI_ERR_INVALID_PARAM);
}

static void test_root_switch(void)
{
    uint64_t native;
    __asm__ volatile("csrr %0, satp" : "=r"(native));
    expect("switch to an unpinned root", hc(HV_FID_SET_ROOT, MA(SPARE), 1, 0, 0, 0, 0).error,
           SBI_ERR_DENIED);
    expect("switch with a bad ASID", hc(HV_FID_SET_ROOT, MA(ROOT), 0x10000, 0, 0, 0, 0).error,
           SBI_ERR_INVALID_PARAM);
    expect("switch to the pinned root", hc(HV_FID_SET_ROOT, MA(ROOT), 1, 0, 0, 0, 0).error, 0);
    uint64_t satp;
    __asm__ volatile("csrr %0, satp" : "=r"(satp));
    expect("satp names the pinned root", satp, (8ul << 60) | (1ul << 44) | (MA(ROOT) >> 12));
    /* Running on it: write through one of its writable data mappings, read back through RAM. */
    *(volatile uint64_t *)(DATA + 0x8000) = 0x5eed;
    expect("running on the validated tree", *(volatile uint64_t *)(DATA + 0x8000), 0x5eed);
    expect(
      "unpin the root in use", hv_call(HV_FID_UNPIN_TABLE, MA(ROOT), 0, 0).error, SBI_ERR_DENIED);
    __asm__ volatile("csrw satp, %0\n sfence.vma" : : "r"(native) : "memory");
}

static void test_unmap_then_table(void)
{
    /* SPARE is mapped writable through entry 47; as long as that holds it cannot become a table. */
    expect("map the spare frame writable", update1(L0 + 8 * 47, PTE(SPARE, RW)), 0);
    expect("pin a frame that is mapped writable",
           hv_call(HV_FID_PIN_TABLE, MA(SPARE), 0, 0).error,
           SBI_ERR_DENIED);
    expect("unmap it", update1(L0 + 8 * 47, 0), 0);
    /* After the unmap (and the flush it forces, XSA-217) the frame may be a table. */
    for (int i = 0; i < 512; i++) {
        table(SPARE)[i] = 0;
    }
    expect("pin it once unmapped", hv_call(HV_FID_PIN_TABLE, MA(SPARE), 0, 0).error, 0);
    expect("map a pinned root writable", update1(L0 + 8 * 47, PTE(SPARE, RW)), SBI_ERR_DENIED);
    expect("unpin it", hv_call(HV_FID_UNPIN_TABLE, MA(SPARE), 0, 0).error, 0);
    expect("unpin it again", hv_call(HV_FID_UNPIN_TABLE, MA(SPARE), 0, 0).error, SBI_ERR_DENIED);
    expect("pin a frame outside RAM",
           hv_call(HV_FID_PIN_TABLE, MA(0x1000), 0, 0).error,
           SBI_ERR_INVALID_ADDRESS);
    expect("pin a misaligned root",
           hv_call(HV_FID_PIN_TABLE, MA(SPARE + 8), 0, 0).error,
           SBI_ERR_INVALID_ADDRESS);
}

static void test_flush(void)
{
    expect("flush all", hc(HV_FID_TLB_FLUSH, HV_FLUSH_ALL, 0, 0, ~0ul, 0, ~0ul).error, 0);
    expect("flush one ASID", hc(HV_FID_TLB_FLUSH, HV_FLUSH_ASID, 0, 0, 1, 1, 0).error, 0);
    expect("flush a range", hc(HV_FID_TLB_FLUSH, HV_FLUSH_RANGE, RAM, 0x3000, ~0ul, 1, 0).error, 0);
    expect("flush a wrapping range",
           hc(HV_FID_TLB_FLUSH, HV_FLUSH_RANGE, ~0ul - 0xfff, 0x3000, ~0ul, 1, 0).error,
           SBI_ERR_INVALID_ADDRESS);
    expect("flush with a bad kind", hc(HV_FID_TLB_FLUSH, 9, 0, 0, 0, 1, 0).error, SBI_ERR_INVALID_PARAM);
    expect("flush with a bad ASID", hc(HV_FID_TLB_FLUSH, HV_FLUSH_ASID, 0, 0, 0x10000, 1, 0).error,
           SBI_ERR_INVALID_PARAM);
    expect("flush with a bad hart mask", hc(HV_FID_TLB_FLUSH, HV_FLUSH_ALL, 0, 0, ~0ul, 2, 0).error,
           SBI_ERR_INVALID_PARAM);
}

static void test_multicall(void)
{
    static struct hv_multicall mc[HV_MULTICALL_MAX + 1];
    static struct hv_mmu_update u;
    u = (struct hv_mmu_update){ MA(L0) + 8 * 48, PTE(DATA + 0xb000, RW) };

    mc[0] = (struct hv_multicall){ .fid = HV_FID_NULL, .error = 0x77 };
    mc[1] = (struct hv_multicall){ .fid = HV_FID_TLB_FLUSH, .args = { HV_FLUSH_ALL, 0, 0, ~0ul, 0, ~0ul },
                                   .error = 0x77 };
    mc[2] = (struct hv_multicall){ .fid = HV_FID_MMU_UPDATE, .args = { (unsigned long)&u, 1 }, .error = 0x77 };
    struct sbiret r = hc(HV_FID_MULTICALL, (unsigned long)mc, 3, 0, 0, 0, 0);
    expect("multicall of three", r.error, 0);
    expect("multicall count", r.value, 3);
    expect("multicall results written back", mc[0].error + mc[1].error + mc[2].error, 0);
    expect("multicall inner value", mc[2].value, 1);

    mc[0] = (struct hv_multicall){ .fid = HV_FID_NULL, .error = 0x77 };
    mc[1] = (struct hv_multicall){ .fid = HV_FID_SET_ROOT, .args = { MA(ROOT), 1 }, .error = 0x77 };
    mc[2] = (struct hv_multicall){ .fid = HV_FID_NULL, .error = 0x77 };
    r = hc(HV_FID_MULTICALL, (unsigned long)mc, 3, 0, 0, 0, 0);
    expect("root switch inside a multicall (XSA-213)", r.error, SBI_ERR_DENIED);
    expect("multicall reports the failing index", r.value, 1);
    expect("calls after the failure do not run", mc[2].error, 0x77);
    mc[1] = (struct hv_multicall){ .fid = HV_FID_MULTICALL, .args = { (unsigned long)mc, 1 } };
    expect("nested multicall", hc(HV_FID_MULTICALL, (unsigned long)mc, 2, 0, 0, 0, 0).error,
           SBI_ERR_DENIED);
    mc[1] = (struct hv_multicall){ .fid = 1234 };
    expect("unknown call inside", hc(HV_FID_MULTICALL, (unsigned long)mc, 2, 0, 0, 0, 0).error,
           SBI_ERR_NOT_SUPPORTED);
    expect("too many calls", hc(HV_FID_MULTICALL, (unsigned long)mc, HV_MULTICALL_MAX + 1, 0, 0, 0, 0)
                                 .error, SBI_ERR_INVALID_PARAM);
    expect("multicall array outside RAM", hc(HV_FID_MULTICALL, 0x2000, 1, 0, 0, 0, 0).error,
           SBI_ERR_INVALID_ADDRESS);
    expect("multicall array wrapping", hc(HV_FID_MULTICALL, ~0ul - 63, 2, 0, 0, 0, 0).error,
           SBI_ERR_INVALID_ADDRESS);
}

static void test_console_batch(void)
{
    static char buf[4096];
    for (int i = 0; i < 4096; i++) {
        buf[i] = (i % 64 == 63) ? '\n' : (char)('a' + i % 26);
    }
    struct sbiret r = sbi_call(SBI_EXT_DBCN, SBI_DBCN_WRITE, sizeof(buf), (unsigned long)buf, 0, 0, 0, 0);
    expect("4 KiB console batch in one call", r.value, 4096);
}

void guest_main(unsigned long hartid, unsigned long dtb)
{
    (void)hartid;
    (void)dtb;
    test_probe();
    test_pin_and_updates();
    test_shadowed_updates();
    test_root_switch();
    test_unmap_then_table();
    test_flush();
    test_multicall();
    test_console_batch();
    expect("unpin the tree", hv_call(HV_FID_UNPIN_TABLE, MA(ROOT), 0, 0).error, 0);
    kprintf("hctest: %u failures\n", failures);
}
