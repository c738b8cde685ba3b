// SPDX-License-Identifier: MIT
// SBI System Reset extension (ext-sys-reset.adoc): the "system" is the calling guest, never the machine.
#include "sbi.h"

#include "hyp.h"
#include "vm.h"

static bool reason_valid(uint32_t reason)
{
    /* No reason and system failure are defined; we implement no implementation- or vendor-specific
     * reasons, so those ranges are "reserved or platform-specific and unimplemented". */
    return reason == SBI_SRST_REASON_NONE || reason == SBI_SRST_REASON_SYSFAIL;
}

static struct sbi_ret srst_handle(struct vcpu *v, const struct sbi_call *c)
{
    /* Both are uint32_t in the spec: a caller may leave anything in the upper half of the register. */
    uint32_t type = (uint32_t)c->args[0], reason = (uint32_t)c->args[1];

    if (c->fid != SBI_SRST_SYSTEM_RESET) {
        return sbi_err(SBI_ERR_NOT_SUPPORTED);
    }
    if (type > SBI_SRST_TYPE_WARM_REBOOT || !reason_valid(reason)) {
        return sbi_err(SBI_ERR_INVALID_PARAM);
    }
    if (type == SBI_SRST_TYPE_SHUTDOWN) {
        if (reason == SBI_SRST_REASON_SYSFAIL) {
            vm_crash(v->vm, "shutdown (system failure)"); /* restarted if its configuration says so */
        } else {
            vm_stop(v->vm, "shutdown");
        }
    } else if (boot_options.reboot_fails) {
        /* Runs that must end (CI) boot Linux with panic=-1: its panic is a reboot request, which
         * hyp.reboot=fail turns into a failed guest, since Linux never reports "system failure". */
        vm_crash(v->vm, "reboot requested (hyp.reboot=fail)");
    } else {
        vm_reboot(v->vm, type == SBI_SRST_TYPE_COLD_REBOOT);
    }
    return (struct sbi_ret){ .no_reply = true };
}

const struct sbi_ext sbi_ext_srst = {
    .name = "srst",
    .eid_start = SBI_EXT_SRST,
    .eid_end = SBI_EXT_SRST,
    .handle = srst_handle,
};
