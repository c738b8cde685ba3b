// SPDX-License-Identifier: MIT
// Probes of interrupts and the timer: software interrupts in direct and vectored mode, masking by
// sstatus.SIE and sie, interrupts taken from U-mode, priority, the SBI timer, Sstc's stimecmp, and
// WFI.
#include "census.h"

extern char u_nop[];

#define SIP_SSIP (1ull << IRQ_SSI)
#define SIP_STIP (1ull << IRQ_STI)
/* Long enough for any engine to notice a deadline (1 ms at QEMU's 10 MHz timebase). */
#define PROMPT_TICKS 10000

/* Raises SSIP with SIE set: a0 at the trap says how far the code got (0: before the next
 * instruction). */
static void ssi_probe(const char *name, uint64_t stvec, bool sie_bit, bool sie_ssie)
{
    char b[64];

    csr_write(CSR_STVEC, stvec);
    csr_write(CSR_SIE, sie_ssie ? SIP_SSIP : 0);
    trap_arm();
    if (sie_bit) {
        __asm__ volatile("li a0, 0\n\tcsrs sstatus, %0\n\tcsrs sip, %1\n\tli a0, 1\n\tli a0, 2"
                         :
                         : "r"(SSTATUS_SIE), "r"(SIP_SSIP)
                         : "memory", "a0");
    } else {
        __asm__ volatile("li a0, 0\n\tcsrs sip, %0\n\tli a0, 1\n\tli a0, 2"
                         :
                         : "r"(SIP_SSIP)
                         : "memory", "a0");
    }
    trap_disarm();
    csr_clear(CSR_SSTATUS, SSTATUS_SIE);
    uint64_t pending = csr_read(CSR_SIP) & SIP_SSIP;
    csr_clear(CSR_SIP, SIP_SSIP);
    csr_write(CSR_SIE, 0);
    csr_write(CSR_STVEC, (uint64_t)(uintptr_t)trap_entry);
    struct trap_rec t = last_trap;
    if (t.taken) {
        probe(name, "%s vector=%ld taken after %lu instructions", trap_str(b, sizeof(b), &t), t.vec,
              t.a0);
    } else {
        probe(name, "not taken, SSIP %s", pending ? "pending" : "clear");
    }
}

static bool wait_stip(uint64_t until)
{
    while (csr_read(CSR_TIME) < until) {
        if (csr_read(CSR_SIP) & SIP_STIP) {
            return true;
        }
    }
    return (csr_read(CSR_SIP) & SIP_STIP) != 0;
}

/* The moment STIP appears against the deadline: never early, and soon after. */
static const char *deadline_str(uint64_t deadline, bool seen, uint64_t at)
{
    if (!seen) {
        return "never pending";
    }
    if (at < deadline) {
        return "pending before the deadline";
    }
    return at - deadline < PROMPT_TICKS ? "pending promptly at the deadline" : "pending late";
}

static void timer_probes(void)
{
    /* The SBI timer, polled. */
    uint64_t deadline = csr_read(CSR_TIME) + 5000, at = 0;
    bool seen = false;
    sbi_set_timer(deadline);
    while (csr_read(CSR_TIME) < deadline + 100 * PROMPT_TICKS) {
        /* time is read after sip: a bit seen pending was pending by then, so at < deadline is
         * early. */
        uint64_t sip = csr_read(CSR_SIP), now = csr_read(CSR_TIME);
        if (sip & SIP_STIP) {
            seen = true;
            at = now;
            break;
        }
    }
    probe("timer-sbi-poll", "%s", deadline_str(deadline, seen, at));
    sbi_set_timer(~0ull);
    probe("timer-sbi-clear", "STIP %s after set_timer(far)",
          (csr_read(CSR_SIP) & SIP_STIP) ? "still set" : "clear");

    /* The SBI timer as an interrupt. */
    trap_arm();
    deadline = csr_read(CSR_TIME) + 5000;
    csr_write(CSR_SIE, SIP_STIP);
    sbi_set_timer(deadline);
    csr_set(CSR_SSTATUS, SSTATUS_SIE);
    while (!last_trap.taken && csr_read(CSR_TIME) < deadline + 100 * PROMPT_TICKS) {
    }
    uint64_t now = csr_read(CSR_TIME);
    csr_clear(CSR_SSTATUS, SSTATUS_SIE);
    trap_disarm();
    sbi_set_timer(~0ull);
    csr_write(CSR_SIE, 0);
    char b[64];
    struct trap_rec t = last_trap;
    probe("timer-sbi-irq", "%s%s", t.taken ? trap_str(b, sizeof(b), &t) : "not taken",
          t.taken && now >= deadline ? ", at or after the deadline" : "");

    /* Sstc: the kernel's own stimecmp. */
    const char *isa = fdt_string("/cpus/cpu@0", "riscv,isa");
    if (str_has(isa, "sstc")) {
        uint64_t old = csr_read(CSR_STIMECMP);
        deadline = csr_read(CSR_TIME) + 5000;
        csr_write(CSR_STIMECMP, deadline);
        seen = wait_stip(deadline + 100 * PROMPT_TICKS);
        at = csr_read(CSR_TIME); /* an upper bound of when STIP appeared: early shows as on time */
        csr_write(CSR_STIMECMP, ~0ull);
        bool cleared = !(csr_read(CSR_SIP) & SIP_STIP);
        csr_write(CSR_STIMECMP, old);
        probe("timer-stimecmp", "%s, %s by a later deadline", deadline_str(deadline, seen, at),
              cleared ? "cleared" : "not cleared");
    } else {
        probe("timer-stimecmp", "not probed: Sstc not in riscv,isa");
    }
}

static void wfi_probes(void)
{
    /* WFI with the timer enabled in sie but SIE clear: it resumes after WFI once STIP is pending.
     */
    csr_write(CSR_SIE, SIP_STIP);
    uint64_t deadline = csr_read(CSR_TIME) + 20000;
    sbi_set_timer(deadline);
    __asm__ volatile("wfi" ::: "memory");
    uint64_t now = csr_read(CSR_TIME);
    bool stip = (csr_read(CSR_SIP) & SIP_STIP) != 0;
    probe("wfi-timer", "%s, STIP %s",
          now >= deadline ? "resumes at or after the deadline" : "resumes early",
          stip ? "pending" : "clear");
    /* With STIP already pending, WFI does not wait. */
    uint64_t before = csr_read(CSR_TIME);
    __asm__ volatile("wfi" ::: "memory");
    now = csr_read(CSR_TIME);
    probe("wfi-pending", "%s", now - before < PROMPT_TICKS ? "returns at once" : "waits");
    sbi_set_timer(~0ull);
    csr_write(CSR_SIE, 0);
}

uint64_t sret_probe(void);
extern char sret_probe_target[];

/* An interrupt pending and enabled in sie becomes deliverable the moment SIE is set: by an sie
 * write with SIE set, and by an sret that sets SIE from SPIE. */
static void unmask_probes(void)
{
    char b[64];

    csr_set(CSR_SIP, SIP_SSIP);
    csr_write(CSR_SIE, 0);
    csr_set(CSR_SSTATUS, SSTATUS_SIE);
    trap_arm();
    __asm__ volatile("li a0, 0\n\tcsrs sie, %0\n\tli a0, 1" : : "r"(SIP_SSIP) : "memory", "a0");
    trap_disarm();
    csr_clear(CSR_SSTATUS, SSTATUS_SIE);
    struct trap_rec t = last_trap;
    probe("irq-unmasked-by-sie-write", "%s taken after %lu instructions",
          trap_str(b, sizeof(b), &t), t.a0);

    uint64_t old = csr_read(CSR_SSTATUS);
    csr_set(CSR_SSTATUS, SSTATUS_SPP | SSTATUS_SPIE);
    trap_arm();
    sret_probe();
    trap_disarm();
    csr_write(CSR_SSTATUS, old & ~SSTATUS_SIE);
    csr_clear(CSR_SIP, SIP_SSIP);
    csr_write(CSR_SIE, 0);
    t = last_trap;
    probe("irq-unmasked-by-sret", "%s at %s", trap_str(b, sizeof(b), &t),
          t.epc == (uint64_t)(uintptr_t)sret_probe_target ? "the sret target"
                                                          : "another instruction");
}

void probes_irq(void)
{
    uint64_t direct = (uint64_t)(uintptr_t)trap_entry,
             vectored = (uint64_t)(uintptr_t)trap_vectors | 1;
    char b[64];

    ssi_probe("irq-ssi-direct", direct, true, true);
    ssi_probe("irq-ssi-vectored", vectored, true, true);
    ssi_probe("irq-ssi-sie-clear", direct, false, true);
    ssi_probe("irq-ssi-masked-in-sie", direct, true, false);
    unmask_probes();

    /* Vectored mode sends exceptions to BASE. */
    csr_write(CSR_STVEC, vectored);
    trap_arm();
    __asm__ volatile(".word 0x00100073" ::: "memory"); /* ebreak */
    trap_disarm();
    csr_write(CSR_STVEC, direct);
    probe("irq-vectored-exception", "%s vector=%ld", trap_brief(b, sizeof(b)), last_trap.vec);

    /* S-level interrupts are always enabled in U-mode, whatever SIE says. */
    csr_write(CSR_SIE, SIP_SSIP);
    csr_set(CSR_SIP, SIP_SSIP);
    struct trap_rec t = run_user(u_nop, 0, 0);
    csr_clear(CSR_SIP, SIP_SSIP);
    csr_write(CSR_SIE, 0);
    probe("irq-ssi-in-user", "%s at=+%lu spp=%lu", trap_str(b, sizeof(b), &t),
          t.epc - user_va(u_nop), (t.status >> 8) & 1);

    /* SSI and STI pending together: SSI has priority (supervisor chapter, "sip"). The timer is
     * given time to fire rather than watched, so the probe does not depend on reading STIP. */
    sbi_set_timer(0);
    for (uint64_t until = csr_read(CSR_TIME) + PROMPT_TICKS; csr_read(CSR_TIME) < until;) {
    }
    csr_set(CSR_SIP, SIP_SSIP);
    csr_write(CSR_SIE, SIP_SSIP | SIP_STIP);
    trap_arm();
    csr_set(CSR_SSTATUS, SSTATUS_SIE);
    csr_clear(CSR_SSTATUS, SSTATUS_SIE);
    trap_disarm();
    csr_clear(CSR_SIP, SIP_SSIP);
    t = last_trap;
    /* Then STI alone: what sip says just before SIE is set, against what is taken. Nothing between
     * the read and the interrupt leaves the guest on any engine that does not trap CSR reads. */
    trap_arm();
    uint64_t sip = csr_read(CSR_SIP);
    csr_set(CSR_SSTATUS, SSTATUS_SIE);
    csr_clear(CSR_SSTATUS, SSTATUS_SIE);
    trap_disarm();
    sbi_set_timer(~0ull);
    csr_write(CSR_SIE, 0);
    probe("irq-priority-ssi-sti", "%s", trap_str(b, sizeof(b), &t));
    probe("irq-sti-read-then-taken", "sip.STIP read %lu, then %s", (sip >> IRQ_STI) & 1,
          trap_brief(b, sizeof(b)));

    timer_probes();
    wfi_probes();
}
