/* SPDX-License-Identifier: MIT */
/* The trap engine's emulation of the guest kernel's privileged instructions and of trap entry, on the
 * virtual S-mode CSR file of a vCPU (struct vcpu_vscsr, struct vcpu_tv). Pure logic: tested on the
 * host over a table of encodings and CSR states (tests/unit/test_privemu.c). */
#ifndef ARCH_PRIVEMU_H
#define ARCH_PRIVEMU_H

#include <stdbool.h>
#include <stdint.h>

#include <arch/vcpu_arch.h>

/* What the engine must do after an emulated instruction (several may be set). */
#define INSN_WFI 0x10500073u /* wfi: what a trap of it leaves in stval */

#define PRIV_FX_ILLEGAL (1u << 0) /* not emulated: the guest takes an illegal-instruction exception */
#define PRIV_FX_VIEW (1u << 1)    /* privilege mode or sstatus.SUM changed: pick the hardware root again */
#define PRIV_FX_SATP (1u << 2)    /* satp written (or MXR changed): every shadow translation is stale */
#define PRIV_FX_FENCE (1u << 3)   /* sfence.vma: fence_va (if !fence_all) */
#define PRIV_FX_WFI (1u << 4)     /* wfi: pc not advanced; the caller sleeps the vCPU */
#define PRIV_FX_IRQ (1u << 5)     /* sie, sip or sstatus.SIE changed: an interrupt may be deliverable */

struct priv_fx {
    unsigned flags;
    bool fence_all;
    uint64_t fence_va;
    bool fence_one_asid; /* rs2 != x0: only that address space (and not its global mappings) */
    uint64_t fence_asid;
};

/* Virtual sstatus bits the guest may write (SIE, SPIE, SPP, FS, SUM, MXR); UXL reads as 64-bit. */
#define PRIV_SSTATUS_WRITABLE 0xc6122ull
/* Virtual sie/sip: SSI, STI, SEI (bits 1, 5, 9); of sip only SSIP is writable. */
#define PRIV_SIE_MASK 0x222ull

/* Emulates insn, which trapped as illegal in the guest kernel (tv.vmode = 1): updates registers, the
 * CSR file and pc (not for WFI or ILLEGAL). */
unsigned priv_emulate(struct vcpu_arch *a, uint32_t insn, struct priv_fx *fx);

/* Reads a virtual S-mode CSR as the guest sees it; false for CSRs the engine does not provide. */
bool priv_csr_read(const struct vcpu_arch *a, unsigned csr, uint64_t *val);

/* Enters the guest's trap handler: what the hardware does on a trap into S-mode (supervisor chapter,
 * "sstatus", "stvec"). cause has SCAUSE_IRQ set for an interrupt (vectored mode honoured). */
void priv_enter_trap(struct vcpu_arch *a, uint64_t cause, uint64_t tval);

/* The S-level interrupt the guest takes now (1, 5 or 9, by the priority SEI, SSI, STI), or -1. */
int priv_pending_irq(const struct vcpu_arch *a);

#endif
