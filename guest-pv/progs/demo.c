// SPDX-License-Identifier: MIT
// The demo guest: every workload once (compute, null calls, console, page-table churn), two U-mode
// tasks with system calls, and timer ticks through WFI.
#include "guest.h"

USER_RODATA static const char msg_hello[] = "task ";
USER_RODATA static const char msg_step[] = ": step ";
USER_RODATA static const char msg_nl[] = "\n";

static USER_TEXT void user_write(const char *s, long n)
{
    sys_call(SYS_WRITE, (long)s, n);
}

static USER_TEXT void user_write_num(long v)
{
    char d[20];
    int n = 0;

    do {
        d[19 - n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v && n < 20);
    user_write(&d[20 - n], n);
}

/* Each task prints a few steps, yielding in between, so the two tasks' lines interleave. */
static USER_TEXT void task_body(long arg)
{
    long pid = sys_call(SYS_GETPID, 0, 0);

    for (long i = 0; i < 3; i++) {
        user_write(msg_hello, sizeof(msg_hello) - 1);
        user_write_num(pid);
        user_write(msg_step, sizeof(msg_step) - 1);
        user_write_num(arg * 10 + i);
        user_write(msg_nl, 1);
        sys_call(SYS_YIELD, 0, 0);
    }
    sys_call(SYS_EXIT, 0, 0);
}

void guest_main(unsigned long hartid, unsigned long dtb)
{
    (void)dtb;
    uint64_t updates;

    kprintf("guest-pv demo (%s flavour) on hart %lu\n", GUEST_FLAVOUR, hartid);
    kprintf("compute: checksum %016lx\n", (unsigned long)wl_compute(200000));
    kprintf("nullcalls: %u of 1000\n", wl_nullcalls(1000));
    uint64_t bytes;
    uint64_t text = wl_console(8, &bytes);
    kprintf("console: 8 lines, checksum %016lx\n", (unsigned long)text);
    uint64_t churn = wl_ptchurn(4, 32, &updates);
    kprintf("ptchurn: %lu PTE updates, checksum %016lx\n", (unsigned long)updates, (unsigned long)churn);

    task_create(task_body, 1);
    task_create(task_body, 2);
    kprintf("tasks: %d finished\n", task_run_all());

    /* Three timer ticks, sleeping in between: the hart goes to the other guest meanwhile. */
    irq_timer_enable(true);
    for (int i = 0; i < 3; i++) {
        uint64_t start = timer_ticks;
        timer_set(csr_time() + 100000);
        while (timer_ticks == start) {
            wait_for_interrupt();
        }
    }
    kprintf("timer: %lu ticks\n", (unsigned long)timer_ticks);
    kprintf("demo done\n");
}
