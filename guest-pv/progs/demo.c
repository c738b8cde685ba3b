// SPDX-License-Identifier: MIT
// The demo guest: a compute checksum, two U-mode tasks with system calls, and timer ticks through WFI.
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

/* FNV-1a over an xorshift stream: the same number on every run and every engine. */
static uint64_t checksum(unsigned rounds)
{
    uint64_t x = 88172645463325252ull, h = 1469598103934665603ull;

    for (unsigned i = 0; i < rounds; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        h = (h ^ (x & 0xff)) * 1099511628211ull;
    }
    return h;
}

void guest_main(unsigned long hartid, unsigned long dtb)
{
    (void)dtb;
    kprintf("guest-pv demo on hart %lu\n", hartid);
    kprintf("compute: checksum %016lx\n", (unsigned long)checksum(200000));

    task_create(task_body, 1);
    task_create(task_body, 2);
    kprintf("tasks: %d finished\n", task_run_all());

    /* Three timer ticks, sleeping in between: the hart goes to the other guest meanwhile. */
    irq_timer_enable(true);
    for (int i = 0; i < 3; i++) {
        uint64_t start = timer_ticks;
        sbi_call(SBI_EXT_TIME, SBI_TIME_SET_TIMER, csr_time() + 100000, 0, 0, 0, 0, 0);
        while (timer_ticks == start) {
            wait_for_interrupt();
        }
    }
    kprintf("timer: %lu ticks\n", (unsigned long)timer_ticks);
    kprintf("demo done\n");
}
