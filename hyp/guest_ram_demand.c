// SPDX-License-Identifier: MIT
// Clearing guest RAM where no access of the hypervisor's does it: the G-stage fault of a region
// not mapped yet (hext), a superpage the trap engine's shadow fill would map whole.
#include <arch/arch.h>
#include <arch/gstage.h>

#include "guest_mem.h"
#include "hverr.h"
#include "hyp.h"
#include "mm.h"
#include "vm.h"

/* Pages a demand fault clears before the guest runs again: about 40,000 instructions, so a fault
 * stays well inside an exit's budget; a 2 MiB region takes eight. */
#define DEMAND_STEP_PAGES 64u
#define REGION_PAGES (2 * MiB / PAGE_SIZE)

bool guest_ram_demand(struct vm *vm, uint64_t gpa)
{
    uint64_t hpa, mapped, perm;

    if (arch_engine_trap || !guest_ram_range(vm, gpa, 1, &hpa)) {
        return false;
    }
    uint64_t region = ALIGN_DOWN(gpa - VM_RAM_BASE, 2 * MiB);
    if (gstage_lookup(&vm->gstage, VM_RAM_BASE + region, &mapped, &perm)) {
        /* Mapped (RWX) since this hart cached the region as invalid: another hart of the VM finished
         * it. A local fence, and the guest goes on. */
        arch_gstage_flush(vm->vmid);
        return true;
    }
    vm->stats.ram_clearing++;
    if (!ram_clean_step(&vm->clean, region / PAGE_SIZE, REGION_PAGES, (gpa - VM_RAM_BASE) / PAGE_SIZE,
                        DEMAND_STEP_PAGES, guest_ram_zero_pages, vm)) {
        return true; /* the guest faults here again and the next step goes on */
    }
    if (gstage_map(&vm->gstage, &vm->alloc, VM_RAM_BASE + region, vm->ram_hpa + region, 2 * MiB,
                   PTE_R | PTE_W | PTE_X) != HV_OK) {
        vm_fault(vm, "no memory for its G-stage tables (guest physical 0x%lx)",
                 (unsigned long)(VM_RAM_BASE + region));
        return true;
    }
    /* A hart may have cached the entry as invalid (only Svvptc rules that out). */
    arch_gstage_flush(vm->vmid);
    return true;
}

bool guest_ram_clean_step(struct vm *vm, uint64_t gpa, uint64_t len)
{
    uint64_t hpa;

    if (len == 0 || !guest_ram_range(vm, gpa, len, &hpa)) {
        return false;
    }
    uint64_t first = (gpa - VM_RAM_BASE) / PAGE_SIZE;
    uint64_t last = (gpa - VM_RAM_BASE + len - 1) / PAGE_SIZE;
    return ram_clean_step(&vm->clean, first, last - first + 1, first, DEMAND_STEP_PAGES, guest_ram_zero_pages,
                          vm);
}
