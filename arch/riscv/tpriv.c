// SPDX-License-Identifier: MIT
// The trap engine's privileged instructions: a guest kernel's illegal-instruction trap (or the load
// fault of one patched to trap cheaper, tpatch_vm.c) carried out on its virtual S-mode CSR file
// (privemu.c), and what the instruction changes beyond it: shadow trees on a satp write or a fence,
// the timer the hypervisor wakes for, a WFI to sleep in.
#include <arch/arch.h>
#include <arch/csr.h>
#include <arch/privemu.h>
#include <arch/shadow.h>
#include <arch/vcpu_arch.h>

#include "exit.h"
#include "sched.h"
#include "tengine_int.h"
#include "vm.h"

void tv_emulate_privileged(struct vcpu *v, bool patched)
{
    struct vcpu_arch *a = &v->arch;
    uint32_t insn = (uint32_t)a->stval;
    uint64_t pc = a->regs.sepc;
    struct priv_fx fx;

    /* stval holds the instruction when the hardware provides it; otherwise read it. */
    if ((insn & 0x7f) != 0x73 && !tv_read_insn(v, a->regs.sepc, &insn)) {
        tv_reflect(a, EXC_ILLEGAL_INSN, 0);
        return;
    }
    priv_emulate(a, insn, &fx);
    if (fx.flags & PRIV_FX_ILLEGAL) {
        tv_reflect(a, EXC_ILLEGAL_INSN, insn);
        return;
    }
    /* Emulated once: patched, its next runs skip the firmware's detour (an sfence.vma or a satp
     * write still takes this path, after a delegated fault instead of the firmware's redirect). */
    if (!patched && (insn & 0x7f) == 0x73) {
        tv_want_patch(a, pc, insn);
    }
    if (fx.flags & PRIV_FX_WFI) {
        a->scause = EXC_VIRTUAL_INSN; /* hyp/ puts the vCPU to sleep, as for a trapped WFI */
        a->stval = INSN_WFI;
        return;
    }
    if (fx.flags & PRIV_FX_SATP) {
        /* A native satp write leaves paravirtual direct paging: the tables it names are walked. A
         * change of sstatus.MXR only makes the shadow entries stale: a validated root holds machine
         * addresses, and shadowing it as guest-physical tables would unmap the guest. */
        if ((insn >> 20) == CSR_SATP) {
            tv_set_shadow_root(v, a->vs.vsatp); /* its trees, kept since it last ran */
        } else {
            tv_drop_all(v);
        }
    }
    if (fx.flags & PRIV_FX_FENCE) {
        /* Every vCPU of the VM shares this hart's TLB; only this one's shadow holds what it used. */
        struct shadow_ops o = tv_ops_for(v->vm);
        if (fx.fence_one_asid && !fx.fence_all) {
            /* Only the trees of that guest ASID (any root), as the hardware would drop. */
            shadow_drop_match(&a->tv.sh, &o, SATP_ASID_MASK << SATP_ASID_SHIFT,
                              fx.fence_asid << SATP_ASID_SHIFT, true, fx.fence_va);
        } else if (fx.fence_one_asid) {
            tv_drop_lower(v, SATP_ASID_MASK << SATP_ASID_SHIFT, fx.fence_asid << SATP_ASID_SHIFT);
        } else if (fx.fence_all) {
            tv_drop_lower(v, 0, 0);
        } else if ((fx.fence_va & ~4095ull) != a->tv.installed_va) {
            /* (The page it just installed: that store dropped it from every tree already.) */
            shadow_drop_va(&a->tv.sh, &o, fx.fence_va);
        }
        if (!fx.fence_all) {
            tv_prefill(v, fx.fence_va);
        }
    }
    if (fx.flags & PRIV_FX_IRQ) {
        sched_timer_changed(v); /* an enabled timer may now be what the hypervisor must wake for */
    }
    /* A fence or a satp write changes trees and roots only: no interrupt, mode or view. */
    a->tv.tlb_only = (fx.flags & ~(PRIV_FX_FENCE | PRIV_FX_SATP)) == 0 &&
                     (!(fx.flags & PRIV_FX_SATP) || (insn >> 20) == CSR_SATP);
    a->scause = EXIT_PRIV_INSN;
    a->tv.exit_done = true;
}

/* A guest kernel's load page fault that is a patched instruction's (tpatch_vm.c): emulated as the
 * original, as if it had trapped as illegal, or retried when this hart fetched stale bytes. */
bool tv_patched_insn(struct vcpu *v)
{
    struct vcpu_arch *a = &v->arch;
    uint32_t insn;
    bool retry;

    if (!tv_patch_fault(v, a->stval, &insn, &retry)) {
        return false;
    }
    if (retry) {
        a->scause = EXIT_PRIV_INSN;
        a->tv.exit_done = true;
        return true;
    }
    a->stval = insn;
    tv_emulate_privileged(v, true);
    return true;
}
