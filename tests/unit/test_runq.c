// SPDX-License-Identifier: MIT
// A hart's run ring and sleep heap (hyp/runq.c): round-robin order, removal keeping the turn, and
// the heap giving sleepers in deadline order through any mix of adds and removals.
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "runq.h"
#include "vm.h"

#define NVMS 16
static struct pcpu c;
static struct vm vms_[NVMS];

static struct vcpu *vcpu(unsigned i)
{
    struct vm *vm = &vms_[i / VCPU_MAX];
    vm->pcpu = &c;
    vm->vcpus[i % VCPU_MAX].vm = vm;
    vm->vcpus[i % VCPU_MAX].pcpu = &c;
    return &vm->vcpus[i % VCPU_MAX];
}

static void reset(void)
{
    memset(&c, 0, sizeof c);
    memset(vms_, 0, sizeof vms_);
}

TEST(ring_is_round_robin)
{
    reset();
    CHECK(runq_next(&c, NULL) == NULL);
    for (unsigned i = 0; i < 3; i++) {
        runq_add(&c, vcpu(i));
    }
    runq_add(&c, vcpu(1)); /* already in: no second place */
    struct vcpu *v = runq_next(&c, NULL);
    CHECK(v == vcpu(0));
    v = runq_next(&c, v);
    CHECK(v == vcpu(1));
    v = runq_next(&c, v);
    CHECK(v == vcpu(2));
    v = runq_next(&c, v);
    CHECK(v == vcpu(0));
    /* A vCPU woken goes at the end of the ring (before its anchor, vCPU 0): after 2, before 0. */
    runq_add(&c, vcpu(3));
    CHECK(runq_next(&c, vcpu(2)) == vcpu(3));
    CHECK(runq_next(&c, vcpu(3)) == vcpu(0));
    CHECK(runq_next(&c, vcpu(1)) == vcpu(2));
}

TEST(removal_keeps_the_turn)
{
    reset();
    for (unsigned i = 0; i < 3; i++) {
        runq_add(&c, vcpu(i));
    }
    /* vCPU 0 sleeps while it is the ring's next: the one after it is next now. */
    runq_remove(&c, vcpu(0));
    CHECK(!runq_has(vcpu(0)));
    CHECK(runq_next(&c, NULL) == vcpu(1));
    /* prev (0) is out of the ring: the ring's next is taken. */
    CHECK(runq_next(&c, vcpu(0)) == vcpu(1));
    runq_remove(&c, vcpu(0)); /* not in: nothing happens */
    runq_remove(&c, vcpu(1));
    runq_remove(&c, vcpu(2));
    CHECK(runq_next(&c, NULL) == NULL);
    /* prev of another hart never steers this hart's ring. */
    runq_add(&c, vcpu(4));
    struct pcpu other = { 0 };
    vms_[0].pcpu = &other;
    vms_[0].vcpus[0].pcpu = &other;
    runq_add(&other, &vms_[0].vcpus[0]);
    CHECK(runq_next(&c, &vms_[0].vcpus[0]) == vcpu(4));
}

TEST(a_vm_on_several_harts_takes_turns_on_each)
{
    reset();
    /* Its vCPU 0 on another hart (the VM's first), vCPUs 1 and 2 here, beside another VM's. */
    struct pcpu other = { 0 };
    struct vm *vm = &vms_[0];
    vm->pcpu = &other;
    vm->vcpus[0].vm = vm;
    vm->vcpus[0].pcpu = &other;
    runq_add(&other, &vm->vcpus[0]);
    for (unsigned i = 1; i < 3; i++) {
        vm->vcpus[i].vm = vm;
        vm->vcpus[i].pcpu = &c;
        runq_add(&c, &vm->vcpus[i]);
    }
    struct vcpu *w = vcpu(VCPU_MAX);
    runq_add(&c, w);
    CHECK(runq_next(&c, &vm->vcpus[1]) == &vm->vcpus[2]);
    CHECK(runq_next(&c, &vm->vcpus[2]) == w);
    CHECK(runq_next(&c, w) == &vm->vcpus[1]);
    CHECK(runq_next(&other, &vm->vcpus[0]) == &vm->vcpus[0]);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

TEST(heap_gives_deadline_order)
{
    uint64_t want[NVMS * VCPU_MAX];
    unsigned n = 0;

    reset();
    srand(7);
    for (unsigned i = 0; i < NVMS * VCPU_MAX; i++) {
        uint64_t d = (uint64_t)(rand() % 1000);
        sleepq_add(&c, vcpu(i), d);
    }
    /* No timer: not in the heap at all. */
    sleepq_add(&c, vcpu(5), ~0ull);
    CHECK(vcpu(5)->sq_slot == 0);
    /* Remove every third from the middle of the heap, move some to a new deadline. */
    for (unsigned i = 0; i < NVMS * VCPU_MAX; i += 3) {
        sleepq_remove(&c, vcpu(i));
    }
    for (unsigned i = 1; i < NVMS * VCPU_MAX; i += 7) {
        sleepq_add(&c, vcpu(i), 2000 + i);
    }
    for (unsigned i = 0; i < NVMS * VCPU_MAX; i++) {
        if (vcpu(i)->sq_slot) {
            want[n++] = vcpu(i)->sq_deadline;
        }
    }
    CHECK_EQ(c.nsq, n);
    qsort(want, n, sizeof want[0], cmp_u64);
    for (unsigned k = 0; k < n; k++) {
        struct vcpu *v = sleepq_first(&c);
        CHECK(v != NULL);
        CHECK_EQ(sleepq_deadline(&c), want[k]);
        sleepq_remove(&c, v);
        CHECK(v->sq_slot == 0);
    }
    CHECK(sleepq_first(&c) == NULL);
    CHECK_EQ(sleepq_deadline(&c), ~0ull);
}
