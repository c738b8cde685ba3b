/* SPDX-License-Identifier: MIT */
/* Image header and boot entry: OpenSBI (or U-Boot's booti) jumps here in HS-mode with a0 = hartid, a1 = DTB. */
#include <arch/csr.h>

#include <asm-offsets.h>

/* ELF for RISC-V (psABI): the one dynamic relocation a position-independent image needs. */
#define R_RISCV_RELATIVE 3
#define ELF64_RELA_SIZE 24

    .section .text.head, "ax"
    .globl _start
_start:
    /* RISC-V Linux Image header (Documentation/riscv/boot-image-header.rst): loaders check the magic and
     * place the image text_offset bytes above the start of RAM. code0 must be a 4-byte jump. */
    .option push
    .option norvc
    j       boot_entry              /* code0 */
    .word   0                       /* code1 */
    .dword  0x200000                /* text_offset */
    .dword  _end - _start           /* image_size: loaders must leave room for .bss and the stacks */
    .dword  0                       /* flags: little endian */
    .word   0x2                     /* header version 0.2 */
    .word   0                       /* res1 */
    .dword  0                       /* res2 */
    .ascii  "RISCV\0\0\0"           /* magic (deprecated, still checked by older loaders) */
    .ascii  "RSC\x05"               /* magic2 */
    .word   0                       /* res3: no PE/COFF header */
    .option pop

boot_entry:
    /* The time of entry, before the relocation and .bss loops (whose length follows the image's
     * size): make bench counts the firmware's part of a native boot up to here. a2: hyp_main's. */
    csrr    a2, CSR_TIME
    /* Only the first hart to come here boots. OpenSBI 1.1 (Debian 12's) may send a hart that the
     * boot hart is starting through SBI HSM hart_start here instead of to the address given: it
     * marks the hart START_PENDING before it stores that address, and a hart that wakes in between
     * leaves with what its scratch held since boot, this entry and a1 = the DTB (OpenSBI commit
     * e8e9ed37, in 1.3). Booting again would redo the relocation (undoing pointers set since), clear
     * .bss and share the boot stack, all in use by the boot hart: one such boot ended in a load
     * access fault of the boot hart waiting in smp.c. Touched here only PC-relative (nothing is
     * relocated yet); the flag is in .data, which the .bss loop below leaves alone. */
    lla     t0, boot_claimed
    li      t1, 1
    amoswap.w.aqrl t1, t1, (t0)
    bnez    t1, wrong_door
    /* No interrupts until the hypervisor has set up its own timer; no trap handler until stvec is ours. */
    csrw    CSR_SIE, zero
    csrw    CSR_SIP, zero
    /* The image is linked at address 0 and runs wherever the loader put it: every absolute address
     * in it (function tables, pointers in data, the GOT) is listed in .rela.dyn as R_RISCV_RELATIVE
     * (the build refuses any other kind), and becomes load address + addend here. Until this loop has
     * run only PC-relative code may execute, so everything here uses lla, never la. */
    lla     t0, _start
    lla     t1, __rela_dyn_start
    lla     t2, __rela_dyn_end
    li      t5, R_RISCV_RELATIVE
1:  bgeu    t1, t2, 2f
    ld      t3, 8(t1)               /* r_info */
    bne     t3, t5, 4f
    ld      t3, 0(t1)               /* r_offset */
    ld      t4, 16(t1)              /* r_addend */
    add     t3, t3, t0
    add     t4, t4, t0
    sd      t4, 0(t3)
    addi    t1, t1, ELF64_RELA_SIZE
    j       1b
2:  fence.i                         /* the loop may have written into .text (trap.S's jump target) */
    .option push
    .option norelax
    lla     gp, __global_pointer$
    .option pop
    lla     sp, boot_stack_top
    /* a0/a1/a2 carry hartid, DTB and entry time into hyp_main: clear .bss with temporaries only. */
    lla     t0, __bss_start
    lla     t1, __bss_end
1:  bgeu    t0, t1, 2f
    sd      zero, 0(t0)
    addi    t0, t0, 8
    j       1b
2:
    /* sscratch = 0 tells the trap vector that a trap came from the hypervisor itself. */
    csrw    CSR_SSCRATCH, zero
    lla     t0, trap_vector
    csrw    CSR_STVEC, t0
    mv      tp, zero
    call    hyp_main
    /* hyp_main never returns: if it ever did, stop here rather than run off into data. */
3:  wfi
    j       3b
    /* A relocation of another kind: the build checks there is none, so this is a corrupted image.
     * Nothing can be printed yet (no console, no relocated pointers): stop this hart. */
4:  wfi
    j       4b

    /* Secondary harts, started by the boot hart through SBI HSM hart_start (ext-hsm.adoc): satp = 0,
     * sstatus.SIE = 0, a0 = hartid, a1 = opaque = its struct pcpu, whose stack_top the boot hart
     * filled in. The image is already relocated and .bss already cleared by the boot hart: doing
     * either again would undo what the boot hart has built since. */
    .globl secondary_entry
    .balign 4
secondary_entry:
    csrw    CSR_SIE, zero
    csrw    CSR_SIP, zero
    .option push
    .option norelax
    lla     gp, __global_pointer$
    .option pop
    ld      sp, PCPU_STACK_TOP(a1)
    mv      tp, a1
    csrw    CSR_SSCRATCH, zero
    lla     t0, trap_vector
    csrw    CSR_STVEC, t0
    mv      a0, a1
    call    hyp_secondary_main
5:  wfi
    j       5b

    /* A hart started through SBI HSM that came in through the image's entry (above), a0 = its hart
     * id. The boot hart names the block of the hart it is starting in smp_starting before it calls
     * hart_start (hyp/smp.c): if that is this hart's, this is the entry it was meant to take, with
     * a1 = the block. Anything else is no hart of ours: it stays parked here. */
wrong_door:
    fence   rw, rw                  /* the boot hart's stores before its hart_start call */
    lla     t0, smp_starting
    ld      a1, 0(t0)
    beqz    a1, 6f
    ld      t0, PCPU_HARTID(a1)
    beq     t0, a0, secondary_entry
6:  wfi
    j       6b

    .section .data
    .balign 4
boot_claimed:
    .word   0

    .section .bss.stack, "aw", @nobits
    .balign 16
    .globl boot_stack
boot_stack:
    .space  16384
    .globl boot_stack_top
boot_stack_top:
