/* SPDX-License-Identifier: MIT */
/* Driver for the host's disk: a virtio-blk device on a virtio-mmio (version 2) slot of the device
 * tree, driven by polling (the hypervisor runs with interrupts masked). */
#ifndef HYP_DRV_VIRTIO_BLK_H
#define HYP_DRV_VIRTIO_BLK_H

#include <stdbool.h>
#include <stdint.h>

#include "blk/blk.h"

/* Finds and sets up the disk on the first call; later calls return what the first found. */
bool virtio_blk_init(void);
/* The host disk's size in sectors (0 without a disk). */
uint64_t virtio_blk_capacity(void);
/* One request on host sectors, waited for. The caller has checked the range against the disk. */
enum blk_status virtio_blk_rw(enum blk_op op, uint64_t sector, const struct blk_seg *segs,
                              unsigned nsegs);

#endif
