/* SPDX-License-Identifier: MIT */
/* Image header and boot entry: OpenSBI (or U-Boot's booti) jumps here in HS-mode with a0 = hartid, a1 = DTB. */
#include <arch/csr.h>

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
    /* No interrupts until the hypervisor has set up its own timer; no trap handler until stvec is ours. */
    csrw    CSR_SIE, zero
    csrw    CSR_SIP, zero
    .option push
    .option norelax
    la      gp, __global_pointer$
    .option pop
    la      sp, boot_stack_top
    /* a0/a1 carry hartid and DTB into hyp_main: clear .bss with temporaries only. */
    la      t0, __bss_start
    la      t1, __bss_end
1:  bgeu    t0, t1, 2f
    sd      zero, 0(t0)
    addi    t0, t0, 8
    j       1b
2:
    /* sscratch = 0 tells the trap vector that a trap came from the hypervisor itself. */
    csrw    CSR_SSCRATCH, zero
    la      t0, trap_vector
    csrw    CSR_STVEC, t0
    mv      tp, zero
    call    hyp_main
    /* hyp_main never returns: if it ever did, stop here rather than run off into data. */
3:  wfi
    j       3b

    .section .bss.stack, "aw", @nobits
    .balign 16
    .globl boot_stack
boot_stack:
    .space  16384
    .globl boot_stack_top
boot_stack_top:
