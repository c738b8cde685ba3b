// SPDX-License-Identifier: MIT
// guest-pv trap handling: system calls from U-mode tasks, the timer tick, and each program's own hook.
#include "guest.h"
#include "task_internal.h"

volatile uint64_t timer_ticks;
static trap_hook hook;

void trap_handler(struct trap_frame *f);

void trap_set_hook(trap_hook h)
{
    hook = h;
}

uint64_t csr_time(void)
{
    uint64_t v;
    __asm__ volatile("rdtime %0" : "=r"(v));
    return v;
}

uint64_t csr_cycle(void)
{
    uint64_t v;
    __asm__ volatile("rdcycle %0" : "=r"(v));
    return v;
}

uint64_t csr_instret(void)
{
    uint64_t v;
    __asm__ volatile("rdinstret %0" : "=r"(v));
    return v;
}

void timer_set(uint64_t when)
{
    /* With Sstc the timer is a CSR of our own (stimecmp, 0x14d): no call, no exit. */
    if (guest_platform.nharts > 0 && guest_platform.harts[0].has_sstc) {
        __asm__ volatile("csrw 0x14d, %0" : : "r"(when));
    } else {
        sbi_call(SBI_EXT_TIME, SBI_TIME_SET_TIMER, when, 0, 0, 0, 0, 0);
    }
}

void irq_timer_enable(bool on)
{
    if (on) {
        __asm__ volatile("csrs sie, %0" : : "r"(1ul << IRQ_TIMER));
    } else {
        __asm__ volatile("csrc sie, %0" : : "r"(1ul << IRQ_TIMER));
    }
}

/* Sleeps until an interrupt is pending, then takes it: WFI with interrupts off closes the race between
 * checking for work and sleeping; enabling SIE afterwards lets the pending one in. */
void wait_for_interrupt(void)
{
    __asm__ volatile("wfi\n csrsi sstatus, 2\n csrci sstatus, 2" ::: "memory");
}

static void panic_trap(struct trap_frame *f, uint64_t cause, uint64_t tval)
{
    kprintf("guest panic: unhandled trap cause 0x%lx tval 0x%lx sepc 0x%lx\n", (unsigned long)cause,
            (unsigned long)tval, (unsigned long)f->sepc);
    sbi_call(SBI_EXT_SRST, SBI_SRST_SYSTEM_RESET, SBI_SRST_TYPE_SHUTDOWN, SBI_SRST_REASON_SYSFAIL, 0, 0,
             0, 0);
}

void trap_handler(struct trap_frame *f)
{
    uint64_t cause, tval;

    __asm__ volatile("csrr %0, scause" : "=r"(cause));
    __asm__ volatile("csrr %0, stval" : "=r"(tval));
    if (hook && hook(f, cause, tval)) {
        return;
    }
    if (cause == (CAUSE_IRQ | IRQ_TIMER)) {
        timer_ticks++;
        /* Turn the tick off until someone asks for another. */
        timer_set(~0ul);
        return;
    }
    if (cause == EXC_U_ECALL) {
        f->sepc += 4;
        task_syscall(f);
        return;
    }
    panic_trap(f, cause, tval);
}
