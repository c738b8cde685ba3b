// SPDX-License-Identifier: MIT
// Source of the offsets trap.S uses: compiled to assembly, then turned into build/include/asm-offsets.h.
#include <stddef.h>

#include <arch/vcpu_arch.h>

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
