// SPDX-License-Identifier: MIT
// Hart set-up (for the hext engine: delegation, counters, VMID probe); time, timer and idle.
#include <arch/arch.h>
#include <arch/csr.h>

#include "exit.h"

void arch_fw_set_timer(uint64_t deadline);

static bool use_sstc;
unsigned arch_vmid_bits;
/* scounteren as the firmware left it: every vCPU starts with it, as a hart booted by that firmware
 * would (OpenSBI opens the counters to U-mode; Linux relies on it for rdtime in its vDSO). */
uint64_t arch_fw_scounteren;

/* Exceptions the guest handles itself, without an exit (hypervisor chapter, "hedeleg"). Illegal
 * instructions are the guest's too: it sees what it would see on hardware. */
#define HEDELEG_GUEST                                                                              \
    ((1ul << EXC_INSN_MISALIGNED) | (1ul << EXC_ILLEGAL_INSN) | (1ul << EXC_BREAKPOINT) |        \
     (1ul << EXC_LOAD_MISALIGNED) | (1ul << EXC_STORE_MISALIGNED) | (1ul << EXC_U_ECALL) |       \
     (1ul << EXC_INSN_PAGE_FAULT) | (1ul << EXC_LOAD_PAGE_FAULT) | (1ul << EXC_STORE_PAGE_FAULT))

/* VS-level interrupts go straight to the guest, which sees them as its S-level ones. */
#define HIDELEG_GUEST ((1ul << IRQ_VS_SOFT) | (1ul << IRQ_VS_TIMER) | (1ul << IRQ_VS_EXT))

unsigned arch_hart_init(bool has_sstc)
{
    use_sstc = has_sstc;
    arch_fw_scounteren = csr_read(CSR_SCOUNTEREN);
    if (arch_engine_trap) {
        /* No hypervisor CSRs to set: every trap of the guest comes here (arch_engine_init). */
        csr_clear(CSR_SSTATUS, SSTATUS_SIE);
        csr_write(CSR_SIE, (1ul << IRQ_S_TIMER) | (1ul << IRQ_S_SOFT));
        arch_timer_set(~0ull);
        return 0;
    }
    csr_write(CSR_HEDELEG, HEDELEG_GUEST);
    csr_write(CSR_HIDELEG, HIDELEG_GUEST);
    csr_write(CSR_HVIP, 0);
    csr_write(CSR_HIE, 0);
    csr_write(CSR_HTIMEDELTA, 0);
    /* Guests may read cycle, time and instret: guest-pv and Linux count with them. */
    csr_write(CSR_HCOUNTEREN, HCOUNTEREN_CY | HCOUNTEREN_TM | HCOUNTEREN_IR);
    csr_write(CSR_HENVCFG, has_sstc ? HENVCFG_STCE : 0);

    /* VMIDLEN: write ones to the VMID field and read back (hypervisor chapter, "hgatp"). */
    csr_write(CSR_HGATP, (HGATP_MODE_SV39X4 << HGATP_MODE_SHIFT) | (HGATP_VMID_MASK << HGATP_VMID_SHIFT));
    uint64_t vmid = (csr_read(CSR_HGATP) >> HGATP_VMID_SHIFT) & HGATP_VMID_MASK;
    csr_write(CSR_HGATP, 0);
    arch_vmid_bits = 0;
    while (vmid & 1) {
        arch_vmid_bits++;
        vmid >>= 1;
    }
    __asm__ volatile(".option push\n.option arch, +h\nhfence.gvma zero, zero\n.option pop" ::: "memory");

    /* The hypervisor runs with interrupts masked (sstatus.SIE = 0): its own timer only ends a guest's
     * run, since HS interrupts are always taken while V = 1, or wakes an idle WFI. */
    csr_clear(CSR_SSTATUS, SSTATUS_SIE);
    /* The software interrupt is another hart's kick (arch_fw_send_ipi): it ends a guest's run or an
     * idle WFI so that this hart looks at what was sent to it. */
    csr_write(CSR_SIE, (1ul << IRQ_S_TIMER) | (1ul << IRQ_S_SOFT));
    arch_timer_set(~0ull);
    return arch_vmid_bits;
}

long stimecmp_probe(void);

bool arch_sstc_usable(void)
{
    return stimecmp_probe() == 0;
}

uint64_t arch_time(void)
{
    return csr_read(CSR_TIME);
}

uint64_t arch_instret(void)
{
    return csr_read(CSR_INSTRET);
}

void arch_timer_set(uint64_t deadline)
{
    if (use_sstc) {
        csr_write(CSR_STIMECMP, deadline);
    } else {
        arch_fw_set_timer(deadline);
    }
}

void arch_ipi_clear(void)
{
    csr_clear(CSR_SIP, 1ul << IRQ_S_SOFT);
}

void arch_idle(void)
{
    __asm__ volatile("wfi" ::: "memory");
}
