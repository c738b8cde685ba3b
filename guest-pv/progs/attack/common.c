// SPDX-License-Identifier: MIT
// Helpers shared by the attack pack's parts (attack.h): the pinned tree, one-entry updates,
// results.
#include <string.h>

#include "attack.h"

uint64_t at_mo, at_ubit;
volatile uint64_t at_faults, at_cause, at_tval;
static uint64_t snap[512];

void at_init(void)
{
    struct sbiret f = hv_call(HV_FID_PROBE, 0, 0, 0);
    at_mo = (uint64_t)hv_call(HV_FID_MACHINE_OFFSET, 0, 0, 0).value;
    at_ubit = ((uint64_t)f.value & HV_FEAT_USER_ROOT) ? PTE_U : 0;
}

void at_result(const char *name, const char *what, long v)
{
    kprintf("attack: %s: result %s %ld\n", name, what, v);
}

long at_update1(uint64_t ptr_gpa, uint64_t val)
{
    static struct hv_mmu_update u;
    u.ptr = AT_MA(ptr_gpa);
    u.val = val;
    return hv_call(HV_FID_MMU_UPDATE, (unsigned long)&u, 1, 0).error;
}

long at_build_and_pin(void)
{
    for (uint64_t a = AT_TABLES; a < AT_TABLES + 0x5000; a += 0x1000) {
        memset((void *)a, 0, 4096);
    }
    uint64_t *root = (uint64_t *)AT_ROOT, *l1 = (uint64_t *)AT_L1, *l0 = (uint64_t *)AT_L0;
    root[2] = AT_PTE(AT_L1, 0);
    for (uint64_t i = 0; i < 8; i++) {
        l1[i] = AT_PTE(AT_RAM + i * 2 * AT_MB, PTE_R | PTE_W | PTE_X | PTE_A | PTE_D);
    }
    l1[5] = AT_PTE(AT_L0, 0);
    /* The tables read-only, as the validator wants; the rest of their 2 MiB writable. */
    for (uint64_t i = 0; i < 5; i++) {
        l0[i] = AT_PTE(AT_TABLES + i * 0x1000, PTE_R | PTE_A);
    }
    for (uint64_t i = 16; i < 32; i++) {
        l0[i] = AT_PTE(AT_TABLES + i * 0x1000, PTE_R | PTE_W | PTE_A | PTE_D);
    }
    return hv_call(HV_FID_PIN_TABLE, AT_MA(AT_ROOT), 0, 0).error;
}

void at_snap(uint64_t gpa)
{
    memcpy(snap, (const void *)gpa, sizeof snap);
}

bool at_same(uint64_t gpa)
{
    __asm__ volatile("fence rw, rw" ::: "memory");
    return memcmp(snap, (const void *)gpa, sizeof snap) == 0;
}

bool at_fault_hook(struct trap_frame *f, uint64_t cause, uint64_t tval)
{
    if (cause & CAUSE_IRQ) {
        return false;
    }
    at_faults++;
    at_cause = cause;
    at_tval = tval;
    if (cause == 1 || cause == EXC_INSN_PF) {
        f->sepc = f->x[1]; /* a fetch fault: the call that jumped there returns */
        return true;
    }
    uint16_t lo = *(const uint16_t *)f->sepc;
    f->sepc += (lo & 3) == 3 ? 4 : 2;
    return true;
}

static USER_TEXT void user_exit_stub(void)
{
    sys_call(SYS_EXIT, 0, 0);
}

bool at_user_hook(struct trap_frame *f, uint64_t cause, uint64_t tval)
{
    if (cause & CAUSE_IRQ || (f->sstatus & (1ul << 8))) {
        return at_fault_hook(f, cause, tval);
    }
    if (cause == EXC_U_ECALL && f->x[17] == HV_EXT) {
        /* A hypercall from user mode (vpage-return-from-user): it must arrive here, as a system call. */
        at_faults++;
        at_cause = cause;
        f->sepc = (uint64_t)user_exit_stub;
        return true;
    }
    if (cause == EXC_U_ECALL) {
        return false; /* its system calls */
    }
    /* From user mode: the task's fault is the kernel's to handle; it ends the task. */
    at_faults++;
    at_cause = cause;
    f->sepc = (uint64_t)user_exit_stub;
    return true;
}

void at_hook_faults(void)
{
    at_faults = 0;
    trap_set_hook(at_fault_hook);
}
