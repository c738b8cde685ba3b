/* SPDX-License-Identifier: MIT */
/* Guarded reads of guest memory: a fault returns an error instead of reaching the panic path. */
#include <arch/csr.h>

    .option push
    .option arch, +h
    .section .text, "ax"

/* long hlvx_hu_safe(uint64_t gva, uint16_t *out): a0 = 0 when read, -1 on any fault.
 * Precondition: hstatus.SPVP is the guest mode to read as (the trap from the guest left it so). A fault
 * lands on the local vector, which needs no registers: t2 already holds the error result. */
    .globl hlvx_hu_safe
hlvx_hu_safe:
    lla     t0, 1f
    csrrw   t1, CSR_STVEC, t0
    li      t2, -1
    hlvx.hu t3, (a0)
    sh      t3, 0(a1)
    li      t2, 0
    j       1f
    .balign 4
1:  csrw    CSR_STVEC, t1
    mv      a0, t2
    ret

/* long hlv_d_safe(uint64_t gva, uint64_t *out): the same guard around HLV.D. */
    .globl hlv_d_safe
hlv_d_safe:
    lla     t0, 2f
    csrrw   t1, CSR_STVEC, t0
    li      t2, -1
    hlv.d   t3, (a0)
    sd      t3, 0(a1)
    li      t2, 0
    j       2f
    .balign 4
2:  csrw    CSR_STVEC, t1
    mv      a0, t2
    ret
    /* long stimecmp_probe(void): 0 when stimecmp can be read, -1 when the read traps (a device tree may
 * list Sstc while the firmware left it disabled in menvcfg). */
    .globl stimecmp_probe
stimecmp_probe:
    lla     t0, 3f
    csrrw   t1, CSR_STVEC, t0
    li      t2, -1
    csrr    t3, CSR_STIMECMP
    li      t2, 0
    j       3f
    .balign 4
3:  csrw    CSR_STVEC, t1
    mv      a0, t2
    ret
    .option pop
