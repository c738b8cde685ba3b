/* SPDX-License-Identifier: MIT */
/* The census kernel's entry, trap vectors, U-mode entry and exit, and the U-mode snippets the
 * probes run. Entered in S-mode (or what the guest believes is S-mode) with a0 = hart id and
 * a1 = device tree. */
#include "frame.h"

#define CSR_SSCRATCH 0x140

    .section .text.entry, "ax"
    .globl _start
_start:
    /* Only lla until .bss is clear: nothing here may depend on memory the loader left. */
    lla sp, stack_top
    lla t0, __bss_start
    lla t1, __bss_end
1:  bgeu t0, t1, 2f
    sd zero, 0(t0)
    addi t0, t0, 8
    j 1b
2:  lla t0, trap_entry
    csrw stvec, t0
    call census_main
3:  j 3b

    .text
/* Every trap lands on one stack of its own (traps do not nest here): sscratch keeps the
 * interrupted sp for the moment it takes to reach that stack, since no other register is free yet.
 * Precondition: sp is only trusted after the switch (a trap from U-mode brings the U-mode sp). */
.macro trap_enter vec
    csrw CSR_SSCRATCH, sp
    lla sp, trap_stack_top
    addi sp, sp, -FR_SIZE
    sd t0, FR_X(5)(sp)
    li t0, \vec
    sd t0, FR_VEC(sp)
    j trap_common
.endm

    .balign 4
    .globl trap_entry
trap_entry:
    trap_enter -1

/* Vectored mode: interrupt n enters at BASE + 4n (supervisor chapter, "stvec"); exceptions at BASE.
 * 256-byte alignment satisfies any BASE alignment an implementation may ask for. */
    .balign 256
    .globl trap_vectors
trap_vectors:
    .option push
    .option norvc
    .irp n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
    j vec_\n
    .endr
    .option pop
    .irp n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
vec_\n:
    trap_enter \n
    .endr

trap_common:
    /* x5 (t0) is saved; the others now, then the interrupted sp and the trap CSRs. */
    .irp n, 1, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, \
         26, 27, 28, 29, 30, 31
    sd x\n, FR_X(\n)(sp)
    .endr
    csrr t0, CSR_SSCRATCH
    sd t0, FR_X(2)(sp)
    csrr t0, sepc
    sd t0, FR_EPC(sp)
    csrr t0, sstatus
    sd t0, FR_STATUS(sp)
    csrr t0, scause
    sd t0, FR_CAUSE(sp)
    csrr t0, stval
    sd t0, FR_TVAL(sp)
    mv a0, sp
    call census_trap
    /* census_trap may have changed where and into which mode the trap returns. */
    ld t0, FR_EPC(sp)
    csrw sepc, t0
    ld t0, FR_STATUS(sp)
    csrw sstatus, t0
    .irp n, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, \
         25, 26, 27, 28, 29, 30, 31
    ld x\n, FR_X(\n)(sp)
    .endr
    ld sp, FR_X(2)(sp)
    sret

/* user_run(pc, a0, a1): sret into U-mode at pc with a0 and a1 as given; sstatus.SPIE and SIE are
 * the caller's to set. Returns (through user_return) once U-mode's first trap is recorded. */
    .globl user_run
user_run:
    lla t0, user_ctx
    sd ra, 0(t0)
    sd sp, 8(t0)
    .irp n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
    sd s\n, (16 + 8 * \n)(t0)
    .endr
    csrw sepc, a0
    li t0, 1 << 8 /* SPP = 0: U-mode */
    csrc sstatus, t0
    mv a0, a1
    mv a1, a2
    sret

/* The trap handler sends a U-mode trap here, in S-mode: back to user_run's caller. */
    .globl user_return
user_return:
    lla t0, user_ctx
    ld ra, 0(t0)
    ld sp, 8(t0)
    .irp n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
    ld s\n, (16 + 8 * \n)(t0)
    .endr
    ret

/* s_call(target): calls code at target from S-mode. A fetch fault there returns here through ra. */
    .globl s_call
s_call:
    addi sp, sp, -16
    sd ra, 8(sp)
    jalr ra, 0(a0)
    ld ra, 8(sp)
    addi sp, sp, 16
    ret

/* Copied into test pages: the code a fetch probe runs there. */
    .globl probe_code, probe_code_end
probe_code:
    li a0, 42
    ret
probe_code_end:

/* sret_to_s(pc): sret with SPP = 1 (set by the caller) to pc, still in S-mode. */
    .globl sret_to_s
sret_to_s:
    csrw sepc, a0
    sret

/* U-mode snippets: position-independent, mapped a second time with U at U_CODE_VA. Each ends in
 * ecall, so the first trap it takes is what the probe reports ("no trap" shows as the ecall). */
    .section .user, "ax"
    .option push
    .option norvc
    .globl u_ecall
u_ecall:
    ecall

.macro u_csr name, num
    .globl u_csrr_\name, u_csrw_\name
u_csrr_\name:
    csrr a0, \num
    ecall
u_csrw_\name:
    csrrc a0, \num, a1 /* a write (rs1 != x0) that changes nothing with a1 = 0 */
    ecall
.endm
    u_csr sstatus, 0x100
    u_csr sie, 0x104
    u_csr stvec, 0x105
    u_csr scounteren, 0x106
    u_csr senvcfg, 0x10a
    u_csr sscratch, 0x140
    u_csr sepc, 0x141
    u_csr scause, 0x142
    u_csr stval, 0x143
    u_csr sip, 0x144
    u_csr stimecmp, 0x14d
    u_csr satp, 0x180
    u_csr cycle, 0xc00
    u_csr time, 0xc01
    u_csr instret, 0xc02
    u_csr hpmcounter3, 0xc03

.macro u_insn name, word
    .globl u_\name
u_\name:
    .word \word
    ecall
.endm
    u_insn sret, 0x10200073
    u_insn mret, 0x30200073
    u_insn wfi, 0x10500073
    u_insn sfence_vma, 0x12000073
    u_insn unimp, 0xc0001073
    u_insn ebreak, 0x00100073
    u_insn cbo_zero, 0x0045200f    /* cbo.zero (a0) */
    u_insn cbo_clean, 0x0015200f   /* cbo.clean (a0) */
    u_insn fmv_d_x, 0xf2000053     /* fmv.d.x f0, x0 */

    .globl u_load, u_store, u_fetch, u_nop, u_amoadd, u_cebreak, u_cunimp
u_load:
    ld a0, 0(a0)
    ecall
u_store:
    sd a1, 0(a0)
    ecall
u_fetch:
    jalr ra, 0(a0)
    ecall
u_nop:
    nop
    nop
    ecall
u_amoadd:
    amoadd.w a0, a1, (a0)
    ecall
    .option pop
    .balign 4
u_cebreak:
    .half 0x9002 /* c.ebreak */
    .half 0x0001 /* c.nop */
    .word 0x00000073
u_cunimp:
    .half 0x0000 /* the all-zero 16-bit pattern: defined illegal */
    .half 0x0001
    .word 0x00000073

    .text
/* sret_probe(): sret to the next instruction with SPP, SPIE and SIE as the caller left them;
 * returns sstatus as it is right after. */
    .globl sret_probe, sret_probe_target
sret_probe:
    lla t0, sret_probe_target
    csrw sepc, t0
    sret
sret_probe_target:
    csrr a0, sstatus
    ret

    .bss
    .balign 8
/* user_run's S-mode context: ra, sp, s0-s11. */
user_ctx:
    .space 8 * 14
