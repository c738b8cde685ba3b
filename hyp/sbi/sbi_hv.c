// SPDX-License-Identifier: MIT
// The hypervisor's own SBI extension (HV_EXT): the paravirtual interface, dispatched in hyp/pv/.
#include "sbi.h"

#include <arch/arch.h>

#include "hvabi.h"
#include "pv/pv.h"

static struct sbi_ret hv_handle(struct vcpu *v, const struct sbi_call *c)
{
    uint64_t value = 0;
    long err;

    /* The return from a trap sets every register it changes, pc included: no reply to write. */
    if (c->fid == HV_FID_TRAP_RETURN) {
        err = vcpu_arch_trap_return(v);
        if (err == SBI_SUCCESS) {
            return (struct sbi_ret){ .no_reply = true };
        }
        return (struct sbi_ret){ .error = err };
    }
    err = hc_exit_call(v, c->fid, c->args, &value);

    return (struct sbi_ret){ .error = err, .value = value };
}

const struct sbi_ext sbi_ext_hv = {
    .name = "hv",
    .eid_start = HV_EXT,
    .eid_end = HV_EXT,
    .handle = hv_handle,
};
