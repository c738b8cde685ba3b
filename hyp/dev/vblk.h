/* SPDX-License-Identifier: MIT */
/* An emulated virtio-blk device on a virtio-mmio (version 2) transport, for unmodified guests: one
 * split virtqueue, requests carried out when the guest notifies the queue. Every guest address and
 * length in the rings is checked through ops.dma before it is used; a malformed request ends with an
 * I/O error status, never with a fault of the hypervisor. Pure state machine, unit tested on the host. */
#ifndef HYP_DEV_VBLK_H
#define HYP_DEV_VBLK_H

#include <stdbool.h>
#include <stdint.h>

#include "blk/blk.h"

#define VBLK_SIZE 0x1000 /* guest-physical bytes decoded, as one QEMU virt virtio-mmio slot */
#define VBLK_QSIZE 128   /* QueueNumMax: the longest descriptor chain is this long */
#define VBLK_VENDOR 0x5056484du /* "MHVP" in memory order, as U-Boot prints it */
/* The most data one backend request carries: a request longer than this goes in parts, and a part
 * the backend answers in a later exit is copied there within that exit's budget. */
#define VBLK_PART_MAX (32u << 10)

struct vblk_ops {
    /* Host address of [gpa, gpa + len) if all of it is the guest's RAM, else NULL. device_writes: the
     * device will store there (refused where the guest must not be written behind its back, such
     * as its validated page tables). */
    void *(*dma)(void *ctx, uint64_t gpa, uint64_t len, bool device_writes);
    /* Optional: [p, p + len) of what dma gave is read or written now (the hypervisor clears guest
     * RAM on first use: a check of a whole descriptor must not clear all of it, its access does). */
    uint64_t (*touch)(void *ctx, void *p, uint64_t len); /* returns the pages it had to clear */
    /* Starts one request on the guest's disk (blk_start): its result when it ends at once,
     * BLK_PENDING when it goes on after the call (answered says when, finish gives the result and
     * copies a read's data into the same segments, checked again), BLK_BUSY when it could not be
     * started yet (started again in a later exit). cancel drops a pending one (a device reset). */
    enum blk_status (*start)(void *ctx, enum blk_op op, uint64_t sector, const struct blk_seg *segs,
                             unsigned nsegs);
    bool (*answered)(void *ctx);
    enum blk_status (*finish)(void *ctx, const struct blk_seg *segs, unsigned nsegs);
    void (*cancel)(void *ctx);
    void (*irq)(void *ctx, bool level); /* the interrupt line, level-triggered */
    void *ctx;
};

/* One descriptor of the chain being processed, checked. */
struct vblk_piece {
    uint8_t *buf;
    uint64_t gpa; /* where buf is for the guest: checked again before a later exit stores there */
    uint32_t len;
    bool device_writes;
};

struct vblk {
    struct vblk_ops ops;
    uint64_t capacity; /* sectors */
    uint32_t status;
    uint32_t dev_features_sel, drv_features_sel;
    uint64_t driver_features;
    uint32_t queue_sel;
    uint32_t queue_num;
    bool queue_ready;
    uint64_t desc, avail, used; /* guest physical addresses of the queue's parts */
    uint16_t last_avail;        /* next avail ring entry to take */
    uint16_t used_idx;
    uint32_t isr;               /* InterruptStatus */
    bool irq_level;             /* last level reported through ops.irq */
    uint64_t requests, errors;  /* requests completed, and those that ended in an error */
    /* Work left when an exit's budget ran out: the request under way (its chain checked, its data
     * moved up to cur_done bytes), or requests the driver made available that are not taken yet. */
    bool pending;
    bool cur_busy;
    bool cur_in; /* a read: the device stores into the guest's buffers */
    enum blk_op cur_op;
    uint16_t cur_head;
    unsigned cur_n; /* pieces of its chain */
    int cur_nsegs;
    uint64_t cur_sector, cur_bytes, cur_done;
    bool cur_wait;     /* a part of cur_take bytes (from cur_done) is at the backend, pending */
    uint64_t cur_take;
    struct vblk_piece chain[VBLK_QSIZE];
    struct blk_seg segs[BLK_SEGS_MAX];
    struct blk_seg part[BLK_SEGS_MAX]; /* the segments of the piece of a request done now */
};

/* Power-on state (a request still at the backend is the caller's to cancel) with a disk of capacity sectors. */
void vblk_init(struct vblk *b, uint64_t capacity, const struct vblk_ops *ops);
/* The work of a queue is bounded per exit (hyp/budget.h: descriptors read, bytes moved): a notify
 * does up to one exit's worth, and what is left waits. vblk_work does up to budget units more, as
 * a later exit of the guest does; vblk_pending says whether some is left. */
void vblk_work(struct vblk *b, uint32_t budget);
bool vblk_pending(const struct vblk *b);
/* A guest access at byte offset off. Registers take aligned 32-bit accesses, the configuration space
 * aligned 1, 2, 4 or 8 bytes; false for anything else (the caller faults the guest). */
bool vblk_mmio(struct vblk *b, uint64_t off, unsigned width, bool write, uint64_t *val);

#endif
