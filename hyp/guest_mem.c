// SPDX-License-Identifier: MIT
// Guest-physical range checks, and clearing guest RAM on first use. Guest RAM is one contiguous host
// run, so a range check is the whole story.
#include "guest_mem.h"

#include <arch/arch.h>

#include "budget.h"
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

bool guest_ram_dma_ok(const struct vm *vm, uint64_t gpa, uint64_t len)
{
    uint64_t hpa;

    if (!guest_ram_range(vm, gpa, len, &hpa)) {
        return false;
    }
    if (!vm->mmu.ready || len == 0) {
        return true;
    }
    /* The validator's frame table covers guest RAM from VM_RAM_BASE: the range is inside it. Its
     * count of tables in a range costs O(log n) whatever the length, so a guest cannot make a check
     * scan its RAM (a virtio descriptor may be as long as RAM, and there are many per notify). */
    uint64_t first = (gpa - VM_RAM_BASE) / PAGE_SIZE, last = (gpa - VM_RAM_BASE + len - 1) / PAGE_SIZE;
    return ptval_typed_frames(&vm->mmu.val, first, last - first + 1) == 0;
}

/* ram_zero_fn for a VM: pages counted from the start of its RAM. */
void guest_ram_zero_pages(void *ctx, uint64_t first, uint64_t n)
{
    const struct vm *vm = ctx;
    uint64_t *p = (uint64_t *)(uintptr_t)(vm->ram_hpa + first * PAGE_SIZE);
    uint64_t *end = p + n * (PAGE_SIZE / 8);

    /* Eight stores a turn: clearing is most of what a first touch costs. */
    for (; p < end; p += 8) {
        p[0] = p[1] = p[2] = p[3] = p[4] = p[5] = p[6] = p[7] = 0;
    }
}

uint64_t guest_ram_unused_pages(const struct vm *vm, uint64_t gpa, uint64_t len)
{
    if (len == 0 || gpa < VM_RAM_BASE) {
        return 0;
    }
    uint64_t first = (gpa - VM_RAM_BASE) / PAGE_SIZE, last = (gpa - VM_RAM_BASE + len - 1) / PAGE_SIZE;
    return ram_clean_missing(&vm->clean, first, last - first + 1);
}

uint64_t guest_ram_touch(struct vm *vm, uint64_t gpa, uint64_t len)
{
    if (len == 0 || gpa < VM_RAM_BASE) {
        return 0;
    }
    uint64_t first = (gpa - VM_RAM_BASE) / PAGE_SIZE, last = (gpa - VM_RAM_BASE + len - 1) / PAGE_SIZE;
    /* The common case, a small range of pages used already: one word looked at. */
    if (first / 64 == last / 64 && last < vm->clean.npages) {
        uint64_t mask = (last % 64 == 63 ? ~0ull : (2ull << (last % 64)) - 1) & ~((1ull << (first % 64)) - 1);
        if ((vm->clean.bits[first / 64] & mask) == mask) {
            return 0;
        }
    }
    return ram_clean_make(&vm->clean, first, last - first + 1, guest_ram_zero_pages, vm);
}

void *guest_ram_ptr(struct vm *vm, uint64_t gpa, uint64_t len)
{
    uint64_t hpa;

    if (!guest_ram_range(vm, gpa, len, &hpa)) {
        return (void *)0;
    }
    guest_ram_touch(vm, gpa, len);
    return (void *)(uintptr_t)hpa;
}

void *guest_ram_dma_ptr(struct vm *vm, uint64_t gpa, uint64_t len)
{
    return guest_ram_dma_ok(vm, gpa, len) ? guest_ram_ptr(vm, gpa, len) : (void *)0;
}

bool guest_ram_is_clean(const struct vm *vm, uint64_t gpa, uint64_t len)
{
    uint64_t hpa;

    if (!guest_ram_range(vm, gpa, len, &hpa) || len == 0) {
        return false;
    }
    uint64_t first = (gpa - VM_RAM_BASE) / PAGE_SIZE, last = (gpa - VM_RAM_BASE + len - 1) / PAGE_SIZE;
    return ram_clean_is(&vm->clean, first, last - first + 1);
}

bool guest_ram_clear_all(struct vm *vm, uint64_t *units)
{
    uint64_t before = vm->clean.sweep;
    uint64_t pages =
      ram_clean_sweep(&vm->clean, *units, *units / UNITS_PER_CLEARED_PAGE + 1, guest_ram_zero_pages, vm);
    /* Charged a unit per bitmap word looked at, and what the pages cost. */
    uint64_t cost = (vm->clean.sweep - before) + pages * UNITS_PER_CLEARED_PAGE;
    *units = cost < *units ? *units - cost : 0;
    return ram_clean_swept(&vm->clean);
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
