// SPDX-License-Identifier: MIT
// Attack pack, the vCPU page (docs/hypercalls.md, "The vCPU page"): registrations the hypervisor must
// refuse or drop, pending bits forged in the page, returns to a bad pc or from user mode, a second
// vCPU rewriting the page while the hypervisor reads it, and thousands of HV_FID_TRAP_RETURNs whose
// sstatus, registers and interrupt flag are random, each checked against what the call may do. On the
// trap engine most of those returns are taken by the assembly short path (arch/riscv/tfast.S), the
// rest (a change of MXR) by the C paths: both must give the same answer. On hext there is no vCPU
// page: every call is NOT_SUPPORTED.
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

static struct sbiret hv(unsigned long fid, unsigned long a0)
{
    return sbi_call(HV_EXT, fid, a0, 0, 0, 0, 0, 0);
}

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
    long err = hv(HV_FID_VCPU_PAGE, VPAGE).error;
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
    hv(HV_FID_VCPU_PAGE, 0);
    __asm__ volatile("csrw sie, %0\n csrsi sstatus, 2" : : "r"(sie));
}

/* User code asking for the kernel's return: a7/a6 name the return hypercall. */
static USER_TEXT void user_trap_return(long arg)
{
    (void)arg;
    register long a6 __asm__("a6") = HV_FID_TRAP_RETURN;
    register long a7 __asm__("a7") = HV_EXT;
    __asm__ volatile("ecall" : "+r"(a6), "+r"(a7) : : "a0", "a1", "memory");
    sys_call(SYS_EXIT, 0, 0);
}

/* vpage-concurrent-rewrite: the second vCPU rewrites the first one's page with noise while the first
 * takes traps and makes calls that read it. */
static volatile uint64_t rewrite_stop, rewrites;
static uint8_t rewriter_stack[4096] __attribute__((aligned(16)));

static void rewriter(unsigned long hartid)
{
    volatile struct hv_vcpu_page *vp = (volatile struct hv_vcpu_page *)VPAGE;
    uint64_t x = 0x9e3779b97f4a7c15ul ^ hartid;

    while (!rewrite_stop) {
        noise(&x);
        vp->irq_on = x & 1;
        vp->irq_pending = x;
        vp->sepc = x;
        vp->sstatus = x;
        vp->kernel_sp = x;
        vp->kernel_tp = ~x;
        vp->ret_pc = x;
        vp->ret_status = x;
        rewrites++;
    }
}

/* The vCPU page cases (docs/hypercalls.md, "The vCPU page"); on hext every call is NOT_SUPPORTED. */
static void vpage_cases(const char *a)
{
    volatile struct hv_vcpu_page *vp = (volatile struct hv_vcpu_page *)VPAGE;
    struct sbiret r;

    if (strcmp(a, "vpage-bad-address") == 0) {
        at_result(a, "unaligned", hv(HV_FID_VCPU_PAGE, VPAGE + 8).error);
        at_result(a, "outside-ram", hv(HV_FID_VCPU_PAGE, 0x1000).error);
        at_result(a, "past-ram", hv(HV_FID_VCPU_PAGE, AT_RAM + AT_RAM_SIZE).error);
        at_result(a, "wrapping", hv(HV_FID_VCPU_PAGE, ~0ul & ~0xffful).error);
    } else if (strcmp(a, "vpage-in-table") == 0) {
        /* A validated table may not be registered; a page registered and then made a table is
         * dropped, not written: the next forwarded trap leaves the table as it was. */
        unsigned long sie;
        at_build_and_pin();
        at_result(a, "root", hv(HV_FID_VCPU_PAGE, AT_ROOT).error);
        /* Interrupts masked and none enabled: what each exit writes to the page is then zeros, so
         * the zeroed frame passes validation as a table. */
        __asm__ volatile("csrrw %0, sie, zero\n csrci sstatus, 2" : "=r"(sie) : : "memory");
        at_result(a, "spare", hv(HV_FID_VCPU_PAGE, AT_SPARE).error);
        memset((void *)AT_SPARE, 0, 4096);
        at_result(a, "retype", at_update1(AT_L1 + 8 * 9, AT_PTE(AT_SPARE, 0)));
        at_faults = 0;
        __asm__ volatile("ebreak");
        long written = 0;
        for (unsigned i = 0; i < 512; i++) {
            written += ((volatile uint64_t *)AT_SPARE)[i] != 0;
        }
        at_result(a, "table-words-written", written);
        at_result(a, "trap-taken", (long)at_faults);
        __asm__ volatile("csrw sie, %0\n csrsi sstatus, 2" : : "r"(sie) : "memory");
    } else if (strcmp(a, "vpage-forged-pending") == 0) {
        /* Pending bits the guest writes itself deliver nothing, and are overwritten. */
        unsigned long sie;
        __asm__ volatile("csrrw %0, sie, zero" : "=r"(sie));
        memset((void *)VPAGE, 0, 4096);
        r = hv(HV_FID_VCPU_PAGE, VPAGE);
        at_result(a, "register", r.error);
        uint64_t ticks = timer_ticks;
        vp->irq_on = 1;
        vp->irq_pending = 0x222;
        hv(HV_FID_IRQ_CHECK, 0);
        at_result(a, "pending-after", r.error ? 0 : (long)vp->irq_pending);
        at_result(a, "irqs-taken", (long)(timer_ticks - ticks));
        hv(HV_FID_VCPU_PAGE, 0);
        __asm__ volatile("csrw sie, %0\n csrsi sstatus, 2" : : "r"(sie));
    } else if (strcmp(a, "vpage-return-bad-pc") == 0) {
        /* A return to a pc in the hypervisor's alias, odd: the guest at_faults there, on its own. */
        unsigned long st;
        memset((void *)VPAGE, 0, 4096);
        at_result(a, "register", hv(HV_FID_VCPU_PAGE, VPAGE).error);
        __asm__ volatile("csrr %0, sstatus" : "=r"(st));
        vp->ret_pc = 0xffffffffc0000001ul;
        vp->ret_status = st | HV_VP_SPP | HV_VP_SPIE;
        at_faults = 0;
        at_tval = 0;
        __asm__ volatile("la ra, 1f\n li a7, %0\n li a6, %1\n ecall\n 1:"
                         : : "i"(HV_EXT), "i"(HV_FID_TRAP_RETURN) : "ra", "a0", "a1", "a6", "a7", "memory");
        at_result(a, "fault-cause", at_faults ? (long)at_cause : -1);
        at_result(a, "fault-pc-odd", (long)(at_tval & 1));
        hv(HV_FID_VCPU_PAGE, 0);
    } else if (strcmp(a, "vpage-concurrent-rewrite") == 0) {
        /* No interrupt enabled on this vCPU: the noise in irq_on then decides nothing, and what is
         * left to read is what every trap and call reads; the hypervisor must read each field once
         * and go on, whatever it finds. */
        unsigned long sie;
        __asm__ volatile("csrrw %0, sie, zero" : "=r"(sie));
        memset((void *)VPAGE, 0, 4096);
        at_result(a, "register", hv(HV_FID_VCPU_PAGE, VPAGE).error);
        at_result(a, "start", start_secondary(1, rewriter, rewriter_stack + sizeof(rewriter_stack)));
        while (rewrites == 0) {
        }
        at_faults = 0;
        for (unsigned i = 0; i < 2000; i++) {
            __asm__ volatile("ebreak");
            hv(HV_FID_IRQ_CHECK, 0);
        }
        rewrite_stop = 1;
        at_result(a, "traps", (long)at_faults);
        at_result(a, "rewrites-seen", rewrites > 0);
        hv(HV_FID_VCPU_PAGE, 0);
        __asm__ volatile("csrw sie, %0\n csrsi sstatus, 2" : : "r"(sie));
    } else if (strcmp(a, "vpage-return-from-user") == 0) {
        trap_set_hook(at_user_hook);
        at_faults = 0;
        task_create(user_trap_return, 0);
        task_run_all();
        at_result(a, "cause", at_faults ? (long)at_cause : -1);
    }
}

bool attack_vpage(const char *a)
{
    if (strncmp(a, "vpage-", 6) == 0) {
        vpage_cases(a);
        return true;
    }
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
    long err = hv(HV_FID_VCPU_PAGE, VPAGE).error;
    at_result(a, "register", err);
    for (unsigned i = 0; !err && i < RETURNS; i++) {
        bad += !noisy_return(vp, &x);
    }
    at_result(a, "wrong", (long)bad);
    hv(HV_FID_VCPU_PAGE, 0);
    __asm__ volatile("csrw sie, %0\n csrsi sstatus, 2" : : "r"(sie));
    return true;
}
