// SPDX-License-Identifier: MIT
// SBI steal-time accounting (hyp/sbi/sbi_sta.c) on the host: the set_shmem call's checks, the
// record the scheduler's moments write (sequence, steal in nanoseconds, preempted), and the cases
// where it must stop writing (a reset, a record turned page table).
#include <stdint.h>
#include <stdlib.h>

#include "sbi_env.h"

#define REC 0x80004000ul
#define FREQ 10000000ull /* QEMU virt's timebase: 100 ns a tick */

static volatile struct sbi_sta_record *rec(uint64_t gpa)
{
    return (volatile struct sbi_sta_record *)(ram + (gpa - 0x80000000ul));
}

static long set_shmem(uint64_t lo, uint64_t hi, uint64_t flags)
{
    ecall(SBI_EXT_STA, SBI_STA_SET_SHMEM, lo, hi, flags);
    CHECK_EQ(A1, 0);
    return A0;
}

static void sta_setup(void)
{
    setup();
    platform.timebase_freq = FREQ;
    v->sta = (struct vcpu_sta){ 0 };
    vm.vcpus[1] = (struct vcpu){ .vm = &vm, .id = 1, .state = VCPU_RUNNABLE, .pcpu = &this_cpu };
}

TEST(sta_set_shmem_checks_its_arguments)
{
    sta_setup();
    ecall(SBI_EXT_BASE, SBI_BASE_PROBE_EXTENSION, SBI_EXT_STA, 0, 0);
    CHECK_EQ(A1, 1);
    CHECK_EQ(set_shmem(REC, 0, 1), SBI_ERR_INVALID_PARAM); /* flags */
    CHECK_EQ(set_shmem(REC, 0, ~0ul), SBI_ERR_INVALID_PARAM);
    CHECK_EQ(set_shmem(REC + 32, 0, 0), SBI_ERR_INVALID_PARAM); /* not 64-byte aligned */
    CHECK_EQ(set_shmem(~0ul, 0, 0), SBI_ERR_INVALID_PARAM);     /* only lo all ones */
    CHECK_EQ(set_shmem(REC, 1, 0), SBI_ERR_INVALID_ADDRESS);    /* address bits 64 and up */
    CHECK_EQ(set_shmem(0, ~0ul, 0), SBI_ERR_INVALID_ADDRESS);   /* only hi all ones */
    CHECK_EQ(set_shmem(0x1000, 0, 0), SBI_ERR_INVALID_ADDRESS); /* below RAM */
    CHECK_EQ(set_shmem(0x80000000ul + RAM_SIZE, 0, 0), SBI_ERR_INVALID_ADDRESS); /* past it */
    CHECK_EQ(set_shmem(~0ul - 63, 0, 0), SBI_ERR_INVALID_ADDRESS);               /* would wrap */
    CHECK(!v->sta.on);
    ecall(SBI_EXT_STA, 1, REC, 0, 0);
    CHECK_EQ(A0, SBI_ERR_NOT_SUPPORTED);
    /* Stopping is accepted with nothing registered; flags are checked first. */
    CHECK_EQ(set_shmem(~0ul, ~0ul, 0), 0);
    CHECK_EQ(set_shmem(~0ul, ~0ul, 2), SBI_ERR_INVALID_PARAM);
    /* The last 64 bytes of RAM are a record like any other. */
    CHECK_EQ(set_shmem(0x80000000ul + RAM_SIZE - 64, 0, 0), 0);
    CHECK(v->sta.on);
    CHECK_EQ(v->sta.gpa, 0x80000000ul + RAM_SIZE - 64);
}

TEST(sta_registration_zeroes_exactly_the_record)
{
    sta_setup();
    memset(ram + (REC - 0x80000000ul) - 64, 0xa5, 192);
    CHECK_EQ(set_shmem(REC, 0, 0), 0);
    for (unsigned i = 0; i < 192; i++) {
        CHECK_EQ(ram[REC - 0x80000000ul - 64 + i], i >= 64 && i < 128 ? 0 : 0xa5);
    }
    CHECK(v->sta.on);
    CHECK(!v->sta.waiting);
    CHECK_EQ(v->sta.steal, 0);
}

TEST(sta_counts_waits_for_the_hart_not_idle_time)
{
    struct vcpu *w = &vm.vcpus[1];
    sta_setup();
    CHECK_EQ(set_shmem(REC, 0, 0), 0);
    volatile struct sbi_sta_record *r = rec(REC);

    /* v runs from 0; at 100 the hart goes to w with v still runnable: preempted, nothing stolen. */
    sta_switch(&this_cpu, v, w, 100);
    CHECK_EQ(r->sequence, 2);
    CHECK_EQ(r->steal, 0);
    CHECK_EQ(r->preempted, 1);
    CHECK_EQ(r->flags, 0);
    /* Switching from v again (the hart found w's VM closed to it, say): its wait began at 100. */
    sta_switch(&this_cpu, v, w, 200);
    CHECK_EQ(r->sequence, 2);
    /* Back at 350: 250 ticks of 100 ns waited. */
    sta_switch(&this_cpu, w, v, 350);
    CHECK_EQ(r->sequence, 4);
    CHECK_EQ(r->steal, 25000);
    CHECK_EQ(r->preempted, 0);
    /* Running on (the same vCPU again): no write. */
    sta_switch(&this_cpu, v, v, 500);
    CHECK_EQ(r->sequence, 4);
    /* v sleeps in WFI at 600 while w runs: idle, not preempted and not stolen. */
    v->state = VCPU_WFI;
    sta_switch(&this_cpu, v, w, 600);
    CHECK_EQ(r->sequence, 4);
    /* Woken at 900 (what sched_set_state reports), it runs at 1000: 100 ticks waited. */
    v->state = VCPU_RUNNABLE;
    sta_ready(v, 900);
    sta_switch(&this_cpu, w, v, 1000);
    CHECK_EQ(r->sequence, 6);
    CHECK_EQ(r->steal, 35000);
    CHECK_EQ(r->preempted, 0);
    CHECK_EQ(vm_locks, 0);
}

TEST(sta_sequence_is_ours_whatever_the_guest_wrote)
{
    struct vcpu *w = &vm.vcpus[1];
    sta_setup();
    CHECK_EQ(set_shmem(REC, 0, 0), 0);
    volatile struct sbi_sta_record *r = rec(REC);
    sta_switch(&this_cpu, v, w, 10);
    /* The guest scribbles on its record: our next update is still a whole one, its sequence even.
     */
    r->sequence = 0x77777777;
    r->steal = ~0ull;
    sta_switch(&this_cpu, w, v, 20);
    CHECK_EQ(r->sequence, 4);
    CHECK_EQ(r->steal, 1000);
}

TEST(sta_stops_on_request_on_reset_and_for_another_harts_vcpu)
{
    struct vcpu *w = &vm.vcpus[1];
    sta_setup();
    CHECK_EQ(set_shmem(REC, 0, 0), 0);
    volatile struct sbi_sta_record *r = rec(REC);
    CHECK_EQ(set_shmem(~0ul, ~0ul, 0), 0);
    sta_switch(&this_cpu, v, w, 100);
    sta_switch(&this_cpu, w, v, 200);
    CHECK_EQ(r->sequence, 0);
    /* A new life (reset) reports nothing until it registers again. */
    CHECK_EQ(set_shmem(REC, 0, 0), 0);
    sta_reset(v);
    sta_switch(&this_cpu, v, w, 300);
    CHECK_EQ(r->sequence, 0);
    CHECK(!v->sta.on);
    /* The vCPU a hart ran last may belong to another hart by now (its slot reused): left alone. */
    CHECK_EQ(set_shmem(REC, 0, 0), 0);
    struct pcpu other;
    v->pcpu = &other;
    sta_switch(&this_cpu, v, w, 400);
    CHECK_EQ(r->sequence, 0);
    v->pcpu = &this_cpu;
    /* Nor is a vCPU of a VM that is not running (being stopped or rebooted). */
    vm.state = VM_STOPPED;
    sta_switch(&this_cpu, v, w, 500);
    CHECK_EQ(r->sequence, 0);
}

TEST(sta_record_never_written_into_a_validated_table)
{
    struct vcpu *w = &vm.vcpus[1];
    sta_setup();
    /* A record in a frame pinned as a table is refused... */
    memset(ram + 0x10000, 0, 4096);
    unsigned n = 0;
    do {
        ecall(HV_EXT, HV_FID_PIN_TABLE, 0x80010000, 0, 0);
    } while (A0 == 0 && A1 == 0 && ++n < 100000);
    CHECK_EQ(A0, 0);
    CHECK_EQ(set_shmem(0x80010000, 0, 0), SBI_ERR_INVALID_ADDRESS);
    CHECK(!v->sta.on);
    /* ...and one whose frame is pinned after it was registered is written no more. */
    memset(ram + 0x20000, 0, 4096);
    CHECK_EQ(set_shmem(0x80020000, 0, 0), 0);
    n = 0;
    do {
        ecall(HV_EXT, HV_FID_PIN_TABLE, 0x80020000, 0, 0);
    } while (A0 == 0 && A1 == 0 && ++n < 100000);
    CHECK_EQ(A0, 0);
    sta_switch(&this_cpu, v, w, 100);
    CHECK(!v->sta.on);
    for (unsigned i = 0; i < 64; i++) {
        CHECK_EQ(ram[0x20000 + i], 0);
    }
    pv_release(&vm);
}

TEST(sta_ticks_to_ns_is_exact_and_never_overflows)
{
    CHECK_EQ(sta_ticks_to_ns(0, FREQ), 0);
    CHECK_EQ(sta_ticks_to_ns(1, FREQ), 100);
    CHECK_EQ(sta_ticks_to_ns(FREQ * 3 + 7, FREQ), 3000000700ull);
    CHECK_EQ(sta_ticks_to_ns(12345, 1000000000ull), 12345);
    CHECK_EQ(sta_ticks_to_ns(1, 24000000ull), 41); /* 41.67 ns, truncated */
    CHECK_EQ(sta_ticks_to_ns(24000000ull * 5 + 1, 24000000ull), 5000000041ull);
    /* Whole seconds and the rest are scaled apart: ticks * 10^9 would overflow past 30 minutes at
     * 10 MHz; this holds up to the 584 years of nanoseconds 64 bits count. */
    CHECK_EQ(sta_ticks_to_ns(1ull << 40, FREQ), (1ull << 40) * 100);
    CHECK_EQ(sta_ticks_to_ns(FREQ * 31536000ull * 500 + 3, FREQ),
             31536000ull * 500 * 1000000000ull + 300);
    CHECK_EQ(sta_ticks_to_ns(1ull << 57, FREQ), (1ull << 57) * 100);
    CHECK_EQ(sta_ticks_to_ns(5, 0), 0);
    /* Monotonic across a second's boundary at an awkward rate. */
    uint64_t f = 32768;
    for (uint64_t t = f - 3; t < f + 3; t++) {
        CHECK(sta_ticks_to_ns(t + 1, f) >= sta_ticks_to_ns(t, f));
    }
}
