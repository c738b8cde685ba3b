// SPDX-License-Identifier: MIT
// Multicall: an array of hypercalls in one trap. It stops at the first error and says where.
#include "guest_mem.h"
#include "hvabi.h"
#include "pv/pv.h"
#include "vm.h"

long hc_multicall(struct vcpu *v, uint64_t gpa, uint64_t count, uint64_t *done)
{
    *done = 0;
    if (count > HV_MULTICALL_MAX) {
        return SBI_ERR_INVALID_PARAM;
    }
    /* Results are written back into the array: like a disk read, never into a frame the validator
     * has typed as a table (an array running from a data frame into a root would otherwise let a
     * call's value, say MMU_UPDATE's count 31, become a root entry: a user RWX gigapage at machine
     * address 0 on the trap engine). */
    struct hv_multicall *calls = guest_ram_dma_ptr(v->vm, gpa, count * sizeof(struct hv_multicall));
    if (!calls || (gpa & 7)) {
        return SBI_ERR_INVALID_ADDRESS;
    }
    for (uint64_t i = 0; i < count; i++) {
        /* Read the call once: the guest may rewrite its array while we work. */
        struct hv_multicall c = calls[i];
        uint64_t value;
        long err = hc_call(v, c.fid, c.args, &value, i + 1 == count ? HC_LAST_IN_BATCH : HC_IN_BATCH);
        /* A call of the batch (a pin) may have made the rest of the array a table: check again. */
        if (!guest_ram_dma_ptr(v->vm, gpa + i * sizeof(c), sizeof(c))) {
            *done = i;
            return SBI_ERR_INVALID_ADDRESS;
        }
        calls[i].error = err;
        calls[i].value = value;
        if (err != SBI_SUCCESS) {
            *done = i; /* the index of the call that failed */
            return err;
        }
    }
    *done = count;
    return SBI_SUCCESS;
}
