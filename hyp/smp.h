/* SPDX-License-Identifier: MIT */
/* Every hart: the per-hart blocks, the start of the other harts, where each guest runs. */
#ifndef HYP_SMP_H
#define HYP_SMP_H

#include <stdbool.h>
#include <stdint.h>

#include "fdt.h"
#include "vm.h"

struct platform_choice;
struct vm_config;

extern struct pcpu pcpus[FDT_MAX_HARTS];
extern unsigned npcpus;
/* The block of the hart the boot hart is starting (read by head.S, boot_entry's wrong door). */
extern struct pcpu *smp_starting;

/* The boot hart's block: pcpus[0], in tp. */
void smp_boot_cpu(unsigned long hartid, uint64_t stack_top);
/* Starts every usable hart the firmware reports stopped (and hyp.harts allows), each at the
 * secondary entry with its own stack; waits until each has set itself up, or a second has gone.
 * dtb: the device tree, a1 of hyp.selftest=wrong-door's starts. */
void smp_start(const struct platform_choice *choice, unsigned long boot_hartid, const void *dtb);
/* Why a guest's cpus property can name no hart in use; NULL when it can be placed. */
const char *smp_place_check(const struct vm_config *cfg);
/* Puts every vCPU of vm on one hart: the least loaded of those its cpus allow (all in use without).
 */
void smp_place(struct vm *vm);
/* Takes back the placement of the guest placed last (its build failed). */
void smp_unplace(struct vm *vm);
/* A VM spanning harts: its lock, taken unless this hart holds it already for the exit it handles
 * (returns whether it was taken; give that to vm_unlock). No-ops for a VM on one hart. */
bool vm_lock(struct vm *vm);
void vm_unlock(struct vm *vm, bool taken);
/* At the start of an exit of v: takes its VM's lock for the whole exit (released by the scheduler,
 * smp_release_held); leaves for the scheduler when the VM is being stopped. */
void smp_exit_lock(struct vcpu *v);
/* smp_exit_lock for an exit that must return (the device fast path): true with the lock held
 * (also when this hart held it already), false without it when it is busy or the VM or vCPU is not
 * running. For a VM on several harts only. */
bool smp_exit_trylock(struct vcpu *v);
void smp_release_held(struct pcpu *c);
/* The harts other than this one that a VM's vCPUs run on (none for a VM on one hart). */
uint64_t smp_other_harts(const struct vm *vm);
/* Makes hart c look at its queues and inboxes now (an SBI IPI; nothing for this hart itself). */
void smp_kick(struct pcpu *c);
/* Raises (or, for IRQ_VS_EXT, sets the level of) an interrupt of a vCPU of another hart. */
void smp_raise_remote(struct vcpu *t, unsigned irq, bool level);
/* On v's own hart, before entering it: what other harts raised for it. */
void smp_apply_inbox(struct vcpu *v);
/* The VM is no longer running (stopped or rebooting, state set by the caller): waits until no
 * other hart is inside it, then drops its G-stage translations on every hart it ran on. */
void smp_vm_quiesce(struct vm *vm);
/* One banner line per hart of the tree: its engine and whether it runs guests, or why not. */
void smp_banner(const struct platform_choice *choice);
/* Lets the other harts schedule (every guest is built). */
void smp_release(void);
/* The boot hart, once every guest is built: the scheduler, or back to the firmware when hyp.harts
 * leaves it out. */
_Noreturn void smp_boot_hart_done(void);
/* Only one hart ends the run: true for the first to ask. */
bool smp_claim_shutdown(void);

#endif
