// SPDX-License-Identifier: MIT
// SBI Base extension (ext-base.adoc): versions, probing, and the machine IDs of the hart underneath.
#include "sbi.h"

#include "hyp.h"

static struct sbi_ret base_handle(struct vcpu *v, const struct sbi_call *c)
{
    (void)v;
    switch (c->fid) {
    case SBI_BASE_GET_SPEC_VERSION:
        return sbi_ok(SBI_SPEC_VERSION);
    case SBI_BASE_GET_IMPL_ID:
        return sbi_ok(HV_SBI_IMPL_ID);
    case SBI_BASE_GET_IMPL_VERSION:
        return sbi_ok(HV_SBI_IMPL_VERSION);
    case SBI_BASE_PROBE_EXTENSION:
        return sbi_ok(sbi_find_ext(c->args[0]) ? 1 : 0);
    /* The guest runs on this hardware, so it sees the hart's own IDs, as read from firmware at boot. */
    case SBI_BASE_GET_MVENDORID:
        return sbi_ok(fw_info.mvendorid);
    case SBI_BASE_GET_MARCHID:
        return sbi_ok(fw_info.marchid);
    case SBI_BASE_GET_MIMPID:
        return sbi_ok(fw_info.mimpid);
    default:
        return sbi_err(SBI_ERR_NOT_SUPPORTED);
    }
}

const struct sbi_ext sbi_ext_base = {
    .name = "base",
    .eid_start = SBI_EXT_BASE,
    .eid_end = SBI_EXT_BASE,
    .handle = base_handle,
};
