/* SPDX-License-Identifier: MIT */
/* What the two halves of the emulated virtio-blk share: the request engine (vblk.c) and its
 * virtio-mmio registers (vblk_mmio.c). */
#ifndef HYP_DEV_VBLK_INT_H
#define HYP_DEV_VBLK_INT_H

#include "dev/vblk.h"

/* Raises or lowers the device's interrupt line to follow its interrupt status. */
void vblk_update_irq(struct vblk *b);
/* A device reset (status 0): the driver's queues are forgotten, a request waiting on the backend
 * cancelled, a pending interrupt withdrawn. */
void vblk_reset(struct vblk *b);

#endif
