/* SPDX-License-Identifier: MIT */
/* What both engines' exits share inside arch/riscv: the charge of an exit's instructions. */
#ifndef ARCH_RISCV_ENGINE_INT_H
#define ARCH_RISCV_ENGINE_INT_H

#include <arch/csr.h>
#include <arch/vcpu_arch.h>

#include "vm.h"

/* Charges the exit just handled to a, the vCPU that took it: from its trap to here,
 * every instruction was the hypervisor's (the register restore after this adds a fixed ~20-40).
 * Inline: the device fast path (hext_dev.c) charges every UART access. */
static inline void engine_charge(struct pcpu *c, struct vcpu_arch *a)
{
    uint64_t spent = csr_read(CSR_INSTRET) - a->exit_instret;

    a->hyp_instret += spent;
    if (!a->exit_idled) {
        a->hyp_longest = spent > a->hyp_longest ? spent : a->hyp_longest;
        a->hyp_busy += spent;
        c->busy_instret += spent;
    }
    a->exit_idled = false;
}

#endif
