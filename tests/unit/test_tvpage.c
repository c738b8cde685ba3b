// SPDX-License-Identifier: MIT
// The trap engine's vCPU page in a VM (arch/riscv/tvpage.c): the short path's system call and
// return from a trap (tv_vpage_fast_syscall/return) leave the vCPU and the page exactly as the full
// path's steps do (tv_vpage_in, tv_enter_trap or tv_trap_return, tv_vpage_out), decline what is the
// full path's alone (an MXR change, the wrong mode, a page that became a validated table) with
// nothing changed, and read the page's return fields once.
#include "check.h"
#include "sbi_env.h"

#include <arch/privemu.h>
#include <arch/vpage.h>

#include "exit.h"

#include "../../arch/riscv/tengine_int.h"

#define VPAGE_GPA (VM_RAM_BASE + 0x3000)
#define STVEC 0x80002000ull

static unsigned drops;

void tv_drop_all(struct vcpu *t)
{
    (void)t;
    drops++;
}

/* The fill of a forwarded fault's page (ttables.c): when each return asks for it, in which mode. */
static unsigned refills;
static uint64_t refill_vmode;

void tv_refill(struct vcpu *t)
{
    refills++;
    refill_vmode = t->arch.tv.vmode;
}

static volatile struct hv_vcpu_page *page(void)
{
    return (volatile struct hv_vcpu_page *)(ram + (VPAGE_GPA - VM_RAM_BASE));
}

/* A vCPU in the guest's user mode (vmode 0) or kernel mode, its page registered and filled. */
static void fresh(uint64_t vmode)
{
    setup();
    v->arch.tv.vmode = vmode;
    v->arch.vs.vstvec = STVEC;
    v->arch.vs.vsie = PRIV_SIE_MASK;
    v->arch.vs.vsstatus = SSTATUS_SPIE | (3ull << 13);
    v->arch.vs.hvip = 1ull << (IRQ_S_TIMER + 1);
    CHECK_EQ(tv_set_vcpu_page(v, VPAGE_GPA), SBI_SUCCESS);
    volatile struct hv_vcpu_page *p = page();
    p->irq_on = 1;
    p->irq_pending = 0x5a5a; /* forged: each way overwrites it */
    p->kernel_sp = 0xffffffff80ff0000ull;
    p->kernel_tp = 0xffffffff80aa0000ull;
    p->ret_pc = 0x10001;
    p->ret_status = SSTATUS_SPIE | SSTATUS_SUM | (3ull << 13);
    p->ret_a0 = 10;
    p->ret_a1 = 11;
    p->ret_a6 = 16;
    p->ret_a7 = 17;
}

struct state {
    struct vcpu_arch a;
    struct hv_vcpu_page p;
};

static void snapshot(struct state *s)
{
    s->a = v->arch;
    memcpy(&s->p, (const void *)page(), sizeof(s->p));
}

static bool same(const struct state *x, const struct state *y)
{
    return memcmp(&x->a, &y->a, sizeof(x->a)) == 0 && memcmp(&x->p, &y->p, sizeof(x->p)) == 0;
}

TEST(fast_system_call_is_the_full_paths)
{
    struct state fast, full;

    fresh(0);
    v->arch.regs.x[REG_SP] = 0x3ffff000;
    v->arch.regs.x[4] = 0x3fff0000;
    v->arch.regs.sepc = 0x10400;
    CHECK(tv_vpage_fast_syscall(v));
    snapshot(&fast);
    CHECK_EQ(fast.a.regs.sepc, STVEC);
    CHECK_EQ(fast.a.regs.x[REG_SP], 0xffffffff80ff0000ull);
    CHECK_EQ(fast.p.user_sp, 0x3ffff000);
    CHECK_EQ(fast.p.scause, EXC_U_ECALL);
    CHECK_EQ(fast.p.irq_on, 0);

    fresh(0);
    v->arch.regs.x[REG_SP] = 0x3ffff000;
    v->arch.regs.x[4] = 0x3fff0000;
    v->arch.regs.sepc = 0x10400;
    tv_vpage_in(v);
    tv_enter_trap(&v->arch, EXC_U_ECALL, 0);
    tv_vpage_out(v);
    snapshot(&full);
    CHECK(same(&fast, &full));
}

TEST(fast_return_is_the_full_paths)
{
    struct state fast, full;

    fresh(1);
    refills = 0;
    refill_vmode = 1;
    CHECK(tv_vpage_fast_return(v));
    CHECK_EQ(refills, 1); /* after the mode changed: the fill is for the user view */
    CHECK_EQ(refill_vmode, 0);
    snapshot(&fast);
    CHECK_EQ(fast.a.regs.sepc, 0x10000); /* bit 0 cleared */
    CHECK_EQ(fast.a.tv.vmode, 0);
    CHECK_EQ(fast.a.regs.x[REG_A7], 17);

    fresh(1);
    tv_vpage_in(v);
    refill_vmode = 1;
    CHECK_EQ(tv_trap_return(v), SBI_SUCCESS);
    CHECK_EQ(refills, 2);
    CHECK_EQ(refill_vmode, 0);
    tv_vpage_out(v);
    snapshot(&full);
    CHECK(same(&fast, &full));
    CHECK_EQ(drops, 0);
}

TEST(fast_paths_decline_what_is_not_theirs)
{
    struct state before, after;

    /* A return that changes MXR: every tree goes, the full path's work. */
    fresh(1);
    page()->ret_status |= SSTATUS_MXR;
    snapshot(&before);
    CHECK(!tv_vpage_fast_return(v));
    snapshot(&after);
    CHECK(same(&before, &after));
    /* The wrong mode for each. */
    fresh(0);
    snapshot(&before);
    CHECK(!tv_vpage_fast_return(v));
    snapshot(&after);
    CHECK(same(&before, &after));
    fresh(1);
    snapshot(&before);
    CHECK(!tv_vpage_fast_syscall(v));
    snapshot(&after);
    CHECK(same(&before, &after));
    /* No page registered. */
    fresh(0);
    CHECK_EQ(tv_set_vcpu_page(v, 0), SBI_SUCCESS);
    CHECK(!tv_vpage_fast_syscall(v));
    CHECK_EQ(drops, 0);
}
