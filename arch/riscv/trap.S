/* SPDX-License-Identifier: MIT */
/* Trap vector and world switch. Precondition: sscratch holds &vcpu_arch while a guest runs, 0 otherwise. */
#include <arch/csr.h>
#include <arch/layout.h>
#include <asm-offsets.h>
#include "hvabi.h"

/* Store x1, x3..x31 at offset VCPU_X0 + 8*n from \base (x2, the stack pointer, is saved by the caller). */
.macro SAVE_GPRS base
    sd      x1, VCPU_X0 + 1*8(\base)
    sd      x3, VCPU_X0 + 3*8(\base)
    sd      x4, VCPU_X0 + 4*8(\base)
    sd      x5, VCPU_X0 + 5*8(\base)
    sd      x6, VCPU_X0 + 6*8(\base)
    sd      x7, VCPU_X0 + 7*8(\base)
    sd      x8, VCPU_X0 + 8*8(\base)
    sd      x9, VCPU_X0 + 9*8(\base)
    sd      x10, VCPU_X0 + 10*8(\base)
    sd      x11, VCPU_X0 + 11*8(\base)
    sd      x12, VCPU_X0 + 12*8(\base)
    sd      x13, VCPU_X0 + 13*8(\base)
    sd      x14, VCPU_X0 + 14*8(\base)
    sd      x15, VCPU_X0 + 15*8(\base)
    sd      x16, VCPU_X0 + 16*8(\base)
    sd      x17, VCPU_X0 + 17*8(\base)
    sd      x18, VCPU_X0 + 18*8(\base)
    sd      x19, VCPU_X0 + 19*8(\base)
    sd      x20, VCPU_X0 + 20*8(\base)
    sd      x21, VCPU_X0 + 21*8(\base)
    sd      x22, VCPU_X0 + 22*8(\base)
    sd      x23, VCPU_X0 + 23*8(\base)
    sd      x24, VCPU_X0 + 24*8(\base)
    sd      x25, VCPU_X0 + 25*8(\base)
    sd      x26, VCPU_X0 + 26*8(\base)
    sd      x27, VCPU_X0 + 27*8(\base)
    sd      x28, VCPU_X0 + 28*8(\base)
    sd      x29, VCPU_X0 + 29*8(\base)
    sd      x30, VCPU_X0 + 30*8(\base)
    sd      x31, VCPU_X0 + 31*8(\base)
.endm

/* Load x1, x3..x31 from \base; \base itself must be x10 (a0), which is loaded last. */
.macro RESTORE_GPRS_A0
    ld      x1, VCPU_X0 + 1*8(a0)
    ld      x2, VCPU_X0 + 2*8(a0)
    ld      x3, VCPU_X0 + 3*8(a0)
    ld      x4, VCPU_X0 + 4*8(a0)
    ld      x5, VCPU_X0 + 5*8(a0)
    ld      x6, VCPU_X0 + 6*8(a0)
    ld      x7, VCPU_X0 + 7*8(a0)
    ld      x8, VCPU_X0 + 8*8(a0)
    ld      x9, VCPU_X0 + 9*8(a0)
    ld      x11, VCPU_X0 + 11*8(a0)
    ld      x12, VCPU_X0 + 12*8(a0)
    ld      x13, VCPU_X0 + 13*8(a0)
    ld      x14, VCPU_X0 + 14*8(a0)
    ld      x15, VCPU_X0 + 15*8(a0)
    ld      x16, VCPU_X0 + 16*8(a0)
    ld      x17, VCPU_X0 + 17*8(a0)
    ld      x18, VCPU_X0 + 18*8(a0)
    ld      x19, VCPU_X0 + 19*8(a0)
    ld      x20, VCPU_X0 + 20*8(a0)
    ld      x21, VCPU_X0 + 21*8(a0)
    ld      x22, VCPU_X0 + 22*8(a0)
    ld      x23, VCPU_X0 + 23*8(a0)
    ld      x24, VCPU_X0 + 24*8(a0)
    ld      x25, VCPU_X0 + 25*8(a0)
    ld      x26, VCPU_X0 + 26*8(a0)
    ld      x27, VCPU_X0 + 27*8(a0)
    ld      x28, VCPU_X0 + 28*8(a0)
    ld      x29, VCPU_X0 + 29*8(a0)
    ld      x30, VCPU_X0 + 30*8(a0)
    ld      x31, VCPU_X0 + 31*8(a0)
    ld      x10, VCPU_X0 + 10*8(a0)
.endm

/* Entered from a guest with sp = &vcpu_arch, the guest's t0/t1 saved, and a branch to 1f already taken
 * when the cause is not the fast one. The null hypercall (the cost of crossing into the hypervisor and
 * back) and the SBI Base functions whose answer never changes (sbi_base_fixed, filled by the first
 * full exit that gives each) are answered here with those two registers, without the full save
 * (SBI: only a0/a1 change); anything else has every guest register saved, with sepc and sstatus, and
 * sscratch = 0: from then on a trap is the hypervisor's own. */
.macro FAST_NULL_HYPERCALL_OR_SAVE
    li      t1, HV_EXT
    bne     a7, t1, 7f
    addi    t1, a6, -HV_FID_NULL
    bnez    t1, 1f
    li      a0, 0                       /* SBI_SUCCESS */
    li      a1, 0
    j       8f
7:  /* Base: a6 below SBI_BASE_FIXED_FIDS (upper bits set: the full path decides), answer known. */
    li      t1, SBI_EXT_BASE
    bne     a7, t1, 1f
    li      t1, SBI_BASE_FIXED_FIDS
    bgeu    a6, t1, 1f
    lla     t0, sbi_base_fixed_mask
    ld      t0, 0(t0)
    srl     t0, t0, a6
    andi    t0, t0, 1
    beqz    t0, 1f
    fence   r, r                        /* the mask bit is written after the value */
    lla     t0, sbi_base_fixed
    slli    t1, a6, 3
    add     t0, t0, t1
    ld      a1, 0(t0)
    li      a0, 0                       /* SBI_SUCCESS */
8:  csrr    t0, CSR_SEPC
    addi    t0, t0, 4
    csrw    CSR_SEPC, t0
    ld      t0, VCPU_FAST_EXITS(sp)
    addi    t0, t0, 1
    sd      t0, VCPU_FAST_EXITS(sp)
    ld      t0, VCPU_X0 + 5*8(sp)
    ld      t1, VCPU_X0 + 6*8(sp)
    csrrw   sp, CSR_SSCRATCH, sp        /* guest sp back, sscratch = &vcpu_arch again */
    sret
1:  ld      t0, VCPU_X0 + 5*8(sp)
    ld      t1, VCPU_X0 + 6*8(sp)
    SAVE_GPRS sp
    csrr    t0, CSR_SSCRATCH
    sd      t0, VCPU_X0 + 2*8(sp)
    csrw    CSR_SSCRATCH, zero
    csrr    t0, CSR_SEPC
    sd      t0, VCPU_SEPC(sp)
    csrr    t0, CSR_SSTATUS
    sd      t0, VCPU_SSTATUS(sp)
.endm

    .section .text.trap, "ax"
    .balign 4
    .globl trap_vector
trap_vector:
    /* sp <-> sscratch: sp = &vcpu_arch (guest trap) or 0 (trap in the hypervisor itself). */
    csrrw   sp, CSR_SSCRATCH, sp
    beqz    sp, hyp_trap

    /* Guest exit. sp = &vcpu_arch, sscratch = guest sp; every other register is the guest's.
     * Fast path first: the null hypercall (the cost of crossing into the hypervisor and back) is
     * answered here with two scratch registers, without the full save (SBI: only a0/a1 change). */
    sd      t0, VCPU_X0 + 5*8(sp)
    sd      t1, VCPU_X0 + 6*8(sp)
    csrr    t0, CSR_INSTRET             /* the bench's hypervisor-instructions-per-exit starts here */
    sd      t0, VCPU_EXIT_INSTRET(sp)
    csrr    t0, CSR_SCAUSE
    addi    t1, t0, -10                 /* EXC_VS_ECALL */
    beqz    t1, 3f
    /* A load (21) or store (23) guest-page fault, the two differing in bit 1: a device access. */
    ori     t1, t0, 2
    addi    t1, t1, -ASM_EXC_STORE_GUEST_PAGE_FAULT
    beqz    t1, hext_dev_entry
    j       1f
3:  FAST_NULL_HYPERCALL_OR_SAVE
    csrr    t0, CSR_HSTATUS
    sd      t0, VCPU_HSTATUS(sp)
    /* a0 = &vcpu_arch; switch to this hart's stack and per-cpu pointer. */
    mv      a0, sp
    ld      tp, VCPU_HYP_TP(a0)
    ld      sp, VCPU_HYP_SP(a0)
    call    hext_trap
    /* hext_trap is noreturn: it ends in vcpu_arch_enter. */
1:  j       1b

/* A guest-page fault on a load or store, with sp = &vcpu_arch and the guest's t0/t1 saved. Only what
 * a C call may change is saved first (ra, tp, t0-t6, a0-a7; gp, which the hypervisor never uses,
 * stays the guest's), with sp, sepc, sstatus and hstatus: hext_dev_trap (hext_dev.c) emulates a UART
 * register access without the scheduler and the guest goes on after it with its callee-saved
 * registers never touched (the C code keeps them). Anything else it sends back here with a tag in
 * the low two bits of a0: the rest is saved and the exit goes on in C (hext_dev_slow). */
hext_dev_entry:
    sd      x1, VCPU_X0 + 1*8(sp)
    sd      x4, VCPU_X0 + 4*8(sp)
    sd      x7, VCPU_X0 + 7*8(sp)
    sd      x10, VCPU_X0 + 10*8(sp)
    sd      x11, VCPU_X0 + 11*8(sp)
    sd      x12, VCPU_X0 + 12*8(sp)
    sd      x13, VCPU_X0 + 13*8(sp)
    sd      x14, VCPU_X0 + 14*8(sp)
    sd      x15, VCPU_X0 + 15*8(sp)
    sd      x16, VCPU_X0 + 16*8(sp)
    sd      x17, VCPU_X0 + 17*8(sp)
    sd      x28, VCPU_X0 + 28*8(sp)
    sd      x29, VCPU_X0 + 29*8(sp)
    sd      x30, VCPU_X0 + 30*8(sp)
    sd      x31, VCPU_X0 + 31*8(sp)
    /* sscratch = 0: from here a trap is the hypervisor's own (a guarded read's fault included). */
    csrrw   t0, CSR_SSCRATCH, zero
    sd      t0, VCPU_X0 + 2*8(sp)
    /* In memory before anything can trap: a faulting instruction read changes all three. */
    csrr    t0, CSR_SEPC
    sd      t0, VCPU_SEPC(sp)
    csrr    t0, CSR_SSTATUS
    sd      t0, VCPU_SSTATUS(sp)
    csrr    t0, CSR_HSTATUS
    sd      t0, VCPU_HSTATUS(sp)
    mv      a0, sp
    ld      tp, VCPU_HYP_TP(a0)
    ld      sp, VCPU_HYP_SP(a0)
    call    hext_dev_trap
    andi    t0, a0, 3
    bnez    t0, 2f
    /* Done (a0 = &vcpu_arch): no trap was taken and neither sstatus nor hstatus written, so only
     * sepc is loaded. Once sscratch is non-zero a trap would be taken as the guest's: nothing may
     * trap from here on. */
    ld      t0, VCPU_SEPC(a0)
    csrw    CSR_SEPC, t0
    csrw    CSR_SSCRATCH, a0
    ld      x1, VCPU_X0 + 1*8(a0)
    ld      x2, VCPU_X0 + 2*8(a0)
    ld      x4, VCPU_X0 + 4*8(a0)
    ld      x5, VCPU_X0 + 5*8(a0)
    ld      x6, VCPU_X0 + 6*8(a0)
    ld      x7, VCPU_X0 + 7*8(a0)
    ld      x11, VCPU_X0 + 11*8(a0)
    ld      x12, VCPU_X0 + 12*8(a0)
    ld      x13, VCPU_X0 + 13*8(a0)
    ld      x14, VCPU_X0 + 14*8(a0)
    ld      x15, VCPU_X0 + 15*8(a0)
    ld      x16, VCPU_X0 + 16*8(a0)
    ld      x17, VCPU_X0 + 17*8(a0)
    ld      x28, VCPU_X0 + 28*8(a0)
    ld      x29, VCPU_X0 + 29*8(a0)
    ld      x30, VCPU_X0 + 30*8(a0)
    ld      x31, VCPU_X0 + 31*8(a0)
    ld      x10, VCPU_X0 + 10*8(a0)
    sret
2:  /* The rest of the exit in C, hext_dev_slow(a0 = &vcpu_arch, a1 = the tag): the callee-saved
     * registers and gp, still the guest's, join the rest first. */
    andi    a1, a0, 3
    xor     a0, a0, a1
    sd      x3, VCPU_X0 + 3*8(a0)
    sd      x8, VCPU_X0 + 8*8(a0)
    sd      x9, VCPU_X0 + 9*8(a0)
    sd      x18, VCPU_X0 + 18*8(a0)
    sd      x19, VCPU_X0 + 19*8(a0)
    sd      x20, VCPU_X0 + 20*8(a0)
    sd      x21, VCPU_X0 + 21*8(a0)
    sd      x22, VCPU_X0 + 22*8(a0)
    sd      x23, VCPU_X0 + 23*8(a0)
    sd      x24, VCPU_X0 + 24*8(a0)
    sd      x25, VCPU_X0 + 25*8(a0)
    sd      x26, VCPU_X0 + 26*8(a0)
    sd      x27, VCPU_X0 + 27*8(a0)
    call    hext_dev_slow
    /* hext_dev_slow is noreturn. */
4:  j       4b

hyp_trap:
    /* A trap taken in HS-mode: put sp back (sscratch = 0 again) and hand a full frame to the panic path. */
    csrrw   sp, CSR_SSCRATCH, sp
    addi    sp, sp, -HYP_FRAME_SIZE
    SAVE_GPRS sp
    addi    t0, sp, HYP_FRAME_SIZE
    sd      t0, VCPU_X0 + 2*8(sp)
    csrr    t0, CSR_SEPC
    sd      t0, VCPU_SEPC(sp)
    csrr    t0, CSR_SSTATUS
    sd      t0, VCPU_SSTATUS(sp)
    mv      a0, sp
    call    hyp_trap_handler
2:  j       2b

/* The trap engine's vector. The guest runs in U-mode on a root of its own, where the hypervisor exists
 * only as its alias (root slot 511, no U bit), so this code runs there and sscratch holds the alias
 * address of the vCPU. It saves the guest, moves to the hypervisor's root and continues at the
 * physical address of tv_trap. A trap of the hypervisor itself (sscratch = 0) goes to hyp_trap,
 * which then runs through the alias on the hypervisor's root. */
    .balign 4
    .globl tv_vector
tv_vector:
    csrrw   sp, CSR_SSCRATCH, sp
    beqz    sp, hyp_trap
    sd      t0, VCPU_X0 + 5*8(sp)
    sd      t1, VCPU_X0 + 6*8(sp)
    csrr    t0, CSR_INSTRET
    sd      t0, VCPU_EXIT_INSTRET(sp)
    /* Fast paths: the null hypercall from the guest kernel (fast_cause is U-ecall only then); a
     * patched instruction (a load page fault) or a system call of its user code in tfast.S, which
     * comes back to tv_vector_full for what it does not take. */
    csrr    t0, CSR_SCAUSE
    ld      t1, VCPU_FAST_CAUSE(sp)
    beq     t0, t1, 3f
    addi    t1, t0, -ASM_EXC_LOAD_PAGE_FAULT
    beqz    t1, tv_fast_patch
    addi    t1, t0, -ASM_EXC_U_ECALL
    beqz    t1, tv_fast_ecall
    .globl tv_vector_full
tv_vector_full:
    j       1f
3:  /* The guest kernel's return through its vCPU page (tfast.S). */
    li      t1, HV_EXT
    bne     a7, t1, 5f
    li      t1, HV_FID_TRAP_RETURN
    beq     a6, t1, tv_fast_vreturn
5:  FAST_NULL_HYPERCALL_OR_SAVE
    /* The short path (tfast.c): the common privileged instructions of the guest kernel and its user
     * code's system calls, handled here on the guest's root through the alias, on a stack inside the
     * vCPU, without the root switch or the scheduler. a0 = 1: handled, back into the guest. */
    mv      a0, sp
    li      t0, VCPU_FAST_STACK_TOP
    add     sp, sp, t0
    call    tv_fast_trap
    li      t0, VCPU_FAST_STACK_TOP
    sub     sp, sp, t0
    beqz    a0, 6f
    ld      t0, VCPU_SEPC(sp)
    csrw    CSR_SEPC, t0
    mv      a0, sp
    /* Once sscratch is non-zero a trap would be taken as the guest's: nothing may trap from here on. */
    csrw    CSR_SSCRATCH, a0
    RESTORE_GPRS_A0
    sret
6:  /* The hypervisor's root; the alias is mapped there too, so the next fetch still works. With
     * hardware ASIDs the hypervisor's root has ASID 0 of its own, never changed: no fence. */
    ld      t0, VCPU_TV_HYP_SATP(sp)
    csrw    CSR_SATP, t0
    ld      t0, VCPU_TV_EXIT_FENCE(sp)
    beqz    t0, 4f
    sfence.vma
4:
    ld      a0, VCPU_TV_PHYS_SELF(sp)
    ld      tp, VCPU_HYP_TP(a0)
    ld      sp, VCPU_HYP_SP(a0)
    ld      t0, 2f
    jr      t0
    .balign 8
2:  .dword  tv_trap

/* void tv_enter(struct vcpu_arch *a0): enter the guest on the trap engine. Runs at its physical
 * address on the hypervisor's root, jumps to its alias, switches to the guest's root there and
 * srets to U-mode. Never returns. */
    .globl tv_enter
tv_enter:
    ld      t0, VCPU_SEPC(a0)
    csrw    CSR_SEPC, t0
    ld      t0, VCPU_SSTATUS(a0)
    csrw    CSR_SSTATUS, t0
    ld      t4, VCPU_TV_ENTER_FENCE(a0)
    ld      t0, VCPU_TV_HW_SATP(a0)
    ld      t1, VCPU_TV_ALIAS_SELF(a0)
    li      t2, ARCH_ALIAS_BASE
    lla     t3, _start_image
    sub     t2, t2, t3
    lla     t3, 3f
    add     t3, t3, t2
    mv      a0, t1
    jr      t3
3:  /* Now at the alias; nothing may trap until sret (sscratch set last for that reason). The
     * root's ASID may hold entries from before a drop or from another vCPU: t4 says. */
    csrw    CSR_SATP, t0
    beqz    t4, 5f
    sfence.vma
5:
    csrw    CSR_SSCRATCH, a0
    RESTORE_GPRS_A0
    sret

/* void vcpu_arch_enter(struct vcpu_arch *a0): load the guest's registers and sret into it. Never returns. */
    .globl vcpu_arch_enter
vcpu_arch_enter:
    ld      t0, VCPU_SEPC(a0)
    csrw    CSR_SEPC, t0
    ld      t0, VCPU_SSTATUS(a0)
    csrw    CSR_SSTATUS, t0
    ld      t0, VCPU_HSTATUS(a0)
    csrw    CSR_HSTATUS, t0
    /* Once sscratch is non-zero a trap would be taken as the guest's: nothing may trap from here on. */
    csrw    CSR_SSCRATCH, a0
    RESTORE_GPRS_A0
    sret

/* void fp_arch_save(struct vcpu_fp *a0) and fp_arch_restore(const struct vcpu_fp *a0). The hypervisor
 * itself is built without F/D, so only these two touch the guest's floating-point registers. */
    .option push
    .option arch, +d
.macro FP_ALL op
    \op     f0, VCPU_FP_F0 + 0*8(a0)
    \op     f1, VCPU_FP_F0 + 1*8(a0)
    \op     f2, VCPU_FP_F0 + 2*8(a0)
    \op     f3, VCPU_FP_F0 + 3*8(a0)
    \op     f4, VCPU_FP_F0 + 4*8(a0)
    \op     f5, VCPU_FP_F0 + 5*8(a0)
    \op     f6, VCPU_FP_F0 + 6*8(a0)
    \op     f7, VCPU_FP_F0 + 7*8(a0)
    \op     f8, VCPU_FP_F0 + 8*8(a0)
    \op     f9, VCPU_FP_F0 + 9*8(a0)
    \op     f10, VCPU_FP_F0 + 10*8(a0)
    \op     f11, VCPU_FP_F0 + 11*8(a0)
    \op     f12, VCPU_FP_F0 + 12*8(a0)
    \op     f13, VCPU_FP_F0 + 13*8(a0)
    \op     f14, VCPU_FP_F0 + 14*8(a0)
    \op     f15, VCPU_FP_F0 + 15*8(a0)
    \op     f16, VCPU_FP_F0 + 16*8(a0)
    \op     f17, VCPU_FP_F0 + 17*8(a0)
    \op     f18, VCPU_FP_F0 + 18*8(a0)
    \op     f19, VCPU_FP_F0 + 19*8(a0)
    \op     f20, VCPU_FP_F0 + 20*8(a0)
    \op     f21, VCPU_FP_F0 + 21*8(a0)
    \op     f22, VCPU_FP_F0 + 22*8(a0)
    \op     f23, VCPU_FP_F0 + 23*8(a0)
    \op     f24, VCPU_FP_F0 + 24*8(a0)
    \op     f25, VCPU_FP_F0 + 25*8(a0)
    \op     f26, VCPU_FP_F0 + 26*8(a0)
    \op     f27, VCPU_FP_F0 + 27*8(a0)
    \op     f28, VCPU_FP_F0 + 28*8(a0)
    \op     f29, VCPU_FP_F0 + 29*8(a0)
    \op     f30, VCPU_FP_F0 + 30*8(a0)
    \op     f31, VCPU_FP_F0 + 31*8(a0)
.endm
    .globl fp_arch_save
fp_arch_save:
    FP_ALL  fsd
    frcsr   t0
    sd      t0, VCPU_FP_FCSR(a0)
    ret

    .globl fp_arch_restore
fp_arch_restore:
    FP_ALL  fld
    ld      t0, VCPU_FP_FCSR(a0)
    fscsr   t0
    ret
    .option pop
