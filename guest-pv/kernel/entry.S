/* SPDX-License-Identifier: MIT */
/* guest-pv entry, trap vector and context switch. sscratch holds the kernel stack top while in U-mode
 * and 0 while in S-mode. */

    .section .text.entry, "ax"
    .globl _start
_start:
    .option push
    .option norelax
    la      gp, __global_pointer$
    .option pop
    la      sp, boot_stack_top
    la      t0, __bss_start
    la      t1, __bss_end
1:  bgeu    t0, t1, 2f
    sd      zero, 0(t0)
    addi    t0, t0, 8
    j       1b
2:  csrw    sscratch, zero
    la      t0, trap_vector
    csrw    stvec, t0
    call    kmain
3:  wfi
    j       3b

/* A secondary vCPU started through SBI HSM: a0 = hart id, a1 = the top of the stack it was given. */
    .globl secondary_entry
secondary_entry:
    .option push
    .option norelax
    la      gp, __global_pointer$
    .option pop
    mv      sp, a1
    csrw    sscratch, zero
    la      t0, trap_vector
    csrw    stvec, t0
    call    secondary_main
4:  wfi
    j       4b

#define FRAME 272

    .text
    .balign 4
    .globl trap_vector
trap_vector:
    csrrw   sp, sscratch, sp
    bnez    sp, 1f
    csrr    sp, sscratch            /* from S-mode: back on the kernel stack we were using */
1:  addi    sp, sp, -FRAME
    sd      x1, 1*8(sp)
    sd      x3, 3*8(sp)
    sd      x4, 4*8(sp)
    sd      x5, 5*8(sp)
    sd      x6, 6*8(sp)
    sd      x7, 7*8(sp)
    sd      x8, 8*8(sp)
    sd      x9, 9*8(sp)
    sd      x10, 10*8(sp)
    sd      x11, 11*8(sp)
    sd      x12, 12*8(sp)
    sd      x13, 13*8(sp)
    sd      x14, 14*8(sp)
    sd      x15, 15*8(sp)
    sd      x16, 16*8(sp)
    sd      x17, 17*8(sp)
    sd      x18, 18*8(sp)
    sd      x19, 19*8(sp)
    sd      x20, 20*8(sp)
    sd      x21, 21*8(sp)
    sd      x22, 22*8(sp)
    sd      x23, 23*8(sp)
    sd      x24, 24*8(sp)
    sd      x25, 25*8(sp)
    sd      x26, 26*8(sp)
    sd      x27, 27*8(sp)
    sd      x28, 28*8(sp)
    sd      x29, 29*8(sp)
    sd      x30, 30*8(sp)
    sd      x31, 31*8(sp)
    csrr    t0, sscratch            /* the interrupted sp: user sp, or the kernel sp */
    sd      t0, 2*8(sp)
    /* User code may hold anything in gp: the kernel's C code addresses its globals through it. */
    .option push
    .option norelax
    la      gp, __global_pointer$
    .option pop
    csrw    sscratch, zero
    csrr    t0, sepc
    sd      t0, 32*8(sp)
    csrr    t0, sstatus
    sd      t0, 33*8(sp)
    mv      a0, sp
    call    trap_handler
    mv      a0, sp
    /* fall through */

/* trap_return(frame in a0): resume what the frame describes. */
    .globl trap_return
trap_return:
    mv      sp, a0
    ld      t0, 32*8(sp)
    csrw    sepc, t0
    ld      t0, 33*8(sp)
    csrw    sstatus, t0
    andi    t0, t0, 0x100           /* SPP: returning to S-mode keeps sscratch = 0 */
    bnez    t0, 1f
    addi    t0, sp, FRAME
    csrw    sscratch, t0
1:  ld      x1, 1*8(sp)
    ld      x3, 3*8(sp)
    ld      x4, 4*8(sp)
    ld      x5, 5*8(sp)
    ld      x6, 6*8(sp)
    ld      x7, 7*8(sp)
    ld      x8, 8*8(sp)
    ld      x9, 9*8(sp)
    ld      x10, 10*8(sp)
    ld      x11, 11*8(sp)
    ld      x12, 12*8(sp)
    ld      x13, 13*8(sp)
    ld      x14, 14*8(sp)
    ld      x15, 15*8(sp)
    ld      x16, 16*8(sp)
    ld      x17, 17*8(sp)
    ld      x18, 18*8(sp)
    ld      x19, 19*8(sp)
    ld      x20, 20*8(sp)
    ld      x21, 21*8(sp)
    ld      x22, 22*8(sp)
    ld      x23, 23*8(sp)
    ld      x24, 24*8(sp)
    ld      x25, 25*8(sp)
    ld      x26, 26*8(sp)
    ld      x27, 27*8(sp)
    ld      x28, 28*8(sp)
    ld      x29, 29*8(sp)
    ld      x30, 30*8(sp)
    ld      x31, 31*8(sp)
    ld      x2, 2*8(sp)
    sret

/* void ctx_switch(struct context *old, struct context *new): callee-saved registers only. */
    .globl ctx_switch
ctx_switch:
    sd      ra, 0(a0)
    sd      sp, 8(a0)
    sd      s0, 16(a0)
    sd      s1, 24(a0)
    sd      s2, 32(a0)
    sd      s3, 40(a0)
    sd      s4, 48(a0)
    sd      s5, 56(a0)
    sd      s6, 64(a0)
    sd      s7, 72(a0)
    sd      s8, 80(a0)
    sd      s9, 88(a0)
    sd      s10, 96(a0)
    sd      s11, 104(a0)
    ld      ra, 0(a1)
    ld      sp, 8(a1)
    ld      s0, 16(a1)
    ld      s1, 24(a1)
    ld      s2, 32(a1)
    ld      s3, 40(a1)
    ld      s4, 48(a1)
    ld      s5, 56(a1)
    ld      s6, 64(a1)
    ld      s7, 72(a1)
    ld      s8, 80(a1)
    ld      s9, 88(a1)
    ld      s10, 96(a1)
    ld      s11, 104(a1)
    ret

    .bss
    .balign 16
    .space  16384
boot_stack_top:
