// SPDX-License-Identifier: MIT
// SBI dispatcher and extensions on the host: register conventions, IDs, errors, and argument checks.
// The platform side (console device, VM stop/reboot, timer CSR) is replaced by recorders below.
#include <stdint.h>
#include <stdlib.h>

#include "sbi_env.h"

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
    static const unsigned long present[] = { SBI_EXT_BASE, SBI_EXT_TIME, SBI_EXT_DBCN, SBI_EXT_SRST, SBI_EXT_STA,
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

/* The short path (sbi_dispatch_quick) answers a console byte exactly as the whole way does: the
 * same registers, pc and output; whatever it declines it leaves untouched. */
TEST(quick_console_matches_dispatch)
{
    static const struct {
        unsigned long eid, fid, a0;
        bool quick;
    } cases[] = {
        { SBI_EXT_LEGACY_CONSOLE_PUTCHAR, 99, 'x', true },
        { SBI_EXT_LEGACY_CONSOLE_PUTCHAR | 0xff00000000ul, 0, 'y', true }, /* a7's upper half ignored */
        { SBI_EXT_LEGACY_CONSOLE_PUTCHAR, 0, 0x1100 | 'w', true },         /* the low byte is the char */
        { SBI_EXT_DBCN, SBI_DBCN_WRITE_BYTE, 'z', true },
        { SBI_EXT_DBCN, SBI_DBCN_WRITE_BYTE | 0x100000000ul, 'v', true },
        { SBI_EXT_LEGACY_CONSOLE_PUTCHAR, 0, '\n', false },                /* a line ends: the whole way */
        { SBI_EXT_DBCN, SBI_DBCN_WRITE_BYTE, 0x1b, false },
        { SBI_EXT_DBCN, SBI_DBCN_WRITE_BYTE, 0x9b, false },
        { SBI_EXT_DBCN, SBI_DBCN_WRITE, 1, false },
        { SBI_EXT_DBCN, 7, 'a', false },
        { SBI_EXT_LEGACY_CONSOLE_GETCHAR, 0, 'a', false },
        { SBI_EXT_BASE, SBI_BASE_GET_SPEC_VERSION, 'a', false },
        { SBI_EXT_TIME, SBI_TIME_SET_TIMER, 'a', false },
    };
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        setup();
        struct vcpu_regs before;
        v->arch.regs.x[REG_A7] = cases[i].eid;
        v->arch.regs.x[REG_A6] = cases[i].fid;
        v->arch.regs.x[REG_A0] = cases[i].a0;
        v->arch.regs.x[REG_A1] = 0x5a5a;
        before = v->arch.regs;
        bool quick = sbi_dispatch_quick(&v->arch, v->vm);
        CHECK_EQ(quick, cases[i].quick);
        if (!quick) {
            CHECK(memcmp(&before, &v->arch.regs, sizeof before) == 0);
            CHECK_EQ(console_len, 0);
            continue;
        }
        struct vcpu_regs fast = v->arch.regs;
        char out = console_out[0];
        CHECK_EQ(console_len, 1);
        setup();
        v->arch.regs = before;
        sbi_dispatch(v);
        CHECK(memcmp(&fast, &v->arch.regs, sizeof fast) == 0);
        CHECK_EQ(console_len, 1);
        CHECK_EQ(console_out[0], out);
    }
    /* A byte the output ring cannot take now: declined, for the whole way to make the guest wait. */
    setup();
    console_room = 0;
    v->arch.regs.x[REG_A7] = SBI_EXT_LEGACY_CONSOLE_PUTCHAR;
    v->arch.regs.x[REG_A0] = 'x';
    uint64_t pc = v->arch.regs.sepc;
    CHECK(!sbi_dispatch_quick(&v->arch, v->vm));
    CHECK_EQ(v->arch.regs.sepc, pc);
    CHECK_EQ(console_len, 0);
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

TEST(console_calls_never_wait_for_a_slow_uart)
{
    /* The host console's ring is full (a real UART far behind): a DBCN write takes what fits and
     * says so, the one-byte calls block as the SBI says by being made again (pc stays at the
     * ecall), and nothing is lost or waited for. */
    setup();
    memcpy(ram + 0x100, "hello", 5);
    console_room = 2;
    ecall(SBI_EXT_DBCN, SBI_DBCN_WRITE, 5, 0x80000100, 0);
    CHECK_EQ(A0, 0);
    CHECK_EQ(A1, 2);
    CHECK_EQ(console_len, 2);
    console_room = 0;
    uint64_t pc = v->arch.regs.sepc;
    ecall(SBI_EXT_DBCN, SBI_DBCN_WRITE_BYTE, 'z', 0, 0);
    CHECK_EQ(v->arch.regs.sepc, pc);
    ecall(SBI_EXT_LEGACY_CONSOLE_PUTCHAR, 0, 'y', 0, 0);
    CHECK_EQ(v->arch.regs.sepc, pc);
    CHECK_EQ(console_len, 2);
    console_room = 1;
    ecall(SBI_EXT_LEGACY_CONSOLE_PUTCHAR, 0, 'y', 0, 0);
    CHECK_EQ(v->arch.regs.sepc, pc + 4);
    CHECK_EQ(console_out[2], 'y');
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
    /* reset_type and reset_reason are uint32_t (ext-sys-reset.adoc): the upper halves are not theirs. */
    ecall(SBI_EXT_SRST, SBI_SRST_SYSTEM_RESET, (0xdeadul << 32) | SBI_SRST_TYPE_WARM_REBOOT,
          0xbeeful << 32, 0);
    CHECK_EQ(rebooted_warm, 1);
    ecall(SBI_EXT_SRST, SBI_SRST_SYSTEM_RESET, SBI_SRST_TYPE_SHUTDOWN, 0, 0);
    CHECK_EQ(stopped, 1);
    CHECK_EQ(crashed, 0);
    setup();
    ecall(SBI_EXT_SRST, SBI_SRST_SYSTEM_RESET, SBI_SRST_TYPE_SHUTDOWN, SBI_SRST_REASON_SYSFAIL, 0);
    CHECK_EQ(crashed, 1); /* a failure the run's exit status reports */
}

TEST(srst_reboot_fails_the_guest_when_asked)
{
    setup();
    boot_options.reboot_fails = true; /* hyp.reboot=fail */
    ecall(SBI_EXT_SRST, SBI_SRST_SYSTEM_RESET, SBI_SRST_TYPE_COLD_REBOOT, 0, 0);
    CHECK_EQ(crashed, 1);
    CHECK_EQ(rebooted_cold, 0);
    CHECK_EQ(vm.state, VM_STOPPED);
    setup();
    ecall(SBI_EXT_SRST, SBI_SRST_SYSTEM_RESET, SBI_SRST_TYPE_COLD_REBOOT, 0, 0);
    CHECK_EQ(rebooted_cold, 1);
    CHECK_EQ(crashed, 0);
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
