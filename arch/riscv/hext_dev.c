// SPDX-License-Identifier: MIT
// The hext engine's device fast path: a guest-page fault on a UART register, entered from trap.S
// (hext_dev_entry) with only the registers a C call may change saved, emulated without the
// scheduler and returned from with sret; what it does not finish goes on in hext_dev_slow.
#include <stdint.h>

#include <arch/arch.h>
#include <arch/csr.h>
#include <arch/insn.h>
#include <arch/vcpu_arch.h>

#include "devices.h"
#include "engine_int.h"
#include "exit.h"
#include "exit_dev.h"
#include "sched.h"
#include "vm.h"

_Noreturn void vcpu_arch_enter(struct vcpu_arch *a);
uintptr_t hext_dev_trap(struct vcpu_arch *a);
_Noreturn void hext_dev_slow(struct vcpu_arch *a, uintptr_t how);

/* The instruction at gva as the guest would fetch it (HLVX: execute permission; hstatus.SPVP is
 * the guest's mode after its trap), 16 bits for a compressed one, 0 (no instruction) on any fault:
 * stvec points at the local label meanwhile, where the result is still 0. Inline (hlvx_hu_safe in
 * guest_access.S is the out-of-line kind): every UART access reads one. */
static inline uint32_t hext_fetch_insn(uint64_t gva)
{
    uint64_t insn = 0, lo, hi, tvec;

    __asm__ volatile(".option push\n\t"
                     ".option arch, +h\n\t"
                     "lla %[tv], 1f\n\t"
                     "csrrw %[tv], stvec, %[tv]\n\t"
                     "hlvx.hu %[lo], (%[va])\n\t"
                     "andi %[hi], %[lo], 3\n\t"
                     "addi %[hi], %[hi], -3\n\t"
                     "bnez %[hi], 2f\n\t" /* bits 1:0 other than 11: compressed */
                     "addi %[va], %[va], 2\n\t"
                     "hlvx.hu %[hi], (%[va])\n\t"
                     "slli %[hi], %[hi], 16\n\t"
                     "or %[lo], %[lo], %[hi]\n"
                     "2:\tmv %[in], %[lo]\n\t"
                     "j 1f\n\t"
                     ".balign 4\n"
                     "1:\tcsrw stvec, %[tv]\n\t"
                     ".option pop"
                     : [in] "+r"(insn), [lo] "=&r"(lo), [hi] "=&r"(hi), [tv] "=&r"(tvec), [va] "+r"(gva)
                     :
                     : "memory");
    return (uint32_t)insn;
}

/* The guest registers hext_dev_entry (trap.S) saves, by number: x0, ra, sp, tp, t0-t6, a0-a7. An
 * access whose data register is another (gp, s0-s11: live in the hart, not in memory) is emulated
 * once the rest are saved too (DEV_REGS). Keep in step with the list in trap.S. */
#define DEV_SAVED_REGS 0xf003fcf7u

/* What hext_dev_trap tells trap.S in the low bits of the pointer it returns (vcpu_arch is aligned):
 * anything but 0 has the rest of the registers saved and hext_dev_slow called with it. */
#define DEV_FULL 1  /* not taken: the full exit */
#define DEV_REGS 2  /* a UART access to emulate once every register is saved */
#define DEV_SCHED 3 /* done, but the scheduler decides what runs next */
_Static_assert(_Alignof(struct vcpu_arch) >= 4, "hext_dev_trap tags the low two bits of &vcpu_arch");

/* The access a load or store guest-page fault made, if the fast path takes it: a UART register,
 * a plain 32-bit load or store (htinst, else read with HLVX) of the fault's kind, aligned. False
 * for anything else: another address, a pseudoinstruction in htinst (the guest's own page-table
 * walk reached the device: the full path refuses it), an instruction that cannot be read, a
 * compressed one (no byte forms, so rare on a UART: decoding them here kept in out of registers).
 * A faulting read changes the trap CSRs, but the full path uses the copies in a, and the guest's
 * sepc, sstatus and hstatus are in memory. */
static inline __attribute__((always_inline)) bool hext_dev_decode(struct vcpu_arch *a, uint64_t cause,
                                                                uint64_t *gpa, struct mmio_insn *in)
{
    /* htval holds the guest physical address shifted right by 2 (hypervisor chapter, "htval"). */
    *gpa = (a->htval << 2) | (a->stval & 3);
    if (!devices_fast(vcpu_of_arch(a)->vm, *gpa)) {
        return false;
    }
    if (a->htinst != 0) {
        if (!insn_decode_htinst(a->htinst, in)) {
            return false;
        }
    } else {
        uint32_t raw = hext_fetch_insn(a->regs.sepc);
        if ((raw & 3) != 3 || !insn_decode32(raw, 4, in)) {
            return false;
        }
    }
    return in->store == (cause == EXC_STORE_GUEST_PAGE_FAULT) && (*gpa & (in->width - 1)) == 0;
}

/* A load or store guest-page fault, entered from trap.S with only the registers a C call may change
 * saved (hext_dev_entry). A UART register access is emulated without the scheduler
 * (vcpu_exit_dev) and a is returned as it is: the guest goes on at once. Anything else (another
 * address, a fault of the guest's page-table walk, an instruction that is not a plain load or
 * store or cannot be read) comes back tagged DEV_FULL with nothing changed, an access to a
 * register not saved yet DEV_REGS; the code here must not end in anything that does not return,
 * as the guest's callee-saved registers are live. */
uintptr_t hext_dev_trap(struct vcpu_arch *a)
{
    struct pcpu *c = arch_this_cpu();
    struct vcpu *v = vcpu_of_arch(a);
    struct mmio_insn in;
    uint64_t gpa;

    /* Read the trap CSRs first: a guarded read may trap and overwrite them. */
    uint64_t cause = csr_read(CSR_SCAUSE);
    a->scause = cause;
    a->stval = csr_read(CSR_STVAL);
    a->htval = csr_read(CSR_HTVAL);
    a->htinst = csr_read(CSR_HTINST);
    if (!hext_dev_decode(a, cause, &gpa, &in)) {
        return (uintptr_t)a | DEV_FULL;
    }
    /* Its data register is not in memory yet: hext_dev_slow decodes it again with all saved. */
    if (!((DEV_SAVED_REGS >> in.reg) & 1)) {
        return (uintptr_t)a | DEV_REGS;
    }
    switch (vcpu_exit_dev(v, gpa, &in)) {
    case EXIT_DEV_DONE:
        engine_charge(c, a);
        return (uintptr_t)a;
    case EXIT_DEV_SCHED:
        return (uintptr_t)a | DEV_SCHED;
    default:
        return (uintptr_t)a | DEV_FULL;
    }
}

/* The rest of an exit hext_dev_trap did not finish, with every guest register saved by now. */
_Noreturn void hext_dev_slow(struct vcpu_arch *a, uintptr_t how)
{
    struct pcpu *c = arch_this_cpu();
    struct vcpu *v = vcpu_of_arch(a);

    /* Named only now: an exit done on the fast path is charged there, without it. */
    c->exiting = v;
    if (how == DEV_REGS) {
        /* Every register is in memory now: the fast path's emulation, then the full restore. The
         * instruction is read and checked again, as the full path would (another vCPU may have
         * changed it meanwhile: what is emulated is what the checks accept, nothing else). */
        struct mmio_insn in;
        uint64_t gpa;
        enum exit_dev r = EXIT_DEV_FULL;
        if (hext_dev_decode(a, a->scause, &gpa, &in)) {
            r = vcpu_exit_dev(v, gpa, &in);
        }
        how = r == EXIT_DEV_DONE ? 0 : r == EXIT_DEV_SCHED ? DEV_SCHED : DEV_FULL;
    }
    if (how == 0) {
        vcpu_arch_charge_exit(c);
        vcpu_arch_enter(a);
    }
    if (how == DEV_SCHED) {
        sched_resume(v);
    }
    vcpu_handle_exit(v);
}
