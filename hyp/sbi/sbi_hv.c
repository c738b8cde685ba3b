// SPDX-License-Identifier: MIT
// The hypervisor's own SBI extension (HV_EXT): the paravirtual interface, dispatched in hyp/pv/.
#include "sbi.h"

#include "pv/pv.h"

static struct sbi_ret hv_handle(struct vcpu *v, const struct sbi_call *c)
{
    uint64_t value = 0;
    long err = hc_exit_call(v, c->fid, c->args, &value);

    return (struct sbi_ret){ .error = err, .value = value };
}

const struct sbi_ext sbi_ext_hv = {
    .name = "hv",
    .eid_start = HV_EXT,
    .eid_end = HV_EXT,
    .handle = hv_handle,
};
