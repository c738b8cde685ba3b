// SPDX-License-Identifier: MIT
// Trap-engine privileged emulation, control flow: sret, wfi, sfence.vma, trap entry and interrupt
// selection, over tables of CSR states.
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "check.h"
#include "privemu_env.h"
#include <arch/csr.h>
#include <arch/privemu.h>

bool arch_engine_trap = true;

struct sret_case {
    uint64_t before;
    uint64_t vmode, after;
};

/* sret: mode from SPP, SIE from SPIE, SPIE set, SPP cleared, pc = sepc (supervisor chapter,
 * "sstatus"). */
static const struct sret_case sret_cases[] = {
    { SSTATUS_SPP | SSTATUS_SPIE, 1, SSTATUS_SIE | SSTATUS_SPIE },
    { SSTATUS_SPP, 1, SSTATUS_SPIE },
    { SSTATUS_SIE, 0, SSTATUS_SPIE },
    { SSTATUS_SPIE, 0, SSTATUS_SIE | SSTATUS_SPIE },
    { SSTATUS_SPP | SSTATUS_SIE | SSTATUS_SUM | SSTATUS_MXR | FS_DIRTY, 1,
      SSTATUS_SPIE | SSTATUS_SUM | SSTATUS_MXR | FS_DIRTY },
};

TEST(sret_returns_as_the_hardware_does)
{
    for (size_t i = 0; i < sizeof(sret_cases) / sizeof(sret_cases[0]); i++) {
        struct vcpu_arch a;
        struct priv_fx fx;
        fresh(&a);
        a.vs.vsstatus = sret_cases[i].before;
        a.vs.vsepc = 0x80004000;
        CHECK_EQ(run(&a, SRET, &fx), PRIV_FX_VIEW | PRIV_FX_IRQ);
        CHECK_EQ(a.tv.vmode, sret_cases[i].vmode);
        CHECK_EQ(a.vs.vsstatus, sret_cases[i].after);
        CHECK_EQ(a.regs.sepc, 0x80004000);
        CHECK_EQ(a.vs.vsepc, 0x80004000);
    }
}

TEST(wfi_leaves_pc_for_the_caller)
{
    struct vcpu_arch a, before;
    struct priv_fx fx;
    fresh(&a);
    a.vs.vsstatus = SSTATUS_SIE;
    memcpy(&before, &a, sizeof(a));
    CHECK_EQ(run(&a, WFI, &fx), PRIV_FX_WFI);
    CHECK(memcmp(&a, &before, sizeof(a)) == 0);
}

TEST(sfence_vma_reports_what_to_fence)
{
    struct vcpu_arch a;
    struct priv_fx fx;
    fresh(&a);
    a.regs.x[10] = 0xffffffc000123456ull;
    a.regs.x[11] = 7;
    CHECK_EQ(run(&a, sfence_vma(0, 0), &fx), PRIV_FX_FENCE);
    CHECK(fx.fence_all);
    CHECK_EQ(a.regs.sepc, PC + 4);
    CHECK_EQ(run(&a, sfence_vma(10, 0), &fx), PRIV_FX_FENCE);
    CHECK(!fx.fence_all);
    CHECK_EQ(fx.fence_va, 0xffffffc000123456ull);
    CHECK_EQ(a.regs.sepc, PC + 8);
    /* An ASID in rs2 narrows the fence; dropping more than asked for is allowed. */
    CHECK_EQ(run(&a, sfence_vma(10, 11), &fx), PRIV_FX_FENCE);
    CHECK(!fx.fence_all);
    CHECK_EQ(fx.fence_va, 0xffffffc000123456ull);
    CHECK_EQ(run(&a, sfence_vma(0, 11), &fx), PRIV_FX_FENCE);
    CHECK(fx.fence_all);
    CHECK_EQ(a.regs.sepc, PC + 16);
}

struct trap_case {
    uint64_t vmode, sstatus, stvec, cause;
    uint64_t sstatus_after, pc;
};

#define BASE 0x80200000ull

static const struct trap_case trap_cases[] = {
    /* An exception from the kernel with interrupts on: SPP=1, SPIE=1, SIE=0. */
    { 1, SSTATUS_SIE | SSTATUS_SUM, BASE, 13, SSTATUS_SPP | SSTATUS_SPIE | SSTATUS_SUM, BASE },
    /* From user mode: SPP=0; SIE=0 gives SPIE=0 (stale SPP/SPIE replaced). */
    { 0, SSTATUS_SPP | SSTATUS_SPIE | FS_INIT, BASE, 8, FS_INIT, BASE },
    { 0, SSTATUS_SIE, BASE, 12, SSTATUS_SPIE, BASE },
    /* Vectored: interrupts go to BASE + 4 * cause, exceptions to BASE. */
    { 0, SSTATUS_SIE, BASE | 1, SCAUSE_IRQ | 5, SSTATUS_SPIE, BASE + 20 },
    { 0, 0, BASE | 1, SCAUSE_IRQ | 9, 0, BASE + 36 },
    { 1, SSTATUS_SIE, BASE | 1, SCAUSE_IRQ | 1, SSTATUS_SPP | SSTATUS_SPIE, BASE + 4 },
    { 1, 0, BASE | 1, 15, SSTATUS_SPP, BASE },
    /* Direct: interrupts go to BASE too. */
    { 0, SSTATUS_SIE, BASE, SCAUSE_IRQ | 9, SSTATUS_SPIE, BASE },
};

TEST(enter_trap_as_the_hardware_does)
{
    for (size_t i = 0; i < sizeof(trap_cases) / sizeof(trap_cases[0]); i++) {
        const struct trap_case *c = &trap_cases[i];
        struct vcpu_arch a;
        fresh(&a);
        a.tv.vmode = c->vmode;
        a.vs.vsstatus = c->sstatus;
        a.vs.vstvec = c->stvec;
        priv_enter_trap(&a, c->cause, 0xbad0);
        CHECK_EQ(a.vs.vsstatus, c->sstatus_after);
        CHECK_EQ(a.regs.sepc, c->pc);
        CHECK_EQ(a.vs.vsepc, PC);
        CHECK_EQ(a.vs.vscause, c->cause);
        CHECK_EQ(a.vs.vstval, 0xbad0);
        CHECK_EQ(a.tv.vmode, 1);
        CHECK_EQ(a.vs.vstvec, c->stvec);
    }
}

/* A trap then sret gets back where the guest was, in the mode and with the SIE it had. */
TEST(trap_then_sret_round_trip)
{
    for (uint64_t vmode = 0; vmode < 2; vmode++) {
        for (uint64_t sie = 0; sie < 2; sie++) {
            struct vcpu_arch a;
            struct priv_fx fx;
            fresh(&a);
            a.tv.vmode = vmode;
            a.vs.vsstatus = sie ? SSTATUS_SIE : 0;
            a.vs.vstvec = BASE;
            priv_enter_trap(&a, 8, 0);
            CHECK_EQ(a.regs.sepc, BASE);
            run(&a, SRET, &fx);
            CHECK_EQ(a.regs.sepc, PC);
            CHECK_EQ(a.tv.vmode, vmode);
            CHECK_EQ(a.vs.vsstatus & SSTATUS_SIE, sie ? SSTATUS_SIE : 0);
        }
    }
}

struct irq_case {
    uint64_t hvip, vsie, sstatus, vmode;
    int want;
};

#define VSSIP (1ull << IRQ_VS_SOFT)
#define VSTIP (1ull << IRQ_VS_TIMER)
#define VSEIP (1ull << IRQ_VS_EXT)

static const struct irq_case irq_cases[] = {
    { 0, 0x222, SSTATUS_SIE, 1, -1 },
    { VSTIP, 0x222, SSTATUS_SIE, 1, 5 },
    { VSTIP, 0x222, 0, 1, -1 },                     /* kernel, SIE clear */
    { VSTIP, 0x222, 0, 0, 5 },                      /* user mode: always enabled */
    { VSTIP, 0x202, 0, 0, -1 },                     /* but sie still masks */
    { VSSIP | VSTIP | VSEIP, 0x222, SSTATUS_SIE, 1, 9 },
    { VSSIP | VSTIP, 0x222, SSTATUS_SIE, 1, 1 },
    { VSSIP | VSEIP, 0x222, 0, 0, 9 },
    { VSSIP | VSTIP | VSEIP, 0x020, SSTATUS_SIE, 1, 5 },
    { VSSIP | VSTIP | VSEIP, 0x022, SSTATUS_SIE, 1, 1 },
    { VSSIP | VSTIP | VSEIP, 0, SSTATUS_SIE, 0, -1 },
    { 0x222, 0x222, SSTATUS_SIE, 1, -1 },           /* S numbering in hvip is not pending */
    { 1ull << 14, ~0ull, SSTATUS_SIE, 1, -1 },      /* LCOFI and others are not offered */
    { VSEIP, 0x200, SSTATUS_SPIE, 1, -1 },          /* SPIE is not SIE */
};

TEST(pending_irq_priority_and_masking)
{
    for (size_t i = 0; i < sizeof(irq_cases) / sizeof(irq_cases[0]); i++) {
        const struct irq_case *c = &irq_cases[i];
        struct vcpu_arch a;
        fresh(&a);
        a.vs.hvip = c->hvip;
        a.vs.vsie = c->vsie;
        a.vs.vsstatus = c->sstatus;
        a.tv.vmode = c->vmode;
        int got = priv_pending_irq(&a);
        if (got != c->want) {
            fprintf(stderr, "irq case %zu: got %d want %d\n", i, got, c->want);
        }
        CHECK(got == c->want);
    }
}

/* A guest's own path to a software interrupt: csrs sip, enable, and it is taken. */
TEST(guest_raises_ssip_through_sip)
{
    struct vcpu_arch a;
    struct priv_fx fx;
    fresh(&a);
    a.vs.vstvec = BASE | 1;
    a.regs.x[RS1] = 0x2;
    CHECK_EQ(run(&a, csr_insn(CSRRS, 0, CSR_SIP, RS1), &fx), PRIV_FX_IRQ);
    CHECK(priv_pending_irq(&a) == -1); /* sie still 0 */
    CHECK_EQ(run(&a, csr_insn(CSRRS, 0, CSR_SIE, RS1), &fx), PRIV_FX_IRQ);
    CHECK(priv_pending_irq(&a) == -1); /* sstatus.SIE still 0 */
    CHECK_EQ(run(&a, csr_insn(CSRRSI, 0, CSR_SSTATUS, 2), &fx), PRIV_FX_IRQ);
    int irq = priv_pending_irq(&a);
    CHECK(irq == IRQ_S_SOFT);
    priv_enter_trap(&a, SCAUSE_IRQ | (uint64_t)irq, 0);
    CHECK_EQ(a.regs.sepc, BASE + 4);
    CHECK_EQ(a.vs.vsepc, PC + 12);
    CHECK(priv_pending_irq(&a) == -1); /* SIE cleared by the trap */
    CHECK_EQ(run(&a, csr_insn(CSRRCI, 0, CSR_SIP, 2), &fx), PRIV_FX_IRQ);
    CHECK_EQ(a.vs.hvip, 0);
}
