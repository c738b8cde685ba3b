/* SPDX-License-Identifier: MIT */
/* Exit counters per VM and cause, and the table printed when the run ends. */
#ifndef HYP_STATS_H
#define HYP_STATS_H

#include <stdbool.h>
#include <stdint.h>

#define STATS_EXC 27
#define STATS_IRQ 16

struct vm_stats {
    uint64_t exc[STATS_EXC];
    uint64_t fast_priv, fast_fwd; /* trap engine: of those, taken on the short path */
    uint64_t irq[STATS_IRQ];
    uint64_t other; /* causes outside both ranges */
    uint64_t hyp_instret; /* instructions the hypervisor spent on the VM's exits (full path) */
};

struct vm;
struct vcpu;

void stats_count(struct vm_stats *s, uint64_t cause, bool irq);
uint64_t stats_total(const struct vm_stats *s);
void stats_print(void);
/* Adds the exits trap.S answered on its fast path to the vCPU's VM's counters. */
void stats_fold(struct vcpu *v);

#endif
