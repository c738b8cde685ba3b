/* SPDX-License-Identifier: MIT */
/* Between the trap engine's two halves: tengine.c (hart, vCPU life cycle, entry, exits) and tmem.c
 * (guest memory: shadow trees, page faults, direct paging roots). */
#ifndef ARCH_TENGINE_INT_H
#define ARCH_TENGINE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <arch/csr.h>
#include <arch/shadow.h>

struct vm;
struct vcpu;
struct vcpu_arch;

extern uint64_t tv_empty_root[512];

static inline uint64_t tv_satp_of(uint64_t root)
{
    return (SATP_MODE_SV39 << SATP_MODE_SHIFT) | (root >> 12);
}

/* The shadow walker's callbacks for a VM. */
struct shadow_ops tv_ops_for(struct vm *vm);
/* Drops the page at va, or everything (and the record of protected tables), from every tree. */
void tv_drop_vm_shadows(struct vm *vm, uint64_t va, bool all);
/* Chooses the root the hardware uses for the guest's current mode. */
void tv_select_root(struct vcpu *v);
/* A page fault of the guest (code: its scause). */
void tv_page_fault(struct vcpu *v, uint64_t code);
/* Enters the guest's trap handler for one of its own traps. */
void tv_reflect(struct vcpu_arch *a, uint64_t cause, uint64_t tval);

#endif
