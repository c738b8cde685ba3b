// SPDX-License-Identifier: MIT
// Attack pack, the edges of privileged-instruction emulation (the trap engine's
// arch/riscv/privemu.c and memop.c; on hext the hardware does the same): each case checks the guest
// sees what the privileged spec says a hart does, so both engines print the same (but where the
// spec leaves the choice to the hart, noted at the case).
#include <string.h>

#include "attack.h"

#define IS(n) (strcmp(a, n) == 0)
#define SSTATUS_SIE (1ul << 1)
#define SSTATUS_SPIE (1ul << 5)
#define SSTATUS_SPP (1ul << 8)
#define SSTATUS_FS (3ul << 13)
#define SSTATUS_XS (3ul << 15)
#define SSTATUS_VS (3ul << 9)
#define SSTATUS_UXL (3ul << 32)
#define SSTATUS_SD (1ul << 63)
#define SIP_SSIP (1ul << 1)
#define SIP_STIP (1ul << 5)
#define SIP_SEIP (1ul << 9)
#define VA_PROBE 0xc0000000ul

static volatile uint64_t user_cause;

static USER_TEXT void user_sret(long arg)
{
    (void)arg;
    __asm__ volatile("sret");
    sys_call(SYS_EXIT, 0, 0);
}

static USER_TEXT void user_exit(void)
{
    sys_call(SYS_EXIT, 0, 0);
}

/* A user task's fault ends it; the kernel's own go to the counting hook. */
static bool user_hook(struct trap_frame *f, uint64_t cause, uint64_t tval)
{
    if (cause & CAUSE_IRQ || cause == EXC_U_ECALL) {
        return false;
    }
    if (!(f->sstatus & SSTATUS_SPP)) {
        user_cause = cause;
        f->sepc = (uint64_t)user_exit;
        return true;
    }
    (void)tval;
    at_faults++;
    at_cause = cause;
    f->sepc += 4;
    return true;
}

/* The kernel returns with sret to a label of its own, its SPP and SPIE as it set them. */
static uint64_t sret_to_self(uint64_t set)
{
    uint64_t s;
    __asm__ volatile("csrci sstatus, 2\n"
                     "csrc sstatus, %1\n"
                     "csrs sstatus, %2\n"
                     "la t0, 1f\n"
                     "csrw sepc, t0\n"
                     "sret\n"
                     "1: csrr %0, sstatus\n"
                     : "=r"(s)
                     : "r"(SSTATUS_SPP | SSTATUS_SPIE), "r"(set)
                     : "t0", "memory");
    return s;
}

/* The level-0 entry of va in the kernel's own (native) tables. */
static volatile uint64_t *leaf_of(uint64_t va)
{
    uint64_t *t = kernel_root;
    for (int level = 2; level > 0; level--) {
        uint64_t e = t[(va >> (12 + 9 * level)) & 511];
        if (!(e & PTE_V) || (e & (PTE_R | PTE_W | PTE_X))) {
            return 0;
        }
        t = (uint64_t *)((e >> 10) << 12);
    }
    return &t[(va >> 12) & 511];
}

static uint64_t probe(void)
{
    __asm__ volatile("sfence.vma" ::: "memory");
    return *(volatile uint64_t *)VA_PROBE;
}

bool attack_emul(const char *a)
{
    uint64_t s, t;

    if (IS("sret-forged-spp")) {
        /* sret from S with SPP = S and SPIE = 1 stays in S, SIE takes SPIE, SPP becomes U and SPIE
         * 1 (priv spec, "Supervisor Status Register"); from user mode sret is illegal and changes
         * nothing (the task's fault, cause 2). */
        at_hook_faults();
        s = sret_to_self(SSTATUS_SPP | SSTATUS_SPIE);
        __asm__ volatile("csrci sstatus, 2");
        at_result(a, "faults", (long)at_faults); /* the csrr after it ran in S-mode */
        at_result(a, "sie", !!(s & SSTATUS_SIE));
        at_result(a, "spp", !!(s & SSTATUS_SPP));
        at_result(a, "spie", !!(s & SSTATUS_SPIE));
        s = sret_to_self(SSTATUS_SPP);
        at_result(a, "sie-from-spie-0", !!(s & SSTATUS_SIE));
        trap_set_hook(user_hook);
        user_cause = 0;
        task_create(user_sret, 0);
        task_run_all();
        at_result(a, "user-sret-cause", (long)user_cause);
    } else if (IS("sstatus-readonly-bits")) {
        /* UXL is 2 (RV64) and XS 0 (no custom state) whatever is written; SD follows FS/VS/XS. */
        __asm__ volatile("csrr %0, sstatus" : "=r"(s));
        uint64_t w = (s ^ SSTATUS_UXL ^ SSTATUS_XS) | SSTATUS_SD;
        __asm__ volatile("csrw sstatus, %1\n csrr %0, sstatus" : "=r"(t) : "r"(w & ~SSTATUS_SIE));
        __asm__ volatile("csrw sstatus, %0" : : "r"(s));
        at_result(a, "uxl", (long)((t & SSTATUS_UXL) >> 32));
        at_result(a, "xs", (long)((t & SSTATUS_XS) >> 15));
        bool dirty = (t & SSTATUS_FS) == SSTATUS_FS || (t & SSTATUS_VS) == SSTATUS_VS;
        at_result(a, "sd-follows", !!(t & SSTATUS_SD) == dirty);
    } else if (IS("sie-readonly-bits")) {
        /* Only SSIE, STIE and SEIE exist for a guest that is offered nothing more (the device tree
         * names no Sscofpmf): the other bits read 0. */
        __asm__ volatile("csrci sstatus, 2\n csrr %0, sie" : "=r"(s));
        __asm__ volatile("csrw sie, %1\n csrr %0, sie" : "=r"(t) : "r"(~0ul));
        __asm__ volatile("csrw sie, %0" : : "r"(s));
        kprintf("attack: %s: sie reads %lx\n", a, (unsigned long)t);
        at_result(a, "sie-is-ssie-stie-seie", t == (SIP_SSIP | SIP_STIP | SIP_SEIP));
    } else if (IS("sip-readonly-bits")) {
        /* STIP and SEIP are the timer's and the PLIC's to set: a store cannot raise them; SSIP is
         * the guest's own. Its timer is off first, so nothing raises STIP meanwhile. */
        sbi_call(SBI_EXT_TIME, 0, ~0ul, 0, 0, 0, 0, 0);
        __asm__ volatile("csrci sstatus, 2\n csrr %0, sip" : "=r"(s));
        __asm__ volatile("csrs sip, %1\n csrr %0, sip"
                         : "=r"(t)
                         : "r"(SIP_STIP | SIP_SEIP | SIP_SSIP));
        __asm__ volatile("csrc sip, %0" : : "r"(SIP_SSIP));
        at_result(a, "forced", (long)(t & ~s & (SIP_STIP | SIP_SEIP)));
        at_result(a, "ssip", !!(t & SIP_SSIP));
    } else if (IS("satp-sv48-sv57")) {
        /* Roots that map the low 512 GiB as the kernel's Sv39 root does, so the hart that takes
         * the mode runs on unharmed. The trap engine's shadow walker is Sv39 only: it leaves satp
         * as it was, as the spec has an unsupported mode do; QEMU's hart (hext) takes both. */
        static uint64_t r48[512] __attribute__((aligned(4096)));
        static uint64_t r57[512] __attribute__((aligned(4096)));
        r48[0] = (((uint64_t)kernel_root >> 12) << 10) | PTE_V;
        r57[0] = (((uint64_t)r48 >> 12) << 10) | PTE_V;
        uint64_t modes[2];
        for (int k = 0; k < 2; k++) {
            uint64_t root = k ? (uint64_t)r57 : (uint64_t)r48;
            __asm__ volatile("csrr %0, satp" : "=r"(s));
            __asm__ volatile(
              "csrw satp, %1\n sfence.vma\n csrr %0, satp\n csrw satp, %2\n sfence.vma"
              : "=&r"(t)
              : "r"(((9ul + k) << 60) | (s & (0xfffful << 44)) | (root >> 12)), "r"(s)
              : "memory");
            modes[k] = t >> 60;
        }
        at_result(a, "sv48-mode", (long)modes[0]);
        at_result(a, "sv57-mode", (long)modes[1]);
        at_result(a, "still-running", 1);
    } else if (IS("amo-lrsc-on-table")) {
        /* AMOs and LR/SC on an entry of its own page table: on the trap engine the frame is
         * shadowed and write-protected, so each is emulated, and the new mapping must be seen. */
        volatile uint64_t *b0 = (volatile uint64_t *)AT_BUF,
                          *b1 = (volatile uint64_t *)(AT_BUF + 4096);
        *b0 = 0xb0;
        *b1 = 0xb1;
        pt_map(kernel_root, VA_PROBE, AT_BUF, PTE_R | PTE_W | PTE_A | PTE_D);
        pt_sync();
        volatile uint64_t *pte = leaf_of(VA_PROBE);
        at_result(a, "first", (long)probe());
        uint64_t e0 = *pte, e1 = e0 + (1ul << 10), old;
        __asm__ volatile("amoswap.d %0, %2, (%1)" : "=r"(old) : "r"(pte), "r"(e1) : "memory");
        at_result(a, "amoswap-old-ok", old == e0);
        at_result(a, "amoswap-seen", (long)probe());
        __asm__ volatile("amoadd.d %0, %2, (%1)"
                         : "=r"(old)
                         : "r"(pte), "r"(-(1l << 10))
                         : "memory");
        at_result(a, "amoadd-seen", (long)probe());
        long sc = 1;
        for (int i = 0; i < 100 && sc; i++) {
            __asm__ volatile("lr.d %0, (%2)\n sc.d %1, %3, (%2)"
                             : "=&r"(old), "=&r"(sc)
                             : "r"(pte), "r"(e1)
                             : "memory");
        }
        at_result(a, "sc-ok", sc == 0);
        at_result(a, "sc-seen", (long)probe());
    } else if (IS("amo-misaligned-on-table")) {
        /* A misaligned AMO and LR on an entry of its own table: the address-misaligned exceptions
         * a hart raises (priv spec: AMOs and LR/SC need natural alignment here, no Zam), the entry
         * unchanged, not a stopped guest. */
        pt_map(kernel_root, VA_PROBE, AT_BUF, PTE_R | PTE_W | PTE_A | PTE_D);
        pt_sync();
        volatile uint64_t *pte = leaf_of(VA_PROBE);
        uint64_t e0 = *pte, old;
        at_hook_faults();
        __asm__ volatile("amoswap.d %0, %2, (%1)"
                         : "=r"(old)
                         : "r"((uint64_t)pte + 4), "r"(0ul)
                         : "memory");
        /* The spec's is store/AMO misaligned (6); QEMU 7.2's hart raises load misaligned (4) for
         * a misaligned AMO, and each engine passes on the hart's: either is the hart's answer. */
        kprintf("attack: %s: the AMO raised cause %ld\n", a, at_faults == 1 ? (long)at_cause : -1);
        at_result(a, "amo-misaligned", at_faults == 1 && (at_cause == 4 || at_cause == 6));
        at_faults = 0;
        __asm__ volatile("lr.d %0, (%1)" : "=r"(old) : "r"((uint64_t)pte + 4) : "memory");
        at_result(a, "lr-cause", at_faults == 1 ? (long)at_cause : -1);
        at_result(a, "entry-unchanged", *pte == e0);
    } else {
        return false;
    }
    return true;
}
