/* SPDX-License-Identifier: MIT */
/* Driver for the host's disk: a virtio-blk device on a virtio-mmio (version 2) slot of the device
 * tree, driven by polling (the hypervisor runs with interrupts masked), one request at a time. */
#ifndef HYP_DRV_VIRTIO_BLK_H
#define HYP_DRV_VIRTIO_BLK_H

#include <stdbool.h>
#include <stdint.h>

#include "blk/blk.h"

/* Finds and sets up the disk on the first call; later calls return what the first found. */
bool virtio_blk_init(void);
/* The host disk's size in sectors (0 without a disk). */
uint64_t virtio_blk_capacity(void);
/* Whether the device has a write cache to flush (without one, every answered write is stable). */
bool virtio_blk_flushes(void);
/* Puts one request on the device's queue, which must be empty: op on host sectors from sector, with
 * len bytes of data at buf (none for a flush), memory the device may read or write until the request
 * is answered or the device reset. The caller has checked the range. False without a working disk. */
bool virtio_blk_submit(enum blk_op op, uint64_t sector, uint8_t *buf, uint32_t len);
/* True once the device has answered the request on its queue, with its result in *st. */
bool virtio_blk_answered(enum blk_status *st);
/* Resets the device, dropping the request on its queue, and sets it up again. False while the device
 * has not finished its reset (it may still use the request's buffer): call again later. */
bool virtio_blk_reset(void);

#endif
