/* SPDX-License-Identifier: MIT */
/* A hart's run queue (a ring of its runnable vCPUs, taken round robin) and its sleep queue (a
 * binary heap of its sleeping vCPUs ordered by timer deadline): what the scheduler needs per switch
 * costs O(1) or O(log n) in the vCPUs of the hart, never a scan of them. Pure: unit-tested. */
#ifndef HYP_RUNQ_H
#define HYP_RUNQ_H

#include <stdbool.h>
#include <stdint.h>

struct vcpu;
struct pcpu;

/* Adds v at the end of the round (just before the next vCPU the ring would give). */
void runq_add(struct pcpu *c, struct vcpu *v);
void runq_remove(struct pcpu *c, struct vcpu *v);
bool runq_has(const struct vcpu *v);
/* The vCPU to run after prev: the next in the ring when prev is in it, else the ring's next; NULL
 * when nothing is runnable. */
struct vcpu *runq_next(const struct pcpu *c, const struct vcpu *prev);

/* Adds a sleeper with the time its own timer wakes it (~0 for none: it waits for an interrupt and
 * is kept out of the heap). */
void sleepq_add(struct pcpu *c, struct vcpu *v, uint64_t deadline);
void sleepq_remove(struct pcpu *c, struct vcpu *v);
/* The sleeper with the earliest deadline, or NULL; its deadline (~0 when none). */
struct vcpu *sleepq_first(const struct pcpu *c);
uint64_t sleepq_deadline(const struct pcpu *c);

#endif
