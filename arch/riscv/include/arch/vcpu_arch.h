/* SPDX-License-Identifier: MIT */
/* The arch half of a vCPU: guest registers as trap.S saves them, and the VS-level state a world switch swaps. */
#ifndef ARCH_VCPU_ARCH_H
#define ARCH_VCPU_ARCH_H

#include <stdbool.h>
#include <stdint.h>

#include <arch/shadow.h>

/* Indices into vcpu_regs.x[] for the registers hyp/ reads by name (the SBI calling convention). */
enum {
    REG_RA = 1,
    REG_SP = 2,
    REG_A0 = 10,
    REG_A1 = 11,
    REG_A2 = 12,
    REG_A3 = 13,
    REG_A4 = 14,
    REG_A5 = 15,
    REG_A6 = 16,
    REG_A7 = 17,
};

struct vcpu_regs {
    uint64_t x[32]; /* x[0] is never read: it keeps the offsets equal to register numbers */
    uint64_t sepc;
    uint64_t sstatus;
    uint64_t hstatus;
    uint64_t pad; /* keeps the structure a multiple of 16 bytes, the stack alignment */
};

/* VS-level CSRs: live in hardware while the vCPU runs, here while it is descheduled. */
struct vcpu_vscsr {
    uint64_t vsstatus;
    uint64_t vsie;
    uint64_t vstvec;
    uint64_t vsscratch;
    uint64_t vsepc;
    uint64_t vscause;
    uint64_t vstval;
    uint64_t vsatp;
    uint64_t vstimecmp;
    uint64_t hvip;
    /* No VS copies exist of these two: with V=1 the guest reaches the HS-level registers. */
    uint64_t scounteren;
    uint64_t senvcfg;
};

struct vcpu_fp {
    uint64_t f[32];
    uint64_t fcsr;
};

/* The trap engine's part (no H extension): the guest's virtual privilege mode and the hardware roots
 * it runs on. Its virtual S-mode CSR file is struct vcpu_vscsr, as on the hext engine, with the
 * pending interrupts kept in hvip's numbering (VS bits: the S bit + 1). */
struct vcpu_tv {
    uint64_t vmode;      /* 1: the guest kernel (virtual S-mode), 0: its user mode */
    uint64_t hw_satp;    /* what the hardware translates with while the guest runs (trap.S) */
    uint64_t enter_fence; /* trap.S fences the TLB after loading hw_satp: its ASID's entries may be stale */
    uint64_t exit_fence; /* trap.S fences after loading hyp_satp: no hardware ASIDs, roots share one */
    uint64_t hyp_satp;   /* the hypervisor's own root, loaded by trap.S at an exit */
    uint64_t alias_self; /* this vcpu_arch seen through the hypervisor's alias (trap.S) */
    uint64_t phys_self;  /* and at its own address, where the hypervisor's C code runs */
    /* Paravirtual direct paging: the validated roots (machine addresses) set by SET_ROOT; 0 while
     * the guest runs on shadow tables (its satp written natively, or Bare). */
    uint64_t direct_root;
    uint64_t direct_user_root;
    uint64_t vpage;      /* gpa of the guest's vCPU page (HV_FID_VCPU_PAGE), 0: none */
    uint64_t vpage_hpa;  /* its host physical address as last found, for tfast.S, 0: none (the page
                          * stays valid while the VM has no validated tables: tfast.S checks) */
    struct shadow sh;    /* shadow tables for the guest's own satp */
    uint64_t frames;     /* the frames sh lives in (its roots, then its pool), kept across resets */
    unsigned nframes;
    bool exit_done;      /* the engine handled the exit itself: hyp/ only counts it */
    unsigned handler_faults; /* exceptions in a row taken at the guest's own handler entry */
    /* The VM's count of stores into its shadowed tables when this vCPU last tried an SC on one: a
     * store since (by any vCPU, on any hart) makes its next emulated SC fail. */
    uint64_t sc_seen;
    /* The hardware satp of each view's tree (shadow paging), so that the short path (tfast.c) can
     * change views without the walker. */
    uint64_t view_satp[SHADOW_VIEWS];
    uint64_t fast_priv;  /* privileged instructions emulated on the short path (counted as such) */
    uint64_t fast_fwd;   /* system calls of guest user code forwarded on the short path */
    uint64_t fast_patch; /* of fast_priv, patched instructions (arch/tpatch.h) */
    uint64_t fast_asm;   /* of fast_priv and fast_fwd, those trap.S took without C (tfast.S) */
    /* tfast.S counts one number per exit it takes, folded into the four above with the exit table
     * (hyp/stats.c): patched instructions, and system calls forwarded. */
    uint64_t asm_patch;
    uint64_t asm_fwd;
    uint64_t asm_ret;     /* returns through the vCPU page (HV_FID_TRAP_RETURN) taken by tfast.S */
    /* The VM's patch table seen through the alias (the short path's view of it; vms[] is in the
     * image), and the instructions the short path emulated since the full path last ran: those it
     * patches before the guest runs again (tv_patch_pending). */
    const struct tpatch *patch_alias;
    struct vm *vm_alias; /* its VM seen through the alias too: for sbi_dispatch_quick */
    uint64_t refill_va;    /* a user page fault forwarded to a guest that fences its tables: filled on
                            * the return to user mode (tv_refill), 0 none */
    /* Before the arrays below: tfast.S reads these with 12-bit offsets. */
    unsigned nwant;
    unsigned patch_wait; /* tv_patch_pending calls since the oldest waiting one came */
#define TV_PATCH_WANT 32
#define TV_PATCH_WAIT 256
    uint64_t want_va[TV_PATCH_WANT];
    uint64_t want_gpa[TV_PATCH_WANT]; /* where it was found, once looked up (0: not yet) */
    uint32_t want_insn[TV_PATCH_WANT];
    uint64_t installed_va; /* the page of the last valid leaf it stored in a table, ~0 (tv_prefill) */
    bool tlb_only;         /* the privileged instruction of this exit changed trees and roots only */
};

struct vcpu_arch {
    /* Invariant: regs is first, because sscratch holds &vcpu_arch while the guest runs and trap.S
     * stores registers through it before it has any free register to add an offset. */
    struct vcpu_regs regs;
    uint64_t hyp_sp;         /* top of this hart's hypervisor stack, loaded by the trap entry */
    uint64_t hyp_tp;         /* this hart's per-cpu pointer, which the hypervisor keeps in tp */
    uint64_t fast_exits;     /* null hypercalls answered in trap.S (counted as VS ecalls) */
    uint64_t exit_instret;   /* instret when the last exit began */
    uint64_t fast_cause;     /* scause for which trap.S tries the null-hypercall fast path */
    uint64_t hyp_instret;    /* instructions the hypervisor spent on this vCPU's exits (bench) */
    uint64_t hyp_longest;    /* the most it spent on one of them, not counting idle time */
    uint64_t hyp_busy;       /* hyp_instret without the time exits spent idle in WFI */
    bool exit_idled;         /* the exit being handled put the hart to sleep: its length is known */
    struct vcpu_vscsr vs;
    struct vcpu_fp fp;
    bool flush_on_load;      /* (re)started: translations of its earlier life must not be used */
    uint64_t hgatp;
    uint64_t timer_deadline; /* guest timer when the hart has no Sstc: checked by the hypervisor */
    /* The exit being handled, read once from the trap CSRs. */
    uint64_t scause;
    uint64_t stval;
    uint64_t htval;
    uint64_t htinst;
    struct vcpu_tv tv;
    /* The short path's stack (tfast.c): it runs on the guest's root, where only the hypervisor's
     * alias is mapped, so its stack must be inside the image's alias too. Last: trap.S reaches it
     * with a computed offset. */
    uint64_t fast_stack[96] __attribute__((aligned(16)));
};

static inline uint64_t vcpu_arch_get_reg(const struct vcpu_arch *a, unsigned int r)
{
    return r == 0 || r > 31 ? 0 : a->regs.x[r];
}

static inline void vcpu_arch_set_reg(struct vcpu_arch *a, unsigned int r, uint64_t v)
{
    if (r != 0 && r < 32) {
        a->regs.x[r] = v;
    }
}

extern bool arch_engine_trap;

/* True when the exit came from the guest's kernel (VS-mode, or virtual S on the trap engine), false
 * from its user mode. */
static inline bool vcpu_arch_guest_kernel_mode(const struct vcpu_arch *a)
{
    return arch_engine_trap ? a->tv.vmode != 0 : (a->regs.sstatus >> 8) & 1; /* sstatus.SPP */
}

/* True when the engine handled the exit itself (trap engine only). */
static inline bool vcpu_arch_exit_handled(const struct vcpu_arch *a)
{
    return a->tv.exit_done;
}

static inline uint64_t vcpu_arch_get_pc(const struct vcpu_arch *a)
{
    return a->regs.sepc;
}

static inline void vcpu_arch_set_pc(struct vcpu_arch *a, uint64_t pc)
{
    a->regs.sepc = pc;
}

#endif
