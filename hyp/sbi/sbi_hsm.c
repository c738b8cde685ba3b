// SPDX-License-Identifier: MIT
// SBI Hart State Management (ext-hsm.adoc) for a VM's vCPUs: start, stop, status, suspend.
#include "sbi.h"

#include "guest_mem.h"
#include "sched.h"
#include "vm.h"

#define HSM_STATE_STARTED 0
#define HSM_STATE_STOPPED 1
#define HSM_STATE_SUSPENDED 4
#define HSM_SUSPEND 3
#define SUSPEND_RETENTIVE 0x00000000u
#define SUSPEND_NON_RETENTIVE 0x80000000u

/* An address the vCPU can start at: guest RAM is the only memory a guest can execute. */
static bool entry_valid(struct vm *vm, unsigned long pc)
{
    uint64_t hpa;

    return (pc & 1) == 0 && guest_ram_range(vm, pc, 2, &hpa);
}

static struct sbi_ret hsm_start(struct vcpu *v, const struct sbi_call *c)
{
    struct vcpu *t = vm_vcpu(v->vm, c->args[0]);

    if (!t) {
        return sbi_err(SBI_ERR_INVALID_PARAM);
    }
    if (t->state != VCPU_OFF) {
        return sbi_err(SBI_ERR_ALREADY_AVAILABLE);
    }
    if (!entry_valid(v->vm, c->args[1])) {
        return sbi_err(SBI_ERR_INVALID_ADDRESS);
    }
    vcpu_start(t, c->args[1], c->args[2]);
    return sbi_ok(0);
}

static struct sbi_ret hsm_stop(struct vcpu *v)
{
    sched_sleep(v, VCPU_OFF);
    bool all_off = true;
    for (unsigned i = 0; i < v->vm->nvcpus; i++) {
        all_off &= v->vm->vcpus[i].state == VCPU_OFF;
    }
    /* With every vCPU stopped nothing could ever start one again: the guest is over. So it is when
     * the others sleep with every interrupt masked: none of them can ever wake. */
    if (all_off) {
        vm_stop(v->vm, "every vCPU stopped through SBI HSM");
    } else if (!vm_can_progress(v->vm)) {
        vm_crash(v->vm, "every vCPU left sleeps in WFI with all its interrupts disabled: it can never wake");
    }
    return (struct sbi_ret){ .no_reply = true };
}

static struct sbi_ret hsm_status(struct vcpu *v, const struct sbi_call *c)
{
    struct vcpu *t = vm_vcpu(v->vm, c->args[0]);

    if (!t) {
        return sbi_err(SBI_ERR_INVALID_PARAM);
    }
    switch (t->state) {
    case VCPU_OFF:
        return sbi_ok(HSM_STATE_STOPPED);
    case VCPU_SUSPENDED:
        return sbi_ok(HSM_STATE_SUSPENDED);
    default:
        /* A vCPU in WFI is started: it sleeps in an instruction, not in an HSM state. */
        return sbi_ok(HSM_STATE_STARTED);
    }
}

static struct sbi_ret hsm_suspend(struct vcpu *v, const struct sbi_call *c)
{
    /* suspend_type is a uint32_t (ext-hsm.adoc): the upper half of the register is not ours to read
     * ("higher privilege software must ensure that it only uses 32 bit data", binary-encoding.adoc). */
    uint32_t type = (uint32_t)c->args[0];

    if (type != SUSPEND_RETENTIVE && type != SUSPEND_NON_RETENTIVE) {
        /* Reserved and platform-specific types: none is implemented. */
        return sbi_err(SBI_ERR_INVALID_PARAM);
    }
    if (type == SUSPEND_NON_RETENTIVE) {
        if (!entry_valid(v->vm, c->args[1])) {
            return sbi_err(SBI_ERR_INVALID_ADDRESS);
        }
        v->resume_reset = true;
        v->resume_pc = c->args[1];
        v->resume_arg = c->args[2];
    }
    /* Retentive: the call returns SBI_SUCCESS when an interrupt wakes the vCPU (the dispatcher writes
     * the result now; the vCPU runs again only after the wake-up). */
    sched_sleep(v, VCPU_SUSPENDED);
    /* As for WFI: with every interrupt disabled on every vCPU still alive, nothing can ever end the
     * suspend. The guest is stopped (or rebuilt), so the dispatcher must not touch the vCPU. */
    if (!vm_can_progress(v->vm)) {
        vm_crash(v->vm, "every vCPU sleeps (WFI or HSM suspend) with all its interrupts disabled: "
                        "it can never wake");
        return (struct sbi_ret){ .no_reply = true };
    }
    return sbi_ok(0);
}

static struct sbi_ret hsm_handle(struct vcpu *v, const struct sbi_call *c)
{
    switch (c->fid) {
    case SBI_HSM_HART_START:
        return hsm_start(v, c);
    case SBI_HSM_HART_STOP:
        return hsm_stop(v);
    case SBI_HSM_HART_GET_STATUS:
        return hsm_status(v, c);
    case HSM_SUSPEND:
        return hsm_suspend(v, c);
    default:
        return sbi_err(SBI_ERR_NOT_SUPPORTED);
    }
}

const struct sbi_ext sbi_ext_hsm = {
    .name = "hsm",
    .eid_start = SBI_EXT_HSM,
    .eid_end = SBI_EXT_HSM,
    .handle = hsm_handle,
};
