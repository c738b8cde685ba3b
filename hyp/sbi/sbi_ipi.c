// SPDX-License-Identifier: MIT
// SBI IPI extension (ext-ipi.adoc): a supervisor software interrupt (VSSIP) on each named vCPU.
#include "sbi.h"

#include <arch/arch.h>
#include <arch/csr.h>

#include "hartmask.h"
#include "sched.h"
#include "smp.h"
#include "vm.h"

void sbi_send_ipis(struct vm *vm, uint64_t targets)
{
    struct vcpu *self = arch_this_cpu()->current;

    for (unsigned i = 0; i < vm->nvcpus; i++) {
        /* A stopped vCPU takes no interrupt; a sleeping one wakes on it now. */
        struct vcpu *t = &vm->vcpus[i];
        if (!((targets >> i) & 1) || t->state == VCPU_OFF) {
            continue;
        }
        if (t->pcpu != arch_this_cpu()) {
            /* Its hart takes the interrupt in before it next enters it, kicked by an SBI IPI. */
            smp_raise_remote(t, IRQ_VS_SOFT, true);
            continue;
        }
        vcpu_arch_set_virq(t, IRQ_VS_SOFT, true);
        sched_virq_raised(t);
        if (t != self) {
            sched_yield_soon();
        }
    }
}

static struct sbi_ret ipi_handle(struct vcpu *v, const struct sbi_call *c)
{
    uint64_t targets;

    if (c->fid != 0) {
        return sbi_err(SBI_ERR_NOT_SUPPORTED);
    }
    long err = sbi_hart_mask(c->args[0], c->args[1], v->vm->nvcpus, &targets);
    if (err == SBI_SUCCESS) {
        sbi_send_ipis(v->vm, targets);
    }
    return sbi_err(err);
}

const struct sbi_ext sbi_ext_ipi = {
    .name = "ipi",
    .eid_start = SBI_EXT_IPI,
    .eid_end = SBI_EXT_IPI,
    .handle = ipi_handle,
};
