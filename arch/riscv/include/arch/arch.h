/* SPDX-License-Identifier: MIT */
/* What hyp/ asks of the architecture: hart set-up, time, firmware calls, and the vCPU engine. */
#ifndef ARCH_ARCH_H
#define ARCH_ARCH_H

#include <stdbool.h>
#include <stdint.h>

struct vcpu;
struct vcpu_arch;
struct pcpu;

/* Hart set-up: trap vector, delegation, counters; has_sstc picks how time is kept. Returns VMIDLEN. */
unsigned arch_hart_init(bool has_sstc);

/* This hart's per-cpu block, kept in tp. */
struct pcpu *arch_this_cpu(void);
void arch_set_this_cpu(struct pcpu *c);

uint64_t arch_time(void);
/* The hypervisor's own timer: an interrupt when time >= deadline (~0 for never). */
void arch_timer_set(uint64_t deadline);
/* Waits for an interrupt with interrupts masked: the caller polls what woke it. */
void arch_idle(void);

/* Calls into the M-mode firmware (SBI). */
void arch_fw_putchar(int c);
_Noreturn void arch_fw_shutdown(bool failure);
long arch_fw_hart_status(unsigned long hartid); /* SBI HSM state, or a negative SBI error */
struct arch_fw_info {
    long spec_version;
    long impl_id;
    long impl_version;
    unsigned long mvendorid;
    unsigned long marchid;
    unsigned long mimpid;
};
void arch_fw_info(struct arch_fw_info *info);

/* The vCPU engine (hext). vcpu_arch_reset() puts a vCPU at its entry point in VS-mode. */
void vcpu_arch_reset(struct vcpu_arch *a, uint64_t entry, uint64_t a0, uint64_t a1);
void vcpu_arch_set_gstage(struct vcpu_arch *a, uint64_t root, unsigned vmid);
/* Drops every G-stage translation tagged with vmid on this hart (before its frames are reused). */
void arch_gstage_flush(unsigned vmid);
/* Loads a vCPU's VS state into the hart (and unloads the previous one) and enters it. */
_Noreturn void vcpu_arch_run(struct vcpu *v);
/* Saves a loaded vCPU's VS state back into memory, so it can be inspected or moved. */
void vcpu_arch_unload(struct vcpu *v);
/* True when an interrupt is pending and enabled for a vCPU that is not loaded (WFI wake-up rule). */
bool vcpu_arch_irq_pending(const struct vcpu_arch *a, uint64_t now);
/* Earliest time at which the vCPU's own timer fires, ~0 if it is masked or unset. */
uint64_t vcpu_arch_timer_deadline(const struct vcpu_arch *a);
/* Guest timer through the SBI (Sstc: vstimecmp; otherwise a deadline checked by the hypervisor). */
void vcpu_arch_set_timer(struct vcpu *v, uint64_t deadline);
/* Called from the hypervisor's timer interrupt: raises VSTIP for the running vCPU when due (no Sstc). */
void vcpu_arch_timer_check(struct vcpu *v, uint64_t now);
/* Enter the guest's own trap handler as if the hardware had raised cause/tval in it. */
void vcpu_arch_inject_exception(struct vcpu *v, uint64_t cause, uint64_t tval);
/* Reads the 16- or 32-bit instruction at a guest virtual address as the guest would fetch it. */
bool vcpu_arch_read_insn(struct vcpu *v, uint64_t gva, uint32_t *insn);
/* Reads a doubleword at a guest virtual address with the guest's translation and permissions (the
 * legacy SBI passes hart masks by pointer). False on any fault. */
bool vcpu_arch_read_guest_u64(struct vcpu *v, uint64_t gva, uint64_t *val);
/* Raises or clears a VS-level interrupt (IRQ_VS_SOFT, IRQ_VS_EXT) for a vCPU, loaded or not. */
void vcpu_arch_set_virq(struct vcpu *v, unsigned irq, bool on);
bool vcpu_arch_virq_pending(const struct vcpu *v, unsigned irq);
/* Guest TLB and instruction-cache maintenance for the VM whose vCPU is loaded on this hart. Every vCPU
 * of a VM runs on this hart, so a local fence reaches them all. asid < 0: every ASID; size ~0: all. */
void vcpu_arch_fence_i(void);
/* Sets the loaded vCPU's guest satp (its VS-stage root), as a paravirtual root switch does. */
void vcpu_arch_set_satp(struct vcpu *v, uint64_t satp);
uint64_t vcpu_arch_get_satp(const struct vcpu *v);
void vcpu_arch_flush_vvma(uint64_t start, uint64_t size, long asid);

#endif
