// SPDX-License-Identifier: MIT
// Attack pack, storms: SBI and PLIC calls a guest may make as fast as it likes (HSM start/stop and
// suspend, set_timer, IPIs to itself, PLIC claim/complete). Each call must stay cheap and correct:
// the canary keeps its heartbeat (test_attack.py), and after the storm each mechanism still works.
#include <string.h>

#include "attack.h"
#include "virtio.h"

#define IS(n) (strcmp(a, n) == 0)
#define HSM_STOPPED 1
#define SIP_SSIP (1ul << 1)
#define SIP_STIP (1ul << 5)
#define SIE_STIE (1ul << 5)
#define SIE_SSIE (1ul << 1)
/* PLIC, hart 0's S-mode context (1) as on QEMU virt (the guest's device tree says the same). */
#define PLIC 0x0c000000ul
#define PLIC_PRIO(id) ((volatile uint32_t *)(PLIC + 4 * (id)))
#define PLIC_ENABLE1 ((volatile uint32_t *)(PLIC + 0x2000 + 0x80))
#define PLIC_THRESHOLD1 ((volatile uint32_t *)(PLIC + 0x200000 + 0x1000))
#define PLIC_CLAIM1 ((volatile uint32_t *)(PLIC + 0x200000 + 0x1000 + 4))
#define STORM 20000

static uint8_t stack1[4096] __attribute__((aligned(16)));
static volatile uint64_t ran;
/* reboot-busy-storm's count, kept across its reboots (RAM keeps its contents, as on a board): a
 * page past attack.c's reboot-storm count, below the device tree. */
#define BUSY_COUNT (AT_RAM + 13 * AT_MB + 0x1000)
#define BUSY_MAGIC 0x425553592d524254ul
#define BUSY_REBOOTS 50
static volatile uint64_t busy_calls;

static volatile uint64_t ticks;

/* Counts timer interrupts, then lets the kernel's handler take them (it turns the timer off). */
static bool count_ticks(struct trap_frame *f, uint64_t cause, uint64_t tval)
{
    (void)f;
    (void)tval;
    ticks += cause == (CAUSE_IRQ | 5);
    return false;
}

static void secondary(unsigned long hartid)
{
    (void)hartid;
    ran++; /* then start_secondary's entry stops the hart */
}

/* vCPU 1 of reboot-busy-storm: SBI calls that take the hypervisor's full path, until a reboot
 * takes its hart away. */
static void busy(unsigned long hartid)
{
    (void)hartid;
    for (;;) {
        sbi_call(SBI_EXT_HSM, SBI_HSM_HART_GET_STATUS, 0, 0, 0, 0, 0, 0);
        busy_calls++;
    }
}

static uint64_t sip(void)
{
    uint64_t v;
    __asm__ volatile("csrr %0, sip" : "=r"(v));
    return v;
}

/* Waits up to 0.1 s for bit in sip (its interrupts masked by sstatus.SIE). Not used for STIP: on
 * hext with Sstc a due vstimecmp timer was delivered but did not show in a polled sip under
 * QEMU 7.2 (not pinned down: QEMU's vsip read, or the hvip the hypervisor restores at each load).
 */
static bool wait_sip(uint64_t bit)
{
    uint64_t end = csr_time() + 1000000;
    while (!(sip() & bit) && csr_time() < end) {
    }
    return sip() & bit;
}

bool attack_storms(const char *a)
{
    long errors = 0;

    if (IS("hsm-storm")) {
        /* Hart 1 started and stopped 500 times, then hart 0 suspended 500 times (retentive, each
         * woken by a timer 50 us on, its interrupts masked: a pending one ends the suspend). */
        unsigned starts = 0;
        for (unsigned i = 0; i < 500; i++) {
            if (start_secondary(1, secondary, stack1 + sizeof stack1) != 0) {
                errors++;
                continue;
            }
            /* Two seconds: the hart shares the host's cores with the canary and other runs. */
            uint64_t end = csr_time() + 20000000;
            while (csr_time() < end) {
                if (sbi_call(SBI_EXT_HSM, SBI_HSM_HART_GET_STATUS, 1, 0, 0, 0, 0, 0).value ==
                    HSM_STOPPED) {
                    starts++;
                    break;
                }
            }
        }
        at_result(a, "start-errors", errors);
        at_result(a, "stopped-again", starts);
        at_result(a, "ran", (long)ran);
        __asm__ volatile("csrci sstatus, 2\n csrs sie, %0" : : "r"(SIE_STIE));
        unsigned woke = 0;
        for (unsigned i = 0; i < 500; i++) {
            uint64_t due = csr_time() + 500;
            sbi_call(SBI_EXT_TIME, 0, due, 0, 0, 0, 0, 0);
            /* Resumed by the pending timer (SBI HSM: a retentive suspend ends on an interrupt, even
             * one masked by sstatus.SIE), so not before it was due. */
            if (sbi_call(SBI_EXT_HSM, 3, 0, 0, 0, 0, 0, 0).error == 0 && csr_time() >= due) {
                woke++;
            }
        }
        sbi_call(SBI_EXT_TIME, 0, ~0ul, 0, 0, 0, 0, 0);
        __asm__ volatile("csrsi sstatus, 2");
        at_result(a, "suspends-woken", woke);
    } else if (IS("reboot-busy-storm")) {
        /* vCPU 0 reboots the guest while vCPU 1 makes calls in a loop (on another hart with SMP=2
         * on hext), 50 times: each reboot takes vCPU 1 out first, wherever it is (in the guest, in
         * an exit), and the guest starts afresh with vCPU 1 stopped. */
        volatile uint64_t *count = (volatile uint64_t *)BUSY_COUNT;
        if (count[0] != BUSY_MAGIC) {
            count[0] = BUSY_MAGIC;
            count[1] = count[2] = 0;
        }
        if (count[1] > 0 &&
            sbi_call(SBI_EXT_HSM, SBI_HSM_HART_GET_STATUS, 1, 0, 0, 0, 0, 0).value != HSM_STOPPED) {
            count[2]++;
        }
        if (count[1] < BUSY_REBOOTS) {
            if (start_secondary(1, busy, stack1 + sizeof stack1) != 0) {
                count[2]++;
            }
            /* Up to two seconds for it to get going (it shares the host's cores). */
            uint64_t end = csr_time() + 20000000;
            while (busy_calls < 100 && csr_time() < end) {
            }
            count[2] += busy_calls < 100;
            count[1]++;
            sbi_call(SBI_EXT_SRST, SBI_SRST_SYSTEM_RESET, SBI_SRST_TYPE_WARM_REBOOT, 0, 0, 0, 0, 0);
        }
        at_result(a, "reboots", (long)count[1]);
        at_result(a, "errors", (long)count[2]);
    } else if (IS("timer-storm")) {
        /* set_timer in a loop, each deadline now or just past; then one in 1 ms must still fire,
         * and one far off must clear STIP (SBI TIME: a new deadline clears the pending timer). */
        __asm__ volatile("csrci sstatus, 2");
        for (unsigned i = 0; i < 10 * STORM; i++) {
            errors += sbi_call(SBI_EXT_TIME, 0, csr_time() - (i & 1), 0, 0, 0, 0, 0).error != 0;
        }
        at_result(a, "errors", errors);
        sbi_call(SBI_EXT_TIME, 0, ~0ul, 0, 0, 0, 0, 0);
        at_result(a, "cleared", !(sip() & SIP_STIP));
        /* The 1 ms one is taken as an interrupt: not before its time, and within 0.1 s. */
        trap_set_hook(count_ticks);
        uint64_t due = csr_time() + 10000, end = due + 1000000;
        sbi_call(SBI_EXT_TIME, 0, due, 0, 0, 0, 0, 0);
        __asm__ volatile("csrs sie, %0\n csrsi sstatus, 2" : : "r"(SIE_STIE));
        while (!ticks && csr_time() < end) {
        }
        uint64_t at = csr_time();
        at_result(a, "fires", ticks == 1 && at >= due && at < end);
    } else if (IS("ipi-storm")) {
        /* IPIs to itself with its interrupts masked: they merge into one pending SSIP, cleared by
         * the guest, raised again by the next one. */
        __asm__ volatile("csrci sstatus, 2");
        for (unsigned i = 0; i < STORM; i++) {
            errors += sbi_call(SBI_EXT_IPI, 0, 1, 0, 0, 0, 0, 0).error != 0;
        }
        at_result(a, "errors", errors);
        at_result(a, "pending", wait_sip(SIP_SSIP));
        __asm__ volatile("csrc sip, %0" : : "r"(SIP_SSIP));
        at_result(a, "cleared", !(sip() & SIP_SSIP));
        sbi_call(SBI_EXT_IPI, 0, 1, 0, 0, 0, 0, 0);
        at_result(a, "again", wait_sip(SIP_SSIP));
        __asm__ volatile("csrc sip, %0\n csrsi sstatus, 2" : : "r"(SIP_SSIP));
    } else if (IS("plic-claim-storm")) {
        /* Claims with nothing pending read 0; completions of IDs never claimed, out of range or not
         * enabled are ignored (PLIC spec, "Interrupt Completion"); none faults. */
        at_hook_faults();
        __asm__ volatile("csrci sstatus, 2"); /* the disk's interrupt is claimed here, not taken */
        long nonzero = 0;
        static const uint32_t bogus[] = { 0, 1, 10, 1023, 1024, 0xffffffffu };
        for (unsigned i = 0; i < STORM; i++) {
            nonzero += *PLIC_CLAIM1 != 0;
            *PLIC_CLAIM1 = bogus[i % 6];
        }
        at_result(a, "faults", (long)at_faults);
        at_result(a, "claims-nonzero", nonzero);
        /* Then a real one: the disk's completion (source 1, VM_VBLK_IRQ) is claimed once, and
         * after its completion nothing is left to claim. */
        *PLIC_PRIO(1) = 1;
        *PLIC_ENABLE1 = 1u << 1;
        *PLIC_THRESHOLD1 = 0;
        at_result(a, "read", at_virtio_good_read());
        at_result(a, "claim", *PLIC_CLAIM1);
        *(volatile uint32_t *)(0x10001000ul + VIRTIO_MMIO_INTERRUPT_ACK) = VIRTIO_INT_USED;
        *PLIC_CLAIM1 = 1;
        at_result(a, "claim-after", *PLIC_CLAIM1);
        *PLIC_ENABLE1 = 0;
        __asm__ volatile("csrsi sstatus, 2");
    } else {
        return false;
    }
    return true;
}
