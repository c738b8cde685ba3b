/* SPDX-License-Identifier: MIT */
/* The work one exit may do on a guest's behalf, whatever the guest asks (DESIGN.md, "Bounded work";
 * docs/security.md): every loop whose length a guest chooses (page-table entries validated or
 * dropped, multicall entries, block requests and their bytes, virtio descriptors) draws from one
 * budget per exit. A unit is about the cost of one page-table entry checked; the figures below were
 * measured under QEMU -icount so that a whole budget stays under 100,000 instructions. */
#ifndef HYP_BUDGET_H
#define HYP_BUDGET_H

/* Units one exit may spend. */
#define EXIT_BUDGET 1024u
/* One entry of a multicall, besides what its call costs. */
#define UNITS_MULTICALL_ENTRY 2u
/* One block request, besides its bytes; and the bytes one unit copies or clears (a word loop). */
#define UNITS_BLK_REQUEST 8u
#define BYTES_PER_UNIT 128u
/* What one exit gives virtio-blk's queue: less than a whole budget, since a notify's work costs more
 * per unit than the calibration above (chains checked again, status and used-ring stores, the pages
 * cleared): a million fuzzed operations found a notify of a full budget at 113,000 instructions. */
#define VIRTIO_EXIT_BUDGET (EXIT_BUDGET * 3 / 4)
/* One virtio descriptor read and checked. */
#define UNITS_VIRTIO_DESC 2u
/* One 4 KiB page of guest RAM cleared at its first use (hyp/guest_mem.h): about 900 instructions. */
#define UNITS_PER_CLEARED_PAGE 12u

#endif
