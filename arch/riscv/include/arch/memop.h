/* SPDX-License-Identifier: MIT */
/* Stores the trap engine carries out for a guest: plain stores (compressed too), atomic memory
 * operations and store-conditional, as a guest uses them on its own page tables (Linux updates PTEs
 * with AMOs and LR/SC). Unprivileged spec, "A" extension. Pure logic: tests/unit/test_memop.c. */
#ifndef ARCH_MEMOP_H
#define ARCH_MEMOP_H

#include <stdbool.h>
#include <stdint.h>

#include <arch/vcpu_arch.h>

enum mem_op_kind {
    MEM_STORE,
    MEM_AMO,
    MEM_SC,
};

struct mem_op {
    enum mem_op_kind kind;
    uint8_t len;    /* instruction bytes: 2 or 4 */
    uint8_t width;  /* bytes accessed: 1, 2, 4, 8 */
    uint8_t rd;     /* AMO and SC: where the result goes */
    uint8_t rs2;    /* the value stored (or combined) */
    uint8_t funct5; /* AMO: the operation */
};

/* False for anything that is not a store, an AMO or an SC (loads and LR included). */
bool mem_op_decode(uint32_t insn, struct mem_op *op);

/* Carries out op on the naturally aligned doubleword at word (host pointer), at byte offset off
 * within it, with the vCPU's registers: memory and rd as the hardware would leave them. False when
 * word is NULL or the access is misaligned. An SC given here succeeds: the caller fails it instead
 * when the reservation may have been broken (another vCPU of the VM ran since). */
bool mem_op_apply(const struct mem_op *op, struct vcpu_arch *a, uint64_t *word, unsigned off);

#endif
