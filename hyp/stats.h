/* SPDX-License-Identifier: MIT */
/* Exit counters per VM and cause, the table printed when the run ends, the operator's live view. */
#ifndef HYP_STATS_H
#define HYP_STATS_H

#include <stdbool.h>
#include <stdint.h>

#define STATS_EXC 27
#define STATS_IRQ 16

struct vm_stats {
    uint64_t exc[STATS_EXC];
    uint64_t fast_priv, fast_fwd; /* trap engine: of those, taken on the short path */
    uint64_t fast_patch;          /* of fast_priv, patched instructions */
    uint64_t fast_asm;            /* of fast_priv and fast_fwd, taken in trap.S (tfast.S) */
    uint64_t irq[STATS_IRQ];
    uint64_t other; /* causes outside both ranges */
    uint64_t hyp_instret; /* instructions the hypervisor spent on the VM's exits (full path) */
    uint64_t hyp_busy;    /* the same without idle time (what the exits themselves cost) */
    uint64_t longest;       /* the most instructions one exit cost */
    uint64_t longest_cause; /* its scause (interrupt bit included) */
    uint64_t ram_clearing;  /* hext: of the guest-page-fault exits, those that cleared its RAM */
    uint64_t stop_instret;  /* instructions its last stop took (giving back what it held) */
    uint64_t slice_ends;    /* times its time slice ran out while it ran (at a tick or an exit) */
    uint64_t batched_updates; /* entries of MMU_UPDATE's HV_MMU_SHADOWED form carried out */
};

/* Per vCPU: where its charged instructions stood at its last exit. The engine charges an exit
 * when the hart leaves the hypervisor, so what was charged between two exits of a vCPU is the cost
 * of the first of them. */
struct vcpu_stats {
    uint64_t charged_seen;
    /* Device accesses taken by vcpu_exit_dev, loads [0] and stores [1], counted here
     * (stats_count's bookkeeping cost 53 instructions of a UART read) and added to the VM's by
     * stats_fold. */
    uint64_t fast_dev[2];
    uint64_t last_cause; /* scause of its last exit */
};

struct vm;
struct vcpu;

void stats_count(struct vm_stats *s, uint64_t cause, bool irq);
uint64_t stats_total(const struct vm_stats *s);
/* The end-of-run table: a column per guest, the causes some guest took (every cause with
 * hyp.exits=all), then total, hyp-instructions and longest-exit; then a row per hart. */
void stats_print(void);
/* The operator's view of one guest (Ctrl-] t): its causes so far, non-zero ones only. */
void stats_print_vm(struct vm *vm);
/* Adds the exits trap.S answered on its fast path, and the instructions charged, to the vCPU's VM's
 * counters; stats_fold_vm does it for every vCPU of a VM. */
void stats_fold(struct vcpu *v);
void stats_fold_vm(struct vm *vm);

#endif
