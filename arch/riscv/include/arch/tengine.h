/* SPDX-License-Identifier: MIT */
/* The trap engine's entry points, behind the vcpu_arch_* interface of arch.h (which dispatches on
 * arch_engine_trap). */
#ifndef ARCH_TENGINE_H
#define ARCH_TENGINE_H

#include <stdbool.h>
#include <stdint.h>

struct vcpu;
struct vcpu_arch;
struct pt_alloc;

struct pcpu;
/* Adds the instructions of the exit being finished to its vCPU's count (both engines, hext.c). */
void vcpu_arch_charge_exit(struct pcpu *c);
/* Builds the hypervisor's root and alias and moves the hart onto them. */
void tv_hart_init(void);
/* The root entry that maps the hypervisor's alias (slot 511 of every root the guest runs on). */
uint64_t tv_reserved_entry(void);
struct vm;
int tv_vm_create(struct vm *vm, const struct pt_alloc *alloc);
void tv_vm_destroy(struct vm *vm, const struct pt_alloc *alloc);
void tv_vm_reboot(struct vm *vm);
int tv_vcpu_create(struct vcpu *v, const struct pt_alloc *alloc);
void tv_vcpu_destroy(struct vcpu *v, const struct pt_alloc *alloc);
void tv_reset(struct vcpu *v, uint64_t entry, uint64_t a0, uint64_t a1);
void tv_unload(struct vcpu *v);
_Noreturn void tv_run(struct vcpu *v);
_Noreturn void tv_trap(struct vcpu_arch *a);
void tv_timer_check(struct vcpu *v, uint64_t now);
void tv_set_timer(struct vcpu *v, uint64_t deadline);
bool tv_read_insn(struct vcpu *v, uint64_t gva, uint32_t *insn);
bool tv_read_guest_u64(struct vcpu *v, uint64_t gva, uint64_t *val);
void tv_flush(struct vcpu *loaded, uint64_t start, uint64_t size);
void tv_set_root(struct vcpu *v, uint64_t satp, uint64_t user_root);
bool tv_root_in_use(const struct vcpu *v, uint64_t root);

#endif
