// SPDX-License-Identifier: MIT
// Guest-physical range checks. Guest RAM is one contiguous host run, so a range check is the whole story.
#include "guest_mem.h"

#include <arch/arch.h>

#include "mm.h"
#include "vm.h"

bool guest_ram_range(const struct vm *vm, uint64_t gpa, uint64_t len, uint64_t *hpa)
{
    /* Written so that no sum can overflow: offset first, then compare lengths. */
    if (gpa < VM_RAM_BASE) {
        return false;
    }
    uint64_t off = gpa - VM_RAM_BASE;
    if (off > vm->ram_size || len > vm->ram_size - off) {
        return false;
    }
    if (len == 0 && off == vm->ram_size) {
        return false; /* one past the end is not an address in RAM */
    }
    *hpa = vm->ram_hpa + off;
    return true;
}

void *guest_ram_ptr(const struct vm *vm, uint64_t gpa, uint64_t len)
{
    uint64_t hpa;

    return guest_ram_range(vm, gpa, len, &hpa) ? (void *)(uintptr_t)hpa : (void *)0;
}

void *guest_ram_dma_ptr(const struct vm *vm, uint64_t gpa, uint64_t len)
{
    void *p = guest_ram_ptr(vm, gpa, len);

    if (!p || !vm->mmu.ready || len == 0) {
        return p;
    }
    /* The validator's frame table covers guest RAM from VM_RAM_BASE: the range is inside it. Its
     * count of tables in a range costs O(log n) whatever the length, so a guest cannot make a check
     * scan its RAM (a virtio descriptor may be as long as RAM, and there are many per notify). */
    uint64_t first = (gpa - VM_RAM_BASE) / PAGE_SIZE, last = (gpa - VM_RAM_BASE + len - 1) / PAGE_SIZE;
    return ptval_typed_frames(&vm->mmu.val, first, last - first + 1) == 0 ? p : (void *)0;
}

void *guest_ram_write_ptr(struct vm *vm, uint64_t gpa, uint64_t len)
{
    void *p = guest_ram_dma_ptr(vm, gpa, len);

    /* A virtio request may name thousands of buffers: two compares each away from the range. */
    if (p && len && gpa < vm->watch_hi && gpa + len > vm->watch_lo) {
        vm_arch_guest_write(vm, gpa, len);
    }
    return p;
}
