/* SPDX-License-Identifier: MIT */
/* The trap engine's side of the vCPU page (include/hvabi.h, docs/hypercalls.md): the guest kernel's
 * interrupt flag, its trap state and its return from a trap kept in guest memory instead of trapped
 * CSR accesses. Pure logic over a vCPU and the page's memory: tested on the host
 * (tests/unit/test_vpage.c). Every field is read once, and no value read decides more than the
 * guest's own state. */
#ifndef ARCH_VPAGE_H
#define ARCH_VPAGE_H

#include <stdint.h>

#include <arch/vcpu_arch.h>

#include "hvabi.h"

/* The guest kernel's interrupt flag in the page becomes its virtual sstatus.SIE (at an exit's start). */
void vpage_sync_in(struct vcpu_arch *a, const volatile struct hv_vcpu_page *p);
/* The other way at the exit's end: the flag, and the interrupts it keeps from being taken. */
void vpage_sync_out(struct vcpu_arch *a, volatile struct hv_vcpu_page *p);
/* After priv_enter_trap: what the guest kernel's trap entry would read from its CSRs, and from its
 * user mode (from_user) the switch to the kernel's sp and tp. */
void vpage_forward(struct vcpu_arch *a, volatile struct hv_vcpu_page *p, int from_user);
/* HV_FID_TRAP_RETURN: writes ret_status to sstatus, then does what sret does, to ret_pc, with a0,
 * a1, a6 and a7 from the page. Returns the sstatus bits that changed (the caller acts on MXR). */
uint64_t vpage_return(struct vcpu_arch *a, const volatile struct hv_vcpu_page *p);

#endif
