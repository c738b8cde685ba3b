// SPDX-License-Identifier: MIT
// SBI dispatcher and extensions on the host: register conventions, IDs, errors, and argument checks.
// The platform side (console device, VM stop/reboot, timer CSR) is replaced by recorders below.
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "hyp.h"
#include "sbi/hartmask.h"
#include "sbi/sbi.h"
#include "sched.h"
#include <arch/csr.h>
#include "vm.h"

/* ---- recorders for what the extensions ask of the rest of the hypervisor ---- */
struct arch_fw_info fw_info = { .mvendorid = 0x11, .marchid = 0x22, .mimpid = 0x33 };
static char console_out[65536];
static size_t console_len;
static const char *console_in;
static int stopped, rebooted_cold, rebooted_warm;
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

size_t console_guest_allow(struct vm *vm, size_t len)
{
    (void)vm;
    return len; /* one guest: nobody to share the console with */
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

static void setup(void)
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
    vm.nvcpus = 1;
    v->vm = &vm;
    v->state = VCPU_RUNNABLE;
    v->arch.regs.sepc = 0x80001000;
    for (unsigned r = 1; r < 32; r++) {
        v->arch.regs.x[r] = 0xdead0000u + r; /* to see which registers a call touches */
    }
    console_len = 0;
    console_in = NULL;
    stopped = rebooted_cold = rebooted_warm = 0;
    never_wakes = false;
}

static void ecall(unsigned long eid, unsigned long fid, unsigned long a0, unsigned long a1,
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

TEST(base_functions)
{
    setup();
    ecall(SBI_EXT_BASE, SBI_BASE_GET_SPEC_VERSION, 0, 0, 0);
    CHECK_EQ(A0, 0);
    CHECK_EQ(A1, 2u << 24);
    CHECK_EQ(v->arch.regs.sepc, 0x80001004); /* stepped past the ecall */
    ecall(SBI_EXT_BASE, SBI_BASE_GET_IMPL_ID, 0, 0, 0);
    CHECK_EQ(A1, HV_SBI_IMPL_ID);
    ecall(SBI_EXT_BASE, SBI_BASE_GET_IMPL_VERSION, 0, 0, 0);
    CHECK_EQ(A1, HV_SBI_IMPL_VERSION);
    ecall(SBI_EXT_BASE, SBI_BASE_GET_MVENDORID, 0, 0, 0);
    CHECK_EQ(A1, 0x11);
    ecall(SBI_EXT_BASE, SBI_BASE_GET_MARCHID, 0, 0, 0);
    CHECK_EQ(A1, 0x22);
    ecall(SBI_EXT_BASE, SBI_BASE_GET_MIMPID, 0, 0, 0);
    CHECK_EQ(A1, 0x33);
    ecall(SBI_EXT_BASE, 7, 0, 0, 0);
    CHECK_EQ(A0, SBI_ERR_NOT_SUPPORTED);
    CHECK_EQ(A1, 0);
}

TEST(probe_matches_the_dispatch_table)
{
    static const unsigned long present[] = { SBI_EXT_BASE, SBI_EXT_TIME, SBI_EXT_DBCN, SBI_EXT_SRST,
                                             SBI_EXT_IPI, SBI_EXT_RFENCE, SBI_EXT_HSM,
                                             0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08 };
    static const unsigned long absent[] = { 0x09, 0x0f, 0x11, 0x08000000, 0x0a0b0c0d, ~0ul,
                                            0x504d55 /* PMU */, 0x535553 /* SUSP */ };
    setup();
    for (unsigned i = 0; i < sizeof(present) / sizeof(present[0]); i++) {
        ecall(SBI_EXT_BASE, SBI_BASE_PROBE_EXTENSION, present[i], 0, 0);
        CHECK_EQ(A0, 0);
        CHECK_EQ(A1, 1);
        CHECK(sbi_find_ext(present[i]) != NULL);
    }
    for (unsigned i = 0; i < sizeof(absent) / sizeof(absent[0]); i++) {
        ecall(SBI_EXT_BASE, SBI_BASE_PROBE_EXTENSION, absent[i], 0, 0);
        CHECK_EQ(A1, 0);
        CHECK(sbi_find_ext(absent[i]) == NULL);
    }
}

TEST(unknown_extension_and_registers_preserved)
{
    setup();
    ecall(0x0a0b0c0d, 0, 1, 2, 3);
    CHECK_EQ(A0, SBI_ERR_NOT_SUPPORTED);
    CHECK_EQ(A1, 0);
    for (unsigned r = 1; r < 32; r++) {
        if (r != REG_A0 && r != REG_A1 && r != REG_A2 && r != REG_A6 && r != REG_A7) {
            CHECK_EQ(v->arch.regs.x[r], 0xdead0000u + r);
        }
    }
    CHECK_EQ(v->arch.regs.x[REG_A2], 3);
    CHECK_EQ(v->arch.regs.sepc, 0x80001004);
}

TEST(legacy_calls_leave_a1)
{
    setup();
    ecall(SBI_EXT_LEGACY_CONSOLE_PUTCHAR, 99, 'x', 0x5a5a, 0);
    CHECK_EQ(A0, 0);
    CHECK_EQ(A1, 0x5a5a);
    CHECK_EQ(console_len, 1);
    CHECK_EQ(console_out[0], 'x');
    ecall(SBI_EXT_LEGACY_CONSOLE_GETCHAR, 0, 0, 0x77, 0);
    CHECK_EQ(A0, -1);
    CHECK_EQ(A1, 0x77);
    console_in = "q";
    ecall(SBI_EXT_LEGACY_CONSOLE_GETCHAR, 0, 0, 0, 0);
    CHECK_EQ(A0, 'q');
    /* An unimplemented legacy EID fails in a0 and still preserves a1. */
    ecall(0x0f, 0, 0, 0x66, 0);
    CHECK_EQ(A0, SBI_ERR_NOT_SUPPORTED);
    CHECK_EQ(A1, 0x66);
    ecall(SBI_EXT_LEGACY_SET_TIMER, 0, 12345, 0, 0);
    CHECK_EQ(timer_set, 12345);
    ecall(SBI_EXT_LEGACY_SHUTDOWN, 0, 0, 0, 0);
    CHECK_EQ(stopped, 1);
}

TEST(time_set_timer)
{
    setup();
    ecall(SBI_EXT_TIME, SBI_TIME_SET_TIMER, ~0ul, 0, 0);
    CHECK_EQ(A0, 0);
    CHECK_EQ(timer_set, ~0ul);
    ecall(SBI_EXT_TIME, 1, 5, 0, 0);
    CHECK_EQ(A0, SBI_ERR_NOT_SUPPORTED);
    CHECK_EQ(timer_set, ~0ul);
}

TEST(dbcn_write_reads_guest_memory)
{
    setup();
    memcpy(ram + 0x100, "hello", 5);
    ecall(SBI_EXT_DBCN, SBI_DBCN_WRITE, 5, 0x80000100, 0);
    CHECK_EQ(A0, 0);
    CHECK_EQ(A1, 5);
    CHECK_EQ(console_len, 5);
    CHECK(memcmp(console_out, "hello", 5) == 0);
    ecall(SBI_EXT_DBCN, SBI_DBCN_WRITE, 0, 0x80000100, 0);
    CHECK_EQ(A0, 0);
    CHECK_EQ(A1, 0);
    ecall(SBI_EXT_DBCN, SBI_DBCN_WRITE_BYTE, 0x141, 0, 0); /* only the low byte counts */
    CHECK_EQ(A0, 0);
    CHECK_EQ(console_out[5], 'A');
}

TEST(dbcn_write_is_bounded_per_call)
{
    setup();
    ecall(SBI_EXT_DBCN, SBI_DBCN_WRITE, RAM_SIZE, 0x80000000, 0);
    CHECK_EQ(A0, 0);
    CHECK(A1 > 0 && A1 < RAM_SIZE); /* partial write: the guest loops on the count */
    CHECK_EQ(console_len, A1);
}

TEST(dbcn_rejects_ranges_outside_ram)
{
    static const struct {
        unsigned long n, lo, hi;
    } bad[] = {
        { 1, 0x7fffffff, 0 },                     /* below RAM */
        { 2, 0x80000000 + RAM_SIZE - 1, 0 },      /* runs off the end */
        { 1, 0x80000000 + RAM_SIZE, 0 },          /* one past the end */
        { 16, ~0ul - 7, 0 },                      /* wraps around */
        { ~0ul, 0x80000000, 0 },                  /* length wraps */
        { 1, 0x80000000, 1 },                     /* high address bits */
        { 0, 0x1000, 0 },                         /* empty, but not in RAM */
    };
    setup();
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ecall(SBI_EXT_DBCN, SBI_DBCN_WRITE, bad[i].n, bad[i].lo, bad[i].hi);
        CHECK_EQ(A0, SBI_ERR_INVALID_PARAM);
        ecall(SBI_EXT_DBCN, SBI_DBCN_READ, bad[i].n, bad[i].lo, bad[i].hi);
        CHECK_EQ(A0, SBI_ERR_INVALID_PARAM);
    }
    CHECK_EQ(console_len, 0);
    ecall(SBI_EXT_DBCN, 3, 0, 0, 0);
    CHECK_EQ(A0, SBI_ERR_NOT_SUPPORTED);
}

TEST(dbcn_read_fills_guest_memory)
{
    setup();
    console_in = "abc";
    ecall(SBI_EXT_DBCN, SBI_DBCN_READ, 2, 0x80000200, 0);
    CHECK_EQ(A0, 0);
    CHECK_EQ(A1, 2);
    CHECK(memcmp(ram + 0x200, "ab", 2) == 0);
    CHECK_EQ(ram[0x202], 0);
    ecall(SBI_EXT_DBCN, SBI_DBCN_READ, 8, 0x80000200, 0);
    CHECK_EQ(A1, 1);
    ecall(SBI_EXT_DBCN, SBI_DBCN_READ, 8, 0x80000200, 0);
    CHECK_EQ(A0, 0);
    CHECK_EQ(A1, 0);
}

TEST(srst_types_and_reasons)
{
    setup();
    ecall(SBI_EXT_SRST, SBI_SRST_SYSTEM_RESET, 3, 0, 0);
    CHECK_EQ(A0, SBI_ERR_INVALID_PARAM);
    ecall(SBI_EXT_SRST, SBI_SRST_SYSTEM_RESET, 0xf0000000ul, 0, 0);
    CHECK_EQ(A0, SBI_ERR_INVALID_PARAM);
    ecall(SBI_EXT_SRST, SBI_SRST_SYSTEM_RESET, 1ul << 32, 0, 0); /* upper bits are not ignored */
    CHECK_EQ(A0, SBI_ERR_INVALID_PARAM);
    ecall(SBI_EXT_SRST, SBI_SRST_SYSTEM_RESET, 0, 2, 0);
    CHECK_EQ(A0, SBI_ERR_INVALID_PARAM);
    ecall(SBI_EXT_SRST, SBI_SRST_SYSTEM_RESET, 0, 0xe0000000ul, 0);
    CHECK_EQ(A0, SBI_ERR_INVALID_PARAM);
    ecall(SBI_EXT_SRST, 1, 0, 0, 0);
    CHECK_EQ(A0, SBI_ERR_NOT_SUPPORTED);
    CHECK_EQ(stopped + rebooted_cold + rebooted_warm, 0);

    uint64_t pc = v->arch.regs.sepc;
    ecall(SBI_EXT_SRST, SBI_SRST_SYSTEM_RESET, SBI_SRST_TYPE_COLD_REBOOT, SBI_SRST_REASON_SYSFAIL, 0);
    CHECK_EQ(rebooted_cold, 1);
    CHECK_EQ(v->arch.regs.sepc, pc); /* the reset vCPU is not stepped or written */
    ecall(SBI_EXT_SRST, SBI_SRST_SYSTEM_RESET, SBI_SRST_TYPE_WARM_REBOOT, 0, 0);
    CHECK_EQ(rebooted_warm, 1);
    ecall(SBI_EXT_SRST, SBI_SRST_SYSTEM_RESET, SBI_SRST_TYPE_SHUTDOWN, 0, 0);
    CHECK_EQ(stopped, 1);
}

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

static void smp_setup(unsigned n)
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

TEST(hart_mask_decoding)
{
    uint64_t t;
    CHECK_EQ(sbi_hart_mask(0x3, 0, 4, &t), SBI_SUCCESS);
    CHECK_EQ(t, 0x3);
    CHECK_EQ(sbi_hart_mask(0x1, 3, 4, &t), SBI_SUCCESS);
    CHECK_EQ(t, 0x8);
    CHECK_EQ(sbi_hart_mask(0x2, 3, 4, &t), SBI_ERR_INVALID_PARAM);
    CHECK_EQ(t, 0);
    CHECK_EQ(sbi_hart_mask(0, 99, 4, &t), SBI_SUCCESS); /* names nobody: nothing to check */
    CHECK_EQ(t, 0);
    CHECK_EQ(sbi_hart_mask(1, ~0ul - 1, 4, &t), SBI_ERR_INVALID_PARAM); /* base + i would wrap */
    CHECK_EQ(sbi_hart_mask(1ul << 63, 0, 4, &t), SBI_ERR_INVALID_PARAM);
    CHECK_EQ(sbi_hart_mask(0, ~0ul, 3, &t), SBI_SUCCESS);
    CHECK_EQ(t, 0x7);
}

TEST(ipi_marks_named_vcpus_only)
{
    smp_setup(3);
    vm.vcpus[1].state = VCPU_WFI;
    vm.vcpus[2].state = VCPU_OFF;
    ecall(SBI_EXT_IPI, 0, 0x3, 0, 0);
    CHECK_EQ(A0, 0);
    CHECK_EQ(virq[0], 1ull << IRQ_VS_SOFT);
    CHECK_EQ(virq[1], 1ull << IRQ_VS_SOFT);
    CHECK_EQ(virq[2], 0);
    memset(virq, 0, sizeof(virq));
    ecall(SBI_EXT_IPI, 0, 0x9, 0, 0); /* hart 3 does not exist: nothing is sent */
    CHECK_EQ(A0, SBI_ERR_INVALID_PARAM);
    CHECK_EQ(virq[0], 0);
    ecall(SBI_EXT_IPI, 1, 0, 0, 0);
    CHECK_EQ(A0, SBI_ERR_NOT_SUPPORTED);
}

TEST(rfence_functions)
{
    smp_setup(2);
    ecall(SBI_EXT_RFENCE, 0, 0x3, 0, 0);
    CHECK_EQ(A0, 0);
    CHECK_EQ(fence_i_count, 1);
    v->arch.regs.x[REG_A3] = 0x2000;
    ecall(SBI_EXT_RFENCE, 1, 0x1, 0, 0x40000000);
    CHECK_EQ(A0, 0);
    CHECK_EQ(flush_start, 0x40000000);
    CHECK_EQ(flush_size, 0x2000);
    CHECK_EQ(flush_asid, -1);
    v->arch.regs.x[REG_A3] = ~0ul;
    ecall(SBI_EXT_RFENCE, 1, 0x1, 0, 0x1234);
    CHECK_EQ(flush_size, ~0ul); /* size all ones: everything */
    v->arch.regs.x[REG_A3] = 0x1000;
    ecall(SBI_EXT_RFENCE, 1, 0x1, 0, ~0ul - 0x10); /* start + size wraps */
    CHECK_EQ(A0, SBI_ERR_INVALID_ADDRESS);
    v->arch.regs.x[REG_A3] = 0x1000;
    v->arch.regs.x[REG_A4] = 7;
    ecall(SBI_EXT_RFENCE, 2, 0x1, 0, 0x1000);
    CHECK_EQ(A0, 0);
    CHECK_EQ(flush_asid, 7);
    v->arch.regs.x[REG_A4] = 0x10000;
    ecall(SBI_EXT_RFENCE, 2, 0x1, 0, 0x1000);
    CHECK_EQ(A0, SBI_ERR_INVALID_PARAM);
    int before = flush_count;
    ecall(SBI_EXT_RFENCE, 1, 0x4, 0, 0); /* hart 2 does not exist */
    CHECK_EQ(A0, SBI_ERR_INVALID_PARAM);
    CHECK_EQ(flush_count, before);
    for (unsigned long fid = 3; fid <= 7; fid++) {
        ecall(SBI_EXT_RFENCE, fid, 0x1, 0, 0);
        CHECK_EQ(A0, SBI_ERR_NOT_SUPPORTED);
    }
}

TEST(hsm_start_status_stop)
{
    smp_setup(2);
    ecall(SBI_EXT_HSM, SBI_HSM_HART_GET_STATUS, 1, 0, 0);
    CHECK_EQ(A0, 0);
    CHECK_EQ(A1, SBI_HSM_STATE_STOPPED);
    ecall(SBI_EXT_HSM, SBI_HSM_HART_START, 1, 0x1000, 0x55); /* not in RAM */
    CHECK_EQ(A0, SBI_ERR_INVALID_ADDRESS);
    ecall(SBI_EXT_HSM, SBI_HSM_HART_START, 1, 0x80000000 + RAM_SIZE, 0x55); /* one past the end */
    CHECK_EQ(A0, SBI_ERR_INVALID_ADDRESS);
    ecall(SBI_EXT_HSM, SBI_HSM_HART_START, 2, 0x80000000, 0x55);
    CHECK_EQ(A0, SBI_ERR_INVALID_PARAM);
    ecall(SBI_EXT_HSM, SBI_HSM_HART_START, 1, 0x80002000, 0x55);
    CHECK_EQ(A0, 0);
    CHECK_EQ(vm.vcpus[1].state, VCPU_RUNNABLE);
    CHECK_EQ(vm.vcpus[1].arch.regs.sepc, 0x80002000);
    CHECK_EQ(vm.vcpus[1].arch.regs.x[REG_A0], 1);
    CHECK_EQ(vm.vcpus[1].arch.regs.x[REG_A1], 0x55);
    ecall(SBI_EXT_HSM, SBI_HSM_HART_START, 1, 0x80002000, 0x55);
    CHECK_EQ(A0, SBI_ERR_ALREADY_AVAILABLE);
    ecall(SBI_EXT_HSM, SBI_HSM_HART_GET_STATUS, 1, 0, 0);
    CHECK_EQ(A1, SBI_HSM_STATE_STARTED);
    ecall(SBI_EXT_HSM, SBI_HSM_HART_GET_STATUS, 5, 0, 0);
    CHECK_EQ(A0, SBI_ERR_INVALID_PARAM);
    uint64_t pc = v->arch.regs.sepc;
    ecall(SBI_EXT_HSM, SBI_HSM_HART_STOP, 0, 0, 0);
    CHECK_EQ(v->state, VCPU_OFF);
    CHECK_EQ(v->arch.regs.sepc, pc); /* does not return */
    CHECK_EQ(stopped, 0);            /* vCPU 1 still runs */
    vm.vcpus[1].state = VCPU_OFF;
    v->state = VCPU_RUNNABLE;
    ecall(SBI_EXT_HSM, SBI_HSM_HART_STOP, 0, 0, 0);
    CHECK_EQ(stopped, 1); /* the last vCPU stopping ends the guest */
}

TEST(hsm_suspend_types)
{
    smp_setup(1);
    ecall(SBI_EXT_HSM, 3, 1, 0, 0);
    CHECK_EQ(A0, SBI_ERR_INVALID_PARAM);
    ecall(SBI_EXT_HSM, 3, 0x10000000, 0, 0);
    CHECK_EQ(A0, SBI_ERR_INVALID_PARAM);
    ecall(SBI_EXT_HSM, 3, 0x80000001, 0, 0);
    CHECK_EQ(A0, SBI_ERR_INVALID_PARAM);
    ecall(SBI_EXT_HSM, 3, 0x80000000, 0x10, 0);
    CHECK_EQ(A0, SBI_ERR_INVALID_ADDRESS);
    CHECK_EQ(v->state, VCPU_RUNNABLE);
    ecall(SBI_EXT_HSM, 3, 0, 0, 0);
    CHECK_EQ(A0, 0);
    CHECK_EQ(v->state, VCPU_SUSPENDED);
    CHECK(!v->resume_reset);
    v->state = VCPU_RUNNABLE;
    ecall(SBI_EXT_HSM, 3, 0x80000000, 0x80003000, 9);
    CHECK_EQ(v->state, VCPU_SUSPENDED);
    CHECK(v->resume_reset);
    CHECK_EQ(v->resume_pc, 0x80003000);
    CHECK_EQ(v->resume_arg, 9);
    v->state = VCPU_RUNNABLE;
    ecall(SBI_EXT_HSM, SBI_HSM_HART_GET_STATUS, 0, 0, 0);
    CHECK_EQ(A1, SBI_HSM_STATE_STARTED);
}

/* ext-hsm.adoc: suspend_type is a uint32_t; binary-encoding.adoc: "In case the data is defined as
 * 32bit wide, higher privilege software must ensure that it only uses 32 bit data". */
TEST(hsm_suspend_type_is_32_bits)
{
    smp_setup(1);
    ecall(SBI_EXT_HSM, 3, 0xffffffff00000000ul, 0, 0); /* default retentive, high bits set */
    CHECK_EQ(A0, 0);
    CHECK_EQ(v->state, VCPU_SUSPENDED);
    CHECK(!v->resume_reset);
    v->state = VCPU_RUNNABLE;
    ecall(SBI_EXT_HSM, 3, 0x5a5a5a5a80000000ul, 0x80003000, 9); /* default non-retentive */
    CHECK_EQ(A0, 0);
    CHECK_EQ(v->state, VCPU_SUSPENDED);
    CHECK(v->resume_reset);
    v->state = VCPU_RUNNABLE;
    ecall(SBI_EXT_HSM, 3, 0x100000001ul, 0, 0); /* reserved type 1 stays refused */
    CHECK_EQ(A0, SBI_ERR_INVALID_PARAM);
}

/* A suspend no interrupt can ever end (every vCPU left asleep with its interrupts disabled) stops
 * the guest, as the same WFI does; the dispatcher then leaves the vCPU alone. */
TEST(hsm_suspend_that_can_never_wake_stops_the_guest)
{
    smp_setup(1);
    never_wakes = true;
    uint64_t pc = v->arch.regs.sepc;
    ecall(SBI_EXT_HSM, 3, 0, 0, 0);
    CHECK_EQ(stopped, 1);
    CHECK_EQ(v->arch.regs.sepc, pc);
    setup();
    smp_setup(1);
    ecall(SBI_EXT_HSM, 3, 0, 0, 0); /* one that can wake sleeps */
    CHECK_EQ(stopped, 0);
    CHECK_EQ(v->state, VCPU_SUSPENDED);
}

/* binary-encoding.adoc: EIDs and FIDs are signed 32-bit integers; only their low 32 bits count. */
TEST(eid_and_fid_are_32_bits)
{
    setup();
    ecall((1ul << 32) | SBI_EXT_BASE, (7ul << 32) | SBI_BASE_GET_SPEC_VERSION, 0, 0, 0);
    CHECK_EQ(A0, 0);
    CHECK_EQ(A1, 2u << 24);
    ecall(0xffffffff00000000ul | SBI_EXT_TIME, 0, 1234, 0, 0);
    CHECK_EQ(A0, 0);
    CHECK_EQ(timer_set, 1234);
    ecall((1ul << 32) | 0x0abcdef0, 0, 0, 0, 0); /* unknown whatever the high bits */
    CHECK_EQ(A0, SBI_ERR_NOT_SUPPORTED);
    /* probe_extension takes a long: a value beyond 32 bits is no EID. */
    ecall(SBI_EXT_BASE, SBI_BASE_PROBE_EXTENSION, (1ul << 32) | SBI_EXT_BASE, 0, 0);
    CHECK_EQ(A0, 0);
    CHECK_EQ(A1, 0);
}

TEST(legacy_ipi_and_fences)
{
    smp_setup(2);
    vm.vcpus[1].state = VCPU_RUNNABLE;
    ecall(SBI_EXT_LEGACY_SEND_IPI, 0, 0x1000, 0x77, 0); /* mask 0x3 read from guest memory */
    CHECK_EQ(A0, 0);
    CHECK_EQ(A1, 0x77);
    CHECK_EQ(virq[0] | virq[1], 1ull << IRQ_VS_SOFT);
    CHECK_EQ(virq[1], 1ull << IRQ_VS_SOFT);
    ecall(SBI_EXT_LEGACY_CLEAR_IPI, 0, 0, 0, 0);
    CHECK_EQ(A0, 1);
    ecall(SBI_EXT_LEGACY_CLEAR_IPI, 0, 0, 0, 0);
    CHECK_EQ(A0, 0);
    ecall(SBI_EXT_LEGACY_SEND_IPI, 0, 0x2000, 0, 0); /* unreadable pointer */
    CHECK_EQ(A0, SBI_ERR_INVALID_ADDRESS);
    guest_word = 0x4; /* names hart 2, which does not exist */
    ecall(SBI_EXT_LEGACY_REMOTE_FENCE_I, 0, 0x1000, 0, 0);
    CHECK_EQ(A0, SBI_ERR_INVALID_PARAM);
    guest_word = 0x3;
    ecall(SBI_EXT_LEGACY_REMOTE_FENCE_I, 0, 0x1000, 0, 0);
    CHECK_EQ(A0, 0);
    CHECK_EQ(fence_i_count, 1);
    ecall(SBI_EXT_LEGACY_REMOTE_SFENCE_VMA, 0, 0, 0x5000, 0x1000);
    CHECK_EQ(A0, 0);
    CHECK_EQ(flush_start, 0x5000);
    v->arch.regs.x[REG_A3] = 3;
    ecall(SBI_EXT_LEGACY_REMOTE_SFENCE_VMA_ASID, 0, 0x1000, 0x5000, 0x1000);
    CHECK_EQ(A0, 0);
    CHECK_EQ(flush_asid, 3);
}

/* ---- the hypervisor's own extension, dispatched through the same path ---- */
static uint64_t satp_now;

uint64_t hyp_alloc_frames(uint64_t n, uint64_t align)
{
    void *p = aligned_alloc(align, n * 4096);
    memset(p, 0, n * 4096);
    return (uint64_t)(uintptr_t)p;
}

void hyp_free_frames(uint64_t pa, uint64_t n)
{
    (void)n;
    free((void *)(uintptr_t)pa);
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

TEST(hv_probe_null_and_unknown)
{
    setup();
    ecall(HV_EXT, HV_FID_PROBE, 0, 0, 0);
    CHECK_EQ(A0, 0);
    CHECK_EQ(A1 >> 32, HV_ABI_VERSION);
    CHECK(A1 & HV_FEAT_MMU);
    ecall(HV_EXT, HV_FID_NULL, 0, 0, 0);
    CHECK_EQ(A0, 0);
    CHECK_EQ(A1, 0);
    ecall(HV_EXT, 4242, 0, 0, 0);
    CHECK_EQ(A0, SBI_ERR_NOT_SUPPORTED);
    ecall(SBI_EXT_BASE, SBI_BASE_PROBE_EXTENSION, HV_EXT, 0, 0);
    CHECK_EQ(A1, 1);
}

TEST(hv_pin_switch_unpin)
{
    setup();
    /* A root at RAM + 64 KiB, then L1 and L0, mapping the first page of RAM read-only. */
    uint64_t *root = (uint64_t *)(ram + 0x10000), *l1 = (uint64_t *)(ram + 0x11000);
    uint64_t *l0 = (uint64_t *)(ram + 0x12000);
    memset(root, 0, 3 * 4096);
    root[2] = ((0x80011000ull >> 12) << 10) | 1;
    l1[0] = ((0x80012000ull >> 12) << 10) | 1;
    l0[0] = ((0x80000000ull >> 12) << 10) | 0x3 | 0x40;
    ecall(HV_EXT, HV_FID_SET_ROOT, 0x80010000, 1, 0);
    CHECK_EQ(A0, SBI_ERR_DENIED); /* not pinned */
    ecall(HV_EXT, HV_FID_PIN_TABLE, 0x80010000, 0, 0);
    CHECK_EQ(A0, 0);
    ecall(HV_EXT, HV_FID_SET_ROOT, 0x80010000, 1, 0);
    CHECK_EQ(A0, 0);
    CHECK_EQ(satp_now, (8ull << 60) | (1ull << 44) | (0x80010000ull >> 12));
    ecall(HV_EXT, HV_FID_UNPIN_TABLE, 0x80010000, 0, 0);
    CHECK_EQ(A0, SBI_ERR_DENIED); /* in use */
    satp_now = 0;
    ecall(HV_EXT, HV_FID_UNPIN_TABLE, 0x80010000, 0, 0);
    CHECK_EQ(A0, 0);
    /* A root switch may end a multicall (after every other call), never sit in its middle. */
    ecall(HV_EXT, HV_FID_PIN_TABLE, 0x80010000, 0, 0);
    CHECK_EQ(A0, 0);
    struct hv_multicall *mc = (struct hv_multicall *)(ram + 0x2000);
    mc[0] = (struct hv_multicall){ .fid = HV_FID_NULL, .error = 77 };
    mc[1] = (struct hv_multicall){ .fid = HV_FID_SET_ROOT, .args = { 0x80010000, 2, 0 }, .error = 77 };
    ecall(HV_EXT, HV_FID_MULTICALL, 0x80002000, 2, 0);
    CHECK_EQ(A0, 0);
    CHECK_EQ(A1, 2);
    CHECK_EQ(satp_now, (8ull << 60) | (2ull << 44) | (0x80010000ull >> 12));
    mc[2] = (struct hv_multicall){ .fid = HV_FID_NULL, .error = 77 };
    ecall(HV_EXT, HV_FID_MULTICALL, 0x80002000, 3, 0);
    CHECK_EQ(A0, SBI_ERR_DENIED);
    CHECK_EQ(A1, 1);
    CHECK_EQ(mc[2].error, 77);
    satp_now = 0;
    ecall(HV_EXT, HV_FID_UNPIN_TABLE, 0x80010000, 0, 0);
    CHECK_EQ(A0, 0);
    pv_release(&vm);
}

TEST(hv_multicall_stops_at_first_error)
{
    setup();
    struct hv_multicall *mc = (struct hv_multicall *)(ram + 0x2000);
    mc[0] = (struct hv_multicall){ .fid = HV_FID_NULL, .error = 77 };
    mc[1] = (struct hv_multicall){ .fid = HV_FID_SET_ROOT, .error = 77 };
    mc[2] = (struct hv_multicall){ .fid = HV_FID_NULL, .error = 77 };
    ecall(HV_EXT, HV_FID_MULTICALL, 0x80002000, 3, 0);
    CHECK_EQ(A0, SBI_ERR_DENIED);
    CHECK_EQ(A1, 1);
    CHECK_EQ(mc[0].error, 0);
    CHECK_EQ(mc[1].error, SBI_ERR_DENIED);
    CHECK_EQ(mc[2].error, 77);
    ecall(HV_EXT, HV_FID_MULTICALL, 0x80000000 + RAM_SIZE - 64, 2, 0); /* runs off the end */
    CHECK_EQ(A0, SBI_ERR_INVALID_ADDRESS);
    ecall(HV_EXT, HV_FID_MULTICALL, 0x80002000, HV_MULTICALL_MAX + 1, 0);
    CHECK_EQ(A0, SBI_ERR_INVALID_PARAM);
    ecall(HV_EXT, HV_FID_MMU_UPDATE, ~0ul - 8, 2, 0);
    CHECK_EQ(A0, SBI_ERR_INVALID_ADDRESS);
    pv_release(&vm);
}

/* ---- block hypercalls on a RAM disk (hyp/blk) of 64 sectors ---- */
#include "drv/virtio_blk.h"

bool virtio_blk_init(void)
{
    return false;
}

uint64_t virtio_blk_capacity(void)
{
    return 0;
}

enum blk_status virtio_blk_rw(enum blk_op op, uint64_t sector, const struct blk_seg *segs,
                              unsigned nsegs)
{
    (void)op, (void)sector, (void)segs, (void)nsegs;
    return BLK_IOERR;
}

void hyp_log(const char *fmt, ...)
{
    (void)fmt;
}

#define DISK_SECTORS 64
static uint8_t disk_bytes[DISK_SECTORS * 512];

static struct hv_blk_req *blk_setup(void)
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

static bool blk_irq_pending(void)
{
    return vm.plic.pending & (1u << HV_BLK_IRQ);
}

TEST(hv_blk_batch_write_read)
{
    struct hv_blk_req *r = blk_setup();
    ecall(HV_EXT, HV_FID_PROBE, 0, 0, 0);
    CHECK(A1 & HV_FEAT_BLK);
    ecall(HV_EXT, HV_FID_BLK_CTL, HV_BLK_CTL_CAPACITY, 0, 0);
    CHECK_EQ(A0, 0);
    CHECK_EQ(A1, DISK_SECTORS);
    for (unsigned i = 0; i < 2048; i++) {
        ram[0x4000 + i] = (uint8_t)(i * 13);
    }
    r[0] = (struct hv_blk_req){ .op = HV_BLK_WRITE, .status = 9, .sector = 2, .buf = 0x80004000, .len = 1024 };
    r[1] = (struct hv_blk_req){ .op = HV_BLK_WRITE, .status = 9, .sector = 60, .buf = 0x80004400, .len = 1024 };
    r[2] = (struct hv_blk_req){ .op = HV_BLK_FLUSH, .status = 9 };
    r[3] = (struct hv_blk_req){ .op = HV_BLK_READ, .status = 9, .sector = 2, .buf = 0x80008000, .len = 2048 };
    ecall(HV_EXT, HV_FID_BLK_SUBMIT, 0x80002000, 4, 0);
    CHECK_EQ(A0, 0);
    CHECK_EQ(A1, 4);
    for (unsigned i = 0; i < 4; i++) {
        CHECK_EQ(r[i].status, HV_BLK_OK);
    }
    CHECK(memcmp(disk_bytes + 1024, ram + 0x4000, 1024) == 0);
    CHECK(memcmp(disk_bytes + 60 * 512, ram + 0x4400, 1024) == 0);
    CHECK(memcmp(ram + 0x8000, ram + 0x4000, 1024) == 0);
    CHECK(blk_irq_pending());
    ecall(HV_EXT, HV_FID_BLK_CTL, HV_BLK_CTL_ACK, 0, 0);
    CHECK_EQ(A0, 0);
    CHECK(!blk_irq_pending());
    ecall(HV_EXT, HV_FID_BLK_CTL, 7, 0, 0);
    CHECK_EQ(A0, SBI_ERR_INVALID_PARAM);
    /* More than a batch holds: the first HV_BLK_BATCH_MAX are done, the caller comes back for the rest. */
    for (unsigned i = 0; i < HV_BLK_BATCH_MAX + 3; i++) {
        r[i] = (struct hv_blk_req){ .op = HV_BLK_READ, .sector = i % DISK_SECTORS, .buf = 0x80040000, .len = 512 };
    }
    ecall(HV_EXT, HV_FID_BLK_SUBMIT, 0x80002000, HV_BLK_BATCH_MAX + 3, 0);
    CHECK_EQ(A0, 0);
    CHECK_EQ(A1, HV_BLK_BATCH_MAX);
}

TEST(hv_blk_malformed)
{
    struct hv_blk_req *r = blk_setup();
    const struct hv_blk_req bad[] = {
        { .op = HV_BLK_READ, .sector = 0, .buf = 0x1000, .len = 512 },                  /* not RAM */
        { .op = HV_BLK_READ, .sector = 0, .buf = 0x80000000 + RAM_SIZE - 512, .len = 1024 }, /* past RAM */
        { .op = HV_BLK_WRITE, .sector = 0, .buf = ~0ull - 511, .len = 1024 },           /* wraps */
        { .op = HV_BLK_WRITE, .sector = 0, .buf = 0x80004000, .len = ~0ull - 511 },     /* huge */
        { .op = HV_BLK_WRITE, .sector = 0, .buf = 0x80004000, .len = 100 },             /* not sectors */
        { .op = HV_BLK_WRITE, .sector = 0, .buf = 0x80004000, .len = 0 },
        { .op = HV_BLK_WRITE, .sector = DISK_SECTORS - 1, .buf = 0x80004000, .len = 1024 }, /* past disk */
        { .op = HV_BLK_READ, .sector = ~0ull, .buf = 0x80004000, .len = 512 },
    };
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r[0] = (struct hv_blk_req){ .op = HV_BLK_FLUSH, .status = 9 };
        r[1] = bad[i];
        r[1].status = 9;
        r[2] = (struct hv_blk_req){ .op = HV_BLK_FLUSH, .status = 9 };
        ecall(HV_EXT, HV_FID_BLK_SUBMIT, 0x80002000, 3, 0);
        CHECK_EQ(A0, SBI_ERR_IO);
        CHECK_EQ(A1, 1);
        CHECK_EQ(r[0].status, HV_BLK_OK);
        CHECK_EQ(r[1].status, HV_BLK_IOERR);
        CHECK_EQ(r[2].status, 9); /* not run */
    }
    r[0] = (struct hv_blk_req){ .op = 5, .status = 9 };
    ecall(HV_EXT, HV_FID_BLK_SUBMIT, 0x80002000, 1, 0);
    CHECK_EQ(A0, SBI_ERR_IO);
    CHECK_EQ(r[0].status, HV_BLK_UNSUPP);
    /* The array itself: outside RAM, running off its end, misaligned. */
    ecall(HV_EXT, HV_FID_BLK_SUBMIT, 0x1000, 1, 0);
    CHECK_EQ(A0, SBI_ERR_INVALID_ADDRESS);
    ecall(HV_EXT, HV_FID_BLK_SUBMIT, 0x80000000 + RAM_SIZE - 32, 2, 0);
    CHECK_EQ(A0, SBI_ERR_INVALID_ADDRESS);
    ecall(HV_EXT, HV_FID_BLK_SUBMIT, 0x80002004, 1, 0);
    CHECK_EQ(A0, SBI_ERR_INVALID_ADDRESS);
    ecall(HV_EXT, HV_FID_BLK_SUBMIT, ~0ul - 8, 64, 0);
    CHECK_EQ(A0, SBI_ERR_INVALID_ADDRESS);
    CHECK(memcmp(disk_bytes, (uint8_t[DISK_SECTORS * 512]){ 0 }, sizeof disk_bytes) == 0);
    /* A read into a validated page table is refused; so is an array inside one. */
    uint64_t *root = (uint64_t *)(ram + 0x10000);
    memset(root, 0, 4096);
    ecall(HV_EXT, HV_FID_PIN_TABLE, 0x80010000, 0, 0);
    CHECK_EQ(A0, 0);
    r[0] = (struct hv_blk_req){ .op = HV_BLK_READ, .sector = 0, .buf = 0x8000fe00, .len = 1024 };
    ecall(HV_EXT, HV_FID_BLK_SUBMIT, 0x80002000, 1, 0);
    CHECK_EQ(A0, SBI_ERR_IO);
    CHECK_EQ(r[0].status, HV_BLK_IOERR);
    r[0] = (struct hv_blk_req){ .op = HV_BLK_WRITE, .sector = 0, .buf = 0x8000fe00, .len = 1024 };
    ecall(HV_EXT, HV_FID_BLK_SUBMIT, 0x80002000, 1, 0);
    CHECK_EQ(A0, 0); /* reading a table out to disk is harmless */
    ecall(HV_EXT, HV_FID_BLK_SUBMIT, 0x80010000, 1, 0);
    CHECK_EQ(A0, SBI_ERR_INVALID_ADDRESS);
    pv_release(&vm);
    /* Without a disk the calls do not exist. */
    vm.disk.kind = BLK_NONE;
    ecall(HV_EXT, HV_FID_BLK_SUBMIT, 0x80002000, 1, 0);
    CHECK_EQ(A0, SBI_ERR_NOT_SUPPORTED);
    ecall(HV_EXT, HV_FID_BLK_CTL, HV_BLK_CTL_CAPACITY, 0, 0);
    CHECK_EQ(A0, SBI_ERR_NOT_SUPPORTED);
    ecall(HV_EXT, HV_FID_PROBE, 0, 0, 0);
    CHECK(!(A1 & HV_FEAT_BLK));
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

TEST(ipi_to_another_vcpu_ends_the_slice)
{
    smp_setup(2);
    this_cpu.current = v;
    yields = 0;
    ecall(SBI_EXT_IPI, 0, 0x1, 0, 0); /* to itself: nothing to hurry */
    CHECK_EQ(yields, 0);
    vm.vcpus[1].state = VCPU_WFI;
    ecall(SBI_EXT_IPI, 0, 0x2, 0, 0);
    CHECK_EQ(yields, 1);
}
