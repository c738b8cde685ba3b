// SPDX-License-Identifier: MIT
// The trap engine's way back into the guest after an exit it handled itself, when nothing else is
// due: what tv_run would do for that exit, without the scheduler's round trip (tv_trap decides).
#include <arch/arch.h>
#include <arch/csr.h>
#include <arch/privemu.h>
#include <arch/vcpu_arch.h>

#include "exit.h"
#include "sched.h"
#include "smp.h"
#include "tengine_int.h"
#include "vm.h"


_Noreturn void tv_enter(struct vcpu_arch *a);
extern uint64_t arch_fw_scounteren;

/* A page fault or a system call of the guest's own, entered into its kernel's handler (tv_reflect;
 * a kernel's ecall is an SBI call, with another cause by now). */
static bool reflected_fault(const struct vcpu_arch *a)
{
    return a->scause == EXC_LOAD_PAGE_FAULT || a->scause == EXC_STORE_PAGE_FAULT ||
           a->scause == EXC_INSN_PAGE_FAULT || a->scause == EXC_U_ECALL;
}

/* A fill or an emulated store to a guest table changes nothing tv_run would look at but the TLB:
 * no interrupt, mode, view or FP state. A page fault entered into the guest's handler changes its
 * mode and view only, and leaves its interrupts off (SIE = 0): nothing can be delivered; a return from
 * a trap (HV_FID_TRAP_RETURN) may unmask one, and goes back only when none is pending. Back into
 * the guest without the scheduler when it would only choose this vCPU again (its vCPU page written
 * back, as tv_run does); a VM on several harts or patches to make take the whole way. */
bool tv_may_return(struct vcpu *v)
{
    const struct vcpu_arch *a = &v->arch;

    return a->tv.exit_done &&
           (a->scause == EXIT_SHADOW_FILL || a->scause == EXIT_TABLE_WRITE || reflected_fault(a) ||
            (a->scause == EXIT_PRIV_INSN && a->tv.tlb_only) ||
            (a->scause == EXC_VS_ECALL && priv_pending_irq(a) < 0)) &&
           !v->vm->spans_harts && !a->tv.direct_root && !a->tv.nwant && !a->flush_on_load &&
           arch_this_cpu()->loaded == v && sched_may_return(v);
}

_Noreturn void tv_return_quick(struct vcpu *v)
{
    struct vcpu_arch *a = &v->arch;

    vcpu_arch_charge_exit(arch_this_cpu());
    if (a->scause == EXIT_PRIV_INSN) {
        tv_select_root(v); /* a satp write switched trees */
    } else if (reflected_fault(a) || a->scause == EXC_VS_ECALL) {
        tv_select_root(v);
        csr_write(CSR_SCOUNTEREN, a->tv.vmode ? arch_fw_scounteren : arch_fw_scounteren & a->vs.scounteren);
        a->fast_cause = a->tv.vmode ? EXC_U_ECALL : ~0ull;
    }
    tv_vpage_out(v);
    a->tv.enter_fence = !tv_asids || a->tv.sh.fence;
    a->tv.sh.fence = false;
    /* The hardware's FS as tv_run sets it (a return from a trap, HV_FID_TRAP_RETURN, may have
     * turned the guest's FP off). */
    a->regs.sstatus = SSTATUS_SPIE | tv_hw_fs(a);
    tv_enter(a);
}
