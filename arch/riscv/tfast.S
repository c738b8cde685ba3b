/* SPDX-License-Identifier: MIT */
/* The trap engine's short path in assembly: the commonest exits of a guest kernel (a patched
 * sscratch, sepc, scause, stval or sstatus access, a patched sret) and its user code's system
 * calls, handled with seven registers instead of the C short path's full save around tv_fast_trap
 * (tfast.c). Semantics are tfast.c's (and so privemu.c's) exactly; whatever is not trivially the
 * same there (an interrupt that would become deliverable, a change of MXR, FP registers left dirty
 * by a guest turning FP off, a vCPU page, validated roots, any other instruction or CSR) goes on
 * to the C path untouched.
 *
 * Precondition (tv_vector): running through the hypervisor's alias on the guest's root, sp = alias
 * of &vcpu_arch, sscratch = guest sp, the guest's t0 and t1 saved in regs.x[5..6], t0 = scause,
 * every other register the guest's. Either path ends with the guest's registers as they were,
 * except what the emulated instruction changes: tv_fast_slow restores t2..t6 and goes to the full
 * save. */
#include <arch/csr.h>
#include <asm-offsets.h>

#include "hvabi.h"

#define X(n) (VCPU_X0 + (n) * 8)
#define INSN_SRET 0x10200073
#define OP_SYSTEM 0x73

    .section .text.trap, "ax"
    /* No linker relaxation: the register tables' jumps are resolved here, and must stay right. */
    .option norelax

/* The guest's scratch registers this path uses besides t0/t1 (x7, x28..x31), and their way back. */
.macro SAVE_T2_T6
    sd      t2, X(7)(sp)
    sd      t3, X(28)(sp)
    sd      t4, X(29)(sp)
    sd      t5, X(30)(sp)
    sd      t6, X(31)(sp)
.endm
.macro RESTORE_T2_T6
    ld      t2, X(7)(sp)
    ld      t3, X(28)(sp)
    ld      t4, X(29)(sp)
    ld      t5, X(30)(sp)
    ld      t6, X(31)(sp)
.endm

/* As tfast.c's set_mode: the hardware root of the view the guest's new mode (and sstatus.SUM)
 * picks, the fence when roots share one ASID, the counters it may read, the cause trap.S tries
 * first. Uses t1 and t6. */
.macro SET_MODE vmode
    .if \vmode
    ld      t6, VCPU_VS_SSTATUS(sp)
    li      t1, ASM_SSTATUS_SUM
    and     t6, t6, t1
    snez    t6, t6                      /* SHADOW_KERNEL (0) or SHADOW_KERNEL_SUM (1) */
    slli    t6, t6, 3
    add     t6, t6, sp
    ld      t1, VCPU_TV_VIEW_SATP(t6)
    .else
    ld      t1, VCPU_TV_VIEW_SATP + ASM_SHADOW_USER * 8(sp)
    .endif
    sd      t1, VCPU_TV_HW_SATP(sp)
    csrw    CSR_SATP, t1
    lla     t6, tv_asids
    lbu     t6, 0(t6)
    bnez    t6, 91f
    sfence.vma
91: lla     t6, arch_fw_scounteren
    ld      t6, 0(t6)
    .if \vmode
    li      t1, ASM_EXC_U_ECALL
    .else
    ld      t1, VCPU_VS_SCOUNTEREN(sp)
    and     t6, t6, t1
    li      t1, -1
    .endif
    csrw    CSR_SCOUNTEREN, t6
    sd      t1, VCPU_FAST_CAUSE(sp)
    li      t1, \vmode
    sd      t1, VCPU_TV_VMODE(sp)
.endm

/* As tv_fast_trap: FP state the hardware made dirty is dirty in the guest's sstatus (idempotent, so
 * a later fallback repeats it harmlessly). Uses t1 and t6. */
.macro FOLD_FS
    csrr    t1, CSR_SSTATUS
    li      t6, ASM_SSTATUS_FS
    and     t1, t1, t6
    bne     t1, t6, 92f
    ld      t1, VCPU_VS_SSTATUS(sp)
    and     t6, t1, t6
    beqz    t6, 92f
    li      t6, ASM_SSTATUS_FS
    or      t1, t1, t6
    sd      t1, VCPU_VS_SSTATUS(sp)
92:
.endm

/* Adds one to the counter at offset \counter, then (tv_fast_done) the exit's instructions to
 * hyp_instret as tv_fast_trap does, the guest's registers back and into it. */
.macro DONE counter
    ld      t0, \counter(sp)
    addi    t0, t0, 1
    sd      t0, \counter(sp)
    j       tv_fast_done
.endm

/* v from op (t3: 1 write, 2 set, 3 clear), the old value (t0) and the source (t4), into t4.
 * Uses t1. */
.macro NEW_VALUE
    addi    t1, t3, -1
    beqz    t1, 94f
    addi    t1, t3, -2
    bnez    t1, 93f
    or      t4, t0, t4
    j       94f
93: not     t4, t4
    and     t4, t0, t4
94:
.endm

/* A load page fault: a patched instruction when stval names a live slot patched at this very pc
 * (tpatch_hit) and the guest kernel runs on shadow tables; with a vCPU page, only what leaves the
 * page's interrupt flag alone (fast_sstatus). */
    .globl tv_fast_patch
tv_fast_patch:
    SAVE_T2_T6
    ld      t1, VCPU_TV_DIRECT_ROOT(sp)
    bnez    t1, tv_fast_slow
    ld      t1, VCPU_TV_VMODE(sp)
    beqz    t1, tv_fast_slow
    ld      t2, VCPU_TV_PATCH_ALIAS(sp)
    beqz    t2, tv_fast_slow
    FOLD_FS
    /* Slot s = stval - TPATCH_ADDR_BASE: an address below the base wraps to s >= 2048, so one
     * unsigned compare rejects both sides. */
    csrr    t0, CSR_STVAL
    li      t1, TPATCH_ADDR_NEG
    add     t0, t0, t1
    li      t1, TPATCH_NSLOTS
    bgeu    t0, t1, tv_fast_slow
    li      t1, TPATCH_SLOT_SIZE
    mul     t0, t0, t1
    add     t2, t2, t0
    lbu     t1, TPATCH_SLOT_LIVE(t2)
    beqz    t1, tv_fast_slow
    ld      t1, TPATCH_SLOT_VA(t2)
    csrr    t0, CSR_SEPC
    bne     t0, t1, tv_fast_slow
    lwu     t2, TPATCH_SLOT_ORIG(t2)    /* t2 = the original instruction, kept to the end */
    li      t1, INSN_SRET
    bne     t2, t1, 1f
    ld      t1, VCPU_TV_VPAGE(sp)       /* with a vCPU page, sret is the page's (the full path) */
    beqz    t1, fast_sret
    j       tv_fast_slow
1:
    /* A CSR instruction: SYSTEM with funct3 1-3 or 5-7 (0 and 4 are other instructions). */
    andi    t1, t2, 0x7f
    addi    t1, t1, -OP_SYSTEM
    bnez    t1, tv_fast_slow
    srli    t3, t2, 12
    andi    t3, t3, 3                   /* t3 = op: 1 write, 2 set, 3 clear; 0: not a CSR access */
    beqz    t3, tv_fast_slow
    srli    t4, t2, 15
    andi    t4, t4, 31                  /* rs1, or the immediate of the I forms */
    li      t5, 1                       /* t5 = write: CSRRW(I) always, CSRRS/C(I) when rs1 != 0 */
    beq     t3, t5, 1f
    snez    t5, t4
1:  srli    t1, t2, 14
    andi    t1, t1, 1
    bnez    t1, csr_src                 /* funct3 bit 2: the immediate is the source */
    /* The source register rs1 into t4 (x0 reads 0; sp is in sscratch; t0..t6 were saved). */
    lla     t1, rs1_table
    slli    t4, t4, 3
    add     t1, t1, t4
    jr      t1
csr_src:
    /* t4 = source. sstatus has its own path; sscratch, sepc, scause and stval (0x140-0x143) are
     * vs fields in the same order and share one. */
    srli    t1, t2, 20
    li      t0, CSR_SSTATUS
    beq     t1, t0, fast_sstatus
    addi    t1, t1, -CSR_SSCRATCH
    li      t0, 4
    bgeu    t1, t0, tv_fast_slow
    slli    t6, t1, 3
    add     t6, t6, sp                  /* t6 + VCPU_VS_SSCRATCH = the field */
    ld      t0, VCPU_VS_SSCRATCH(t6)    /* t0 = old value, what rd receives */
    beqz    t5, csr_done
    NEW_VALUE
    addi    t1, sp, (CSR_SEPC - CSR_SSCRATCH) * 8
    bne     t6, t1, 4f
    andi    t4, t4, -2                  /* IALIGN 16: sepc bit 0 is always zero */
4:  sd      t4, VCPU_VS_SSCRATCH(t6)
    j       csr_done

/* sstatus as the guest reads it: UXL 64-bit, SD when FS is Dirty; a write keeps the read-only bits,
 * and falls back when MXR changes, SIE becomes set with an interrupt pending, or FS turns off over
 * dirty FP registers. */
fast_sstatus:
    /* With a vCPU page the interrupt flag is the page's: as tfast.c's vpage_fast_ok, only a set or
     * clear that neither reads sstatus (rd = x0) nor names SIE (the SUM toggles around user copies,
     * FS). */
    ld      t1, VCPU_TV_VPAGE(sp)
    beqz    t1, 5f
    srli    t1, t2, 7
    andi    t1, t1, 31
    bnez    t1, tv_fast_slow
    addi    t1, t3, -1
    beqz    t1, tv_fast_slow
    andi    t1, t4, ASM_SSTATUS_SIE
    bnez    t1, tv_fast_slow
5:  ld      t1, VCPU_VS_SSTATUS(sp)
    li      t6, ASM_SSTATUS_UXL_64
    or      t0, t1, t6
    srli    t6, t1, 13
    andi    t6, t6, 3
    addi    t6, t6, -3
    bnez    t6, 1f                      /* FS not Dirty */
    li      t6, 1
    slli    t6, t6, 63                  /* SSTATUS_SD */
    or      t0, t0, t6
1:  beqz    t5, csr_done
    NEW_VALUE
    ld      t1, VCPU_VS_SSTATUS(sp)
    li      t6, ASM_SSTATUS_WRITABLE
    and     t4, t4, t6
    not     t6, t6
    and     t3, t1, t6
    or      t4, t4, t3                  /* t4 = new sstatus */
    xor     t3, t4, t1                  /* t3 = bits that change */
    li      t6, ASM_SSTATUS_MXR
    and     t6, t3, t6
    bnez    t6, tv_fast_slow
    andi    t6, t3, ASM_SSTATUS_SIE
    beqz    t6, 2f
    andi    t6, t4, ASM_SSTATUS_SIE
    beqz    t6, 2f
    ld      t6, VCPU_VS_HVIP(sp)
    srli    t6, t6, 1
    ld      t1, VCPU_VS_SIE(sp)
    and     t6, t6, t1
    andi    t6, t6, ASM_SIE_MASK
    bnez    t6, tv_fast_slow
2:  /* A change of FS (tfast.c's fast_fs): the hardware's FS becomes the guest's, Dirty staying
     * Dirty while FP stays on; dirty registers turned off need the full path's save. t5 = the
     * hardware's new FS field, or -1 when FS does not change. */
    li      t5, -1
    li      t6, ASM_SSTATUS_FS
    and     t6, t3, t6
    beqz    t6, 3f
    srli    t5, t4, 13
    andi    t5, t5, 3                   /* the guest's new FS */
    csrr    t1, CSR_SSTATUS
    srli    t1, t1, 13
    andi    t1, t1, 3
    addi    t1, t1, -3
    bnez    t1, 3f                      /* hardware not Dirty: the guest's FS */
    beqz    t5, tv_fast_slow
    li      t5, 3
3:  /* Decided: from here on the path only completes. */
    sd      t4, VCPU_VS_SSTATUS(sp)
    bltz    t5, 4f
    slli    t5, t5, 13
    li      t6, ASM_SSTATUS_FS
    csrc    CSR_SSTATUS, t6
    csrs    CSR_SSTATUS, t5
4:  li      t6, ASM_SSTATUS_SUM
    and     t6, t3, t6
    beqz    t6, csr_done
    SET_MODE 1

/* rd = old value (t0), pc past the instruction (t2 still holds it); the rd table returns to
 * csr_rd_done. */
csr_done:
    srli    t2, t2, 7
    andi    t2, t2, 31
    lla     t1, rd_table
    slli    t2, t2, 3
    add     t1, t1, t2
    jr      t1
csr_rd_done:
    csrr    t1, CSR_SEPC
    addi    t1, t1, 4
    csrw    CSR_SEPC, t1
    DONE    VCPU_TV_ASM_PATCH

/* sret: SIE from SPIE, SPIE set, SPP cleared, into the mode SPP names at sepc; falls back when an
 * interrupt would be taken at once there. */
fast_sret:
    ld      t1, VCPU_VS_SSTATUS(sp)
    andi    t5, t1, ASM_SSTATUS_SPP     /* t5 = to kernel */
    andi    t4, t1, ~(ASM_SSTATUS_SIE | ASM_SSTATUS_SPP)
    andi    t3, t1, ASM_SSTATUS_SPIE
    srli    t3, t3, 4                   /* SPIE (bit 5) to SIE (bit 1) */
    or      t4, t4, t3
    ori     t4, t4, ASM_SSTATUS_SPIE    /* t4 = new sstatus */
    ld      t6, VCPU_VS_HVIP(sp)
    srli    t6, t6, 1
    ld      t3, VCPU_VS_SIE(sp)
    and     t6, t6, t3
    andi    t6, t6, ASM_SIE_MASK
    beqz    t6, 1f
    beqz    t5, tv_fast_slow            /* user mode takes any pending interrupt */
    andi    t3, t4, ASM_SSTATUS_SIE
    bnez    t3, tv_fast_slow
1:  sd      t4, VCPU_VS_SSTATUS(sp)
    ld      t1, VCPU_VS_SEPC(sp)
    csrw    CSR_SEPC, t1
    bnez    t5, 2f
    SET_MODE 0
2:  DONE    VCPU_TV_ASM_PATCH

/* The trap into the guest's kernel for its user code's ecall (priv_enter_trap(EXC_U_ECALL, 0)):
 * t4 = sstatus, t3 = its new SPIE (bit 5) alone; from user mode (SPP = 0), SIE cleared, to the base
 * of stvec. Leaves t4 = the new sstatus, t3 = the user's pc, t5 = the cause. Uses t6. */
.macro ENTER_U_ECALL
    andi    t4, t4, ~(ASM_SSTATUS_SIE | ASM_SSTATUS_SPIE | ASM_SSTATUS_SPP)
    or      t4, t4, t3
    sd      t4, VCPU_VS_SSTATUS(sp)
    csrr    t3, CSR_SEPC
    sd      t3, VCPU_VS_SEPC(sp)
    li      t5, ASM_EXC_U_ECALL
    sd      t5, VCPU_VS_SCAUSE(sp)
    sd      zero, VCPU_VS_STVAL(sp)
    ld      t6, VCPU_VS_STVEC(sp)
    andi    t6, t6, -4                  /* an exception: never vectored */
    csrw    CSR_SEPC, t6
.endm

/* A system call of the guest's user code: ENTER_U_ECALL and set_mode(1), with the same conditions
 * as tv_fast_trap (user mode, shadow tables); with a vCPU page, fast_vsyscall. */
    .globl tv_fast_ecall
tv_fast_ecall:
    SAVE_T2_T6
    ld      t1, VCPU_TV_DIRECT_ROOT(sp)
    bnez    t1, tv_fast_slow
    ld      t1, VCPU_TV_VMODE(sp)
    bnez    t1, tv_fast_slow
    FOLD_FS
    ld      t1, VCPU_TV_VPAGE(sp)
    bnez    t1, fast_vsyscall
    ld      t4, VCPU_VS_SSTATUS(sp)
    andi    t3, t4, ASM_SSTATUS_SIE
    slli    t3, t3, 4                   /* SIE (bit 1) to SPIE (bit 5) */
    ENTER_U_ECALL
    SET_MODE 1
    DONE    VCPU_TV_ASM_FWD

/* The conditions of tfast.c's fast_vpage, and a page known (vpage_hpa): hardware ASIDs (the
 * hypervisor's root is one satp write away, no fence), a VM on one hart (no lock to take), no
 * patches waiting, no validated tables (which might have made the page one: page_of would look).
 * t1 = the page's physical address. Uses t5 and t6. */
.macro VPAGE_USABLE
    ld      t1, VCPU_TV_VPAGE_HPA(sp)
    beqz    t1, tv_fast_slow
    lla     t6, tv_asids
    lbu     t6, 0(t6)
    beqz    t6, tv_fast_slow
    ld      t6, VCPU_TV_VM_ALIAS(sp)
    li      t5, VM_SPANS_HARTS          /* struct vm is large: offsets past 12 bits */
    add     t5, t5, t6
    lbu     t5, 0(t5)
    bnez    t5, tv_fast_slow
    li      t5, VM_MMU_READY
    add     t5, t5, t6
    lbu     t5, 0(t5)
    bnez    t5, tv_fast_slow
    lwu     t6, VCPU_TV_NWANT(sp)
    bnez    t6, tv_fast_slow
.endm

/* t5 = the interrupts pending and enabled in sie (priv_pending_irq's set, before SIE). Uses t6. */
.macro PENDING
    ld      t5, VCPU_VS_HVIP(sp)
    srli    t5, t5, 1
    ld      t6, VCPU_VS_SIE(sp)
    and     t5, t5, t6
    andi    t5, t5, ASM_SIE_MASK
.endm

/* The vCPU page is guest RAM, which the alias does not map: the hypervisor's root (ASID 0, the
 * alias mapped there too) reaches it by its physical address. */
.macro HYP_ROOT
    ld      t6, VCPU_TV_HYP_SATP(sp)
    csrw    CSR_SATP, t6
.endm

/* A system call of the guest's user code whose kernel has a vCPU page: tvpage.c's
 * tv_vpage_fast_syscall (sync in, enter the trap, forward through the page, sync out), then
 * set_mode(1). Nothing is written before every condition holds. */
fast_vsyscall:
    VPAGE_USABLE
    HYP_ROOT
    /* The flag the page holds is SIE (any non-zero word is on); the trap moves it to SPIE, from user
     * mode (SPP = 0), and masks. */
    ld      t3, HV_VP_IRQ_ON(t1)
    snez    t3, t3
    slli    t3, t3, 5                   /* SPIE */
    ld      t4, VCPU_VS_SSTATUS(sp)
    ENTER_U_ECALL
    sw      zero, VCPU_TV_HANDLER_FAULTS(sp) /* a system call is never a fault at the handler */
    /* vpage_forward: the trap's CSRs, the user's sp (in sscratch) and tp, the kernel's read once. */
    sd      t3, HV_VP_SEPC(t1)
    sd      t5, HV_VP_SCAUSE(t1)
    sd      zero, HV_VP_STVAL(t1)
    sd      t4, HV_VP_SSTATUS(t1)
    ld      t3, HV_VP_KERNEL_SP(t1)
    ld      t4, HV_VP_KERNEL_TP(t1)
    csrr    t5, CSR_SSCRATCH
    sd      t5, HV_VP_USER_SP(t1)
    sd      tp, HV_VP_USER_TP(t1)
    csrw    CSR_SSCRATCH, t3
    mv      tp, t4
    /* vpage_sync_out, masked: what is pending is what the guest finds when it unmasks. */
    PENDING
    sd      zero, HV_VP_IRQ_ON(t1)
    sd      t5, HV_VP_IRQ_PENDING(t1)
    SET_MODE 1
    DONE    VCPU_TV_ASM_FWD

/* HV_FID_TRAP_RETURN from the guest kernel (tv_vector: a7 and a6 say so, in kernel mode): tvpage.c's
 * tv_vpage_fast_return (a snapshot of the page's fields, vpage_return, sync out), then set_mode.
 * Falls back, with the guest's root back in satp, for a change of MXR or FS, an interrupt pending, or
 * a page fault's page to fill on the way (tv_refill). */
    .globl tv_fast_vreturn
tv_fast_vreturn:
    SAVE_T2_T6
    ld      t1, VCPU_TV_DIRECT_ROOT(sp)
    bnez    t1, tv_fast_slow
    ld      t1, VCPU_TV_VMODE(sp)
    beqz    t1, tv_fast_slow
    ld      t1, VCPU_TV_REFILL_VA(sp)
    bnez    t1, tv_fast_slow
    PENDING
    bnez    t5, tv_fast_slow
    FOLD_FS
    VPAGE_USABLE
    HYP_ROOT
    ld      t3, HV_VP_RET_STATUS(t1)
    ld      t2, VCPU_VS_SSTATUS(sp)     /* t2 = old sstatus, SIE as the page's flag says */
    andi    t2, t2, ~ASM_SSTATUS_SIE
    ld      t4, HV_VP_IRQ_ON(t1)
    snez    t4, t4
    slli    t4, t4, 1
    or      t2, t2, t4
    /* csrw sstatus, ret_status (the writable bits), then sret's SIE from SPIE, SPIE set, SPP
     * cleared: t4 = the new sstatus, t5 = to kernel. */
    li      t6, ASM_SSTATUS_WRITABLE
    and     t3, t3, t6
    not     t6, t6
    and     t4, t2, t6
    or      t4, t4, t3
    andi    t5, t4, ASM_SSTATUS_SPP
    andi    t3, t4, ASM_SSTATUS_SPIE
    srli    t3, t3, 4
    andi    t4, t4, ~(ASM_SSTATUS_SIE | ASM_SSTATUS_SPP)
    or      t4, t4, t3
    ori     t4, t4, ASM_SSTATUS_SPIE
    xor     t3, t4, t2
    li      t6, ASM_SSTATUS_MXR | ASM_SSTATUS_FS
    and     t3, t3, t6
    bnez    t3, vreturn_slow
    /* Decided. */
    sd      t4, VCPU_VS_SSTATUS(sp)
    ld      t3, HV_VP_RET_PC(t1)
    andi    t3, t3, -2
    sd      t3, VCPU_VS_SEPC(sp)
    csrw    CSR_SEPC, t3
    ld      a0, HV_VP_RET_A0(t1)
    ld      a1, HV_VP_RET_A1(t1)
    ld      a6, HV_VP_RET_A6(t1)
    ld      a7, HV_VP_RET_A7(t1)
    andi    t3, t4, ASM_SSTATUS_SIE
    snez    t3, t3
    sd      t3, HV_VP_IRQ_ON(t1)
    sd      zero, HV_VP_IRQ_PENDING(t1) /* nothing was pending */
    bnez    t5, 1f
    SET_MODE 0
    DONE    VCPU_TV_ASM_RET
1:  SET_MODE 1
    DONE    VCPU_TV_ASM_RET
vreturn_slow:
    ld      t6, VCPU_TV_HW_SATP(sp)
    csrw    CSR_SATP, t6
    j       tv_fast_slow

tv_fast_done:
    csrr    t0, CSR_INSTRET
    ld      t1, VCPU_EXIT_INSTRET(sp)
    sub     t0, t0, t1
    ld      t1, VCPU_HYP_INSTRET(sp)
    add     t0, t0, t1
    sd      t0, VCPU_HYP_INSTRET(sp)
    RESTORE_T2_T6
    ld      t0, X(5)(sp)
    ld      t1, X(6)(sp)
    csrrw   sp, CSR_SSCRATCH, sp        /* guest sp back, sscratch = &vcpu_arch again */
    sret

/* bool tv_call_on_hyp_stack(fn, arg, sp, tp): fn(arg) on another stack and tp (tfast.c's
 * fast_vpage: the hart's own, on the hypervisor's root), the caller's sp, tp and ra back after it. */
    .globl tv_call_on_hyp_stack
tv_call_on_hyp_stack:
    addi    a2, a2, -32
    sd      sp, 0(a2)
    sd      tp, 8(a2)
    sd      ra, 16(a2)
    mv      sp, a2
    mv      tp, a3
    mv      t0, a0
    mv      a0, a1
    jalr    t0
    ld      ra, 16(sp)
    ld      tp, 8(sp)
    ld      sp, 0(sp)
    ret

/* Not for this path: nothing has changed but the FS fold; the C path decides from the same
 * state. */
tv_fast_slow:
    RESTORE_T2_T6
    j       tv_vector_full

/* The guest's registers by number, 8 bytes an entry (two uncompressed instructions, each entry
 * aligned, so a longer one would show as later registers misread: guest-pv/progs/privfast.c swaps
 * sscratch through each): rs1_table reads xN into t4, rd_table writes t0 to xN. Those this path
 * uses (t0..t6) live in regs.x[], sp in sscratch, x0 reads 0 and ignores writes; the rest are
 * still in the hardware. */
    .option push
    .option norvc
    .balign 8
rs1_table:
    .irp n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, \
         16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
    .balign 8
    .if \n == 0
    li      t4, 0
    .elseif \n == 2
    csrr    t4, CSR_SSCRATCH
    .elseif (\n >= 5 && \n <= 7) || \n >= 28
    ld      t4, X(\n)(sp)
    .else
    mv      t4, x\n
    .endif
    j       csr_src
    .endr
    .balign 8
rd_table:
    .irp n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, \
         16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
    .balign 8
    .if \n == 0
    nop
    .elseif \n == 2
    csrw    CSR_SSCRATCH, t0
    .elseif (\n >= 5 && \n <= 7) || \n >= 28
    sd      t0, X(\n)(sp)
    .else
    mv      x\n, t0
    .endif
    j       csr_rd_done
    .endr
    .option pop
