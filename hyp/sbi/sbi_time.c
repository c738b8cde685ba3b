// SPDX-License-Identifier: MIT
// SBI TIME extension (ext-time.adoc): the guest's timer, kept in vstimecmp when the hart has Sstc.
#include "sbi.h"

#include <arch/arch.h>

#include "sched.h"

static struct sbi_ret time_handle(struct vcpu *v, const struct sbi_call *c)
{
    if (c->fid != SBI_TIME_SET_TIMER) {
        return sbi_err(SBI_ERR_NOT_SUPPORTED);
    }
    /* Any 64-bit value is valid: far-future values are how a guest turns its timer off. */
    vcpu_arch_set_timer(v, c->args[0]);
    sched_timer_changed(v);
    return sbi_ok(0);
}

const struct sbi_ext sbi_ext_time = {
    .name = "time",
    .eid_start = SBI_EXT_TIME,
    .eid_end = SBI_EXT_TIME,
    .handle = time_handle,
};
