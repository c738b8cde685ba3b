// SPDX-License-Identifier: MIT
// Every hart: which harts run guests (the device tree, hyp.harts, what the firmware reports), their
// start through SBI HSM hart_start, where each guest goes, and one banner line per hart.
#include "smp.h"

#include <string.h>

#include <arch/arch.h>
#include <arch/csr.h>
#include <arch/spinlock.h>

#include "console.h"
#include "fdt.h"
#include "hvabi.h"
#include "hyp.h"
#include "lib/format.h"
#include "platform.h"
#include "sched.h"

struct pcpu pcpus[FDT_MAX_HARTS];
unsigned npcpus;
struct pcpu *smp_starting;

/* 16 KiB, as the boot hart's: the deepest exit path (validation, the panic path) fits in it. */
#define SECONDARY_STACK_FRAMES 4

/* Why each hart of the tree (in its order) is left alone; NULL for a hart in use. */
static const char *left_alone[FDT_MAX_HARTS];
static char why_text[FDT_MAX_HARTS][72];
static uint32_t shutdown_claimed;

void smp_boot_cpu(unsigned long hartid, uint64_t stack_top)
{
    struct pcpu *c = &pcpus[0];

    c->id = 0;
    c->hartid = hartid;
    c->stack_top = stack_top;
    c->online = 1;
    c->released = 1;
    npcpus = 1;
    arch_set_this_cpu(c);
}

static const char *hsm_state_name(long st)
{
    static const char *const names[] = { "started",       "stopped",   "start pending",
                                         "stop pending",  "suspended", "suspend pending",
                                         "resume pending" };

    return st >= 0 && st < 7 ? names[st] : "in an unknown state";
}

/* Starts one hart; the reason it is left alone, or NULL. */
static const char *start_one(unsigned i, unsigned long hartid, const void *dtb)
{
    if (hartid >= 64) {
        return "its hart id is above 63 (SBI hart masks of the hypervisor's own calls name 0-63)";
    }
    long st = arch_fw_hart_status(hartid);

    if (st != SBI_HSM_STATE_STOPPED) {
        if (st < 0) {
            fmt_snprintf(
              why_text[i], sizeof why_text[i], "the firmware has no HSM state for it (%ld)", st);
        } else {
            fmt_snprintf(
              why_text[i], sizeof why_text[i], "the firmware reports it %s", hsm_state_name(st));
        }
        return why_text[i];
    }
    uint64_t stack = hyp_alloc_frames(SECONDARY_STACK_FRAMES, PAGE_SIZE);
    if (!stack) {
        return "no memory for its stack";
    }
    struct pcpu *c = &pcpus[npcpus];
    memset(c, 0, sizeof *c);
    c->id = npcpus;
    c->hartid = hartid;
    c->stack_top = stack + SECONDARY_STACK_FRAMES * PAGE_SIZE;
    /* Named before the call: a hart OpenSBI 1.1 sends to the image's entry finds it there. */
    __atomic_store_n(&smp_starting, c, __ATOMIC_RELEASE);
    /* The selftest's a1 is the DTB's address, as the firmware's stale start would have it. */
    long err = boot_options.wrong_door_selftest
                 ? arch_fw_hart_start_at_image_entry(hartid, (unsigned long)(uintptr_t)dtb)
                 : arch_fw_hart_start(hartid, c);
    if (err != 0) {
        hyp_free_frames(stack, SECONDARY_STACK_FRAMES);
        fmt_snprintf(why_text[i], sizeof why_text[i], "SBI hart_start failed (error %ld)", err);
        return why_text[i];
    }
    /* The slot is the hart's from now on, even if it comes up late: it will find its block there.
     */
    npcpus++;
    /* Wait in WFI, a millisecond at a time, not in a spin: under QEMU -icount the harts take turns
     * on one thread, and a spinning boot hart would use up the second before the other ran at all.
     */
    uint64_t until = arch_time() + platform.timebase_freq;
    while (!__atomic_load_n(&c->online, __ATOMIC_ACQUIRE) && arch_time() < until) {
        arch_timer_set(arch_time() + platform.timebase_freq / 1000);
        arch_idle();
    }
    arch_timer_set(~0ull);
    return c->online ? (const char *)0 : "it did not come up within a second of hart_start";
}

static bool harts_excludes(unsigned long hartid)
{
    return boot_options.harts_mask && (hartid >= 64 || !(boot_options.harts_mask >> hartid & 1));
}

void smp_start(const struct platform_choice *choice, unsigned long boot_hartid, const void *dtb)
{
    unsigned boot_index = 0;

    for (unsigned i = 0; i < choice->nharts; i++) {
        const struct platform_hart *h = &choice->harts[i];
        left_alone[i] = (const char *)0;
        if (h->hartid == boot_hartid) {
            boot_index = i;
            continue;
        }
        if (!h->usable) {
            left_alone[i] = h->why;
        } else if (harts_excludes(h->hartid)) {
            left_alone[i] = "not in hyp.harts";
        } else {
            left_alone[i] = start_one(i, h->hartid, dtb);
        }
    }
    /* The firmware chooses the boot hart (OpenSBI takes whichever hart wins its own lottery), so
     * hyp.harts may leave it out: it builds the guests, takes none, and stops once they are built
     * (smp_boot_hart_done). Unless no other hart came up: then it is the only one there is. */
    unsigned others = 0;
    for (unsigned i = 1; i < npcpus; i++) {
        others += __atomic_load_n(&pcpus[i].online, __ATOMIC_ACQUIRE) != 0;
    }
    if (harts_excludes(boot_hartid)) {
        /* A hart counts once it is up (one late to come up holds a slot but runs nothing yet). */
        if (others > 0) {
            __atomic_store_n(&pcpus[0].online, 0u, __ATOMIC_RELEASE);
            left_alone[boot_index] = "not in hyp.harts (the boot hart: it stops once the guests are built)";
        } else {
            hyp_log("hyp.harts leaves out boot hart %lu, and no other hart runs guests: it runs them",
                    boot_hartid);
        }
    }
}

void smp_boot_hart_done(void)
{
    struct pcpu *c = arch_this_cpu();

    if (__atomic_load_n(&c->online, __ATOMIC_ACQUIRE)) {
        sched_next();
    }
    /* No vCPU was placed here and no other hart sends it work: back to the firmware, stopped, as
     * the harts hyp.harts leaves out are. hart_stop returns only when it fails. */
    arch_timer_set(~0ull);
    long err = arch_fw_hart_stop();
    hyp_log("hart %lu: SBI hart_stop failed (error %ld): it idles", c->hartid, err);
    for (;;) {
        arch_idle();
    }
}

/* The online harts a guest may run on. */
static bool may_run_on(const struct vm_config *cfg, const struct pcpu *c)
{
    if (!__atomic_load_n(&c->online, __ATOMIC_ACQUIRE)) {
        return false;
    }
    return !cfg->cpus || (c->hartid < 64 && (cfg->cpus >> c->hartid & 1));
}

const char *smp_place_check(const struct vm_config *cfg)
{
    for (unsigned i = 0; i < npcpus; i++) {
        if (may_run_on(cfg, &pcpus[i])) {
            return (const char *)0;
        }
    }
    return "its cpus name no hart the hypervisor runs guests on";
}

/* The allowed hart with the fewest vCPUs placed (the lowest on a tie). */
static struct pcpu *least_loaded(const struct vm_config *cfg)
{
    struct pcpu *best = (struct pcpu *)0;

    for (unsigned i = 0; i < npcpus; i++) {
        struct pcpu *c = &pcpus[i];
        if (may_run_on(cfg, c) && (!best || c->nvcpus < best->nvcpus)) {
            best = c;
        }
    }
    return best ? best : &pcpus[0]; /* smp_place_check refused a guest with none */
}

static void place_vcpu(struct vm *vm, unsigned i, struct pcpu *c)
{
    vm->vcpus[i].pcpu = c;
    c->nvcpus++;
    if (c->nvms == 0 || c->vms[c->nvms - 1] != vm) {
        c->vms[c->nvms++] = vm;
    }
    vm->harts_mask |= c->hartid < 64 ? 1ull << c->hartid : 0;
}

void smp_place(struct vm *vm)
{
    const struct vm_config *cfg = vm->cfg;

    /* Each vCPU goes to the least loaded hart it may use, so an SMP guest spreads over the harts
     * (both engines: the trap engine fences the VM's other harts where a shadow tree or a retyped
     * frame must change there at once, tmem.c). Placement is for the guest's life. */
    struct pcpu *first = least_loaded(cfg);
    for (unsigned i = 0; i < cfg->vcpus && i < VCPU_MAX; i++) {
        place_vcpu(vm, i, i == 0 ? first : least_loaded(cfg));
        vm->spans_harts |= vm->vcpus[i].pcpu != first;
    }
    vm->pcpu = first;
}

void smp_unplace(struct vm *vm)
{
    /* Only the guest placed last is taken back (its build failed at once): it is last everywhere.
     */
    for (unsigned i = 0; i < npcpus; i++) {
        struct pcpu *c = &pcpus[i];
        if (c->nvms && c->vms[c->nvms - 1] == vm) {
            c->nvms--;
        }
    }
    for (unsigned i = 0; i < vm->cfg->vcpus && i < VCPU_MAX; i++) {
        vm->vcpus[i].pcpu->nvcpus--;
        vm->vcpus[i].pcpu = (struct pcpu *)0;
    }
    vm->pcpu = (struct pcpu *)0;
    vm->spans_harts = false;
    vm->harts_mask = 0;
}

/* ---- A guest on several harts ---- */

bool vm_lock(struct vm *vm)
{
    struct pcpu *c = arch_this_cpu();

    if (!vm->spans_harts || c->held == vm) {
        return false;
    }
    spin_lock(&vm->lock);
    return true;
}

void vm_unlock(struct vm *vm, bool taken)
{
    if (taken) {
        spin_unlock(&vm->lock);
    }
}

void smp_exit_lock(struct vcpu *v)
{
    struct pcpu *c = arch_this_cpu();
    struct vm *vm = v->vm;

    if (!vm->spans_harts || c->held == vm) {
        return;
    }
    /* Another hart may be stopping or rebooting the VM, holding its lock while it waits for this
     * one to leave (smp_vm_quiesce): then this exit is dropped and the hart leaves without touching
     * the VM (but for charging the exit, sched_next). */
    while (!spin_trylock(&vm->lock)) {
        if (__atomic_load_n(&vm->state, __ATOMIC_ACQUIRE) != VM_RUNNING) {
            sched_next();
        }
    }
    c->held = vm;
    if (vm->state != VM_RUNNING || v->state == VCPU_OFF) {
        sched_next(); /* releases the lock */
    }
}

bool smp_exit_trylock(struct vcpu *v)
{
    struct pcpu *c = arch_this_cpu();
    struct vm *vm = v->vm;

    if (c->held == vm) {
        return true;
    }
    if (!spin_trylock(&vm->lock)) {
        return false;
    }
    /* Stopping or rebooting, or this vCPU turned off: smp_exit_lock's cases, left to it. */
    if (vm->state != VM_RUNNING || v->state == VCPU_OFF) {
        spin_unlock(&vm->lock);
        return false;
    }
    c->held = vm;
    return true;
}

void smp_release_held(struct pcpu *c)
{
    if (c->held) {
        spin_unlock(&c->held->lock);
        c->held = (struct vm *)0;
    }
}

uint64_t smp_other_harts(const struct vm *vm)
{
    const struct pcpu *me = arch_this_cpu();

    return vm->spans_harts ? vm->harts_mask & ~(me->hartid < 64 ? 1ull << me->hartid : 0) : 0;
}

void smp_kick(struct pcpu *c)
{
    if (c != arch_this_cpu() && c->hartid < 64) {
        arch_fw_send_ipi(1ull << c->hartid);
    }
}

void smp_raise_remote(struct vcpu *t, unsigned irq, bool level)
{
    /* The caller holds t's VM lock. Its hart applies the bits before it next enters t. */
    if (irq == IRQ_VS_EXT) {
        __atomic_store_n(&t->ext_level, level ? 1u : 0u, __ATOMIC_RELEASE);
    } else if (!level) {
        return; /* a software interrupt is only ever cleared by its own vCPU */
    }
    __atomic_fetch_or(&t->virq_inbox, 1u << irq, __ATOMIC_ACQ_REL);
    /* A sleeper is woken to look (WFI may end early, and it has an interrupt on its way). */
    if (level && (t->state == VCPU_WFI || t->state == VCPU_SUSPENDED)) {
        sched_wake(t);
    }
    smp_kick(t->pcpu);
}

void smp_apply_inbox(struct vcpu *v)
{
    uint32_t in = __atomic_exchange_n(&v->virq_inbox, 0u, __ATOMIC_ACQ_REL);

    if (in & (1u << IRQ_VS_SOFT)) {
        vcpu_arch_set_virq(v, IRQ_VS_SOFT, true);
    }
    if (in & (1u << IRQ_VS_EXT)) {
        vcpu_arch_set_virq(v, IRQ_VS_EXT, __atomic_load_n(&v->ext_level, __ATOMIC_ACQUIRE) != 0);
    }
}

void smp_vm_quiesce(struct vm *vm)
{
    struct pcpu *me = arch_this_cpu();

    if (!vm->spans_harts) {
        return;
    }
    /* Its state is no longer VM_RUNNING (the caller set it): a hart that enters the VM after this
     * fence sees that and leaves (sched.c, run); one already inside is kicked out and seen leave.
     */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    for (unsigned i = 0; i < npcpus; i++) {
        struct pcpu *c = &pcpus[i];
        if (c != me && __atomic_load_n(&c->in_vm, __ATOMIC_ACQUIRE) == vm) {
            smp_kick(c);
            while (__atomic_load_n(&c->in_vm, __ATOMIC_ACQUIRE) == vm) {
            }
        }
    }
    /* No hart is inside it: drop what any of them may cache of its G-stage before its frames go. */
    uint64_t others = vm->harts_mask & ~(me->hartid < 64 ? 1ull << me->hartid : 0);
    if (others) {
        (void)vcpu_arch_remote_flush_vm(others, vm->vmid);
    }
}

void smp_banner(const struct platform_choice *choice)
{
    const char *engine = arch_engine_trap ? "trap" : "hext";

    for (unsigned i = 0; i < choice->nharts; i++) {
        unsigned long hartid = choice->harts[i].hartid;
        const struct pcpu *c = (const struct pcpu *)0;
        for (unsigned j = 0; j < npcpus; j++) {
            c = pcpus[j].hartid == hartid ? &pcpus[j] : c;
        }
        if (left_alone[i] || !c) {
            hyp_log(
              "hart %lu: left alone: %s", hartid, left_alone[i] ? left_alone[i] : "not started");
        } else if (c->nvms) {
            hyp_log("hart %lu: %s, running guests (%u vCPUs)", hartid, engine, c->nvcpus);
        } else {
            hyp_log("hart %lu: %s, idle (no guest placed on it)", hartid, engine);
        }
    }
}

void smp_release(void)
{
    for (unsigned i = 1; i < npcpus; i++) {
        __atomic_store_n(&pcpus[i].released, 1u, __ATOMIC_RELEASE);
    }
}

bool smp_claim_shutdown(void)
{
    return __atomic_exchange_n(&shutdown_claimed, 1u, __ATOMIC_ACQ_REL) == 0;
}

_Noreturn void hyp_secondary_main(struct pcpu *c);

/* A secondary hart's C entry (head.S's secondary_entry: tp = c, sp = its stack). */
_Noreturn void hyp_secondary_main(struct pcpu *c)
{
    /* The same set-up as the boot hart's: the engine and timer were chosen for every usable hart
     * (platform_choose takes what they all have). */
    arch_hart_init(hart_has_sstc);
    arch_engine_init();
    __atomic_store_n(&c->online, 1u, __ATOMIC_RELEASE);
    /* Until every guest is built: wake each millisecond to look (no IPI is needed for this). */
    while (!__atomic_load_n(&c->released, __ATOMIC_ACQUIRE)) {
        arch_timer_set(arch_time() + platform.timebase_freq / 1000);
        arch_idle();
    }
    arch_timer_set(~0ull);
    c->timer_armed = ~0ull;
    sched_next();
}
