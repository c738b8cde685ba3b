// SPDX-License-Identifier: MIT
// The trap engine's short path: what the guest does most often between two real decisions of the
// hypervisor (its kernel's accesses to sscratch, sepc, scause, stval and sstatus, its reads of sie
// and sip, sret, and the system calls of its user code) is handled where trap.S saved the guest,
// still on the guest's root, without the switch to the hypervisor's root, the exit accounting or the
// scheduler. Invariant: this code runs through the hypervisor's alias, where only the image itself is
// mapped: it touches the vCPU it is given and the image's own data, nothing reached through a
// physical pointer (but for a vCPU page, on the hypervisor's own root: fast_vpage); it changes
// nothing before it has decided to handle the trap (false: the full path takes it from the state
// trap.S saved).
#include <arch/csr.h>
#include <arch/privemu.h>
#include <arch/tpatch.h>
#include <arch/vcpu_arch.h>

#include "exit.h"
#include "sbi/sbi.h"
#include "tengine_int.h"
#include "vm.h"

#define OP_SYSTEM 0x73u
#define INSN_SRET 0x10200073u
#define FS_DIRTY (3ull << 13)
/* sstatus fields whose change needs the full path: the shadow permissions (MXR). A change of SUM is
 * a change of view: its tree's root is at hand (view_satp); a change of FS is the hardware's FS
 * (fast_fs), unless it would lose dirty FP registers. */
#define SSTATUS_SLOW SSTATUS_MXR

bool tv_fast_trap(struct vcpu_arch *a);
/* tfast.S: fn(arg) on the stack whose top is sp, with tp, both the caller's again afterwards. */
bool tv_call_on_hyp_stack(bool (*fn)(struct vcpu_arch *), uint64_t arg, uint64_t sp, uint64_t tp);
extern uint64_t arch_fw_scounteren;

/* An interrupt the guest would take at once in the state (sstatus, mode) it is about to have. */
static bool irq_deliverable(const struct vcpu_arch *a, uint64_t vsstatus, uint64_t vmode)
{
    uint64_t pending = (a->vs.hvip >> 1) & a->vs.vsie & PRIV_SIE_MASK;

    return pending && (vmode == 0 || (vsstatus & SSTATUS_SIE));
}

/* The hardware root and counters for the guest's mode (tv_run's choice, for shadow paging). */
static void set_mode(struct vcpu_arch *a, uint64_t vmode)
{
    enum shadow_view view = !vmode ? SHADOW_USER : (a->vs.vsstatus & SSTATUS_SUM) ? SHADOW_KERNEL_SUM
                                                                                  : SHADOW_KERNEL;

    a->tv.vmode = vmode;
    a->tv.hw_satp = a->tv.view_satp[view];
    csr_write(CSR_SATP, a->tv.hw_satp);
    if (!tv_asids) {
        __asm__ volatile("sfence.vma" ::: "memory");
    }
    csr_write(CSR_SCOUNTEREN, vmode ? arch_fw_scounteren : arch_fw_scounteren & a->vs.scounteren);
    a->fast_cause = vmode ? EXC_U_ECALL : ~0ull;
}

static bool fast_sret(struct vcpu_arch *a)
{
    uint64_t s = a->vs.vsstatus;
    uint64_t to = (s & SSTATUS_SPP) ? 1 : 0;
    uint64_t ns = (s & ~(SSTATUS_SIE | SSTATUS_SPP)) | ((s & SSTATUS_SPIE) ? SSTATUS_SIE : 0) | SSTATUS_SPIE;

    if (irq_deliverable(a, ns, to)) {
        return false;
    }
    a->vs.vsstatus = ns;
    a->regs.sepc = a->vs.vsepc;
    if (!to) {
        set_mode(a, 0);
    }
    return true;
}

/* The hardware's FS for the guest's new FS, as tv_run sets it at entry: Dirty stays Dirty while the
 * guest keeps FP on (its next exit folds it into the guest's sstatus); otherwise the guest's own.
 * Linux clears FS at every kernel entry and sets it back at every return. False when the hardware
 * holds dirty FP registers the guest turns off: the full path saves them first. */
static bool fast_fs_ok(const struct vcpu_arch *a, uint64_t fs)
{
    return !((a->regs.sstatus & SSTATUS_FS) == FS_DIRTY && !fs);
}

static void fast_fs(struct vcpu_arch *a, uint64_t fs)
{
    uint64_t hwfs = (a->regs.sstatus & SSTATUS_FS) == FS_DIRTY ? FS_DIRTY : fs;

    a->regs.sstatus = (a->regs.sstatus & ~SSTATUS_FS) | hwfs;
    csr_clear(CSR_SSTATUS, SSTATUS_FS);
    csr_set(CSR_SSTATUS, hwfs);
}

static bool fast_csr(struct vcpu_arch *a, uint32_t insn)
{
    unsigned funct3 = (insn >> 12) & 7;
    unsigned rd = (insn >> 7) & 31;
    unsigned rs1 = (insn >> 15) & 31;
    unsigned csr = insn >> 20;
    bool write = (funct3 & 3) == 1 || rs1 != 0;
    uint64_t src = funct3 >= 5 ? rs1 : vcpu_arch_get_reg(a, rs1); /* the I forms take rs1 as uimm */
    uint64_t old, v;

    if (funct3 == 0 || funct3 == 4 || !priv_csr_read(a, csr, &old)) {
        return false;
    }
    v = (funct3 & 3) == 1 ? src : (funct3 & 3) == 2 ? old | src : old & ~src;
    if (csr == CSR_SSCRATCH || csr == CSR_SCAUSE || csr == CSR_STVAL) {
        if (write) {
            uint64_t *r = csr == CSR_SSCRATCH ? &a->vs.vsscratch : csr == CSR_SCAUSE ? &a->vs.vscause
                                                                                    : &a->vs.vstval;
            *r = v;
        }
    } else if (csr == CSR_SEPC) {
        if (write) {
            a->vs.vsepc = v & ~1ull; /* IALIGN 16: bit 0 is always zero */
        }
    } else if (csr == CSR_SSTATUS) {
        if (write) {
            uint64_t ns = (a->vs.vsstatus & ~PRIV_SSTATUS_WRITABLE) | (v & PRIV_SSTATUS_WRITABLE);
            uint64_t changed = ns ^ a->vs.vsstatus;
            if ((changed & SSTATUS_SLOW) || ((changed & SSTATUS_SIE) && irq_deliverable(a, ns, 1)) ||
                ((changed & SSTATUS_FS) && !fast_fs_ok(a, ns & SSTATUS_FS))) {
                return false;
            }
            a->vs.vsstatus = ns;
            if (changed & SSTATUS_FS) {
                fast_fs(a, ns & SSTATUS_FS);
            }
            if (changed & SSTATUS_SUM) {
                set_mode(a, 1);
            }
        }
    } else if ((csr == CSR_SIE || csr == CSR_SIP) && !write) {
        /* Reads only: a write may change what the hypervisor's timer must wake for. A timer that
         * is due is raised here, as tv_timer_check would (the full path's entry checks it with the
         * time the scheduler last read, which a guest polling sip does not make it read again), and
         * the full path reads sip and delivers it if it may: a guest polling sip sees it as
         * promptly as on a hart (census probe timer-sbi-poll). */
        if (csr == CSR_SIP && csr_read(CSR_TIME) >= a->timer_deadline) {
            a->vs.hvip |= 1ull << IRQ_VS_TIMER;
            a->timer_deadline = ~0ull;
            return false;
        }
    } else {
        return false;
    }
    vcpu_arch_set_reg(a, rd, old);
    a->regs.sepc += 4;
    return true;
}

/* With a vCPU page the guest's interrupt flag is a word of guest RAM, which this path cannot reach:
 * it takes only what neither reads nor changes sstatus.SIE (the SUM toggles around user copies, the
 * FP state's FS, the other CSRs fast_csr knows). sret and system calls go through the page: the full
 * path. */
static bool vpage_fast_ok(const struct vcpu_arch *a, uint32_t insn)
{
    unsigned funct3 = (insn >> 12) & 7;
    unsigned rs1 = (insn >> 15) & 31;
    uint64_t src = funct3 >= 5 ? rs1 : vcpu_arch_get_reg(a, rs1);

    if (insn == INSN_SRET) {
        return false;
    }
    if ((insn >> 20) != CSR_SSTATUS) {
        return true;
    }
    return ((insn >> 7) & 31) == 0 && (funct3 & 3) != 1 && !(src & SSTATUS_SIE);
}

/* On the hypervisor's root, on this hart's own stack and tp (tv_call_on_hyp_stack): the vCPU page's
 * part of fast_vpage, through the vCPU's physical address. */
static bool vpage_work(struct vcpu_arch *pa)
{
    struct vcpu *v = vcpu_of_arch(pa);
    bool ret = pa->tv.vmode != 0;

    if (!(ret ? tv_vpage_fast_return(v) : tv_vpage_fast_syscall(v))) {
        return false;
    }
    if (ret) {
        /* The return wrote sstatus: the hardware's FS follows as tv_run sets it (tv_hw_fs saves
         * dirty FP registers first if the guest turned FP off, after which fast_fs agrees). */
        (void)tv_hw_fs(pa);
        fast_fs(pa, pa->vs.vsstatus & SSTATUS_FS);
        pa->fast_exits++;
    } else {
        pa->tv.fast_fwd++;
    }
    return true;
}

/* A cooperative kernel's vCPU page is guest RAM, which the alias does not map; with hardware ASIDs
 * the hypervisor's root is one satp write away (ASID 0 of its own, the alias mapped there too) and
 * costs no fence either way. There its user code's system call and its return from a trap
 * (HV_FID_TRAP_RETURN) are done as the full path does them (tvpage.c), on the hart's own stack (the
 * vCPU's is too small for that code) and through the vCPU's physical address; the way back into
 * the guest's root is taken here, through the alias again. Declined before anything changes: no
 * ASIDs, a VM on several harts (its lock), patches to make, or a return with an interrupt pending
 * (it might become deliverable). */
static bool fast_vpage(struct vcpu_arch *a)
{
    if (!tv_asids || a->tv.vm_alias->spans_harts || a->tv.nwant) {
        return false;
    }
    if (a->tv.vmode && ((a->vs.hvip >> 1) & a->vs.vsie & PRIV_SIE_MASK)) {
        return false;
    }
    csr_write(CSR_SATP, a->tv.hyp_satp);
    if (!tv_call_on_hyp_stack(vpage_work, a->tv.phys_self, a->hyp_sp, a->hyp_tp)) {
        return false; /* the full path switches to the hypervisor's root anyway */
    }
    set_mode(a, a->tv.vmode);
    return true;
}

bool tv_fast_trap(struct vcpu_arch *a)
{
    uint64_t cause = csr_read(CSR_SCAUSE);
    bool done = false;

    /* Validated roots (paravirtual guests) change views through their own hypercalls. */
    if (a->tv.direct_root) {
        return false;
    }
    /* As tv_trap: FP state the hardware made dirty is dirty in the guest's sstatus. */
    if ((a->regs.sstatus & SSTATUS_FS) == FS_DIRTY && (a->vs.vsstatus & SSTATUS_FS)) {
        a->vs.vsstatus |= FS_DIRTY;
    }
    if (cause == EXC_ILLEGAL_INSN && a->tv.vmode) {
        uint32_t insn = (uint32_t)csr_read(CSR_STVAL);
        uint64_t pc = a->regs.sepc;
        if ((insn & 0x7f) == OP_SYSTEM && (!a->tv.vpage || vpage_fast_ok(a, insn))) {
            done = insn == INSN_SRET ? fast_sret(a) : fast_csr(a, insn);
        }
        a->tv.fast_priv += done;
        if (done) {
            tv_want_patch(a, pc, insn);
        }
    } else if (cause == EXC_LOAD_PAGE_FAULT && a->tv.vmode && a->tv.patch_alias) {
        /* A patched instruction: the slot its load names holds the original. A hit here matches
         * the address it was patched at; the full path checks the frame itself (tv_patch_fault). */
        const struct tpatch_slot *e =
            tpatch_hit(a->tv.patch_alias, csr_read(CSR_STVAL), a->regs.sepc);
        if (e && (!a->tv.vpage || vpage_fast_ok(a, e->orig))) {
            done = e->orig == INSN_SRET ? fast_sret(a) : fast_csr(a, e->orig);
            a->tv.fast_priv += done;
            a->tv.fast_patch += done;
        }
    } else if (cause == EXC_U_ECALL && a->tv.vmode) {
        if (a->tv.vpage && a->regs.x[REG_A7] == HV_EXT && a->regs.x[REG_A6] == HV_FID_TRAP_RETURN) {
            done = fast_vpage(a);
        } else {
            /* An SBI call of the guest kernel that the hypervisor answers from the VM's own state
             * (a console byte): nothing a vCPU page or an interrupt could change. */
            done = sbi_dispatch_quick(a, a->tv.vm_alias);
            a->fast_exits += done;
        }
    } else if (cause == EXC_U_ECALL && a->tv.vpage) {
        done = fast_vpage(a);
    } else if (cause == EXC_U_ECALL) {
        /* A system call: into the guest kernel's handler, with interrupts off there (SIE = 0). */
        priv_enter_trap(a, EXC_U_ECALL, 0);
        set_mode(a, 1);
        a->tv.fast_fwd++;
        done = true;
    }
    if (done) {
        a->hyp_instret += csr_read(CSR_INSTRET) - a->exit_instret;
    }
    return done;
}
