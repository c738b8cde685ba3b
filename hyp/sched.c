// SPDX-License-Identifier: MIT
// Round-robin scheduler over the vCPUs of the guests placed on this hart (hyp/smp.c), driven by the
// hart's own timer. Each hart schedules only its own guests: no vCPU is ever seen by two schedulers.
#include "sched.h"

#include <arch/arch.h>
#include <arch/csr.h>

#include "conout.h"
#include "console.h"
#include "devices.h"
#include "hyp.h"
#include "runq.h"
#include "smp.h"
#include "stats.h"
#include "vm.h"

uint64_t sched_slice;

/* How soon an exit comes back for device work left over (a 50th of a slice: 200 us). */
#define DEVICE_TICK_DIV 50

static uint64_t next_wakeup(struct pcpu *c);

/* Sets the hypervisor's timer when the deadline changes: the timer costs a CSR write (or a firmware
 * call) that the common exit back to the same vCPU does without. */
static void timer_arm(struct pcpu *c, uint64_t deadline)
{
    if (deadline != c->timer_armed) {
        arch_timer_set(deadline);
        c->timer_armed = deadline;
    }
}

/* What this hart must wake for while v runs: the end of its slice, the earliest timer of a sleeping
 * vCPU (so it wakes on time, not at the slice's end), and v's own timer when the hypervisor delivers
 * it (trap engine, or no Sstc; with Sstc a running vCPU's timer is the hardware's). */
static uint64_t deadline_for(struct pcpu *c, struct vcpu *v)
{
    uint64_t t = c->slice_end, w = next_wakeup(c);

    t = w < t ? w : t;
    if (!hart_has_sstc || arch_engine_trap) {
        uint64_t g = vcpu_arch_timer_deadline(&v->arch);
        t = g < t ? g : t;
    }
    /* Device work left, or console output the host UART has not taken yet: look again soon. */
    if (devices_busy(v->vm) || conout_pending()) {
        uint64_t d = arch_time() + sched_slice / DEVICE_TICK_DIV;
        t = d < t ? d : t;
    }
    return t;
}

void sched_device_work_left(void)
{
    struct pcpu *c = arch_this_cpu();
    uint64_t d = arch_time() + sched_slice / DEVICE_TICK_DIV;

    if (c->current && d < c->deadline) {
        c->deadline = d;
    }
}

/* Entering a vCPU of a VM on several harts. Published before the VM's state is read: a hart
 * stopping (or rebooting) the VM sets the state, then looks for harts inside it (smp_vm_quiesce),
 * so one of the two sees the other. Only such a VM is ever changed under another hart, so only its
 * entries publish. Kept out of line: the common entry, of a VM on one hart, stays as short as it
 * was. False when v may not be entered now: this hart is out of the VM again, and the caller
 * chooses anew. (It returns rather than call sched_next: a hart may look many times while another
 * reboots the VM, and each nested call would keep its frames on this hart's stack.) */
static __attribute__((noinline)) bool enter_spanning(struct pcpu *c, struct vcpu *v)
{
    struct vm *vm = v->vm;

    __atomic_store_n(&c->in_vm, vm, __ATOMIC_SEQ_CST);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (__atomic_load_n(&vm->state, __ATOMIC_ACQUIRE) != VM_RUNNING || v->state != VCPU_RUNNABLE) {
        __atomic_store_n(&c->in_vm, (struct vm *)0, __ATOMIC_RELEASE);
        return false;
    }
    smp_release_held(c);
    smp_apply_inbox(v);
    return true;
}

/* Enters v; returns only when v's VM spans harts and may not be entered now. */
static void run(struct pcpu *c, struct vcpu *v, bool new_slice)
{
    /* Steal time: only a vCPU with a record leaving this hart, or v back from a wait, writes one. */
    struct vcpu *prev = c->current;
    if (v->sta.waiting || (prev && prev != v && prev->sta.on)) {
        sta_switch(c, prev, v, c->now);
    }
    if (v->vm->spans_harts && !enter_spanning(c, v)) {
        return;
    }
    if (new_slice || c->current != v) {
        v->vm->console_slice_bytes = 0;
        c->slice_end = c->now + sched_slice;
        c->deadline = deadline_for(c, v);
    }
    c->current = v;
    timer_arm(c, c->deadline);
    vcpu_arch_run(v);
}

static bool any_vm_running(void)
{
    return __atomic_load_n(&vms_running, __ATOMIC_ACQUIRE) != 0;
}

void sched_set_state(struct vcpu *v, enum vcpu_state state)
{
    struct pcpu *c = v->pcpu;

    /* Invariant: a RUNNABLE vCPU is in its hart's run ring; a sleeper with a timer in its sleep
     * heap; nothing else in either. Every state change comes through here to keep it so. */
    /* Another hart may wake or start a vCPU of this one (its VM spans harts): the queues are
     * changed under their hart's lock, and that hart is kicked to look at them. */
    spin_lock(&c->qlock);
    runq_remove(c, v);
    sleepq_remove(c, v);
    if (state == VCPU_RUNNABLE && v->state != VCPU_RUNNABLE && v->sta.on) {
        sta_ready(v, arch_time()); /* from here until it runs, its wait is steal */
    }
    v->state = state;
    if (state == VCPU_RUNNABLE) {
        runq_add(c, v);
    } else if (state == VCPU_WFI || state == VCPU_SUSPENDED) {
        /* Sleepers are unloaded (sched_wfi, sched_sleep): their deadline is in memory. One with an
         * interrupt pending already (an HSM suspend may begin so) is due at once: the next pass of
         * its scheduler wakes it, after the exit that put it to sleep is complete. */
        uint64_t now = arch_time();
        sleepq_add(c, v, vcpu_arch_irq_pending(&v->arch, now) ? 0 : vcpu_arch_timer_deadline(&v->arch));
    }
    spin_unlock(&c->qlock);
    if (state == VCPU_RUNNABLE) {
        smp_kick(c);
    }
}

void sched_wake(struct vcpu *v)
{
    /* Resuming from a non-retentive HSM suspend is a restart at resume_addr (ext-hsm.adoc). */
    if (v->state == VCPU_SUSPENDED && v->resume_reset) {
        /* The interrupt that woke it stays pending, as it would on a real hart. */
        bool soft = vcpu_arch_virq_pending(v, IRQ_VS_SOFT);
        vcpu_start(v, v->resume_pc, v->resume_arg);
        vcpu_arch_set_virq(v, IRQ_VS_SOFT, soft);
        return;
    }
    sched_set_state(v, VCPU_RUNNABLE);
}

void sched_virq_raised(struct vcpu *v)
{
    /* A sleeper wakes when the interrupt is one it has enabled (the WFI rule): the only other way
     * it wakes is its timer, which the sleep heap watches. */
    if ((v->state == VCPU_WFI || v->state == VCPU_SUSPENDED) &&
        vcpu_arch_irq_pending(&v->arch, arch_time())) {
        sched_wake(v);
    }
}

/* The runnable vCPU after `after` in round-robin order over this hart's run ring (wake_due has woken
 * the sleepers that are due). */
static struct vcpu *pick(struct pcpu *c, struct vcpu *after)
{
    spin_lock(&c->qlock);
    struct vcpu *v = runq_next(c, after);
    spin_unlock(&c->qlock);
    return v;
}

/* Wakes every sleeper whose timer is due. Done before choosing, so that a sleeper already due is not
 * taken for a deadline still ahead: the vCPU chosen would get a slice that ends at once, and the one
 * after the sleeper all the time (two busy guests beside one on a short timer: 1 to 100). */
static void wake_due(struct pcpu *c, uint64_t now)
{
    for (;;) {
        /* Taken off the heap under the lock, woken after it (waking takes it again). */
        spin_lock(&c->qlock);
        struct vcpu *v = sleepq_first(c);
        if (v && v->sq_deadline <= now) {
            sleepq_remove(c, v);
        } else {
            v = (struct vcpu *)0;
        }
        spin_unlock(&c->qlock);
        if (!v) {
            return;
        }
        /* Its deadline was read from the state the pending test reads: it is due. A VM on several
         * harts is locked first: another hart may be waking or stopping the same vCPU. */
        bool taken = vm_lock(v->vm);
        if ((v->state == VCPU_WFI || v->state == VCPU_SUSPENDED) &&
            vcpu_arch_irq_pending(&v->arch, now)) {
            sched_wake(v);
        }
        vm_unlock(v->vm, taken);
    }
}

/* Earliest timer among this hart's sleeping vCPUs: what the idle hart waits for. */
static uint64_t next_wakeup(struct pcpu *c)
{
    spin_lock(&c->qlock);
    uint64_t t = sleepq_deadline(c);
    spin_unlock(&c->qlock);
    return t;
}

_Noreturn void sched_next(void)
{
    struct pcpu *c = arch_this_cpu();
    struct vcpu *prev = c->current;

    /* Out of the VM whose exit this was: its lock goes, and a hart stopping it may go on. A VM on
     * several harts has the exit charged first, while this hart still counts as inside it: once it
     * has left, another hart may start the vCPU afresh (HSM, a reboot), counters included, and a
     * charge after that would be taken against a start the reset cleared. */
    if (c->exiting && c->exiting->vm->spans_harts) {
        vcpu_arch_charge_exit(c);
    }
    smp_release_held(c);
    __atomic_store_n(&c->in_vm, (struct vm *)0, __ATOMIC_RELEASE);

    /* Once per slice: a guest that keeps exiting (polling its UART) reaches here at the end of its
     * slice even when no timer interrupt was ever taken. */
    console_poll();
    uint64_t idle_from = 0; /* instret when this hart last went idle, 0 when it has not */
    for (;;) {
        if (idle_from) {
            c->idle_instret += arch_instret() - idle_from;
            idle_from = 0;
        }
        /* Every hart sees the last guest stop (they look at least once a slice); one of them ends
         * the run, the others idle until the firmware powers the machine off. */
        if (!any_vm_running() && smp_claim_shutdown()) {
            hyp_log("all guests have stopped");
            stats_print();
            unsigned status = vm_run_status();
            conout_flush();
            arch_fw_shutdown(status);
        }
        /* A kick from another hart (SBI IPI) is taken back before the queues are looked at: one
         * sent after this raises it again, and the WFI below returns at once. */
        arch_ipi_clear();
        c->now = arch_time();
        wake_due(c, c->now);
        struct vcpu *v = pick(c, prev);
        if (v) {
            run(c, v, true);
            /* Back: v's VM is being stopped or rebooted by another hart. Look again (past v). */
            prev = v;
            continue;
        }
        /* Nothing can run: sleep until the earliest guest timer, or one slice, after which the
         * console is polled for input. Interrupts stay masked; WFI still wakes on a pending one. */
        c->current = (struct vcpu *)0;
        conout_drain();
        uint64_t wake = next_wakeup(c);
        uint64_t poll = arch_time() + sched_slice / (conout_pending() ? DEVICE_TICK_DIV : 1);
        timer_arm(c, wake < poll ? wake : poll);
        vcpu_arch_exit_idles(c);
        idle_from = arch_instret();
        arch_idle();
        console_poll();
    }
}

bool sched_may_return(struct vcpu *v)
{
    struct pcpu *c = arch_this_cpu();

    if (conout_pending()) {
        conout_drain();
    }
    /* sched_resume's first test: the timer armed for the deadline (slice end, a sleeper, the guest's
     * own timer) has not fired, so nothing is due. */
    return v->vm->state == VM_RUNNING && v->state == VCPU_RUNNABLE && c->deadline == c->timer_armed &&
           !arch_timer_pending();
}

_Noreturn void sched_resume(struct vcpu *v)
{
    struct pcpu *c = arch_this_cpu();

    if (conout_pending()) {
        conout_drain(); /* what the UART takes now, at every exit */
    }
    /* Past the armed deadline the slice is over, or a sleeper is due: let the scheduler choose. */
    bool runnable = v->vm->state == VM_RUNNING && v->state == VCPU_RUNNABLE;
    /* The timer armed for this very deadline has not fired: it has not passed, and the time need
     * not be read (on harts without a time CSR each read is a trip through the firmware). The
     * engine's check of the guest's own timer, later than the deadline, can then wait too. */
    if (runnable && c->deadline == c->timer_armed && !arch_timer_pending()) {
        run(c, v, false);
    }
    c->now = arch_time();
    if (runnable && c->now < c->deadline) {
        run(c, v, false);
    }
    if (runnable && c->now >= c->slice_end) {
        v->vm->stats.slice_ends++;
    }
    sched_next();
}

void sched_timer_changed(struct vcpu *v)
{
    struct pcpu *c = arch_this_cpu();

    /* Without Sstc (and always on the trap engine) the hypervisor delivers the guest's timer: a new
     * deadline may be earlier than what its own timer is armed for. */
    if (c->current == v) {
        c->deadline = deadline_for(c, v);
    }
}

void sched_yield_soon(void)
{
    /* The caller woke another vCPU (an IPI): end this slice at the next exit so it runs soon, as a
     * guest spinning for the answer (Linux's smp_call_function) would otherwise wait a whole slice. */
    arch_this_cpu()->deadline = 0;
}

_Noreturn void sched_wfi(struct vcpu *v)
{
    console_guest_flush(v->vm);
    /* A device still works for the guest (it waits for it, likely): this exit does a share of that
     * work, and the WFI ends at once (the spec allows it) so the guest looks again, or waits again
     * with the next share done. */
    if (devices_work(v->vm)) {
        sched_resume(v);
    }
    /* The wake-up test reads the VS state from memory, so take it off the hart first; what other
     * harts raised for it is in by then (they raise under the VM lock this exit holds). */
    vcpu_arch_unload(v);
    if (v->vm->spans_harts) {
        smp_apply_inbox(v);
    }
    if (!vcpu_arch_irq_pending(&v->arch, arch_time())) {
        sched_set_state(v, VCPU_WFI);
        /* Every interrupt disabled on every vCPU still alive: nothing can ever wake the guest. */
        if (!vm_can_progress(v->vm)) {
            vm_crash(v->vm, "every vCPU sleeps in WFI with all its interrupts disabled: it can never wake");
        }
    }
    sched_resume(v);
}

void sched_sleep(struct vcpu *v, enum vcpu_state state)
{
    vcpu_arch_unload(v);
    if (v->vm->spans_harts) {
        smp_apply_inbox(v); /* as in sched_wfi: a suspend ends on what was raised before it */
    }
    sched_set_state(v, state);
}

void sched_tick(struct vcpu *v)
{
    struct pcpu *c = arch_this_cpu();

    vcpu_arch_timer_check(v, arch_time());
    console_poll();
    /* Without Sstc the guest's deadline may have been what fired: aim at the next one. */
    c->deadline = deadline_for(c, v);
}
