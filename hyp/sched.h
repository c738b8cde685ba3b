/* SPDX-License-Identifier: MIT */
/* Scheduler: round-robin time slices over every runnable vCPU, WFI sleep, idle. */
#ifndef HYP_SCHED_H
#define HYP_SCHED_H

#include <stdbool.h>
#include <stdint.h>

struct vcpu;

/* Time slice in timer ticks, set from the timebase at boot (10 ms). */
extern uint64_t sched_slice;

/* Returns to v after an exit, or to another vCPU when v can no longer run or its slice is over. */
_Noreturn void sched_resume(struct vcpu *v);
/* After an exit the engine handled whole (a shadow fill, say): true when sched_resume would run v
 * again at once with nothing else to do, so the engine may go straight back into it. Drains the
 * console's output ring, as every exit does. */
bool sched_may_return(struct vcpu *v);
/* Picks the next vCPU to run; idles (or powers off, when no guest is left) if there is none. */
_Noreturn void sched_next(void);
/* v executed WFI: it sleeps until an interrupt is pending for it. */
_Noreturn void sched_wfi(struct vcpu *v);
/* v goes to sleep (VCPU_WFI or VCPU_SUSPENDED) after the current exit; woken like WFI. */
enum vcpu_state;
void sched_sleep(struct vcpu *v, enum vcpu_state state);
/* Every change of a vCPU's state: keeps its hart's run and sleep queues in step (hyp/runq.c). */
void sched_set_state(struct vcpu *v, enum vcpu_state state);
/* Wakes a sleeping vCPU (a non-retentive HSM suspend restarts it at its resume address). */
void sched_wake(struct vcpu *v);
/* An interrupt was raised for v (vcpu_arch_set_virq): a sleeper it is enabled for wakes now. */
void sched_virq_raised(struct vcpu *v);
/* Ends the current vCPU's slice at its next exit (it has just woken another vCPU). */
void sched_yield_soon(void);
/* The running vCPU set its timer: the hypervisor's own deadline may have to move. */
void sched_timer_changed(struct vcpu *v);
/* A device of the running vCPU's VM has work left for later exits: take one soon, even from a
 * guest that polls for the result without exiting. */
void sched_device_work_left(void);
/* The hypervisor's timer fired while v ran. */
void sched_tick(struct vcpu *v);

#endif
