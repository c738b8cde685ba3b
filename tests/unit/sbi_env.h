/* SPDX-License-Identifier: MIT */
/* What the SBI and hypercall tests share (test_sbi.c, test_hc_work.c): recorders that stand in for
 * the rest of the hypervisor (console, VM stop and reboot, timer, vCPU state, TLB flushes), a VM
 * whose 1 MiB of RAM is host memory with a RAM disk of 64 sectors, and an ecall that goes through
 * the dispatcher as a guest's would. */
#ifndef TESTS_SBI_ENV_H
#define TESTS_SBI_ENV_H

#include <stdint.h>
#include <stdlib.h>

#include <arch/csr.h>

#include "check.h"
#include "drv/virtio_blk.h"
#include "hyp.h"
#include "sbi/hartmask.h"
#include "sbi/sbi.h"
#include "sched.h"
#include "smp.h"
#include "vm.h"

/* ---- recorders for what the extensions ask of the rest of the hypervisor ---- */
struct arch_fw_info fw_info = { .mvendorid = 0x11, .marchid = 0x22, .mimpid = 0x33 };
struct boot_options boot_options;
static char console_out[65536];
static size_t console_len;
static const char *console_in;
static int stopped, crashed, rebooted_cold, rebooted_warm;
static uint64_t timer_set;

void console_guest_putc(struct vm *vm, char c)
{
    (void)vm;
    if (console_len < sizeof(console_out)) {
        console_out[console_len++] = c;
    }
}

void console_guest_write(struct vm *vm, const char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        console_guest_putc(vm, buf[i]);
    }
}

/* Bytes the host console's output ring may still take (tests set it lower: a slow UART). */
static size_t console_room = ~(size_t)0;

size_t console_guest_allow(struct vm *vm, const char *buf, size_t len)
{
    (void)vm;
    (void)buf;
    return len < console_room ? len : console_room;
}

/* As hyp/console.c: only a printable byte the ring takes at once joins the line without the lock. */
bool console_guest_putc_quick(struct vm *vm, char c)
{
    if (c < 0x20 || c >= 0x7f || console_guest_allow(vm, &c, 1) == 0) {
        return false;
    }
    console_guest_putc(vm, c);
    return true;
}

int console_guest_getc(struct vm *vm)
{
    (void)vm;
    return console_in && *console_in ? (unsigned char)*console_in++ : -1;
}

void vm_stop(struct vm *vm, const char *why)
{
    (void)why;
    vm->state = VM_STOPPED;
    stopped++;
}

void sched_timer_changed(struct vcpu *v)
{
    (void)v;
}

/* Set by a test: no vCPU of the guest can ever be woken (every interrupt disabled). */
static bool never_wakes;

bool vm_can_progress(const struct vm *vm)
{
    if (never_wakes) {
        return false;
    }
    for (unsigned i = 0; i < vm->nvcpus; i++) {
        if (vm->vcpus[i].state != VCPU_OFF) {
            return true; /* the stubbed vCPUs can always be woken */
        }
    }
    return false;
}

void vm_crash(struct vm *vm, const char *why)
{
    crashed++;
    vm_stop(vm, why); /* no restarts configured here */
}

void vm_reboot(struct vm *vm, bool cold)
{
    (void)vm;
    cold ? rebooted_cold++ : rebooted_warm++;
}

void vcpu_arch_set_timer(struct vcpu *v, uint64_t deadline)
{
    (void)v;
    timer_set = deadline;
}

/* ---- a VM whose 1 MiB of "RAM" is host memory ---- */
#define RAM_SIZE (1ul << 20)
static struct vm vm;
static struct vcpu *v = &vm.vcpus[0];
static uint8_t *ram;

static struct pcpu this_cpu;
static inline void setup(void)
{
    static const struct vm_config cfg = { .name = "t" };
    if (!ram) {
        ram = aligned_alloc(4096, RAM_SIZE);
    }
    memset(ram, 0, RAM_SIZE);
    memset(&vm, 0, sizeof(vm));
    vm.cfg = &cfg;
    vm.state = VM_RUNNING;
    vm.ram_hpa = (uint64_t)(uintptr_t)ram;
    vm.ram_size = RAM_SIZE;
    /* The tests write guest RAM behind the hypervisor's back: all of it counts as used already. */
    static uint64_t clean_bits[RAM_SIZE / 4096 / 64];
    memset(clean_bits, 0xff, sizeof clean_bits);
    vm.clean = (struct ram_clean){ clean_bits, RAM_SIZE / 4096, 0 };
    vm.nvcpus = 1;
    for (unsigned i = 0; i < VCPU_MAX; i++) {
        vm.vcpus[i].pcpu = &this_cpu;
    }
    v->vm = &vm;
    v->state = VCPU_RUNNABLE;
    v->arch.regs.sepc = 0x80001000;
    for (unsigned r = 1; r < 32; r++) {
        v->arch.regs.x[r] = 0xdead0000u + r; /* to see which registers a call touches */
    }
    console_len = 0;
    console_in = NULL;
    stopped = crashed = rebooted_cold = rebooted_warm = 0;
    console_room = ~(size_t)0;
    never_wakes = false;
    boot_options.reboot_fails = false;
}

static inline void ecall(unsigned long eid, unsigned long fid, unsigned long a0, unsigned long a1,
                         unsigned long a2)
{
    v->arch.regs.x[REG_A7] = eid;
    v->arch.regs.x[REG_A6] = fid;
    v->arch.regs.x[REG_A0] = a0;
    v->arch.regs.x[REG_A1] = a1;
    v->arch.regs.x[REG_A2] = a2;
    sbi_dispatch(v);
}

#define A0 ((long)v->arch.regs.x[REG_A0])
#define A1 (v->arch.regs.x[REG_A1])

/* ---- recorders for HSM, IPI and RFENCE ---- */
static uint64_t virq[VCPU_MAX];
static int fence_i_count, flush_count;
static uint64_t flush_start, flush_size;
static long flush_asid;
static uint64_t guest_word = 0x3; /* what the legacy calls find behind their hart-mask pointer */

struct vcpu *vm_vcpu(struct vm *m, unsigned long hartid)
{
    return hartid < m->nvcpus ? &m->vcpus[hartid] : NULL;
}

void vcpu_start(struct vcpu *t, uint64_t entry, uint64_t arg)
{
    t->arch.regs.sepc = entry;
    t->arch.regs.x[REG_A0] = t->id;
    t->arch.regs.x[REG_A1] = arg;
    t->state = VCPU_RUNNABLE;
}

void sched_sleep(struct vcpu *t, enum vcpu_state state)
{
    t->state = state;
}

/* The queues are hyp/runq.c's (test_runq.c); here a raised interrupt only counts. */
static unsigned virq_raised;
void sched_virq_raised(struct vcpu *t)
{
    (void)t;
    virq_raised++;
}

/* One hart: every vCPU is on it (setup), so nothing is raised or fenced on another. */
void smp_raise_remote(struct vcpu *t, unsigned irq, bool level)
{
    (void)t;
    (void)irq;
    (void)level;
    abort();
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

void vcpu_arch_set_virq(struct vcpu *t, unsigned irq, bool on)
{
    if (on) {
        virq[t->id] |= 1ull << irq;
    } else {
        virq[t->id] &= ~(1ull << irq);
    }
}

bool vcpu_arch_virq_pending(const struct vcpu *t, unsigned irq)
{
    return (virq[t->id] >> irq) & 1;
}

void vcpu_arch_fence_i(void)
{
    fence_i_count++;
}

/* The hext engine's: nothing of its own in guest memory to undo before a store. */
void vm_arch_guest_write(struct vm *target, uint64_t gpa, uint64_t len)
{
    (void)target;
    (void)gpa;
    (void)len;
}

void vcpu_arch_tables_retyped(void)
{
    /* the hext engine: nothing derived from the guest's tables to drop */
}

void vcpu_arch_flush_vvma(uint64_t start, uint64_t size, long asid)
{
    flush_count++;
    flush_start = start;
    flush_size = size;
    flush_asid = asid;
}

bool vcpu_arch_read_guest_u64(struct vcpu *t, uint64_t gva, uint64_t *val)
{
    (void)t;
    if (gva != 0x1000) {
        return false;
    }
    *val = guest_word;
    return true;
}

static inline void smp_setup(unsigned n)
{
    setup();
    vm.nvcpus = n;
    for (unsigned i = 0; i < n; i++) {
        vm.vcpus[i].vm = &vm;
        vm.vcpus[i].id = i;
        vm.vcpus[i].state = i == 0 ? VCPU_RUNNABLE : VCPU_OFF;
    }
    memset(virq, 0, sizeof(virq));
    fence_i_count = flush_count = 0;
}

/* ---- the hypervisor's own extension, dispatched through the same path ---- */
static uint64_t satp_now;

uint64_t hyp_alloc_frames(uint64_t n, uint64_t align)
{
    void *p = aligned_alloc(align, n * 4096);
    memset(p, 0, n * 4096);
    return (uint64_t)(uintptr_t)p;
}

/* Not zeroed: what RAM may hold (the validator's tables are zeroed by the caller, in parts). */
uint64_t hyp_alloc_frames_unzeroed(uint64_t n, uint64_t align)
{
    void *p = aligned_alloc(align, n * 4096);
    memset(p, 0xa5, n * 4096);
    return (uint64_t)(uintptr_t)p;
}

void hyp_free_frames(uint64_t pa, uint64_t n)
{
    (void)n;
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

bool arch_engine_trap; /* the hext engine: stage 2 present, no user roots */

void vcpu_arch_set_root(struct vcpu *t, uint64_t satp, uint64_t user_root)
{
    (void)t;
    (void)user_root;
    satp_now = satp;
}

bool vcpu_arch_root_in_use(const struct vcpu *t, uint64_t root)
{
    (void)t;
    return (satp_now >> 60) != 0 && ((satp_now & ((1ull << 44) - 1)) << 12) == root;
}

uint64_t arch_reserved_root_entry(void)
{
    return 0;
}

uint64_t vcpu_arch_get_satp(const struct vcpu *t)
{
    (void)t;
    return satp_now;
}

/* The hext engine offers no vCPU page; a test may pretend to be the trap engine
 * (vcpu_page_offered), and the registrations that reach the engine are recorded. */
static uint64_t vcpu_page_now;
static bool vcpu_page_offered;

bool vcpu_arch_has_vcpu_page(void)
{
    return vcpu_page_offered;
}

long vcpu_arch_set_vcpu_page(struct vcpu *t, uint64_t gpa)
{
    (void)t;
    vcpu_page_now = gpa;
    return SBI_SUCCESS;
}

long vcpu_arch_trap_return(struct vcpu *t)
{
    (void)t;
    return SBI_ERR_NOT_SUPPORTED;
}

/* The promise to fence (HV_FID_TABLES_FENCED): offered as the vCPU page is; the calls that reach the
 * engine are counted. */
static unsigned tables_fenced_calls;

bool vcpu_arch_has_tables_fenced(void)
{
    return vcpu_page_offered;
}

long vcpu_arch_tables_fenced(struct vcpu *t)
{
    (void)t;
    if (!vcpu_page_offered) {
        return SBI_ERR_NOT_SUPPORTED;
    }
    tables_fenced_calls++;
    return SBI_SUCCESS;
}

/* Batched updates of shadowed tables (HV_FEAT_TABLES_BATCHED): offered as the vCPU page is. The
 * engine write-protects the frame table_protected_frame (an update at table_update_all_at takes every
 * tree); each update that reaches it, and each drop of pages, is recorded. */
struct table_update {
    uint64_t gpa, old, now;
};
struct pages_drop {
    uint64_t root, lo, hi;
};
static struct table_update table_updates[64];
static unsigned ntable_updates;
static struct pages_drop pages_drops[64];
static unsigned npages_drops;
static uint64_t table_protected_frame = ~0ull;
static uint64_t table_update_all_at = ~0ull;
static uint64_t shadow_root_satp;

bool vcpu_arch_has_tables_batched(void)
{
    return vcpu_page_offered;
}

enum arch_table_update vcpu_arch_table_updated(struct vcpu *t, uint64_t gpa, uint64_t old, uint64_t now)
{
    (void)t;
    if (ntable_updates < 64) {
        table_updates[ntable_updates] = (struct table_update){ gpa, old, now };
    }
    ntable_updates++;
    if (gpa == table_update_all_at) {
        return ARCH_TABLE_ALL_DROPPED;
    }
    return (gpa & ~0xfffull) == table_protected_frame ? ARCH_TABLE_FOLLOWED : ARCH_TABLE_UNPROTECTED;
}

void vcpu_arch_drop_pages(struct vcpu *t, uint64_t root, uint64_t lo, uint64_t hi)
{
    (void)t;
    if (npages_drops < 64) {
        pages_drops[npages_drops] = (struct pages_drop){ root, lo, hi };
    }
    npages_drops++;
}

void vcpu_arch_set_shadow_root(struct vcpu *t, uint64_t satp)
{
    (void)t;
    shadow_root_satp = satp;
}

/* ---- block hypercalls on a RAM disk (hyp/blk) of 64 sectors ---- */

/* A host disk (hyp/drv/virtio_blk.c's interface) that answers when a test says so, on a clock the
 * test moves: for the asynchronous path of hyp/blk and the block hypercalls above it. */
#define HOST_SECTORS 128
struct platform_info platform;
static uint64_t t_now;
static struct {
    bool present;
    bool queued, answer, flush_cache;
    enum blk_op op;
    uint64_t sector;
    uint8_t *buf;
    uint32_t len;
    unsigned submits, resets;
    uint8_t bytes[HOST_SECTORS * 512];
} hd;

uint64_t arch_time(void)
{
    return t_now;
}

bool virtio_blk_init(void)
{
    return hd.present;
}

uint64_t virtio_blk_capacity(void)
{
    return hd.present ? HOST_SECTORS : 0;
}

bool virtio_blk_flushes(void)
{
    return hd.flush_cache;
}

bool virtio_blk_submit(enum blk_op op, uint64_t sector, uint8_t *buf, uint32_t len)
{
    CHECK(!hd.queued); /* one request at a time */
    CHECK(op == BLK_FLUSH || (sector + len / 512 <= HOST_SECTORS && len > 0));
    hd.queued = true;
    hd.op = op;
    hd.sector = sector;
    hd.buf = buf;
    hd.len = len;
    hd.submits++;
    return true;
}

bool virtio_blk_answered(enum blk_status *st)
{
    if (!hd.queued || !hd.answer) {
        return false;
    }
    if (hd.op == BLK_READ) {
        memcpy(hd.buf, hd.bytes + hd.sector * 512, hd.len);
    } else if (hd.op == BLK_WRITE) {
        memcpy(hd.bytes + hd.sector * 512, hd.buf, hd.len);
    }
    hd.queued = hd.answer = false;
    *st = BLK_OK;
    return true;
}

bool virtio_blk_reset(void)
{
    hd.resets++;
    hd.queued = hd.answer = false;
    return true;
}

void hyp_log(const char *fmt, ...)
{
    (void)fmt;
}

#define DISK_SECTORS 64
static uint8_t disk_bytes[DISK_SECTORS * 512];

static inline struct hv_blk_req *blk_setup(void)
{
    static const struct vm_config cfg = { .name = "t", .devices = VM_DEV_PLIC };
    setup();
    vm.cfg = &cfg;
    vplic_init(&vm.plic, 1, NULL);
    vm.plic.priority[HV_BLK_IRQ] = 1;
    vm.disk = (struct blk_disk){ .kind = BLK_RAM, .sectors = DISK_SECTORS, .ram = disk_bytes };
    memset(disk_bytes, 0, sizeof disk_bytes);
    return (struct hv_blk_req *)(ram + 0x2000);
}

static inline bool blk_irq_pending(void)
{
    return vm.plic.pending & (1u << HV_BLK_IRQ);
}

/* A VM of these tests is on one hart: nothing to lock (hyp/smp.c). */
static int vm_locks;
bool vm_lock(struct vm *m)
{
    (void)m;
    vm_locks++;
    return false;
}

void vm_unlock(struct vm *m, bool taken)
{
    (void)m;
    CHECK(!taken);
    vm_locks--;
}

/* ---- the scheduler and per-cpu state the IPI path consults ---- */
static struct pcpu this_cpu;
static int yields;

struct pcpu *arch_this_cpu(void)
{
    return &this_cpu;
}

void sched_yield_soon(void)
{
    yields++;
}

#endif
