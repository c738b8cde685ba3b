// SPDX-License-Identifier: MIT
// The vCPU page on the trap engine: a paravirtual guest kernel's interrupt flag and trap state in
// memory it shares with the hypervisor, so that masking interrupts, reading the trap CSRs and sret
// cost no trap each (docs/hypercalls.md, "The vCPU page"). Only the vCPU's own exits, on the hart
// that runs it, touch its page: program order is the only ordering the guest needs.
#include <arch/csr.h>
#include <arch/privemu.h>
#include <arch/vpage.h>

_Static_assert(sizeof(struct hv_vcpu_page) == HV_VP_SIZE, "vCPU page layout");
_Static_assert(__builtin_offsetof(struct hv_vcpu_page, irq_pending) == HV_VP_IRQ_PENDING, "layout");
_Static_assert(__builtin_offsetof(struct hv_vcpu_page, sstatus) == HV_VP_SSTATUS, "layout");
_Static_assert(__builtin_offsetof(struct hv_vcpu_page, kernel_tp) == HV_VP_KERNEL_TP, "layout");
_Static_assert(__builtin_offsetof(struct hv_vcpu_page, ret_status) == HV_VP_RET_STATUS, "layout");
_Static_assert(__builtin_offsetof(struct hv_vcpu_page, ret_a7) == HV_VP_RET_A7, "layout");
_Static_assert(HV_VP_SPIE == SSTATUS_SPIE && HV_VP_SPP == SSTATUS_SPP, "the page's sstatus is sstatus");

void vpage_sync_in(struct vcpu_arch *a, const volatile struct hv_vcpu_page *p)
{
    /* Any non-zero word is "on": whatever the guest wrote, it only chooses its own masking. */
    uint64_t on = p->irq_on;

    a->vs.vsstatus = on ? a->vs.vsstatus | SSTATUS_SIE : a->vs.vsstatus & ~SSTATUS_SIE;
}

void vpage_sync_out(struct vcpu_arch *a, volatile struct hv_vcpu_page *p)
{
    uint64_t pending = (a->vs.hvip >> 1) & a->vs.vsie & PRIV_SIE_MASK;
    uint64_t on = (a->vs.vsstatus & SSTATUS_SIE) ? 1 : 0;

    p->irq_on = on;
    /* What the guest will find when it unmasks: a reason to call HV_FID_IRQ_CHECK. Written on every
     * exit, so a value the guest forged there lasts until its next exit and asks for nothing. */
    p->irq_pending = on ? 0 : pending;
}

void vpage_forward(struct vcpu_arch *a, volatile struct hv_vcpu_page *p, int from_user)
{
    p->sepc = a->vs.vsepc;
    p->scause = a->vs.vscause;
    p->stval = a->vs.vstval;
    p->sstatus = a->vs.vsstatus;
    p->irq_on = 0; /* priv_enter_trap cleared SIE */
    if (from_user) {
        /* What sscratch does for a native kernel: a trap from user mode finds the kernel's stack and
         * thread pointer. Read once; any value is only the guest kernel's own registers. */
        uint64_t sp = p->kernel_sp, tp = p->kernel_tp;
        p->user_sp = a->regs.x[REG_SP];
        p->user_tp = a->regs.x[4];
        a->regs.x[REG_SP] = sp;
        a->regs.x[4] = tp;
    }
}

uint64_t vpage_return(struct vcpu_arch *a, const volatile struct hv_vcpu_page *p)
{
    uint64_t pc = p->ret_pc, status = p->ret_status;
    uint64_t a0 = p->ret_a0, a1 = p->ret_a1, a6 = p->ret_a6, a7 = p->ret_a7;
    uint64_t old = a->vs.vsstatus;
    /* csrw sstatus, ret_status: only the bits a guest may write (as privemu's csrw). */
    uint64_t s = (old & ~PRIV_SSTATUS_WRITABLE) | (status & PRIV_SSTATUS_WRITABLE);
    uint64_t to = (s & SSTATUS_SPP) ? 1 : 0;

    /* sret (supervisor chapter, "sret"): SIE from SPIE, SPIE set, SPP user; the pc as sepc holds it
     * (bit 0 always zero). A pc that is not the guest's faults in the guest, on the guest. */
    s = (s & ~(SSTATUS_SIE | SSTATUS_SPP)) | ((s & SSTATUS_SPIE) ? SSTATUS_SIE : 0) | SSTATUS_SPIE;
    a->vs.vsstatus = s;
    a->vs.vsepc = pc & ~1ull;
    a->regs.sepc = pc & ~1ull;
    a->tv.vmode = to;
    a->regs.x[REG_A0] = a0;
    a->regs.x[REG_A1] = a1;
    a->regs.x[REG_A6] = a6;
    a->regs.x[REG_A7] = a7;
    return old ^ s;
}
