// SPDX-License-Identifier: MIT
// What happens when a guest exits to the hypervisor: counted, then dispatched by cause.
#include "exit.h"

#include <arch/arch.h>
#include <arch/csr.h>

#include "conout.h"
#include "console.h"
#include "devices.h"
#include "mmio.h"
#include "sbi/sbi.h"
#include "sched.h"
#include "smp.h"
#include "vm.h"

#define INSN_WFI 0x10500073u

typedef void (*exit_handler)(struct vcpu *v);

static void exit_vs_ecall(struct vcpu *v)
{
    sbi_dispatch(v);
}

/* Virtual instruction: a privileged instruction VS-mode may not run. WFI is trapped on purpose (VTW) so
 * a sleeping guest gives the hart away; anything else behaves as on a machine without it: illegal. */
static void exit_virtual_insn(struct vcpu *v)
{
    uint32_t insn = 0;

    /* The instruction is read at pc, not taken from stval: QEMU 7.2 leaves a stale value there for
     * some instructions (an HLV reported as the last WFI), which would put the guest to sleep. */
    if (!vcpu_arch_read_insn(v, vcpu_arch_get_pc(&v->arch), &insn)) {
        vm_fault(v->vm, "virtual instruction at pc 0x%lx that cannot be read",
                 (unsigned long)vcpu_arch_get_pc(&v->arch));
        return;
    }
    /* WFI from guest user mode is what it is on a hart with S-mode: an illegal instruction for the
     * guest kernel to handle (priv spec, "Wait for Interrupt"), not a sleep of the whole vCPU. */
    if (insn == INSN_WFI && vcpu_arch_guest_kernel_mode(&v->arch)) {
        vcpu_arch_set_pc(&v->arch, vcpu_arch_get_pc(&v->arch) + 4);
        sched_wfi(v);
    }
    vcpu_arch_inject_exception(v, EXC_ILLEGAL_INSN, insn);
}

static const exit_handler exc_handlers[EXC_COUNT] = {
    [EXC_VS_ECALL] = exit_vs_ecall,
    [EXC_INSN_GUEST_PAGE_FAULT] = mmio_emulate,
    [EXC_LOAD_GUEST_PAGE_FAULT] = mmio_emulate,
    [EXC_STORE_GUEST_PAGE_FAULT] = mmio_emulate,
    [EXC_VIRTUAL_INSN] = exit_virtual_insn,
};

static void exit_interrupt(struct vcpu *v, uint64_t code)
{
    switch (code) {
    case IRQ_S_TIMER:
        /* A guest whose trap handler itself faults loops without end (on hext without any exit): the
         * tick that finds it there three times in a row stops it. */
        v->loop_ticks = vcpu_arch_handler_faults(v) ? v->loop_ticks + 1 : 0;
        if (v->loop_ticks >= 3) {
            vm_fault(v->vm, "trap loop: its trap handler at 0x%lx faults at its first instruction",
                     (unsigned long)vcpu_arch_get_pc(&v->arch));
            break;
        }
        /* Device work left by an earlier exit goes on in the ticks (and WFIs) of its guest. */
        devices_work(v->vm);
        sched_tick(v);
        break;
    case IRQ_S_SOFT:
        /* Another hart's kick: what it sent (interrupts for this vCPU, a stop of its VM, a vCPU to
         * run) is looked at on the way back in (sched_resume). */
        arch_ipi_clear();
        break;
    default:
        hyp_log("unexpected interrupt %lu while guest '%s' ran", (unsigned long)code, v->vm->cfg->name);
        break;
    }
}

_Noreturn void vcpu_handle_exit(struct vcpu *v)
{
    uint64_t cause = v->arch.scause;
    bool irq = (cause & SCAUSE_IRQ) != 0;
    uint64_t code = cause & ~SCAUSE_IRQ;

    /* A VM on several harts: its whole exit is handled under its lock (tested here: the common
     * exit of a VM on one hart pays one load for it). */
    if (v->vm->spans_harts) {
        smp_exit_lock(v);
    }
    stats_count(&v->vm->stats, code, irq);
    if (vcpu_arch_exit_handled(&v->arch)) {
        /* The trap engine did it all (an emulated instruction, a shadow fill, a trap forwarded to
         * the guest's own handler): only counted here. */
    } else if (irq) {
        exit_interrupt(v, code);
    } else if (code < EXC_COUNT && exc_handlers[code]) {
        exc_handlers[code](v);
    } else {
        /* Everything else a guest can cause is delegated to it; reaching here means it did something
         * only a broken or hostile guest does (an access fault, say). Stop it, alone. */
        vm_fault(v->vm, "%s at pc 0x%lx (tval 0x%lx)", exit_cause_name(cause),
                 (unsigned long)vcpu_arch_get_pc(&v->arch), (unsigned long)v->arch.stval);
    }
    sched_resume(v);
}
