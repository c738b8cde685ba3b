/* SPDX-License-Identifier: MIT */
/* The block backend behind both the emulated virtio-blk device and the block hypercalls: a guest's
 * disk is a region of the host disk or an image held in RAM. Requests run one at a time, in the
 * order they come, and end before the call returns; a guest only ever reaches its own region. */
#ifndef HYP_BLK_BLK_H
#define HYP_BLK_BLK_H

#include <stdbool.h>
#include <stdint.h>

struct vm;

#define BLK_SECTOR 512u
/* Data segments of one request: what the host queue carries besides the header and status. */
#define BLK_SEGS_MAX 62u

enum blk_op {
    BLK_READ,  /* disk -> buffers */
    BLK_WRITE, /* buffers -> disk */
    BLK_FLUSH, /* what was written is on stable storage */
};

/* A request's result, with virtio-blk's status values so the device model passes it on as is. */
enum blk_status {
    BLK_OK = 0,
    BLK_IOERR = 1,
    BLK_UNSUPP = 2,
};

/* One contiguous piece of a request's data, at a host address already checked to be the guest's. */
struct blk_seg {
    uint8_t *buf;
    uint32_t len;
};

enum blk_kind {
    BLK_NONE, /* no disk */
    BLK_HOST, /* sectors [base, base + sectors) of the host disk */
    BLK_RAM,  /* sectors bytes * 512 at ram (host frames) */
};

struct blk_disk {
    enum blk_kind kind;
    uint64_t base;    /* BLK_HOST: first host sector */
    uint64_t sectors; /* the guest sees sectors [0, sectors) */
    uint8_t *ram;     /* BLK_RAM: the image */
    uint64_t ram_frames;
};

/* Gives the VM the disk its configuration names (at creation). A disk that cannot be given (no host
 * disk, a region past its end, no memory for the image) leaves 0 sectors and a log line: every
 * request then fails with an I/O error, and the VM runs on. */
void blk_attach(struct vm *vm);
/* Frees what blk_attach took (when the VM stops). */
void blk_detach(struct vm *vm);
/* True when [sector, sector + bytes / 512) lies inside the disk, bytes a multiple of 512; no sum
 * can wrap. */
bool blk_range_ok(const struct blk_disk *d, uint64_t sector, uint64_t bytes);
/* Carries out one request: op on sector with the data in segs (at most BLK_SEGS_MAX, their lengths
 * adding up to a multiple of 512). Flush ignores sector and segs. */
enum blk_status blk_request(struct blk_disk *d, enum blk_op op, uint64_t sector,
                            const struct blk_seg *segs, unsigned nsegs);

#endif
