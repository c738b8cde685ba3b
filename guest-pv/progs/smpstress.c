// SPDX-License-Identifier: MIT
// SMP stress: a VM's vCPUs, on different harts where the engine spreads them, hammer what crosses
// harts: IPI ping-pong, remote fences while the other side writes memory, concurrent page-table
// hypercalls on one shared tree (pin/unpin of a second root sharing its subtree), HSM start/stop
// and suspend/resume storms. Every call's result is checked; the last line counts operations and
// failures.
#include "guest.h"

#define IRQ_SOFT 1
#define HSM_STOPPED 1
#define HSM_SUSPENDED 4
/* Rounds of each phase: about 10^5 operations in all; bootarg div=N runs a Nth of them (the
 * many-hart runs under multi-threaded TCG are slow on a small host). */
#define ROUNDS_IPI (20000 / div)
#define ROUNDS_FENCE (20000 / div)
#define ROUNDS_MMU (10000 / div)
#define ROUNDS_HSM (1000 / div)
#define ROUNDS_SUSPEND (1000 / div)
static unsigned div = 1;

#define MB (1ul << 20)
#define RAM 0x80000000ul
/* Root A and root B share L1 and L0 (two roots, one subtree); data frames in the same 2 MiB. */
#define TABLES (RAM + 10 * MB)
#define ROOT_A (TABLES + 0x0000)
#define ROOT_B (TABLES + 0x1000)
#define L1 (TABLES + 0x2000)
#define L0 (TABLES + 0x3000)
#define DATA (TABLES + 0x10000)
#define MA(pa) ((uint64_t)(pa) + mo)
#define PTE(pa, flags) (((MA(pa) >> 12) << 10) | (flags) | PTE_V | (((flags)&0xe) ? ubit : 0))
#define RWX (PTE_R | PTE_W | PTE_X | PTE_A | PTE_D)
#define RW (PTE_R | PTE_W | PTE_A | PTE_D)
#define RO (PTE_R | PTE_A)

static volatile unsigned ipis[4];
static volatile unsigned phase, done1, suspended_rounds;
static volatile unsigned long failures, ops;
static volatile uint64_t scratch[512];
static uint64_t mo, ubit;
static uint8_t stacks[4][4096] __attribute__((aligned(16)));

static void fail(const char *what, long got)
{
    /* Counted by both sides: an AMO, as the two vCPUs may fail at once. */
    if (__atomic_fetch_add(&failures, 1, __ATOMIC_RELAXED) < 10) {
        kprintf("smpstress: %s: FAIL (%ld)\n", what, got);
    }
}

static void check(const char *what, long got, long want)
{
    __atomic_fetch_add(&ops, 1, __ATOMIC_RELAXED);
    if (got != want) {
        fail(what, got);
    }
}

static unsigned long hartid_of_sp(void)
{
    uint64_t sp;
    __asm__ volatile("mv %0, sp" : "=r"(sp));
    for (unsigned i = 1; i < 4; i++) {
        if (sp > (uint64_t)stacks[i] && sp <= (uint64_t)stacks[i] + sizeof(stacks[i])) {
            return i;
        }
    }
    return 0;
}

static bool ipi_hook(struct trap_frame *f, uint64_t cause, uint64_t tval)
{
    (void)f;
    (void)tval;
    if (cause != (CAUSE_IRQ | IRQ_SOFT)) {
        return false;
    }
    __asm__ volatile("csrc sip, %0" : : "r"(1ul << IRQ_SOFT));
    ipis[hartid_of_sp()]++;
    return true;
}

static long ipi(unsigned long hart)
{
    return sbi_call(SBI_EXT_IPI, 0, 1ul << hart, 0, 0, 0, 0, 0).error;
}

static long update(uint64_t ptr, uint64_t val)
{
    struct hv_mmu_update u = { MA(ptr), val };
    return hv_call(HV_FID_MMU_UPDATE, (unsigned long)&u, 1, 0).error;
}

static void build_tree(void)
{
    for (uint64_t a = TABLES; a < TABLES + 0x4000; a += 0x1000) {
        for (int i = 0; i < 512; i++) {
            ((uint64_t *)a)[i] = 0;
        }
    }
    ((uint64_t *)ROOT_A)[2] = PTE(L1, 0);
    ((uint64_t *)ROOT_B)[2] = PTE(L1, 0);
    for (uint64_t i = 0; i < 8; i++) {
        ((uint64_t *)L1)[i] = PTE(RAM + i * 2 * MB, RWX);
    }
    ((uint64_t *)L1)[5] = PTE(L0, 0);
    for (uint64_t i = 0; i < 4; i++) {
        ((uint64_t *)L0)[i] = PTE(TABLES + i * 0x1000, RO);
    }
}

/* vCPU 1: the other side of every phase. */
static void partner(unsigned long hartid)
{
    (void)hartid;
    __asm__ volatile("csrs sie, %0" : : "r"(1ul << IRQ_SOFT));
    /* Phase 1: answer each IPI with one. */
    for (unsigned n = 0; n < ROUNDS_IPI; n++) {
        while (ipis[1] <= n) {
            wait_for_interrupt();
        }
        check("ipi back", ipi(0), 0);
    }
    /* Phase 2: write memory while vCPU 0 fences this hart's TLB. */
    while (phase < 2) {
    }
    for (uint64_t i = 0; phase == 2; i++) {
        scratch[i % 512] = i;
    }
    /* Phase 3: pin and unpin root B (sharing root A's subtree) and update entries 24-31 of the
     * shared L0, while vCPU 0 updates entries 16-23 of it. */
    for (unsigned n = 0; n < ROUNDS_MMU; n++) {
        check("pin root B", hv_call(HV_FID_PIN_TABLE, MA(ROOT_B), 0, 0).error, 0);
        check("update shared L0 (1)",
              update(L0 + 8 * (24 + n % 8), PTE(DATA + 0x1000 * (n % 8), n & 1 ? RW : RO)),
              0);
        check("unpin root B", hv_call(HV_FID_UNPIN_TABLE, MA(ROOT_B), 0, 0).error, 0);
    }
    done1 = 1;
    /* Phase 5: retentive suspends, each ended by vCPU 0's IPI. */
    while (phase < 5) {
    }
    for (unsigned n = 0; n < ROUNDS_SUSPEND; n++) {
        check("retentive suspend", sbi_call(SBI_EXT_HSM, 3, 0, 0, 0, 0, 0, 0).error, 0);
        /* The IPI that ended it is still pending (this kernel code runs with SIE off): taken back
         * here, or the next suspend would end at once, as the SBI says it must. */
        __asm__ volatile("csrc sip, %0" : : "r"(1ul << IRQ_SOFT));
        suspended_rounds = n + 1;
    }
}

/* work=compute: the same arithmetic on vCPUs 0 and 1 at once, for make bench's 1- against 2-hart
 * wall-time ratio; mrounds=N sets its length in millions of rounds (a run long beside the fixed
 * cost of starting QEMU and booting, which would otherwise dilute the ratio). */
static unsigned long compute_rounds = 400000000ul;
static volatile uint64_t compute_sum[2];
static volatile unsigned compute_done;

static uint64_t compute(uint64_t seed)
{
    uint64_t x = seed | 1;
    for (unsigned long i = 0; i < compute_rounds; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    return x;
}

static void compute_partner(unsigned long hartid)
{
    (void)hartid;
    compute_sum[1] = compute(2);
    __atomic_store_n(&compute_done, 1u, __ATOMIC_RELEASE);
}

/* vCPU 2: started and stops at once, again and again. */
static void blink(unsigned long hartid)
{
    (void)hartid;
}

static long hsm_status(unsigned long hart)
{
    return sbi_call(SBI_EXT_HSM, SBI_HSM_HART_GET_STATUS, hart, 0, 0, 0, 0, 0).value;
}

void guest_main(unsigned long hartid, unsigned long dtb)
{
    (void)hartid;
    (void)dtb;
    if (bootarg("div") && parse_ulong(bootarg("div")) >= 1 && parse_ulong(bootarg("div")) <= 1000) {
        div = (unsigned)parse_ulong(bootarg("div"));
    }
    if (bootarg("mrounds") && parse_ulong(bootarg("mrounds")) >= 1 && parse_ulong(bootarg("mrounds")) <= 100000) {
        compute_rounds = parse_ulong(bootarg("mrounds")) * 1000000ul;
    }
    const char *work = bootarg("work");
    if (work && work[0] == 'c') {
        check("start vCPU 1", start_secondary(1, compute_partner, stacks[1] + sizeof stacks[1]), 0);
        compute_sum[0] = compute(1);
        while (!__atomic_load_n(&compute_done, __ATOMIC_ACQUIRE)) {
        }
        kprintf("smpstress: compute on 2 vCPUs: %lx %lx\n",
                (unsigned long)compute_sum[0],
                (unsigned long)compute_sum[1]);
        return;
    }
    trap_set_hook(ipi_hook);
    __asm__ volatile("csrs sie, %0" : : "r"(1ul << IRQ_SOFT));
    uint64_t feat = (uint64_t)hv_call(HV_FID_PROBE, 0, 0, 0).value & 0xffffffffu;
    mo = (uint64_t)hv_call(HV_FID_MACHINE_OFFSET, 0, 0, 0).value;
    ubit = (feat & HV_FEAT_USER_ROOT) ? PTE_U : 0;
    build_tree();
    check("pin root A", hv_call(HV_FID_PIN_TABLE, MA(ROOT_A), 0, 0).error, 0);
    check("start vCPU 1", start_secondary(1, partner, stacks[1] + sizeof stacks[1]), 0);

    /* Phase 1: IPI ping-pong. instret counts this vCPU's hart only: under QEMU -icount what that
     * hart executes per round, the send, the wait and the reply's delivery (make bench). */
    uint64_t i0 = csr_instret();
    for (unsigned n = 0; n < ROUNDS_IPI; n++) {
        check("ipi", ipi(1), 0);
        while (ipis[0] <= n) {
            wait_for_interrupt();
        }
    }
    uint64_t i1 = csr_instret();
    kprintf("smpstress: ipi ping-pong: %u rounds, %lu instructions on vCPU 0\n",
            (unsigned)ROUNDS_IPI,
            (unsigned long)(i1 - i0));

    /* Phase 2: remote fences (SBI RFENCE and legacy) while vCPU 1 writes. */
    phase = 2;
    static uint64_t mask = 0x2;
    i0 = csr_instret();
    for (unsigned n = 0; n < ROUNDS_FENCE; n++) {
        switch (n % 4) {
            case 0:
                check(
                  "rfence sfence.vma", sbi_call(SBI_EXT_RFENCE, 1, 0x2, 0, 0, 0, 0, 0).error, 0);
                break;
            case 1:
                check("rfence sfence.vma range",
                      sbi_call(SBI_EXT_RFENCE, 1, 0x2, 0, (unsigned long)scratch, 4096, 0, 0).error,
                      0);
                break;
            case 2:
                check("rfence sfence.vma.asid",
                      sbi_call(SBI_EXT_RFENCE, 2, 0x3, 0, 0, 0, n & 0xff, 0).error,
                      0);
                break;
            default:
                check(
                  "legacy sfence.vma",
                  sbi_call(SBI_EXT_LEGACY_REMOTE_SFENCE_VMA, 0, (unsigned long)&mask, 0, 0, 0, 0, 0)
                    .error,
                  0);
                break;
        }
    }
    i1 = csr_instret();
    phase = 3;
    kprintf("smpstress: remote fences: %u, %lu instructions on vCPU 0\n",
            (unsigned)ROUNDS_FENCE,
            (unsigned long)(i1 - i0));

    /* Phase 3: concurrent page-table hypercalls on the shared tree. A table may never be mapped
     * writable, whatever the other side is doing. */
    for (unsigned n = 0; n < ROUNDS_MMU; n++) {
        check("update shared L0 (0)",
              update(L0 + 8 * (16 + n % 8), PTE(DATA + 0x1000 * (8 + n % 8), n & 1 ? RO : RW)),
              0);
        if (n % 16 == 0) {
            check("map the shared L1 writable", update(L0 + 8 * 40, PTE(L1, RW)), SBI_ERR_DENIED);
        }
    }
    while (!done1) {
    }
    check("unpin root A", hv_call(HV_FID_UNPIN_TABLE, MA(ROOT_A), 0, 0).error, 0);
    kprintf("smpstress: page-table calls: %u from each side\n", (unsigned)ROUNDS_MMU);

    /* Phase 4: HSM start/stop storm of vCPU 2. */
    for (unsigned n = 0; n < ROUNDS_HSM; n++) {
        check("start vCPU 2", start_secondary(2, blink, stacks[2] + sizeof stacks[2]), 0);
        while (hsm_status(2) != HSM_STOPPED) {
        }
    }
    kprintf("smpstress: hsm start/stop: %u\n", (unsigned)ROUNDS_HSM);

    /* Phase 5: suspend/resume storm of vCPU 1. */
    phase = 5;
    for (unsigned n = 0; n < ROUNDS_SUSPEND; n++) {
        while (hsm_status(1) != HSM_SUSPENDED) {
        }
        check("ipi to the suspended", ipi(1), 0);
        while (suspended_rounds <= n) {
        }
    }
    while (hsm_status(1) != HSM_STOPPED) {
    }
    kprintf("smpstress: suspend/resume: %u\n", (unsigned)ROUNDS_SUSPEND);
    kprintf("smpstress: %lu operations, %lu failures\n", ops, failures);
}
