// SPDX-License-Identifier: MIT
// MMIO emulation: a guest-page fault on a device address is decoded (htinst, else the instruction
// read from the guest) and carried out on the emulated device. An access that cannot be (no RAM or
// device there, or one the device refuses) raises an access fault in the guest, as on hardware.
#include "mmio.h"

#include <stdarg.h>

#include <arch/arch.h>
#include <arch/insn.h>

#include "console.h"
#include "devices.h"
#include "exit.h"
#include "guest_mem.h"
#include "lib/format.h"
#include "vm.h"

/* Delivered faults logged per guest before only counting them: a guest that probes in a loop must
 * not turn the hypervisor's console into its own. */
#define FAULT_LOG_MAX 5

/* The access fault a hart raises where its PMAs mark an address inaccessible (priv spec, "Physical
 * Memory Attributes"; for the implicit accesses of a page-table walk, "the access-fault exception
 * corresponding to the original access type"). */
static uint64_t access_fault_of(uint64_t guest_page_fault)
{
    return guest_page_fault == EXC_INSN_GUEST_PAGE_FAULT   ? EXC_INSN_ACCESS
           : guest_page_fault == EXC_LOAD_GUEST_PAGE_FAULT ? EXC_LOAD_ACCESS
                                                           : EXC_STORE_ACCESS;
}

/* The guest's access is one no machine would complete: raise the access fault in it, unless its
 * description asks for a stop or it could not handle the fault (no handler, or fetching the handler
 * itself is what faults: it would come straight back). */
static void refuse(struct vcpu *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The access fault for the guest's access, by the original access type: the instruction decides, as
 * some harts (QEMU 7.2) report an AMO's guest-page fault, and the implicit accesses of a page-table
 * walk, as a load's (hypervisor chapter: exceptions are "always reported for the original access
 * type"; an AMO's are store/AMO faults). */
static uint64_t access_fault_for(struct vcpu *v)
{
    struct vcpu_arch *a = &v->arch;
    uint32_t raw = (uint32_t)a->htinst;
    struct mmio_insn in;

    if (a->scause == EXC_INSN_GUEST_PAGE_FAULT) {
        return EXC_INSN_ACCESS;
    }
    bool walk = a->htinst != 0 && (a->htinst & 1) == 0;
    if ((raw & 1) == 0 && !vcpu_arch_read_insn(v, vcpu_arch_get_pc(a), &raw)) {
        /* The instruction itself cannot be fetched: on a walk, the fetch is what faulted. */
        return walk ? EXC_INSN_ACCESS : access_fault_of(a->scause);
    }
    if ((raw & 0x7f) == 0x2f && (raw >> 27) != 0x02) {
        return EXC_STORE_ACCESS; /* an AMO or SC (A extension; LR, funct5 00010, is a load) */
    }
    if (insn_decode_mmio(raw, &in)) {
        return in.store ? EXC_STORE_ACCESS : EXC_LOAD_ACCESS;
    }
    return access_fault_of(a->scause);
}

static void refuse(struct vcpu *v, const char *fmt, ...)
{
    struct vm *vm = v->vm;
    struct vcpu_arch *a = &v->arch;
    uint64_t cause = access_fault_for(v), tvec = vcpu_arch_guest_stvec(v) & ~3ull;
    const char *stop = (const char *)0;
    char why[160];
    va_list ap;

    va_start(ap, fmt);
    fmt_vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    if (vm->cfg->fault_stop) {
        vm_fault(vm, "%s", why);
        return;
    }
    if (tvec == 0) {
        stop = "and it has no trap handler (stvec 0)";
    } else if (cause == EXC_INSN_ACCESS && a->stval == tvec) {
        stop = "at its own trap handler";
    }
    if (stop) {
        vm_fault(vm, "%s, %s", why, stop);
        return;
    }
    unsigned kind = cause == EXC_INSN_ACCESS ? 0 : cause == EXC_LOAD_ACCESS ? 1 : 2;
    vm->faults_delivered[kind]++;
    if (vm->fault_logs < FAULT_LOG_MAX) {
        vm->fault_logs++;
        hyp_log("guest '%s': %s: %s raised in it%s", vm->cfg->name, why, exit_cause_name(cause),
                vm->fault_logs == FAULT_LOG_MAX ? " (further ones are counted, not logged)" : "");
    }
    vcpu_arch_inject_exception(v, cause, a->stval);
}

void mmio_emulate(struct vcpu *v)
{
    struct vcpu_arch *a = &v->arch;
    uint64_t cause = a->scause;
    /* htval holds the guest physical address shifted right by 2 (hypervisor chapter, "htval"). */
    uint64_t gpa = (a->htval << 2) | (a->stval & 3);
    uint64_t pc = vcpu_arch_get_pc(a);
    struct mmio_insn in;
    uint32_t raw = 0;
    bool handled;
    uint64_t val = 0;

    /* Guest RAM not cleared yet (hext maps it region by region once cleared), whether the guest's
     * own access or its page-table walk found it. */
    if (guest_ram_demand(v->vm, gpa)) {
        return;
    }
    /* A pseudoinstruction in htinst (bit 0 clear) means the fault came from the guest's own
     * page-table walk reaching an address that is not RAM, not from a load or store. */
    if (a->htinst != 0 && (a->htinst & 1) == 0) {
        refuse(v, "its page-table walk reached guest physical 0x%lx, not RAM (va 0x%lx, pc 0x%lx)",
               (unsigned long)gpa, (unsigned long)a->stval, (unsigned long)pc);
        return;
    }
    if (cause == EXC_INSN_GUEST_PAGE_FAULT || !devices_present(v->vm, gpa)) {
        refuse(v, "%s at guest physical 0x%lx (guest virtual 0x%lx, pc 0x%lx): not RAM or a device of it",
               exit_cause_name(cause), (unsigned long)gpa, (unsigned long)a->stval, (unsigned long)pc);
        return;
    }
    /* The spec lets htinst be zero (QEMU often leaves it so): read the instruction ourselves then. */
    if (!insn_decode_htinst(a->htinst, &in)) {
        if (!vcpu_arch_read_insn(v, pc, &raw) || !insn_decode_mmio(raw, &in)) {
            refuse(v, "device access at 0x%lx by an instruction a device cannot serve (0x%08x at pc 0x%lx)",
                   (unsigned long)gpa, raw, (unsigned long)pc);
            return;
        }
    }
    if (in.store != (cause == EXC_STORE_GUEST_PAGE_FAULT) || (gpa & (in.width - 1)) != 0) {
        refuse(v, "%s device access of %u bytes at 0x%lx (pc 0x%lx): misaligned or inconsistent",
               in.store ? "store" : "load", in.width, (unsigned long)gpa, (unsigned long)pc);
        return;
    }
    if (in.store) {
        val = mmio_store_value(a, &in);
    }
    devices_mmio(v->vm, gpa, in.width, in.store, &val, &handled);
    if (!handled) {
        refuse(v, "%s of %u bytes at device address 0x%lx (pc 0x%lx) is not supported",
               in.store ? "store" : "load", in.width, (unsigned long)gpa, (unsigned long)pc);
        return;
    }
    mmio_complete(a, &in, val, pc);
}
