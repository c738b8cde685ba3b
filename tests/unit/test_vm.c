// SPDX-License-Identifier: MIT
// VM and vCPU life cycle (hyp/vm.c) on the host: what a vCPU keeps, or must not keep, from an earlier
// life when it is started again (HSM start, non-retentive resume, reboot, restart after a crash).
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "console.h"
#include "devices.h"
#include "hyp.h"
#include "loader.h"
#include "smp.h"
#include "vm.h"

/* ---- the rest of the hypervisor, reduced to what these tests look at ---- */
static struct pcpu cpu;
static int resets, pv_released;
struct frame_alloc frames;

struct pcpu *arch_this_cpu(void)
{
    return &cpu;
}

/* One hart: every guest goes on it (placement itself is hyp/smp.c's, tested on QEMU). */
const char *smp_place_check(const struct vm_config *cfg)
{
    (void)cfg;
    return (const char *)0;
}

void smp_place(struct vm *vm)
{
    vm->pcpu = &cpu;
}

void smp_unplace(struct vm *vm)
{
    vm->pcpu = (struct pcpu *)0;
}

/* One hart: no other is ever inside a VM. What the VM's state was when it was asked, and how often.
 */
static enum vm_state quiesced_in;
static int quiesces;

void smp_vm_quiesce(struct vm *vm)
{
    quiesced_in = vm->state;
    quiesces++;
}

/* Without queues: the state is what these tests look at. */
static int made_runnable[2]; /* sched_set_state(RUNNABLE) calls per vCPU */
static int charges;          /* exits charged, and the pc of the vCPU charged last when it was */
static uint64_t charged_pc;

void sched_set_state(struct vcpu *v, enum vcpu_state state)
{
    v->state = state;
    if (state == VCPU_RUNNABLE && v->id < 2) {
        made_runnable[v->id]++;
    }
}

void vcpu_arch_charge_exit(struct pcpu *c)
{
    if (c->exiting) {
        charges++;
        charged_pc = c->exiting->arch.regs.sepc;
        c->exiting = (struct vcpu *)0;
    }
}

void vcpu_arch_reset(struct vcpu_arch *a, uint64_t entry, uint64_t a0, uint64_t a1)
{
    memset(a, 0, sizeof *a);
    a->regs.sepc = entry;
    a->regs.x[REG_A0] = a0;
    a->regs.x[REG_A1] = a1;
    resets++;
}

void vcpu_arch_set_gstage(struct vcpu_arch *a, uint64_t root, unsigned vmid)
{
    (void)a;
    (void)root;
    (void)vmid;
}

bool vcpu_arch_can_wake(const struct vcpu_arch *a)
{
    (void)a;
    return true;
}

int vcpu_arch_create(struct vcpu *v, const struct pt_alloc *alloc)
{
    (void)v;
    (void)alloc;
    return 0;
}

void vcpu_arch_destroy(struct vcpu *v, const struct pt_alloc *alloc)
{
    (void)v;
    (void)alloc;
}

int vm_arch_create(struct vm *vm, const struct pt_alloc *alloc)
{
    (void)vm;
    (void)alloc;
    return 0;
}

void vm_arch_destroy(struct vm *vm, const struct pt_alloc *alloc)
{
    (void)vm;
    (void)alloc;
}

void vm_arch_reboot(struct vm *vm)
{
    (void)vm;
}

void arch_gstage_flush(unsigned vmid)
{
    (void)vmid;
}

int gstage_init(struct gstage *gs, const struct pt_alloc *pa)
{
    (void)gs;
    (void)pa;
    return 0;
}

int gstage_map(struct gstage *gs, const struct pt_alloc *pa, uint64_t gpa, uint64_t hpa, uint64_t size,
               uint64_t flags)
{
    (void)gs;
    (void)pa;
    (void)gpa;
    (void)hpa;
    (void)size;
    (void)flags;
    return 0;
}

void gstage_destroy(struct gstage *gs, const struct pt_alloc *pa)
{
    (void)gs;
    (void)pa;
}

/* Frames the VM's own structures come from (the bitmap of cleared RAM is written): host memory. */
uint64_t hyp_alloc_frames(uint64_t n, uint64_t align)
{
    static uint64_t pool[4][512] __attribute__((aligned(4096)));
    static unsigned next;
    (void)align;
    if (n > 1) {
        return 0x90000000; /* never written by these tests */
    }
    return (uint64_t)(uintptr_t)pool[next++ % 4];
}

uint64_t hyp_alloc_frames_unzeroed(uint64_t n, uint64_t align)
{
    return hyp_alloc_frames(n, align);
}

uint64_t hyp_alloc_guest_frames(uint64_t n, uint64_t align)
{
    (void)n;
    (void)align;
    return 0x90000000;
}

void hyp_free_frames(uint64_t pa, uint64_t n)
{
    (void)pa;
    (void)n;
}

uint64_t frames_free_count(const struct frame_alloc *fa)
{
    (void)fa;
    return 0;
}

uint64_t frames_fingerprint(const struct frame_alloc *fa)
{
    (void)fa;
    return 0;
}

uint64_t frames_largest_run(const struct frame_alloc *fa, uint64_t align)
{
    (void)fa;
    (void)align;
    return 0;
}

struct platform_info platform;

uint64_t arch_time(void)
{
    return 0;
}

uint64_t arch_instret(void)
{
    return 0;
}

void guest_load(struct vm *vm, struct guest_boot *boot)
{
    (void)vm;
    memset(boot, 0, sizeof *boot);
    boot->entry = 0x80200000;
}

const char *guest_check_layout(const struct vm_config *cfg)
{
    (void)cfg;
    return NULL;
}

void devices_reset(struct vm *vm)
{
    (void)vm;
}

void blk_attach(struct vm *vm)
{
    (void)vm;
}

void blk_detach(struct vm *vm)
{
    (void)vm;
}

void blk_cancel(struct blk_disk *d, enum blk_user user)
{
    (void)d, (void)user;
}

void hc_blk_cancel(struct vm *vm)
{
    (void)vm;
}

void pv_release(struct vm *vm)
{
    (void)vm;
    pv_released++;
}

void pv_vcpu_reset(struct vcpu *v)
{
    (void)v;
}

static unsigned sta_resets;
void sta_reset(struct vcpu *v)
{
    (void)v;
    sta_resets++;
}

void stats_fold(struct vcpu *v)
{
    (void)v;
}

void console_guest_end(struct vm *vm)
{
    (void)vm;
}

void console_focus_next(void)
{
}

void hyp_log(const char *fmt, ...)
{
    (void)fmt;
}

/* ---- a VM of two vCPUs, built from a configuration that allows restarts ---- */
static struct vm *vm = &vms[0];

static void setup(void)
{
    static const uint8_t byte = 1;
    static const struct guest_image image = { "x", &byte, &byte + 1 };
    static const struct vm_config cfg = {
        .name = "t", .image = &image, .ram_size = 2u << 20, .vcpus = 2, .restarts = 5,
    };
    memset(vm, 0, sizeof *vm);
    memset(&cpu, 0, sizeof cpu);
    vm->cfg = &cfg;
    vm->state = VM_RUNNING;
    vm->nvcpus = 2;
    for (unsigned i = 0; i < 2; i++) {
        vm->vcpus[i].vm = vm;
        vm->vcpus[i].id = i;
        vm->vcpus[i].state = VCPU_RUNNABLE;
    }
    resets = pv_released = charges = quiesces = sta_resets = 0;
    made_runnable[0] = made_runnable[1] = 0;
    cpu.exiting = (struct vcpu *)0;
}

/* The trap-loop count (hyp/exit.c) belongs to one life: three ticks of a new life in its trap loop,
 * not one, stop it. */
TEST(a_started_vcpu_has_no_trap_loop_ticks)
{
    setup();
    struct vcpu *v = &vm->vcpus[1];
    v->loop_ticks = 2;
    v->resume_reset = true;
    vcpu_start(v, 0x80300000, 7);
    CHECK_EQ(resets, 1);
    CHECK_EQ(sta_resets, 1); /* its steal-time record was the last life's */
    CHECK_EQ(v->loop_ticks, 0);
    CHECK(!v->resume_reset);
    CHECK_EQ(v->state, VCPU_RUNNABLE);
    CHECK_EQ(v->arch.regs.sepc, 0x80300000);
}

/* The reboot is the exit of the vCPU it resets: that exit is charged to the life that took it,
 * before the reset clears where it began (a charge after it counted from instret 0). */
TEST(an_exit_that_resets_its_own_vcpu_is_charged_first)
{
    setup();
    vm->vcpus[0].arch.regs.sepc = 0x80001234;
    cpu.exiting = &vm->vcpus[0];
    vm_reboot(vm, true);
    CHECK_EQ(charges, 1);
    CHECK_EQ(charged_pc, 0x80001234);
    CHECK(cpu.exiting == (struct vcpu *)0);
    /* Starting another vCPU charges nothing of the exit being handled. */
    cpu.exiting = &vm->vcpus[0];
    vcpu_start(&vm->vcpus[1], 0x80300000, 7);
    CHECK_EQ(charges, 1);
    CHECK(cpu.exiting == &vm->vcpus[0]);
}

/* A VM on several harts: its other harts are out of it before anything of it is reset, and stay
 * out (the state is not VM_RUNNING) until it is whole again; a VM on one hart needs none of it. */
TEST(a_reboot_of_a_vm_on_several_harts_quiesces_it_first)
{
    setup();
    vm_reboot(vm, false);
    CHECK_EQ(quiesces, 0);
    vm->spans_harts = true;
    vm_reboot(vm, false);
    CHECK_EQ(quiesces, 1);
    CHECK_EQ(quiesced_in, VM_REBOOTING);
    CHECK_EQ(vm->state, VM_RUNNING);
    CHECK_EQ(vm->vcpus[0].state, VCPU_RUNNABLE);
    CHECK_EQ(vm->vcpus[1].state, VCPU_OFF);
}

TEST(reboot_and_restart_start_every_vcpu_afresh)
{
    setup();
    vm->vcpus[0].loop_ticks = 2;
    vm->vcpus[1].loop_ticks = 1;
    vm_reboot(vm, false);
    CHECK_EQ(pv_released, 1);
    CHECK_EQ(sta_resets, 2); /* every vCPU, the stopped ones too */
    CHECK_EQ(vm->vcpus[0].loop_ticks, 0);
    CHECK_EQ(vm->vcpus[1].loop_ticks, 0);
    CHECK_EQ(vm->vcpus[0].state, VCPU_RUNNABLE);
    CHECK_EQ(vm->vcpus[1].state, VCPU_OFF);

    /* vCPU 1 went straight to stopped: never runnable for a moment, when its hart (another one,
     * the VM spanning harts) would have been kicked to enter it while the reboot went on. */
    CHECK_EQ(made_runnable[0], 1);
    CHECK_EQ(made_runnable[1], 0);

    vm->vcpus[0].loop_ticks = 3; /* what the tick that stops a trap loop leaves */
    vm_crash(vm, "trap loop");
    CHECK_EQ(vm->restarts, 1);
    CHECK_EQ(vm->state, VM_RUNNING);
    CHECK_EQ(vm->vcpus[0].loop_ticks, 0);
}
