/* SPDX-License-Identifier: MIT */
/* The device fast exit: a UART register access emulated without the scheduler. Inline, as the
 * engine's fast entry (hext_dev.c) runs it on every such access and calls are most of its cost. */
#ifndef HYP_EXIT_DEV_H
#define HYP_EXIT_DEV_H

#include <stdbool.h>
#include <stdint.h>

#include <arch/arch.h>
#include <arch/insn.h>

#include "conout.h"
#include "devices.h"
#include "mmio.h"
#include "smp.h"
#include "vm.h"
#include "vplatform.h"

/* The engine's short way for an exit that needs no decision of the scheduler: a UART register
 * access, already found to be one (devices_fast) and decoded by the engine into in (aligned, of
 * the fault's kind). It returns in every case, as the engine's fast entry saved only part of the
 * guest's registers: */
enum exit_dev {
    EXIT_DEV_DONE,  /* emulated and counted: the vCPU goes on at once (any lock released) */
    EXIT_DEV_SCHED, /* emulated and counted; the guest stopped or its slice ended: sched_resume */
    EXIT_DEV_FULL,  /* nothing done (the VM's lock is held elsewhere): vcpu_handle_exit */
};
static inline __attribute__((always_inline)) enum exit_dev vcpu_exit_dev(struct vcpu *v, uint64_t gpa,
                                                                         const struct mmio_insn *in)
{
    struct pcpu *c = arch_this_cpu();
    struct vm *vm = v->vm;
    struct vcpu_arch *a = &v->arch;

    /* A VM on several harts: the device is changed under its lock, as on the full path. Waiting
     * for it, or finding the VM stopping, is the full path's business (it may not return). */
    if (vm->spans_harts && !smp_exit_trylock(v)) {
        return EXIT_DEV_FULL;
    }
    /* Counted per vCPU, added to the VM's table by stats_fold (stats_count's bookkeeping cost 53
     * instructions of a UART read). */
    v->stats.fast_dev[in->store]++;
    uint64_t val = in->store ? mmio_store_value(a, in) : 0;
    devices_uart(vm, (unsigned)(gpa - VM_UART_BASE), in->store, &val);
    mmio_complete(a, in, val, vcpu_arch_get_pc(a));
    /* What sched_resume would decide, without arming the timer again (nothing changed it), nor
     * reading the time: the timer armed for the deadline has not fired. The console's output ring
     * drains here too, as at every exit (UART output is what these exits write). An interrupt the
     * access raised for this vCPU is in hvip already; one for another vCPU woke it (the PLIC's
     * notify), and the end of this slice comes with the timer. */
    if (conout_pending()) {
        conout_drain();
    }
    if (vm->state != VM_RUNNING || v->state != VCPU_RUNNABLE || c->deadline != c->timer_armed ||
        arch_timer_pending()) {
        return EXIT_DEV_SCHED; /* the lock, if taken, is released as the scheduler enters a vCPU */
    }
    if (vm->spans_harts) {
        smp_release_held(c);
    }
    return EXIT_DEV_DONE;
}

#endif
