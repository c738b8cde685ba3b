// SPDX-License-Identifier: MIT
// The vCPU page's logic (arch/riscv/vpage.c): the interrupt flag in and out, a forwarded trap as the
// guest kernel's entry reads it, the sp/tp switch from user mode, and the return hypercall with the
// values a hostile guest may leave in the page.
#include <stdbool.h>
#include <stdint.h>

#include "check.h"
#include <arch/csr.h>
#include <arch/privemu.h>
#include <arch/vpage.h>

#include "exit.h"

bool arch_engine_trap = true;

#define STVEC 0x80002000ull
#define UPC 0x10000ull
#define KSP 0xffffffff80ff0000ull
#define KTP 0xffffffff80aa0000ull

static void fresh(struct vcpu_arch *a, struct hv_vcpu_page *p)
{
    memset(a, 0, sizeof(*a));
    memset(p, 0, sizeof(*p));
    a->vs.vstvec = STVEC;
    a->vs.vsie = PRIV_SIE_MASK;
    a->vs.vsstatus = SSTATUS_SPIE | (3ull << 13); /* FS dirty, as the guest's kernel left it */
    p->kernel_sp = KSP;
    p->kernel_tp = KTP;
}

TEST(flag_in_any_nonzero_is_on)
{
    struct vcpu_arch a;
    struct hv_vcpu_page p;

    fresh(&a, &p);
    p.irq_on = 0x8000000000000000ull;
    vpage_sync_in(&a, &p);
    CHECK(a.vs.vsstatus & SSTATUS_SIE);
    p.irq_on = 0;
    vpage_sync_in(&a, &p);
    CHECK(!(a.vs.vsstatus & SSTATUS_SIE));
}

TEST(flag_out_reports_masked_pending_only)
{
    struct vcpu_arch a;
    struct hv_vcpu_page p;

    fresh(&a, &p);
    a.vs.hvip = 1ull << (IRQ_S_TIMER + 1); /* hvip numbering: the S bit + 1 */
    p.irq_pending = 0x222;                 /* forged by the guest: overwritten */
    vpage_sync_out(&a, &p);
    CHECK_EQ(p.irq_on, 0);
    CHECK_EQ(p.irq_pending, 1ull << IRQ_S_TIMER);
    a.vs.vsie = 0; /* not enabled in sie: nothing to call for */
    vpage_sync_out(&a, &p);
    CHECK_EQ(p.irq_pending, 0);
    a.vs.vsie = PRIV_SIE_MASK;
    a.vs.vsstatus |= SSTATUS_SIE;
    vpage_sync_out(&a, &p);
    CHECK_EQ(p.irq_on, 1);
    CHECK_EQ(p.irq_pending, 0);
}

TEST(forward_from_user_switches_stack)
{
    struct vcpu_arch a;
    struct hv_vcpu_page p;

    fresh(&a, &p);
    a.tv.vmode = 0;
    a.vs.vsstatus |= SSTATUS_SIE; /* as a return to user mode leaves it */
    a.regs.sepc = UPC;
    a.regs.x[REG_SP] = 0x3ffff000;
    a.regs.x[4] = 0x1234;
    priv_enter_trap(&a, EXC_U_ECALL, 0);
    vpage_forward(&a, &p, 1);
    CHECK_EQ(a.regs.sepc, STVEC);
    CHECK_EQ(p.sepc, UPC);
    CHECK_EQ(p.scause, EXC_U_ECALL);
    CHECK_EQ(p.stval, 0);
    CHECK(!(p.sstatus & SSTATUS_SPP));
    CHECK(p.sstatus & SSTATUS_SPIE);
    CHECK_EQ(p.sstatus & SSTATUS_FS, 3ull << 13);
    CHECK_EQ(p.irq_on, 0);
    CHECK_EQ(p.user_sp, 0x3ffff000);
    CHECK_EQ(p.user_tp, 0x1234);
    CHECK_EQ(a.regs.x[REG_SP], KSP);
    CHECK_EQ(a.regs.x[4], KTP);
}

TEST(forward_from_kernel_keeps_registers)
{
    struct vcpu_arch a;
    struct hv_vcpu_page p;

    fresh(&a, &p);
    a.tv.vmode = 1;
    a.vs.vsstatus |= SSTATUS_SIE;
    a.regs.sepc = 0x80001234;
    a.regs.x[REG_SP] = KSP - 64;
    a.regs.x[4] = KTP;
    p.user_sp = 0x55;
    priv_enter_trap(&a, SCAUSE_IRQ | IRQ_S_TIMER, 0);
    vpage_forward(&a, &p, 0);
    CHECK_EQ(p.sepc, 0x80001234);
    CHECK_EQ(p.scause, SCAUSE_IRQ | IRQ_S_TIMER);
    CHECK(p.sstatus & SSTATUS_SPP);
    CHECK(p.sstatus & SSTATUS_SPIE);
    CHECK(!(p.sstatus & SSTATUS_SIE));
    CHECK_EQ(a.regs.x[REG_SP], KSP - 64);
    CHECK_EQ(p.user_sp, 0x55); /* untouched: no user state was interrupted */
}

TEST(return_to_user)
{
    struct vcpu_arch a;
    struct hv_vcpu_page p;

    fresh(&a, &p);
    a.tv.vmode = 1;
    p.ret_pc = UPC + 4;
    p.ret_status = SSTATUS_SPIE | (2ull << 13); /* SPP user, FS clean */
    p.ret_a0 = 1;
    p.ret_a1 = 2;
    p.ret_a6 = 6;
    p.ret_a7 = 7;
    uint64_t changed = vpage_return(&a, &p);
    CHECK_EQ(a.tv.vmode, 0);
    CHECK_EQ(a.regs.sepc, UPC + 4);
    CHECK(a.vs.vsstatus & SSTATUS_SIE);
    CHECK(a.vs.vsstatus & SSTATUS_SPIE);
    CHECK_EQ(a.vs.vsstatus & SSTATUS_FS, 2ull << 13);
    CHECK_EQ(changed & SSTATUS_MXR, 0);
    CHECK_EQ(a.regs.x[REG_A0], 1);
    CHECK_EQ(a.regs.x[REG_A1], 2);
    CHECK_EQ(a.regs.x[REG_A6], 6);
    CHECK_EQ(a.regs.x[REG_A7], 7);
}

TEST(return_hostile_values)
{
    struct vcpu_arch a;
    struct hv_vcpu_page p;

    fresh(&a, &p);
    a.tv.vmode = 1;
    /* Every bit set: only the writable sstatus bits land; the pc keeps bit 0 clear; the mode is the
     * guest's own kernel mode (its kernel runs deprivileged anyway). */
    p.ret_pc = ~0ull;
    p.ret_status = ~0ull;
    uint64_t changed = vpage_return(&a, &p);
    CHECK_EQ(a.regs.sepc, ~1ull);
    CHECK_EQ(a.tv.vmode, 1);
    CHECK_EQ(a.vs.vsstatus & ~(PRIV_SSTATUS_WRITABLE | (3ull << 32)), 0);
    CHECK(!(a.vs.vsstatus & SSTATUS_SPP));
    CHECK(changed & SSTATUS_MXR); /* the caller drops the shadow entries made for the old MXR */
}
