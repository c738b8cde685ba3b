// SPDX-License-Identifier: MIT
// U-mode tasks: each with its own Sv39 root, user stack and kernel stack; cooperative round robin.
#include "guest.h"
#include "task_internal.h"

#define MAX_TASKS 8
#define USER_TEXT_VA 0x40000000ul
#define USER_STACK_VA 0x7fff0000ul /* one page, below the kernel's window */
#define KSTACK_SIZE 8192

struct context {
    uint64_t ra, sp, s[12];
};

enum task_state { T_FREE, T_READY, T_DONE };

struct task {
    enum task_state state;
    int pid;
    uint64_t *root;
    user_fn entry;
    long arg;
    struct context ctx;
    uint8_t kstack[KSTACK_SIZE] __attribute__((aligned(16)));
};

void ctx_switch(struct context *old, struct context *next);
void trap_return(struct trap_frame *f);

extern char __user_load[], __user_start[], __user_end[];

static struct task tasks[MAX_TASKS];
static struct task *current;
static struct context sched_ctx;

/* A task's first run: build its user frame at the top of its kernel stack and drop to U-mode. */
static void task_start(void)
{
    struct task *t = current;
    struct trap_frame *f = (struct trap_frame *)(t->kstack + KSTACK_SIZE) - 1;

    for (unsigned i = 0; i < 32; i++) {
        f->x[i] = 0;
    }
    f->x[2] = USER_STACK_VA + PAGE_SIZE;
    f->x[10] = (uint64_t)t->arg;
    f->sepc = (uint64_t)t->entry;
    /* SPP = 0: sret goes to U-mode; SPIE = 1: interrupts on there. */
    uint64_t sstatus;
    __asm__ volatile("csrr %0, sstatus" : "=r"(sstatus));
    f->sstatus = (sstatus & ~0x100ul) | 0x20ul;
    trap_return(f);
}

int task_create(user_fn entry, long arg)
{
    for (int i = 0; i < MAX_TASKS; i++) {
        struct task *t = &tasks[i];
        if (t->state != T_FREE) {
            continue;
        }
        t->root = pt_new_root();
        void *stack = page_alloc();
        if (!t->root || !stack) {
            return -1;
        }
        uint64_t len = (uint64_t)(__user_end - __user_start);
        for (uint64_t off = 0; off < len; off += PAGE_SIZE) {
            pt_map(t->root, USER_TEXT_VA + off, (uint64_t)__user_load + off, PTE_R | PTE_X | PTE_U);
        }
        pt_map(t->root, USER_STACK_VA, (uint64_t)stack, PTE_R | PTE_W | PTE_U);
        pt_pin(t->root);
        t->entry = entry;
        t->arg = arg;
        t->pid = i + 1;
        t->ctx.ra = (uint64_t)task_start;
        t->ctx.sp = (uint64_t)(t->kstack + KSTACK_SIZE - sizeof(struct trap_frame) - 16);
        t->state = T_READY;
        return t->pid;
    }
    return -1;
}

static void task_reap(struct task *t)
{
    uint64_t len = (uint64_t)(__user_end - __user_start);

    pt_unpin(t->root);
    for (uint64_t off = 0; off < len; off += PAGE_SIZE) {
        pt_unmap(t->root, USER_TEXT_VA + off);
    }
    pt_free_user(t->root);
    t->state = T_FREE;
}

int task_run_all(void)
{
    int ran = 0;
    bool any = true;

    while (any) {
        any = false;
        for (int i = 0; i < MAX_TASKS; i++) {
            struct task *t = &tasks[i];
            if (t->state != T_READY) {
                continue;
            }
            any = true;
            current = t;
            pt_switch(t->root, 0);
            ctx_switch(&sched_ctx, &t->ctx);
            current = (struct task *)0;
            if (t->state == T_DONE) {
                pt_switch(kernel_root, 0);
                task_reap(t);
                ran++;
            }
        }
    }
    pt_switch(kernel_root, 0);
    return ran;
}

/* Copies a user buffer after checking it lies in the task's user window: a task cannot make the kernel
 * print kernel memory. SUM lets the kernel read U pages. */
static long sys_write(const char *ubuf, uint64_t len)
{
    char buf[256];
    uint64_t va = (uint64_t)ubuf;

    if (len > sizeof(buf) || va < USER_TEXT_VA || va + len > USER_STACK_VA + PAGE_SIZE || va + len < va) {
        return -1;
    }
    __asm__ volatile("csrs sstatus, %0" : : "r"(1ul << 18));
    for (uint64_t i = 0; i < len; i++) {
        buf[i] = ubuf[i];
    }
    __asm__ volatile("csrc sstatus, %0" : : "r"(1ul << 18));
    kwrite(buf, len);
    return (long)len;
}

void task_syscall(struct trap_frame *f)
{
    long n = (long)f->x[17];

    switch (n) {
    case SYS_WRITE:
        f->x[10] = (uint64_t)sys_write((const char *)f->x[10], f->x[11]);
        break;
    case SYS_GETPID:
        f->x[10] = (uint64_t)current->pid;
        break;
    case SYS_YIELD:
        ctx_switch(&current->ctx, &sched_ctx);
        break;
    case SYS_EXIT:
        current->state = T_DONE;
        ctx_switch(&current->ctx, &sched_ctx);
        break; /* not reached: a finished task is never switched back to */
    default:
        f->x[10] = (uint64_t)-1;
        break;
    }
}
