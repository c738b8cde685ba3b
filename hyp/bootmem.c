// SPDX-License-Identifier: MIT
// Boot memory: the hypervisor's image, its allocator bitmaps and the guest bundle end up side by side
// at the start of the image's RAM region, so that what is left for guests is one run.
#include "bootmem.h"

#include <string.h>

#include "console.h"
#include "hyp.h"

/* Linker symbols: the hypervisor image, .bss and boot stack included. */
extern char _start_image[], _end[];

/* The end of the allocator bitmaps, which follow the image (one set per RAM region). */
uint64_t bootmem_hyp_end(void)
{
    uint64_t cursor = ALIGN_UP((uint64_t)(uintptr_t)_end, PAGE_SIZE);

    for (unsigned i = 0; i < platform.nmem; i++) {
        cursor = ALIGN_UP(cursor + frames_bitmap_words(platform.mem[i].size) * 8, PAGE_SIZE);
    }
    return cursor;
}

static bool overlaps(uint64_t a, uint64_t a_end, uint64_t b, uint64_t b_end)
{
    return a < b_end && b < a_end;
}

void bootmem_place_bundle(void)
{
    uint64_t start = platform.initrd_start, size = platform.initrd_end - start;
    uint64_t dest = bootmem_hyp_end(), img = (uint64_t)(uintptr_t)_start_image;
    bool fits = false;

    if (dest >= start) {
        return; /* already beside the image (or below it): nothing to gain */
    }
    /* The new place must be in the image's RAM region and touch nothing the firmware keeps. */
    for (unsigned i = 0; i < platform.nmem; i++) {
        uint64_t b = platform.mem[i].base, e = b + platform.mem[i].size;
        fits |= img >= b && img < e && dest + size <= e && dest + size > dest;
    }
    for (unsigned i = 0; fits && i < platform.nreserved; i++) {
        const struct fdt_region *r = &platform.reserved[i];
        fits = !overlaps(dest, dest + size, r->base, r->base + r->size);
    }
    if (!fits) {
        return;
    }
    /* The two ranges may overlap (the new one is lower): memmove copies front to back. */
    memmove((void *)(uintptr_t)dest, (const void *)(uintptr_t)start, (size_t)size);
    hyp_log("bundle: moved from 0x%lx to 0x%lx, beside the hypervisor", (unsigned long)start,
            (unsigned long)dest);
    platform.initrd_start = dest;
    platform.initrd_end = dest + size;
}

void bootmem_init(void)
{
    uint64_t cursor = ALIGN_UP((uint64_t)(uintptr_t)_end, PAGE_SIZE);
    uint64_t img = (uint64_t)(uintptr_t)_start_image;

    for (unsigned i = 0; i < platform.nmem; i++) {
        uint64_t *bitmap = (uint64_t *)(uintptr_t)cursor;
        cursor = ALIGN_UP(cursor + frames_bitmap_words(platform.mem[i].size) * 8, PAGE_SIZE);
        if (frames_add_pool(&frames, platform.mem[i].base, platform.mem[i].size, bitmap) != 0) {
            hyp_log("memory region %u ignored (overlaps another or too many)", i);
        }
    }
    for (unsigned i = 0; i < platform.nreserved; i++) {
        frames_reserve(&frames, platform.reserved[i].base, platform.reserved[i].size);
    }
    /* OpenSBI describes its own region (/reserved-memory) since 0.7; a firmware that does not is
     * assumed to sit below our image, in the RAM region we were loaded into, as boards place it. */
    for (unsigned i = 0; i < platform.nmem; i++) {
        uint64_t b = platform.mem[i].base;
        bool described = false;
        for (unsigned r = 0; r < platform.nreserved; r++) {
            described |= platform.reserved[r].base >= b && platform.reserved[r].base < img;
        }
        if (b < img && img < b + platform.mem[i].size && !described) {
            hyp_log("no firmware region in the device tree: 0x%lx-0x%lx below this image kept out",
                    (unsigned long)b, (unsigned long)(img - 1));
            frames_reserve(&frames, b, img - b);
        }
    }
    frames_reserve(&frames, img, cursor - img);
    if (platform.initrd_end) {
        frames_reserve(&frames, platform.initrd_start, platform.initrd_end - platform.initrd_start);
    }
    hyp_log("hypervisor: 0x%lx-0x%lx; %lu MiB free for guests", (unsigned long)img,
            (unsigned long)(cursor - 1), (unsigned long)(frames_free_count(&frames) * PAGE_SIZE >> 20));
}
