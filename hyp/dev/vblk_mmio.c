// SPDX-License-Identifier: MIT
// Emulated virtio-blk, its virtio-mmio registers (virtio 1.x, "MMIO Device Register Layout",
// version 2): device status and feature negotiation, queue setup, notification, the interrupt
// acknowledgment and the configuration space. A QueueNotify store runs the requests (vblk.c).
#include "dev/vblk.h"

#include <stddef.h>
#include <string.h>

#include "budget.h"
#include "dev/vblk_int.h"
#include "virtio.h"

/* What we offer: version 1 (required by modern transports), flush (the backend honours it), the
 * segment limit of our backend and the logical block size. No indirect descriptors, no event index. */
#define FEATURES                                                                                   \
    ((1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_BLK_F_FLUSH) | (1ull << VIRTIO_BLK_F_SEG_MAX) | \
     (1ull << VIRTIO_BLK_F_BLK_SIZE))
#define CONFIG_SIZE 24 /* capacity, size_max, seg_max, geometry, blk_size */

static void write_status(struct vblk *b, uint32_t v)
{
    if (v == 0) {
        vblk_reset(b);
        return;
    }
    /* FEATURES_OK sticks only for a set we can honour: version 1 and nothing we did not offer. */
    if ((v & VIRTIO_STATUS_FEATURES_OK) && !(b->status & VIRTIO_STATUS_FEATURES_OK) &&
        ((b->driver_features & ~FEATURES) || !(b->driver_features & (1ull << VIRTIO_F_VERSION_1)))) {
        v &= ~VIRTIO_STATUS_FEATURES_OK;
    }
    b->status = (v & 0xff) | (b->status & VIRTIO_STATUS_NEEDS_RESET);
}

static void set_half(uint64_t *reg, bool high, uint32_t v)
{
    *reg = high ? (*reg & 0xffffffffull) | (uint64_t)v << 32 : (*reg & ~0xffffffffull) | v;
}

static uint32_t reg_read(struct vblk *b, uint64_t off)
{
    switch (off) {
    case VIRTIO_MMIO_MAGIC:
        return VIRTIO_MMIO_MAGIC_VALUE;
    case VIRTIO_MMIO_VERSION:
        return 2;
    case VIRTIO_MMIO_DEVICE_ID:
        return VIRTIO_ID_BLOCK;
    case VIRTIO_MMIO_VENDOR_ID:
        return VBLK_VENDOR;
    case VIRTIO_MMIO_DEVICE_FEATURES:
        return b->dev_features_sel < 2 ? (uint32_t)(FEATURES >> (32 * b->dev_features_sel)) : 0;
    case VIRTIO_MMIO_QUEUE_NUM_MAX:
        return b->queue_sel == 0 ? VBLK_QSIZE : 0;
    case VIRTIO_MMIO_QUEUE_READY:
        return b->queue_sel == 0 && b->queue_ready;
    case VIRTIO_MMIO_INTERRUPT_STATUS:
        return b->isr;
    case VIRTIO_MMIO_STATUS:
        return b->status;
    default:
        return 0; /* write-only and reserved registers, ConfigGeneration (never changes) */
    }
}

static void reg_write(struct vblk *b, uint64_t off, uint32_t v)
{
    bool q0 = b->queue_sel == 0;

    switch (off) {
    case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
        b->dev_features_sel = v;
        break;
    case VIRTIO_MMIO_DRIVER_FEATURES:
        if (b->drv_features_sel < 2) {
            set_half(&b->driver_features, b->drv_features_sel == 1, v);
        }
        break;
    case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
        b->drv_features_sel = v;
        break;
    case VIRTIO_MMIO_QUEUE_SEL:
        b->queue_sel = v;
        break;
    case VIRTIO_MMIO_QUEUE_NUM:
        if (q0) {
            b->queue_num = v <= VBLK_QSIZE ? v : 0;
        }
        break;
    case VIRTIO_MMIO_QUEUE_READY:
        if (q0) {
            b->queue_ready = v & 1;
        }
        break;
    case VIRTIO_MMIO_QUEUE_NOTIFY:
        if (v == 0) {
            vblk_work(b, VIRTIO_EXIT_BUDGET);
        }
        break;
    case VIRTIO_MMIO_INTERRUPT_ACK:
        b->isr &= ~v;
        break;
    case VIRTIO_MMIO_STATUS:
        write_status(b, v);
        break;
    case VIRTIO_MMIO_QUEUE_DESC_LOW:
    case VIRTIO_MMIO_QUEUE_DESC_HIGH:
        if (q0) {
            set_half(&b->desc, off == VIRTIO_MMIO_QUEUE_DESC_HIGH, v);
        }
        break;
    case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
    case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
        if (q0) {
            set_half(&b->avail, off == VIRTIO_MMIO_QUEUE_DRIVER_HIGH, v);
        }
        break;
    case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
    case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
        if (q0) {
            set_half(&b->used, off == VIRTIO_MMIO_QUEUE_DEVICE_HIGH, v);
        }
        break;
    default:
        break; /* read-only and reserved registers */
    }
}

static uint64_t config_read(const struct vblk *b, uint64_t off, unsigned width)
{
    uint8_t cfg[CONFIG_SIZE] = { 0 };
    uint32_t seg_max = BLK_SEGS_MAX, blk_size = VIRTIO_BLK_SECTOR;
    uint64_t v = 0;

    /* Little-endian fields (virtio 1.x), in a little-endian hart's memory order. */
    memcpy(cfg + VIRTIO_BLK_CFG_CAPACITY, &b->capacity, 8);
    memcpy(cfg + VIRTIO_BLK_CFG_SEG_MAX, &seg_max, 4);
    memcpy(cfg + VIRTIO_BLK_CFG_BLK_SIZE, &blk_size, 4);
    if (off < CONFIG_SIZE && width <= CONFIG_SIZE - off) {
        memcpy(&v, cfg + off, width);
    }
    return v;
}

bool vblk_mmio(struct vblk *b, uint64_t off, unsigned width, bool write, uint64_t *val)
{
    if (off >= VBLK_SIZE || (width != 1 && width != 2 && width != 4 && width != 8) ||
        (off & (width - 1))) {
        return false;
    }
    if (off >= VIRTIO_MMIO_CONFIG) {
        /* The configuration space is read-only for virtio-blk without CONFIG_WCE: writes ignored. */
        if (!write) {
            *val = config_read(b, off - VIRTIO_MMIO_CONFIG, width);
        }
        return true;
    }
    if (width != 4) {
        return false; /* virtio-mmio registers are 32 bits wide */
    }
    if (write) {
        reg_write(b, off, (uint32_t)*val);
    } else {
        *val = reg_read(b, off);
    }
    vblk_update_irq(b);
    return true;
}
