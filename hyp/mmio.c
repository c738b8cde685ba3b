// SPDX-License-Identifier: MIT
// MMIO emulation: a guest-page fault on a device address is decoded (htinst, else the instruction
// read from the guest) and carried out on the emulated device. Anything that cannot be is a
// contained guest fault.
#include "mmio.h"

#include <arch/arch.h>
#include <arch/insn.h>

#include "devices.h"
#include "exit.h"
#include "vm.h"

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

    if (cause == EXC_INSN_GUEST_PAGE_FAULT || !devices_present(v->vm, gpa)) {
        vm_fault(v->vm, "%s at guest physical 0x%lx (guest virtual 0x%lx, pc 0x%lx): not RAM or a device of it",
                 exit_cause_name(cause), (unsigned long)gpa, (unsigned long)a->stval, (unsigned long)pc);
        return;
    }
    /* A pseudoinstruction in htinst (bit 0 clear) means the fault came from the guest's own page-table
     * walk reaching a device address, not from a load or store: nothing to emulate. */
    if (a->htinst != 0 && (a->htinst & 1) == 0) {
        vm_fault(v->vm, "its page-table walk reached device address 0x%lx (pc 0x%lx)", (unsigned long)gpa,
                 (unsigned long)pc);
        return;
    }
    /* The spec lets htinst be zero (QEMU often leaves it so): read the instruction ourselves then. */
    if (!insn_decode_htinst(a->htinst, &in)) {
        if (!vcpu_arch_read_insn(v, pc, &raw) || !insn_decode_mmio(raw, &in)) {
            vm_fault(v->vm, "device access at 0x%lx by an instruction that cannot be emulated "
                            "(0x%08x at pc 0x%lx)",
                     (unsigned long)gpa, raw, (unsigned long)pc);
            return;
        }
    }
    if (in.store != (cause == EXC_STORE_GUEST_PAGE_FAULT) || (gpa & (in.width - 1)) != 0) {
        vm_fault(v->vm, "%s device access of %u bytes at 0x%lx (pc 0x%lx): misaligned or inconsistent",
                 in.store ? "store" : "load", in.width, (unsigned long)gpa, (unsigned long)pc);
        return;
    }
    if (in.store) {
        val = vcpu_arch_get_reg(a, in.reg);
        if (in.width < 8) {
            val &= (1ull << (8 * in.width)) - 1;
        }
    }
    devices_mmio(v->vm, gpa, in.width, in.store, &val, &handled);
    if (!handled) {
        vm_fault(v->vm, "%s of %u bytes at device address 0x%lx (pc 0x%lx) is not supported",
                 in.store ? "store" : "load", in.width, (unsigned long)gpa, (unsigned long)pc);
        return;
    }
    if (!in.store) {
        if (in.width < 8) {
            uint64_t sign = 1ull << (8 * in.width - 1);
            val &= (sign << 1) - 1;
            if (in.sign_extend && (val & sign)) {
                val |= ~((sign << 1) - 1);
            }
        }
        vcpu_arch_set_reg(a, in.reg, val);
    }
    vcpu_arch_set_pc(a, pc + in.len);
}
