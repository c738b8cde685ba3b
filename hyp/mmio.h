/* SPDX-License-Identifier: MIT */
/* Emulation of guest loads and stores to device addresses. */
#ifndef HYP_MMIO_H
#define HYP_MMIO_H

#include <stdbool.h>
#include <stdint.h>

#include <arch/insn.h>
#include <arch/vcpu_arch.h>

struct vcpu;

/* Handles a guest-page fault: emulates the access on the device at that address, or stops the
 * guest with a log line when there is none or the access cannot be emulated. */
void mmio_emulate(struct vcpu *v);
/* The value a store writes: its register, cut to the access's width (1, 2, 4 or 8). */
static inline uint64_t mmio_store_value(const struct vcpu_arch *a, const struct mmio_insn *in)
{
    unsigned shift = 64 - 8u * in->width;

    return (vcpu_arch_get_reg(a, in->reg) << shift) >> shift;
}

/* Completes an emulated access as the instruction at pc would: a load leaves the device's value
 * in its register, cut to the width and sign-extended for LB, LH and LW (shifted up to bit 63
 * and back down, arithmetically for those); then the guest goes on after the instruction.
 * Inline: the device fast path (vcpu_exit_dev) runs it too. */
static inline void mmio_complete(struct vcpu_arch *a, const struct mmio_insn *in, uint64_t val,
                                 uint64_t pc)
{
    if (!in->store) {
        unsigned shift = 64 - 8u * in->width;
        val <<= shift;
        val = in->sign_extend ? (uint64_t)((int64_t)val >> shift) : val >> shift;
        vcpu_arch_set_reg(a, in->reg, val);
    }
    vcpu_arch_set_pc(a, pc + in->len);
}

#endif
