// SPDX-License-Identifier: MIT
// Source of the offsets trap.S uses: compiled to assembly, then turned into build/include/asm-offsets.h.
#include <stddef.h>

#include <arch/csr.h>
#include <arch/privemu.h>
#include <arch/tpatch.h>
#include <arch/vcpu_arch.h>

#include "exit.h"
#include "tengine_int.h"
#include "sbi/sbi.h"
#include "vm.h"

#define DEFINE(sym, val) __asm__ volatile("\n.ascii \"->" #sym " %0\"" : : "i"(val))

/* Read only by the build; -Wmissing-prototypes wants a declaration. */
void asm_offsets(void);

void asm_offsets(void)
{
    DEFINE(VCPU_X0, offsetof(struct vcpu_arch, regs.x[0]));
    DEFINE(VCPU_SEPC, offsetof(struct vcpu_arch, regs.sepc));
    DEFINE(VCPU_SSTATUS, offsetof(struct vcpu_arch, regs.sstatus));
    DEFINE(VCPU_HSTATUS, offsetof(struct vcpu_arch, regs.hstatus));
    DEFINE(VCPU_HYP_SP, offsetof(struct vcpu_arch, hyp_sp));
    DEFINE(VCPU_HYP_TP, offsetof(struct vcpu_arch, hyp_tp));
    DEFINE(VCPU_FAST_EXITS, offsetof(struct vcpu_arch, fast_exits));
    DEFINE(SBI_BASE_FIXED_FIDS, SBI_BASE_FIXED);
    DEFINE(VCPU_EXIT_INSTRET, offsetof(struct vcpu_arch, exit_instret));
    DEFINE(VCPU_FAST_CAUSE, offsetof(struct vcpu_arch, fast_cause));
    DEFINE(VCPU_TV_HW_SATP, offsetof(struct vcpu_arch, tv.hw_satp));
    DEFINE(VCPU_TV_HYP_SATP, offsetof(struct vcpu_arch, tv.hyp_satp));
    DEFINE(VCPU_TV_ENTER_FENCE, offsetof(struct vcpu_arch, tv.enter_fence));
    DEFINE(VCPU_TV_EXIT_FENCE, offsetof(struct vcpu_arch, tv.exit_fence));
    DEFINE(VCPU_TV_ALIAS_SELF, offsetof(struct vcpu_arch, tv.alias_self));
    DEFINE(VCPU_TV_PHYS_SELF, offsetof(struct vcpu_arch, tv.phys_self));
    DEFINE(VCPU_FAST_STACK_TOP, offsetof(struct vcpu_arch, fast_stack) + sizeof(((struct vcpu_arch *)0)->fast_stack));
    DEFINE(VCPU_FP_F0, offsetof(struct vcpu_fp, f[0]));
    DEFINE(VCPU_FP_FCSR, offsetof(struct vcpu_fp, fcsr));
    DEFINE(PCPU_STACK_TOP, offsetof(struct pcpu, stack_top));
    DEFINE(PCPU_HARTID, offsetof(struct pcpu, hartid));
    DEFINE(HYP_FRAME_SIZE, sizeof(struct vcpu_regs));
    /* The short path in assembly (tfast.S): the vCPU fields it reads or writes, the patch slot's
     * layout, and the constants of privemu.c it must agree with. */
    DEFINE(VCPU_HYP_INSTRET, offsetof(struct vcpu_arch, hyp_instret));
    DEFINE(VCPU_VS_SSTATUS, offsetof(struct vcpu_arch, vs.vsstatus));
    DEFINE(VCPU_VS_SIE, offsetof(struct vcpu_arch, vs.vsie));
    DEFINE(VCPU_VS_STVEC, offsetof(struct vcpu_arch, vs.vstvec));
    DEFINE(VCPU_VS_SSCRATCH, offsetof(struct vcpu_arch, vs.vsscratch));
    DEFINE(VCPU_VS_SEPC, offsetof(struct vcpu_arch, vs.vsepc));
    DEFINE(VCPU_VS_SCAUSE, offsetof(struct vcpu_arch, vs.vscause));
    DEFINE(VCPU_VS_STVAL, offsetof(struct vcpu_arch, vs.vstval));
    DEFINE(VCPU_VS_HVIP, offsetof(struct vcpu_arch, vs.hvip));
    DEFINE(VCPU_VS_SCOUNTEREN, offsetof(struct vcpu_arch, vs.scounteren));
    DEFINE(VCPU_TV_VMODE, offsetof(struct vcpu_arch, tv.vmode));
    DEFINE(VCPU_TV_DIRECT_ROOT, offsetof(struct vcpu_arch, tv.direct_root));
    DEFINE(VCPU_TV_VPAGE, offsetof(struct vcpu_arch, tv.vpage));
    DEFINE(VCPU_TV_VPAGE_HPA, offsetof(struct vcpu_arch, tv.vpage_hpa));
    DEFINE(VCPU_TV_REFILL_VA, offsetof(struct vcpu_arch, tv.refill_va));
    DEFINE(VCPU_TV_NWANT, offsetof(struct vcpu_arch, tv.nwant));
    DEFINE(VCPU_TV_HANDLER_FAULTS, offsetof(struct vcpu_arch, tv.handler_faults));
    DEFINE(VCPU_TV_VM_ALIAS, offsetof(struct vcpu_arch, tv.vm_alias));
    DEFINE(VM_SPANS_HARTS, offsetof(struct vm, spans_harts));
    DEFINE(VM_MMU_READY, offsetof(struct vm, mmu.ready));
    DEFINE(VCPU_TV_VIEW_SATP, offsetof(struct vcpu_arch, tv.view_satp));
    DEFINE(VCPU_TV_FAST_PRIV, offsetof(struct vcpu_arch, tv.fast_priv));
    DEFINE(VCPU_TV_FAST_FWD, offsetof(struct vcpu_arch, tv.fast_fwd));
    DEFINE(VCPU_TV_FAST_PATCH, offsetof(struct vcpu_arch, tv.fast_patch));
    DEFINE(VCPU_TV_ASM_PATCH, offsetof(struct vcpu_arch, tv.asm_patch));
    DEFINE(VCPU_TV_ASM_FWD, offsetof(struct vcpu_arch, tv.asm_fwd));
    DEFINE(VCPU_TV_ASM_RET, offsetof(struct vcpu_arch, tv.asm_ret));
    DEFINE(VCPU_TV_PATCH_ALIAS, offsetof(struct vcpu_arch, tv.patch_alias));
    DEFINE(TPATCH_SLOT_SIZE, sizeof(struct tpatch_slot));
    DEFINE(TPATCH_SLOT_VA, offsetof(struct tpatch_slot, va));
    DEFINE(TPATCH_SLOT_ORIG, offsetof(struct tpatch_slot, orig));
    DEFINE(TPATCH_SLOT_LIVE, offsetof(struct tpatch_slot, live));
    DEFINE(TPATCH_NSLOTS, TPATCH_SLOTS);
    DEFINE(TPATCH_ADDR_NEG, 0 - TPATCH_ADDR_BASE); /* the base is -TPATCH_ADDR_NEG */
    DEFINE(ASM_EXC_U_ECALL, EXC_U_ECALL);
    DEFINE(ASM_EXC_LOAD_PAGE_FAULT, EXC_LOAD_PAGE_FAULT);
    DEFINE(ASM_EXC_STORE_GUEST_PAGE_FAULT, EXC_STORE_GUEST_PAGE_FAULT);
    DEFINE(ASM_SSTATUS_SIE, SSTATUS_SIE);
    DEFINE(ASM_SSTATUS_SPIE, SSTATUS_SPIE);
    DEFINE(ASM_SSTATUS_SPP, SSTATUS_SPP);
    DEFINE(ASM_SSTATUS_FS, SSTATUS_FS);
    DEFINE(ASM_SSTATUS_SUM, SSTATUS_SUM);
    DEFINE(ASM_SSTATUS_MXR, SSTATUS_MXR);
    DEFINE(ASM_SSTATUS_UXL_64, SSTATUS_UXL_64);
    DEFINE(ASM_SSTATUS_WRITABLE, PRIV_SSTATUS_WRITABLE);
    DEFINE(ASM_SIE_MASK, PRIV_SIE_MASK);
    DEFINE(ASM_SHADOW_KERNEL_SUM, SHADOW_KERNEL_SUM);
    DEFINE(ASM_SHADOW_USER, SHADOW_USER);
}

_Static_assert(offsetof(struct pcpu, hartid) < 2048,
               "head.S loads the hart id with a 12-bit offset");
_Static_assert(sizeof(((struct pcpu *)0)->hartid) == 8, "head.S loads the hart id with ld");
_Static_assert(offsetof(struct vcpu_arch, regs) == 0, "trap.S stores through sscratch with no offset");
_Static_assert(offsetof(struct vcpu_regs, x[31]) < 2048, "register slots must fit a 12-bit immediate");
_Static_assert(offsetof(struct vcpu_arch, hyp_tp) < 2048, "hyp_sp/hyp_tp must fit a 12-bit immediate");
_Static_assert(offsetof(struct vcpu_arch, fast_exits) < 2048, "fast_exits must fit a 12-bit immediate");
_Static_assert(offsetof(struct vcpu_arch, exit_instret) < 2048, "exit_instret must fit a 12-bit immediate");
_Static_assert(sizeof(struct vcpu_regs) % 16 == 0, "the hypervisor trap frame keeps sp 16-byte aligned");
_Static_assert(offsetof(struct vcpu_arch, tv.phys_self) < 2048, "trap-engine fields must fit a 12-bit immediate");
_Static_assert((offsetof(struct vcpu_arch, fast_stack) + sizeof(((struct vcpu_arch *)0)->fast_stack)) % 16 == 0,
               "the short path's stack top must be 16-byte aligned");
_Static_assert(offsetof(struct vcpu_arch, tv.exit_fence) < 2048, "tv.exit_fence must fit a 12-bit immediate");
_Static_assert(offsetof(struct vcpu_arch, fast_cause) < 2048, "fast_cause must fit a 12-bit immediate");
_Static_assert(offsetof(struct pcpu, stack_top) < 2048, "head.S loads stack_top with a 12-bit offset");
/* tfast.S: fields it reaches with a 12-bit offset from the vCPU, and the layouts it relies on. */
_Static_assert(offsetof(struct vcpu_arch, tv.patch_alias) < 2048, "tv.patch_alias must fit a 12-bit immediate");
_Static_assert(offsetof(struct vcpu_arch, tv.asm_fwd) < 2048, "tv.asm_fwd must fit a 12-bit immediate");
_Static_assert(offsetof(struct vcpu_arch, tv.asm_ret) < 2048, "tv.asm_ret must fit a 12-bit immediate");
_Static_assert(offsetof(struct vcpu_arch, tv.vpage_hpa) < 2048 && offsetof(struct vcpu_arch, tv.refill_va) < 2048 &&
               offsetof(struct vcpu_arch, tv.nwant) < 2048 && offsetof(struct vcpu_arch, tv.handler_faults) < 2048 &&
               offsetof(struct vcpu_arch, tv.vm_alias) < 2048, "tfast.S's fields must fit a 12-bit immediate");
_Static_assert(offsetof(struct vcpu_arch, tv.view_satp[SHADOW_VIEWS - 1]) < 2048,
               "tv.view_satp must fit a 12-bit immediate");
_Static_assert(SHADOW_KERNEL == 0 && SHADOW_KERNEL_SUM == 1, "tfast.S picks the kernel view from SUM as 0 or 1");
_Static_assert(CSR_SEPC == CSR_SSCRATCH + 1 && CSR_SCAUSE == CSR_SSCRATCH + 2 && CSR_STVAL == CSR_SSCRATCH + 3,
               "tfast.S indexes sscratch..stval by CSR number");
_Static_assert(offsetof(struct vcpu_vscsr, vsepc) == offsetof(struct vcpu_vscsr, vsscratch) + 8 &&
                   offsetof(struct vcpu_vscsr, vscause) == offsetof(struct vcpu_vscsr, vsscratch) + 16 &&
                   offsetof(struct vcpu_vscsr, vstval) == offsetof(struct vcpu_vscsr, vsscratch) + 24,
               "tfast.S indexes the vs fields sscratch..stval in CSR order");
_Static_assert(0 - TPATCH_ADDR_BASE >= TPATCH_SLOTS, "tfast.S: an address below the base wraps past the slots");
_Static_assert(sizeof(((struct tpatch_slot *)0)->live) == 1 && sizeof(((struct tpatch_slot *)0)->orig) == 4,
               "tfast.S reads live with lbu and orig with lwu");
_Static_assert(sizeof(((struct vcpu_tv *)0)->vmode) == 8 && sizeof(tv_asids) == 1, "tfast.S: ld vmode, lbu tv_asids");
