// SPDX-License-Identifier: MIT
// SBI Base extension (ext-base.adoc): versions, probing, and the machine IDs of the hart underneath.
#include "sbi.h"

#include "hyp.h"

/* The answers of the Base functions that are the same for every guest and call (all but probe),
 * kept as they are first given, for trap.S to answer later calls without a full exit (a guest asks
 * the spec version on every SBI call path of its own, Linux at each probe). Bit f of the mask:
 * entry f is valid; written once per function, the value before the bit. */
uint64_t sbi_base_fixed[SBI_BASE_FIXED];
uint64_t sbi_base_fixed_mask;

static struct sbi_ret fixed(uint32_t fid, uint64_t value)
{
    if (fid < SBI_BASE_FIXED && !((sbi_base_fixed_mask >> fid) & 1)) {
        sbi_base_fixed[fid] = value;
        __atomic_fetch_or(&sbi_base_fixed_mask, 1ull << fid, __ATOMIC_RELEASE);
    }
    return sbi_ok(value);
}

static struct sbi_ret base_handle(struct vcpu *v, const struct sbi_call *c)
{
    (void)v;
    switch (c->fid) {
    case SBI_BASE_GET_SPEC_VERSION:
        return fixed(c->fid, SBI_SPEC_VERSION);
    case SBI_BASE_GET_IMPL_ID:
        return fixed(c->fid, HV_SBI_IMPL_ID);
    case SBI_BASE_GET_IMPL_VERSION:
        return fixed(c->fid, HV_SBI_IMPL_VERSION);
    case SBI_BASE_PROBE_EXTENSION:
        return sbi_ok(sbi_find_ext(c->args[0]) ? 1 : 0);
    /* The guest runs on this hardware, so it sees the hart's own IDs, as read from firmware at boot. */
    case SBI_BASE_GET_MVENDORID:
        return fixed(c->fid, fw_info.mvendorid);
    case SBI_BASE_GET_MARCHID:
        return fixed(c->fid, fw_info.marchid);
    case SBI_BASE_GET_MIMPID:
        return fixed(c->fid, fw_info.mimpid);
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
