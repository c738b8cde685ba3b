// SPDX-License-Identifier: MIT
// Delegation test: breakpoints, page faults and U-mode system calls all handled inside the guest.
#include "guest.h"

#define FAULT_VA 0xc0000000ul /* outside every mapping this guest has */

static unsigned breakpoints, load_faults, store_faults, fetch_faults, snoop_faults;
static volatile uint64_t secret = 0x5ec2e7;

static USER_TEXT void exit_task(void)
{
    sys_call(SYS_EXIT, 0, 0);
}

static bool deleg_hook(struct trap_frame *f, uint64_t cause, uint64_t tval)
{
    switch (cause) {
    case EXC_BREAKPOINT: {
        /* Step over ebreak (4 bytes) or c.ebreak (2). */
        uint16_t lo = *(const uint16_t *)f->sepc;
        f->sepc += (lo & 3) == 3 ? 4 : 2;
        breakpoints++;
        return true;
    }
    case EXC_LOAD_PF:
    case EXC_STORE_PF:
        /* A task reading kernel memory: the fault is ours to handle, and the task ends. */
        if (!(f->sstatus & (1ul << 8)) && tval == (uint64_t)&secret) { /* SPP 0: from user mode */
            snoop_faults++;
            f->sepc = (uint64_t)exit_task;
            return true;
        }
        /* Demand paging: give the faulting page a frame and retry the access. */
        if (tval < FAULT_VA || tval >= FAULT_VA + 16 * PAGE_SIZE) {
            return false;
        }
        pt_map(kernel_root, tval & ~(PAGE_SIZE - 1), (uint64_t)page_alloc(), PTE_R | PTE_W);
        pt_sync();
        cause == EXC_LOAD_PF ? load_faults++ : store_faults++;
        return true;
    case EXC_INSN_PF:
        /* A call into nowhere: return to the caller. */
        f->sepc = f->x[1];
        fetch_faults++;
        return true;
    default:
        return false;
    }
}

/* Tries to read a kernel variable from user mode: the load must fault (and never return here). */
static USER_TEXT void snoop_task(long addr)
{
    long v = (long)*(volatile uint64_t *)addr;
    sys_call(SYS_WRITE, (long)"snoop: read kernel memory!\n", 27 + 0 * v);
    sys_call(SYS_EXIT, 0, 0);
}

static USER_TEXT void syscall_task(long n)
{
    for (long i = 0; i < n; i++) {
        sys_call(SYS_GETPID, 0, 0);
    }
    sys_call(SYS_EXIT, 0, 0);
}

void guest_main(unsigned long hartid, unsigned long dtb)
{
    (void)hartid;
    (void)dtb;
    trap_set_hook(deleg_hook);

    __asm__ volatile("ebreak");
    __asm__ volatile("c.ebreak");
    __asm__ volatile("ebreak");

    volatile uint64_t *p = (volatile uint64_t *)FAULT_VA;
    uint64_t v = p[0];               /* load fault: mapped on demand */
    p[PAGE_SIZE / 8] = 0x1234 + v;   /* store fault on the next page */
    void (*nowhere)(void) = (void (*)(void))(FAULT_VA + 8 * PAGE_SIZE);
    nowhere();                       /* fetch fault: not executable */

    task_create(syscall_task, 100);
    task_create(syscall_task, 50);
    task_create(snoop_task, (long)&secret);
    int ran = task_run_all();

    kprintf("deleg: breakpoints %u\n", breakpoints);
    kprintf("deleg: page faults load %u store %u fetch %u\n", load_faults, store_faults, fetch_faults);
    kprintf("deleg: tasks %d, readback 0x%lx\n", ran, (unsigned long)p[PAGE_SIZE / 8]);
    kprintf("deleg: user read of kernel memory faulted in the guest %u time(s)\n", snoop_faults);
}
