// SPDX-License-Identifier: MIT
// SMP SBI test: HSM start/stop/status/suspend, IPIs and remote fences between a VM's vCPUs.
#include "guest.h"

#define IRQ_SOFT 1
#define HSM_STARTED 0
#define HSM_STOPPED 1
#define HSM_SUSPENDED 4

static unsigned failures;
static volatile unsigned ipis[4];
static volatile unsigned stage[4];
static uint8_t stacks[4][4096] __attribute__((aligned(16)));

static void expect(const char *what, long got, long want)
{
    if (got == want) {
        kprintf("smptest: %s: ok\n", what);
    } else {
        kprintf("smptest: %s: FAIL (got %ld, want %ld)\n", what, got, want);
        failures++;
    }
}

static struct sbiret call(unsigned long eid, unsigned long fid, unsigned long a0, unsigned long a1,
                          unsigned long a2, unsigned long a3, unsigned long a4)
{
    return sbi_call(eid, fid, a0, a1, a2, a3, a4, 0);
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

static void enable_soft_irq(void)
{
    __asm__ volatile("csrs sie, %0" : : "r"(1ul << IRQ_SOFT));
}

static long status(unsigned long hart)
{
    return call(SBI_EXT_HSM, SBI_HSM_HART_GET_STATUS, hart, 0, 0, 0, 0).value;
}

static void wait_status(unsigned long hart, long want)
{
    while (status(hart) != want) {
    }
}

/* Hart 1: answer an IPI with an IPI, then sleep in a retentive suspend until woken, then stop. */
static void hart1(unsigned long hartid)
{
    enable_soft_irq();
    stage[1] = 1;
    while (ipis[1] == 0) {
        wait_for_interrupt();
    }
    call(SBI_EXT_IPI, 0, 1, 0, 0, 0, 0); /* to hart 0 */
    stage[1] = 2;
    struct sbiret r = call(SBI_EXT_HSM, 3, 0, 0, 0, 0, 0);
    stage[1] = r.error == 0 ? 3 : 99;
    kprintf("smptest: hart %lu resumed from retentive suspend\n", hartid);
}

/* Hart 2: a non-retentive suspend; it comes back at secondary_entry, so it runs this again. */
static void hart2(unsigned long hartid)
{
    if (stage[2] == 0) {
        enable_soft_irq();
        stage[2] = 1;
        extern char secondary_entry[];
        call(SBI_EXT_HSM, 3, 0x80000000ul, (unsigned long)secondary_entry,
             (unsigned long)(stacks[2] + sizeof(stacks[2])), 0, 0);
        stage[2] = 99; /* not reached */
        return;
    }
    stage[2] = 2;
    kprintf("smptest: hart %lu restarted after non-retentive suspend\n", hartid);
}

static void test_hsm_and_ipi(void)
{
    expect("status of stopped hart", status(1), HSM_STOPPED);
    expect("status of missing hart", call(SBI_EXT_HSM, SBI_HSM_HART_GET_STATUS, 3, 0, 0, 0, 0).error,
           SBI_ERR_INVALID_PARAM);
    expect("start missing hart", start_secondary(7, hart1, stacks[1] + 4096), SBI_ERR_INVALID_PARAM);
    expect("start at invalid address",
           call(SBI_EXT_HSM, SBI_HSM_HART_START, 1, 0x1000, 0, 0, 0).error, SBI_ERR_INVALID_ADDRESS);
    expect("start hart 1", start_secondary(1, hart1, stacks[1] + 4096), 0);
    expect("start hart 1 again", start_secondary(1, hart1, stacks[1] + 4096),
           SBI_ERR_ALREADY_AVAILABLE);
    while (stage[1] < 1) {
    }
    expect("status of running hart", status(1), HSM_STARTED);

    enable_soft_irq();
    irq_timer_enable(false);
    expect("ipi to hart 1", call(SBI_EXT_IPI, 0, 0x2, 0, 0, 0, 0).error, 0);
    while (ipis[0] == 0) {
        wait_for_interrupt();
    }
    expect("ipi back from hart 1", ipis[0], 1);
    wait_status(1, HSM_SUSPENDED);
    expect("status of suspended hart", status(1), HSM_SUSPENDED);
    call(SBI_EXT_IPI, 0, 0x1, 1, 0, 0, 0); /* mask base 1: hart 1 */
    while (stage[1] < 3) {
    }
    expect("retentive suspend returned success", stage[1], 3);
    wait_status(1, HSM_STOPPED);
    expect("hart 1 stopped itself", status(1), HSM_STOPPED);

    expect("ipi with bad base", call(SBI_EXT_IPI, 0, 1, 3, 0, 0, 0).error, SBI_ERR_INVALID_PARAM);
    expect("ipi with bad mask", call(SBI_EXT_IPI, 0, 0x10, 0, 0, 0, 0).error, SBI_ERR_INVALID_PARAM);
    unsigned before = ipis[0];
    expect("ipi to all (base -1)", call(SBI_EXT_IPI, 0, 0, ~0ul, 0, 0, 0).error, 0);
    while (ipis[0] == before) {
        wait_for_interrupt();
    }
    expect("ipi to self arrived", ipis[0], before + 1);

    expect("start hart 2", start_secondary(2, hart2, stacks[2] + 4096), 0);
    wait_status(2, HSM_SUSPENDED);
    call(SBI_EXT_IPI, 0, 0x4, 0, 0, 0, 0);
    while (stage[2] < 2) {
    }
    expect("non-retentive suspend resumed at its address", stage[2], 2);
    wait_status(2, HSM_STOPPED);
    expect("suspend with reserved type", call(SBI_EXT_HSM, 3, 1, 0, 0, 0, 0).error,
           SBI_ERR_INVALID_PARAM);
    expect("suspend with bad resume address", call(SBI_EXT_HSM, 3, 0x80000000ul, 0x10, 0, 0, 0).error,
           SBI_ERR_INVALID_ADDRESS);
}

static void test_rfence(void)
{
    expect("remote fence.i", call(SBI_EXT_RFENCE, 0, 0x1, 0, 0, 0, 0).error, 0);
    expect("remote sfence.vma all", call(SBI_EXT_RFENCE, 1, 0x1, 0, 0, 0, 0).error, 0);
    expect("remote sfence.vma range", call(SBI_EXT_RFENCE, 1, 0x1, 0, 0x80000000, 0x3000, 0).error, 0);
    expect("remote sfence.vma wrapping range",
           call(SBI_EXT_RFENCE, 1, 0x1, 0, ~0ul - 0xfff, 0x2000, 0).error, SBI_ERR_INVALID_ADDRESS);
    expect("remote sfence.vma.asid", call(SBI_EXT_RFENCE, 2, 0x1, 0, 0, 0, 5).error, 0);
    expect("remote sfence.vma.asid bad asid",
           call(SBI_EXT_RFENCE, 2, 0x1, 0, 0, 0, 0x10000).error, SBI_ERR_INVALID_PARAM);
    expect("remote fence with bad mask", call(SBI_EXT_RFENCE, 0, 0x8, 0, 0, 0, 0).error,
           SBI_ERR_INVALID_PARAM);
    for (unsigned long fid = 3; fid <= 6; fid++) {
        expect("remote hfence not supported", call(SBI_EXT_RFENCE, fid, 0x1, 0, 0, 0, 0).error,
               SBI_ERR_NOT_SUPPORTED);
    }
    static uint64_t mask = 0x1;
    expect("legacy remote fence.i", sbi_call(SBI_EXT_LEGACY_REMOTE_FENCE_I, 0, (unsigned long)&mask,
                                             0, 0, 0, 0, 0).error, 0);
    expect("legacy remote sfence.vma", sbi_call(SBI_EXT_LEGACY_REMOTE_SFENCE_VMA, 0,
                                                (unsigned long)&mask, 0, 0, 0, 0, 0).error, 0);
    unsigned before = ipis[0];
    expect("legacy send_ipi", sbi_call(SBI_EXT_LEGACY_SEND_IPI, 0, (unsigned long)&mask, 0, 0, 0, 0, 0)
                                  .error, 0);
    while (ipis[0] == before) {
        wait_for_interrupt();
    }
    expect("legacy ipi arrived", ipis[0], before + 1);
    expect("legacy send_ipi with bad pointer",
           sbi_call(SBI_EXT_LEGACY_SEND_IPI, 0, 0x10, 0, 0, 0, 0, 0).error, SBI_ERR_INVALID_ADDRESS);
}

void guest_main(unsigned long hartid, unsigned long dtb)
{
    (void)hartid;
    (void)dtb;
    trap_set_hook(ipi_hook);
    test_hsm_and_ipi();
    test_rfence();
    kprintf("smptest: %u failures\n", failures);
}
