/* SPDX-License-Identifier: MIT */
/* The block backend behind both the emulated virtio-blk device and the block hypercalls: a guest's
 * disk is a region of the host disk or an image held in RAM; a guest only ever reaches its own
 * region. A RAM disk's request ends in the call that starts it. A host disk's request is put on the
 * host disk's queue and the call returns; its result is looked for in the guest's later exits, and a
 * request the host disk does not answer in time fails alone (the device is reset and goes on). */
#ifndef HYP_BLK_BLK_H
#define HYP_BLK_BLK_H

#include <stdbool.h>
#include <stdint.h>

struct vm;

#define BLK_SECTOR 512u
/* Data segments of one request (virtio-blk's seg_max as the emulated device offers it). */
#define BLK_SEGS_MAX 62u
/* The most data one request to a host disk moves: the size of its bounce buffer. */
#define BLK_XFER_MAX 65536u
/* How long the host disk may take for one request unless hyp.disk_timeout_ms says otherwise. */
#define BLK_TIMEOUT_MS_DEFAULT 10000u

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
    /* Internal answers of blk_start and blk_finish, never shown to a guest: */
    BLK_PENDING = 0x100, /* on the host disk's queue: its result comes through blk_finish */
    BLK_BUSY = 0x101,    /* not started: the host disk serves another request; start it again later */
};

/* Who started a disk's request on the host disk: a disk has one at a time, whoever asked. */
enum blk_user {
    BLK_USER_NONE,
    BLK_USER_VBLK, /* the emulated virtio-blk device */
    BLK_USER_HC,   /* the block hypercalls */
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
    /* BLK_HOST: the data of its requests passes through bounce (BLK_XFER_MAX bytes of hypervisor
     * frames), so the device never writes guest RAM: a frame the guest makes a page table, or a VM
     * that stops, while a request is on the queue is no concern of the device. */
    unsigned id;      /* its place on the host queue (the VM's id) */
    const char *name; /* its guest's, for the log */
    uint8_t *bounce;
    /* Its request on the host disk (under the host disk lock): whose it is, what it moves, and once
     * answered its result. */
    enum blk_user user;
    bool answered;
    enum blk_op op;
    uint32_t len;
    enum blk_status result;
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
/* Starts one request on the disk for user: op on sector with the data in segs (at most BLK_SEGS_MAX,
 * their lengths adding up to a multiple of 512, at most BLK_XFER_MAX on a host disk). Flush ignores
 * sector and segs. Returns the result of a request that ends at once (a RAM disk, a request refused,
 * nothing to move), BLK_PENDING once it is on the host disk's queue (a write's data is copied out of
 * segs by then), or BLK_BUSY when the host disk serves another request or this disk's other user. */
enum blk_status blk_start(struct blk_disk *d, enum blk_user user, enum blk_op op, uint64_t sector,
                          const struct blk_seg *segs, unsigned nsegs);
/* True when user's request on the host disk is answered (or failed by its timeout): blk_finish
 * then gives its result. Looks at the host disk, whoever's request is on it. */
bool blk_answered(struct blk_disk *d, enum blk_user user);
/* The result of user's answered request, a read's data copied into segs (the same lengths as it
 * was started with, the caller having checked them again: none, to drop the data, fails it). */
enum blk_status blk_finish(struct blk_disk *d, enum blk_user user, const struct blk_seg *segs,
                           unsigned nsegs);
/* user's request, if it has one, is not wanted any more (its device reset, its VM rebooting or
 * stopping): the host disk may still finish it, into a buffer that is no longer the disk's. */
void blk_cancel(struct blk_disk *d, enum blk_user user);
/* The host disk's counts: requests answered, and those that timed out. */
void blk_host_counts(uint64_t *completed, uint64_t *timeouts);

#endif
