// SPDX-License-Identifier: MIT
// Recorders for what hyp/sbi and hyp/pv call outside themselves (console, scheduler, VM life cycle,
// the engine's TLB and root hooks, frame allocator, host disk), so the SBI fuzzer runs them on the
// host.
#include "sbi_stubs.h"

#include <stdlib.h>
#include <string.h>

#include "console.h"
#include "drv/virtio_blk.h"
#include "hvabi.h"
#include "hyp.h"
#include "sched.h"
#include "smp.h"
#include <arch/arch.h>

struct stub_state stub;
struct arch_fw_info fw_info = { .mvendorid = 0x489, .marchid = 0x8000000000000007ul, .mimpid = 1 };
bool arch_engine_trap;
struct boot_options boot_options;
struct platform_info platform;
static struct pcpu this_cpu;

void stub_reset(const uint8_t *input, size_t len)
{
    long out = stub.frames_out;
    memset(&stub, 0, sizeof stub);
    stub.frames_out = out;
    stub.input = input;
    stub.input_len = len;
    memset(&this_cpu, 0, sizeof this_cpu);
}

/* ---- console ---- */

void console_guest_putc(struct vm *vm, char c)
{
    (void)vm;
    (void)c;
    stub.output_len++;
}

void console_guest_write(struct vm *vm, const char *buf, size_t len)
{
    (void)vm;
    /* Touch every byte, so ASan sees a buffer that is not all the guest's. */
    volatile char sink = 0;
    for (size_t i = 0; i < len; i++) {
        sink ^= buf[i];
    }
    (void)sink;
    stub.output_len += len;
}

/* Fair share: the fuzzed VM is the only guest, so it may write a whole batch. */
size_t console_guest_allow(struct vm *vm, const char *buf, size_t len)
{
    (void)vm;
    (void)buf;
    return len < CONSOLE_SLICE_BYTES ? len : CONSOLE_SLICE_BYTES;
}

bool console_guest_putc_quick(struct vm *vm, char c)
{
    (void)vm;
    (void)c;
    stub.output_len++;
    return true;
}

int console_guest_getc(struct vm *vm)
{
    (void)vm;
    if (stub.input_len == 0) {
        return -1;
    }
    stub.input_len--;
    return *stub.input++;
}

void hyp_log(const char *fmt, ...)
{
    (void)fmt;
}

/* ---- VMs, vCPUs, scheduler ---- */

void vm_stop(struct vm *vm, const char *why)
{
    (void)why;
    vm->state = VM_STOPPED;
    for (unsigned i = 0; i < vm->nvcpus; i++) {
        vm->vcpus[i].state = VCPU_OFF;
    }
    stub.stops++;
}

bool vm_can_progress(const struct vm *vm)
{
    for (unsigned i = 0; i < vm->nvcpus; i++) {
        if (vm->vcpus[i].state != VCPU_OFF) {
            return true;
        }
    }
    return false;
}

void vm_crash(struct vm *vm, const char *why)
{
    vm_stop(vm, why); /* no restarts configured */
}

void vm_reboot(struct vm *vm, bool cold)
{
    (void)vm;
    (void)cold;
    stub.reboots++;
}

struct vcpu *vm_vcpu(struct vm *vm, unsigned long hartid)
{
    return hartid < vm->nvcpus ? &vm->vcpus[hartid] : NULL;
}

void vcpu_start(struct vcpu *v, uint64_t entry, uint64_t arg)
{
    /* As vcpu_arch_reset does: a fresh vCPU, not on any validated root. */
    memset(&v->arch.regs, 0, sizeof v->arch.regs);
    v->arch.regs.sepc = entry;
    v->arch.regs.x[REG_A0] = v->id;
    v->arch.regs.x[REG_A1] = arg;
    v->state = VCPU_RUNNABLE;
    stub.satp[v->id] = 0;
    stub.user_root[v->id] = 0;
}

void sched_sleep(struct vcpu *v, enum vcpu_state state)
{
    v->state = state;
}

void sched_yield_soon(void)
{
}

/* ---- one hart: nothing crosses to another (every vCPU's pcpu is this one) ---- */
void sched_virq_raised(struct vcpu *v)
{
    (void)v;
}

void smp_raise_remote(struct vcpu *t, unsigned irq, bool level)
{
    (void)t;
    (void)irq;
    (void)level;
    abort(); /* no vCPU is on another hart here */
}

long vcpu_arch_remote_flush_vvma(uint64_t harts, uint64_t start, uint64_t size, long asid)
{
    (void)harts;
    (void)start;
    (void)size;
    (void)asid;
    abort();
}

uint64_t smp_other_harts(const struct vm *target)
{
    (void)target;
    return 0;
}

_Noreturn void hyp_panic(const char *fmt, ...)
{
    (void)fmt;
    abort();
}

long arch_fw_remote_fence_i(uint64_t harts)
{
    (void)harts;
    abort();
}


void sched_timer_changed(struct vcpu *v)
{
    (void)v;
}

struct pcpu *arch_this_cpu(void)
{
    return &this_cpu;
}

/* ---- the engine's hooks ---- */

void vcpu_arch_set_timer(struct vcpu *v, uint64_t deadline)
{
    (void)v;
    stub.timer = deadline;
}

void vcpu_arch_set_virq(struct vcpu *v, unsigned irq, bool on)
{
    stub.virq[v->id] = on ? stub.virq[v->id] | 1ull << irq : stub.virq[v->id] & ~(1ull << irq);
}

bool vcpu_arch_virq_pending(const struct vcpu *v, unsigned irq)
{
    return (stub.virq[v->id] >> irq) & 1;
}

void vcpu_arch_fence_i(void)
{
    stub.fence_is++;
}

void vm_arch_guest_write(struct vm *vm, uint64_t gpa, uint64_t len)
{
    (void)vm;
    (void)gpa;
    (void)len;
}

void vcpu_arch_tables_retyped(void)
{
}

void vcpu_arch_flush_vvma(uint64_t start, uint64_t size, long asid)
{
    (void)start;
    (void)size;
    (void)asid;
    stub.flushes++;
}

/* The legacy calls pass hart masks by virtual address; with paging off it is guest physical. */
bool vcpu_arch_read_guest_u64(struct vcpu *v, uint64_t gva, uint64_t *val)
{
    const uint64_t *p = (gva & 7) == 0 && gva >= VM_RAM_BASE && gva - VM_RAM_BASE < v->vm->ram_size
                            ? (const uint64_t *)(uintptr_t)(v->vm->ram_hpa + (gva - VM_RAM_BASE))
                            : NULL;
    if (!p) {
        return false;
    }
    *val = *p;
    return true;
}

void vcpu_arch_set_root(struct vcpu *v, uint64_t satp, uint64_t user_root)
{
    stub.satp[v->id] = satp;
    stub.user_root[v->id] = user_root;
}

bool vcpu_arch_root_in_use(const struct vcpu *v, uint64_t root)
{
    uint64_t s = stub.satp[v->id];
    return ((s >> 60) != 0 && ((s & ((1ull << 44) - 1)) << 12) == root) ||
           (stub.user_root[v->id] != 0 && stub.user_root[v->id] == root);
}

uint64_t vcpu_arch_get_satp(const struct vcpu *v)
{
    return stub.satp[v->id];
}

bool vcpu_arch_has_vcpu_page(void)
{
    return false;
}

long vcpu_arch_set_vcpu_page(struct vcpu *v, uint64_t gpa)
{
    (void)v;
    (void)gpa;
    return SBI_ERR_NOT_SUPPORTED;
}

long vcpu_arch_trap_return(struct vcpu *v)
{
    (void)v;
    return SBI_ERR_NOT_SUPPORTED;
}

bool vcpu_arch_has_tables_fenced(void)
{
    return false;
}

long vcpu_arch_tables_fenced(struct vcpu *v)
{
    (void)v;
    return SBI_ERR_NOT_SUPPORTED;
}

/* Batched updates of shadowed tables: offered, so that their argument checks are fuzzed too; a
 * frame whose address has bit 12 set stands for a write-protected table, and an update at a gpa whose
 * low bits say so for one that took every tree. */
bool vcpu_arch_has_tables_batched(void)
{
    return true;
}

enum arch_table_update vcpu_arch_table_updated(struct vcpu *v, uint64_t gpa, uint64_t old, uint64_t now)
{
    (void)v, (void)old, (void)now;
    if ((gpa & 0x38) == 0x38) {
        return ARCH_TABLE_ALL_DROPPED;
    }
    return (gpa & 0x1000) ? ARCH_TABLE_FOLLOWED : ARCH_TABLE_UNPROTECTED;
}

void vcpu_arch_drop_pages(struct vcpu *v, uint64_t root, uint64_t lo, uint64_t hi)
{
    (void)v, (void)root;
    if (hi <= lo || (lo >> 21) != ((hi - 1) >> 21)) {
        __builtin_trap(); /* the caller gathers pages of one region */
    }
}

void vcpu_arch_set_shadow_root(struct vcpu *v, uint64_t satp)
{
    (void)v, (void)satp;
}

/* Like the trap engine's: a global leaf (no U) outside every guest. */
uint64_t arch_reserved_root_entry(void)
{
    return STUB_RESERVED_ENTRY;
}

/* ---- frames and the host disk ---- */

uint64_t hyp_alloc_frames(uint64_t n, uint64_t align)
{
    void *p = NULL;
    if (n == 0 || n > 1024 || posix_memalign(&p, align < 8 ? 8 : align, n * 4096) != 0) {
        return 0;
    }
    memset(p, 0, n * 4096);
    stub.frames_out += (long)n;
    return (uint64_t)(uintptr_t)p;
}

uint64_t hyp_alloc_frames_unzeroed(uint64_t n, uint64_t align)
{
    uint64_t pa = hyp_alloc_frames(n, align);
    if (pa) {
        memset((void *)(uintptr_t)pa, 0xa5, n * 4096); /* what RAM may hold */
    }
    return pa;
}

void hyp_free_frames(uint64_t pa, uint64_t n)
{
    stub.frames_out -= (long)n;
    free((void *)(uintptr_t)pa);
}

/* vm.c's frame accounting, over the stub allocator above. */
uint64_t vm_alloc_frames(struct vm *owner, uint64_t n, uint64_t align)
{
    uint64_t pa = hyp_alloc_frames(n, align);
    owner->frames_held += pa ? n : 0;
    return pa;
}

void vm_free_frames(struct vm *owner, uint64_t pa, uint64_t n)
{
    hyp_free_frames(pa, n);
    owner->frames_held -= n;
}

bool virtio_blk_init(void)
{
    return false;
}

uint64_t virtio_blk_capacity(void)
{
    return 0;
}

/* No host disk in the fuzzer: its guests have RAM disks, and nothing below is reached. */
bool virtio_blk_flushes(void)
{
    return false;
}

bool virtio_blk_submit(enum blk_op op, uint64_t sector, uint8_t *buf, uint32_t len)
{
    (void)op;
    (void)sector;
    (void)buf;
    (void)len;
    return false;
}

bool virtio_blk_answered(enum blk_status *st)
{
    (void)st;
    return false;
}

bool virtio_blk_reset(void)
{
    return true;
}

uint64_t arch_time(void)
{
    return 0;
}

bool vm_lock(struct vm *vm)
{
    (void)vm;
    return false; /* one hart: nothing to lock */
}

void vm_unlock(struct vm *vm, bool taken)
{
    (void)vm;
    (void)taken;
}
