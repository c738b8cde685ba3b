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
    bool ready;         /* frame table allocated (on the guest's first page-table call) */
    struct ptval val;
    uint64_t table_pa;  /* host frames holding val.frames */
    uint64_t table_frames;
};

/* Where a hypercall runs: on its own, inside a multicall, or as a multicall's last call. Inside a
 * multicall the vCPU's context stays fixed for the whole batch (XSA-213): SET_ROOT may only be its last
 * call, after everything else is done, and a multicall may not nest. */
enum hc_place {
    HC_ALONE,
    HC_IN_BATCH,
    HC_LAST_IN_BATCH,
};

/* Runs one hypercall. Returns an SBI error, *value the result. */
long hc_call(struct vcpu *v, uint64_t fid, const uint64_t *args, uint64_t *value, enum hc_place where);

long hc_mmu_update(struct vcpu *v, uint64_t gpa, uint64_t count, uint64_t *done);
long hc_pin(struct vcpu *v, uint64_t root);
long hc_unpin(struct vcpu *v, uint64_t root);
long hc_set_root(struct vcpu *v, uint64_t root, uint64_t asid, uint64_t user_root);
/* Machine address minus guest physical address of the VM's RAM (what its validated PTEs name). */
uint64_t pv_machine_offset(const struct vm *vm);
long hc_tlb_flush(struct vcpu *v, const uint64_t *args);
long hc_multicall(struct vcpu *v, uint64_t gpa, uint64_t count, uint64_t *done);
long hc_blk_submit(struct vcpu *v, uint64_t gpa, uint64_t count, uint64_t *done);
long hc_blk_ctl(struct vcpu *v, uint64_t what, uint64_t *value);

/* Frees the VM's PV state (when it stops). */
void pv_release(struct vm *vm);

#endif
