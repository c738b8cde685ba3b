/* SPDX-License-Identifier: MIT */
/* Boot memory: where the hypervisor keeps what it needs for the whole run, and the frame pools. */
#ifndef HYP_BOOTMEM_H
#define HYP_BOOTMEM_H

#include <stdint.h>

/* The end of what the hypervisor keeps after its image: the allocator bitmaps (page aligned). */
uint64_t bootmem_hyp_end(void);

/* Moves the bundle (platform.initrd_start/end, already checked to lie in RAM clear of the image)
 * down to just after the hypervisor's image and allocator bitmaps, and updates the range, so that
 * the RAM left to guests is one run; a bundle that cannot move there stays where it is. */
void bootmem_place_bundle(void);

/* Every RAM region becomes a frame pool, minus the firmware, this image with its pool bitmaps and
 * the bundle. The board's device tree is not kept: it was read once into `platform`. */
void bootmem_init(void);

#endif
