// SPDX-License-Identifier: MIT
// Attack pack, the vCPU page's return call under noise (docs/hypercalls.md, "The vCPU page"): thousands
// of HV_FID_TRAP_RETURNs whose sstatus, registers and interrupt flag are random, each checked against
// what the call may do. On the trap engine most of them are taken by the assembly short path
// (arch/riscv/tfast.S), the rest (a change of MXR) by the C paths: both must give the same answer.
// On hext there is no vCPU page.
#include <string.h>

#include "attack.h"

#define IS(n) (strcmp(a, n) == 0)
#define VPAGE (AT_RAM + 10 * AT_MB + 0x8000) /* attack.c's vCPU page */
#define SIE (1ul << 1)
#define SPIE (1ul << 5)
#define SPP (1ul << 8)
#define SUM (1ul << 18)
#define MXR (1ul << 19)
#define UXL (3ul << 32)
#define RETURNS 3000

static uint64_t noise(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* One return to kernel mode at the instruction after the call, with want as a0, a1, a6, a7. False when
 * what arrives is not what the call may do. */
static bool noisy_return(volatile struct hv_vcpu_page *vp, uint64_t *x)
{
    uint64_t want[4] = { noise(x), noise(x), noise(x), noise(x) };
    uint64_t n = noise(x), before, after;

    __asm__ volatile("csrr %0, sstatus" : "=r"(before));
    /* Any bits at all, but: back to kernel mode (SPP), interrupts staying off (SPIE clear), FP as it is
     * (the kernel uses no FP), MXR changed one time in 16. */
    uint64_t status = (n | SPP) & ~SPIE;
    status = (status & ~(3ul << 13)) | (before & (3ul << 13));
    status = (n >> 60) == 0 ? status : (status & ~MXR) | (before & MXR);
    vp->irq_on = noise(x);
    vp->ret_status = status;
    vp->ret_a0 = want[0];
    vp->ret_a1 = want[1];
    vp->ret_a6 = want[2];
    vp->ret_a7 = want[3];
    register uint64_t a0 __asm__("a0"), a1 __asm__("a1");
    register uint64_t a6 __asm__("a6") = HV_FID_TRAP_RETURN, a7 __asm__("a7") = HV_EXT;
    __asm__ volatile("la t0, 1f\n"
                     "sd t0, %[pc](%[vp])\n"
                     "ecall\n"
                     "1:"
                     : "=r"(a0), "=r"(a1), "+r"(a6), "+r"(a7)
                     : [vp] "r"(vp), [pc] "i"(HV_VP_RET_PC)
                     : "t0", "memory");
    uint64_t got[4] = { a0, a1, a6, a7 };
    __asm__ volatile("csrr %0, sstatus" : "=r"(after));
    /* sret: SIE from SPIE (clear), SPIE set, SPP clear; SUM and MXR as written; the rest as it was. */
    bool ok = !(after & (SIE | SPP)) && (after & SPIE) && (after & (SUM | MXR)) == (status & (SUM | MXR)) &&
              (after & UXL) == (before & UXL) && vp->irq_on == 0;
    for (unsigned i = 0; i < 4; i++) {
        ok = ok && got[i] == want[i];
    }
    return ok;
}

/* page-flag-csrs: with a vCPU page the interrupt flag is the page's word, and the short paths may take
 * only the sstatus accesses that neither read it nor name SIE; the others must see and change the
 * page (docs/hypercalls.md). Each access runs often enough to be patched and taken by tfast.S. */
static void flag_csrs(const char *a)
{
    volatile struct hv_vcpu_page *vp = (volatile struct hv_vcpu_page *)VPAGE;
    uint64_t sie, st, sum = SUM;
    unsigned wrong_set = 0, wrong_clear = 0, wrong_read = 0, wrong_sum = 0;

    __asm__ volatile("csrrw %0, sie, zero" : "=r"(sie));
    memset((void *)VPAGE, 0, 4096);
    long err = sbi_call(HV_EXT, HV_FID_VCPU_PAGE, VPAGE, 0, 0, 0, 0, 0).error;
    at_result(a, "register", err);
    for (unsigned i = 0; !err && i < 1000; i++) {
        __asm__ volatile("csrsi sstatus, 2" ::: "memory");
        wrong_set += vp->irq_on == 0;
        __asm__ volatile("csrci sstatus, 2" ::: "memory");
        wrong_clear += vp->irq_on != 0;
        vp->irq_on = i & 1;
        __asm__ volatile("csrr %0, sstatus" : "=r"(st) : : "memory");
        wrong_read += !!(st & SIE) != (i & 1);
        vp->irq_on = 0;
        /* The user-copy toggles, which the short paths do take: SUM only. */
        __asm__ volatile("csrs sstatus, %0" : : "r"(sum) : "memory");
        __asm__ volatile("csrr %0, sstatus" : "=r"(st) : : "memory");
        wrong_sum += !(st & SUM) || (st & SIE) || vp->irq_on != 0;
        __asm__ volatile("csrc sstatus, %0" : : "r"(sum) : "memory");
        __asm__ volatile("csrr %0, sstatus" : "=r"(st) : : "memory");
        wrong_sum += !!(st & SUM);
    }
    at_result(a, "set-not-seen", (long)wrong_set);
    at_result(a, "clear-not-seen", (long)wrong_clear);
    at_result(a, "flag-not-read", (long)wrong_read);
    at_result(a, "sum-wrong", (long)wrong_sum);
    sbi_call(HV_EXT, HV_FID_VCPU_PAGE, 0, 0, 0, 0, 0, 0);
    __asm__ volatile("csrw sie, %0\n csrsi sstatus, 2" : : "r"(sie));
}

bool attack_vpage(const char *a)
{
    if (IS("page-flag-csrs")) {
        flag_csrs(a);
        return true;
    }
    if (!IS("trap-return-noise")) {
        return false;
    }
    volatile struct hv_vcpu_page *vp = (volatile struct hv_vcpu_page *)VPAGE;
    uint64_t x = 0x2545f4914f6cdd1dul, sie;
    unsigned bad = 0;

    __asm__ volatile("csrrw %0, sie, zero" : "=r"(sie));
    memset((void *)VPAGE, 0, 4096);
    long err = sbi_call(HV_EXT, HV_FID_VCPU_PAGE, VPAGE, 0, 0, 0, 0, 0).error;
    at_result(a, "register", err);
    for (unsigned i = 0; !err && i < RETURNS; i++) {
        bad += !noisy_return(vp, &x);
    }
    at_result(a, "wrong", (long)bad);
    sbi_call(HV_EXT, HV_FID_VCPU_PAGE, 0, 0, 0, 0, 0, 0);
    __asm__ volatile("csrw sie, %0\n csrsi sstatus, 2" : : "r"(sie));
    return true;
}
