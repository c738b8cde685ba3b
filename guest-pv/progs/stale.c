// SPDX-License-Identifier: MIT
// No stale data: the part of its RAM this guest never wrote must read as zeros, whatever the frames
// held before (a boot loader's copies, a guest that had them). It counts the pages that do not, then
// fills them with a pattern of its own and crashes, so that a restart (restarts in its description)
// is built on the same frames and looks again.
#include "guest.h"

#define PATTERN 0x57a1ed0057a1ed00ul

extern uint64_t ram_base, ram_size;

void guest_main(unsigned long hartid, unsigned long dtb)
{
    (void)hartid;
    /* The upper half of the kernel's 1 GiB window, past its 2 MiB table pool and short of the 2 MiB
     * that hold the device tree it was given: never written by it. */
    uint64_t window = ram_size < (1ul << 30) ? ram_size : (1ul << 30);
    uint64_t from = ram_base + window / 2 + 2 * 1024 * 1024, to = ram_base + window;
    if (dtb >= from && dtb < to) {
        to = dtb & ~(2 * 1024 * 1024ul - 1);
    }
    uint64_t pages = 0, dirty = 0, ours = 0, first = 0;

    for (uint64_t p = from; p < to; p += PAGE_SIZE, pages++) {
        const volatile uint64_t *w = (const volatile uint64_t *)p;
        bool seen = false;
        for (unsigned i = 0; i < PAGE_SIZE / 8; i++) {
            if (w[i] != 0) {
                seen = true;
                ours += w[i] == PATTERN;
            }
        }
        if (seen && dirty++ == 0) {
            first = p;
        }
    }
    kprintf("stale: %lu of %lu pages it never wrote hold data (%lu words of its own earlier pattern)%s\n",
            dirty, pages, ours, dirty ? "" : ": all zero");
    if (dirty) {
        kprintf("stale: first at 0x%lx\n", first);
    }
    for (uint64_t p = from; p < to; p += 8) {
        *(volatile uint64_t *)p = PATTERN;
    }
    kprintf("stale: pattern written, crashing\n");
    pt_map(kernel_root, 0xc0000000ul, 0x9f000000ul, PTE_R | PTE_W);
    pt_sync();
    *(volatile uint64_t *)0xc0000000ul = 1;
}
