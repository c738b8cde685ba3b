// SPDX-License-Identifier: MIT
// SBI dispatcher and extensions on the host: register conventions, IDs, errors, and argument checks.
// The platform side (console device, VM stop/reboot, timer CSR) is replaced by recorders below.
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "hyp.h"
#include "sbi/sbi.h"
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
                                             0x00, 0x01, 0x02, 0x08 };
    static const unsigned long absent[] = { 0x03, 0x04, 0x05, 0x09, 0x0f, 0x11, 0x08000000,
                                            0x0a0b0c0d, ~0ul, 0x504d55 /* PMU */ };
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
    ecall(SBI_EXT_LEGACY_REMOTE_FENCE_I, 0, 0, 0x66, 0);
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
