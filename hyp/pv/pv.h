/* SPDX-License-Identifier: MIT */
/* The paravirtual interface's state per VM and its hypercalls (include/hvabi.h, docs/hypercalls.md). */
#ifndef HYP_PV_PV_H
#define HYP_PV_PV_H

#include <stdbool.h>
#include <stdint.h>

#include "pv/ptval.h"

struct vm;
struct vcpu;

struct pv_mmu {
    bool ready;         /* the validator's tables made (on the guest's first page-table calls) */
    struct ptval val;
    uint64_t table_pa;  /* host frames holding them, 0 until allocated */
    uint64_t table_frames;
    uint64_t cleared;   /* bytes of them zeroed so far: a budget's worth per exit */
};

/* What an exit may still do (hyp/budget.h), shared by every call of a multicall. */
struct hc_budget
{
    uint64_t left; /* units */
    bool cut;      /* a call stopped short (budget, or a per-call limit): it did less than asked */
};

/* Where a hypercall runs: on its own, inside a multicall, or as a multicall's last call. Inside a
 * multicall the vCPU's context stays fixed for the whole batch (XSA-213): SET_ROOT may only be its last
 * call, after everything else is done, and a multicall may not nest. */
enum hc_place {
    HC_ALONE,
    HC_IN_BATCH,
    HC_LAST_IN_BATCH,
};

/* Runs the hypercall of one exit with a whole budget, then what must precede the guest's return
 * (flushes, shadow write access to new tables). Returns an SBI error, *value the result. */
long hc_exit_call(struct vcpu *v, uint64_t fid, const uint64_t *args, uint64_t *value);
/* Runs one hypercall within the budget b. Returns an SBI error, *value the result. */
long hc_call(struct vcpu *v,
             uint64_t fid,
             const uint64_t *args,
             uint64_t *value,
             enum hc_place where,
             struct hc_budget *b);

/* Calls that can be cut answer, on success, how much they did (*done); less than asked sets b->cut
 * and the guest calls again for the rest (docs/hypercalls.md, "Work per call"). */
long hc_mmu_update(struct vcpu *v,
                   uint64_t gpa,
                   uint64_t count,
                   uint64_t *done,
                   struct hc_budget *b);
long hc_pin(struct vcpu *v, uint64_t root, uint64_t *done, struct hc_budget *b);
long hc_unpin(struct vcpu *v, uint64_t root, uint64_t *done, struct hc_budget *b);
long hc_set_root(struct vcpu *v, uint64_t root, uint64_t asid, uint64_t user_root);
/* The same calls for tables the trap engine shadows (HV_FEAT_TABLES_BATCHED, hc_mmu_shadow.c):
 * MMU_UPDATE's HV_MMU_SHADOWED form, in the address space whose root is at machine address root;
 * SET_ROOT's HV_ROOT_SHADOWED. */
long hc_mmu_update_shadowed(struct vcpu *v, uint64_t gpa, uint64_t count, uint64_t root,
                            uint64_t *done, struct hc_budget *b);
long hc_set_shadow_root(struct vcpu *v, uint64_t root, uint64_t asid);
/* Machine address minus guest physical address of the VM's RAM (what its validated PTEs name). */
uint64_t pv_machine_offset(const struct vm *vm);
long hc_tlb_flush(struct vcpu *v, const uint64_t *args);
long hc_multicall(struct vcpu *v,
                  uint64_t gpa,
                  uint64_t count,
                  uint64_t *done,
                  struct hc_budget *b);
long hc_blk_submit(struct vcpu *v,
                   uint64_t gpa,
                   uint64_t count,
                   uint64_t *done,
                   struct hc_budget *b);
/* The VM's block request on the host disk, if the block calls left one there, is dropped (the VM
 * reboots or stops). */
void hc_blk_cancel(struct vm *vm);
long hc_blk_ctl(struct vcpu *v, uint64_t what, uint64_t *value);
/* Registers the calling vCPU's vCPU page (0: none); the return hypercall is the engine's. */
long hc_vcpu_page(struct vcpu *v, uint64_t gpa);

/* Ends an exit of the VM that made page-table calls: pending flushes, and on the trap engine the
 * end of shadow write access to frames that became tables. */
void pv_exit_done(struct vm *vm);
/* A vCPU started afresh: what the validator kept for its cut calls is forgotten. */
void pv_vcpu_reset(struct vcpu *v);
/* Frees the VM's PV state (when it stops). */
void pv_release(struct vm *vm);

#endif
