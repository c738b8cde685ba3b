// SPDX-License-Identifier: MIT
// Multicall: an array of hypercalls in one trap. It stops at the first error and says where, or at
// a call that did less than asked (the exit's budget ran out), which the guest continues.
#include "budget.h"
#include "guest_mem.h"
#include "hvabi.h"
#include "pv/pv.h"
#include "vm.h"

/* Writes a call's result into the guest's array, if that entry may still be written: a call of the
 * batch (a pin) may have made a frame of the array a table since it was checked. */
static bool write_result(struct vm *vm, uint64_t gpa, struct hv_multicall *calls, uint64_t i,
                         long err, uint64_t value)
{
    if (!guest_ram_dma_ptr(vm, gpa + i * sizeof(calls[i]), sizeof(calls[i]))) {
        return false;
    }
    calls[i].error = err;
    calls[i].value = value;
    return true;
}

long hc_multicall(struct vcpu *v, uint64_t gpa, uint64_t count, uint64_t *done, struct hc_budget *b)
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
        /* Out of budget before this call: it did nothing (value 0); the guest calls again from
         * it. */
        if (b->left < UNITS_MULTICALL_ENTRY) {
            *done = i;
            b->cut = true;
            return write_result(v->vm, gpa, calls, i, SBI_SUCCESS, 0) ? SBI_SUCCESS
                                                                      : SBI_ERR_INVALID_ADDRESS;
        }
        b->left -= UNITS_MULTICALL_ENTRY;
        /* Read the call once: the guest may rewrite its array while we work. */
        struct hv_multicall c = calls[i];
        uint64_t value;
        b->cut = false;
        long err =
          hc_call(v, c.fid, c.args, &value, i + 1 == count ? HC_LAST_IN_BATCH : HC_IN_BATCH, b);
        if (!write_result(v->vm, gpa, calls, i, err, value)) {
            *done = i;
            return SBI_ERR_INVALID_ADDRESS;
        }
        if (err != SBI_SUCCESS) {
            *done = i; /* the index of the call that failed */
            return err;
        }
        /* It did part of its work (its value says how much): the rest is the guest's next call. */
        if (b->cut) {
            *done = i;
            return SBI_SUCCESS;
        }
    }
    *done = count;
    return SBI_SUCCESS;
}
