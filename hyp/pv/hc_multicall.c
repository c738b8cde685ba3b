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
    struct hv_multicall *calls = guest_ram_ptr(v->vm, gpa, count * sizeof(struct hv_multicall));
    if (!calls || (gpa & 7)) {
        return SBI_ERR_INVALID_ADDRESS;
    }
    for (uint64_t i = 0; i < count; i++) {
        /* Read the call once: the guest may rewrite its array while we work. */
        struct hv_multicall c = calls[i];
        uint64_t value;
        long err = hc_call(v, c.fid, c.args, &value, true);
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
