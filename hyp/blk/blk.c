// SPDX-License-Identifier: MIT
// The block backend: a guest's disk as a window on the host disk or an image in RAM. Every request
// is checked against the window here, whoever made it, so no device model can reach past it. Host
// disk requests are asynchronous: put on the host queue in one exit, their answer (or their timeout)
// found in a later one of any guest, whose exits drive the queue on (hostq.h decides, the driver
// does).
#include "blk/blk.h"

#include <string.h>

#include <arch/arch.h>
#include <arch/spinlock.h>

#include "blk/hostq.h"
#include "console.h"
#include "drv/virtio_blk.h"
#include "hyp.h"
#include "vm.h"

_Static_assert(VM_MAX <= HOSTQ_IDS, "every VM has a place on the host queue");
_Static_assert(BLK_XFER_MAX % PAGE_SIZE == 0, "bounce buffers are whole frames");

/* How long the queue stays kept for the guest whose turn it is (hostq.h): several of its exits. */
#define TURN_GRACE_MS 20

/* Lock: the host disk (the driver in hyp/drv/virtio_blk.c, the queue's state below, and in every
 * struct blk_disk of a host disk the fields of its request), shared by every guest with a host disk,
 * whichever hart it runs on. Taken inside a VM's lock, before the frames lock; held to look at the
 * device, to start a request (copying a write's data, at most BLK_XFER_MAX bytes), and to reset it. */
static struct spinlock host_lock;
static struct hostq hq;
static bool hq_ready;
static struct blk_disk *host_disk[HOSTQ_IDS]; /* the disks on the host disk, by id */
/* The buffer the device may be using (its request not yet answered, or the device not yet reset),
 * and whether its disk has gone: such a buffer goes back to the allocator only once the device can
 * no longer write it. */
static uint8_t *dev_buf;
static bool dev_buf_orphan;

static uint64_t ms_ticks(uint64_t ms)
{
    return platform.timebase_freq / 1000 * ms;
}

static void bounce_free(uint8_t *b)
{
    if (b) {
        hyp_free_frames((uint64_t)(uintptr_t)b, BLK_XFER_MAX / PAGE_SIZE);
    }
}

/* The device is done with dev_buf (it answered, or took its reset). */
static void device_done(void)
{
    if (dev_buf_orphan) {
        bounce_free(dev_buf);
    }
    dev_buf = (uint8_t *)0;
    dev_buf_orphan = false;
}

/* The request of disk id ended with st: its disk finds out at its next look. */
static void deliver(unsigned id, enum blk_status st)
{
    struct blk_disk *d = id < HOSTQ_IDS ? host_disk[id] : (struct blk_disk *)0;

    if (d && d->user != BLK_USER_NONE) {
        d->answered = true;
        d->result = st;
    }
}

/* Moves the host queue on: the device's answer, the request's deadline, the reset after a timeout.
 * Whoever looks does it for everyone, so a request is seen answered even while its guest sleeps. */
static void host_progress(uint64_t now)
{
    enum blk_status st;
    unsigned owner;

    if (hq.state == HOSTQ_BUSY && virtio_blk_answered(&st)) {
        owner = hostq_complete(&hq, now);
        deliver(owner, st);
        device_done();
    } else if (hostq_expired(&hq, now, &owner)) {
        /* Only this request fails; the device may still be working on it, so it is reset before its
         * buffer is used for anything else, and the queue goes on from there. */
        hyp_log("disk: a request of %s took over %lu ms: it fails, and the device is reset",
                owner < HOSTQ_IDS && host_disk[owner] ? host_disk[owner]->name : "a stopped guest",
                (unsigned long)(hq.timeout / (platform.timebase_freq / 1000)));
        deliver(owner, BLK_IOERR);
    }
    if (hq.state == HOSTQ_RESETTING && virtio_blk_reset()) {
        hostq_reset_done(&hq, now);
        device_done();
    }
}

bool blk_range_ok(const struct blk_disk *d, uint64_t sector, uint64_t bytes)
{
    if (bytes % BLK_SECTOR) {
        return false;
    }
    /* Sector first, then the count against what is left: neither comparison can wrap. */
    return sector <= d->sectors && bytes / BLK_SECTOR <= d->sectors - sector;
}

static void attach_host(struct vm *vm, const struct vm_disk *cfg)
{
    struct blk_disk *d = &vm->disk;
    spin_lock(&host_lock);
    uint64_t host = virtio_blk_init() ? virtio_blk_capacity() : 0;
    if (!hq_ready) {
        uint64_t ms = boot_options.disk_timeout_ms ? boot_options.disk_timeout_ms : BLK_TIMEOUT_MS_DEFAULT;
        hostq_init(&hq, ms_ticks(ms), ms_ticks(TURN_GRACE_MS));
        hq_ready = true;
    }
    spin_unlock(&host_lock);
    uint64_t off = cfg->host_offset_sectors;
    uint64_t want = off < host && !cfg->sectors ? host - off : cfg->sectors;

    if (off >= host || want > host - off) {
        hyp_log("guest '%s': its disk (sectors %lu+%lu) is not on the host disk (%lu sectors): "
                "every request will fail",
                vm->cfg->name, (unsigned long)off, (unsigned long)cfg->sectors,
                (unsigned long)host);
        return;
    }
    /* Not the VM's frames: the buffer may outlive the VM, while the device still holds it. */
    uint8_t *bounce = (uint8_t *)(uintptr_t)hyp_alloc_frames(BLK_XFER_MAX / PAGE_SIZE, PAGE_SIZE);
    if (!bounce) {
        hyp_log("guest '%s': no memory for its disk's buffer: every request will fail", vm->cfg->name);
        return;
    }
    d->kind = BLK_HOST;
    d->base = off;
    d->sectors = want;
    d->id = vm->id;
    d->name = vm->cfg->name;
    d->bounce = bounce;
    spin_lock(&host_lock);
    host_disk[d->id] = d;
    spin_unlock(&host_lock);
}

static void attach_ram(struct vm *vm, const struct vm_disk *cfg)
{
    struct blk_disk *d = &vm->disk;
    uint64_t image = cfg->image ? (uint64_t)(cfg->image->end - cfg->image->start) : 0;
    uint64_t sectors = cfg->sectors ? cfg->sectors : (image + BLK_SECTOR - 1) / BLK_SECTOR;
    uint64_t nframes = (sectors * BLK_SECTOR + PAGE_SIZE - 1) / PAGE_SIZE;

    /* A RAM disk larger than all memory is a configuration mistake, not something to allocate. */
    if (sectors == 0 || sectors > (1ull << 32) || image > sectors * BLK_SECTOR ||
        !(d->ram = (uint8_t *)(uintptr_t)vm_alloc_frames(vm, nframes, PAGE_SIZE))) {
        hyp_log("guest '%s': no room for its %lu-sector RAM disk: every request will fail",
                vm->cfg->name, (unsigned long)sectors);
        d->ram = (uint8_t *)0;
        return;
    }
    if (image) {
        memcpy(d->ram, cfg->image->start, image);
    }
    d->kind = BLK_RAM;
    d->sectors = sectors;
    d->ram_frames = nframes;
}

void blk_attach(struct vm *vm)
{
    const struct vm_disk *cfg = &vm->cfg->disk;

    memset(&vm->disk, 0, sizeof vm->disk);
    if (cfg->kind == VM_DISK_HOST) {
        attach_host(vm, cfg);
    } else if (cfg->kind == VM_DISK_RAM) {
        attach_ram(vm, cfg);
    }
    if (vm->disk.kind != BLK_NONE) {
        hyp_log("guest '%s': disk of %lu sectors (%s)", vm->cfg->name,
                (unsigned long)vm->disk.sectors, vm->disk.kind == BLK_HOST ? "host disk" : "RAM");
    }
}

void blk_detach(struct vm *vm)
{
    struct blk_disk *d = &vm->disk;

    if (d->kind == BLK_RAM) {
        vm_free_frames(vm, (uint64_t)(uintptr_t)d->ram, d->ram_frames);
    }
    if (d->kind == BLK_HOST) {
        spin_lock(&host_lock);
        hostq_forget(&hq, d->id, arch_time());
        host_disk[d->id] = (struct blk_disk *)0;
        /* The device may still write its buffer: it is freed when the device is done with it. */
        if (d->bounce == dev_buf) {
            dev_buf_orphan = true;
        } else {
            bounce_free(d->bounce);
        }
        spin_unlock(&host_lock);
    }
    memset(d, 0, sizeof *d);
}

static enum blk_status ram_request(struct blk_disk *d, enum blk_op op, uint64_t sector,
                                   const struct blk_seg *segs, unsigned nsegs)
{
    uint8_t *p = d->ram + sector * BLK_SECTOR;

    for (unsigned i = 0; i < nsegs && op != BLK_FLUSH; i++) {
        if (op == BLK_READ) {
            memcpy(segs[i].buf, p, segs[i].len);
        } else {
            memcpy(p, segs[i].buf, segs[i].len);
        }
        p += segs[i].len;
    }
    return BLK_OK;
}

/* The total of the segments' lengths (at most BLK_SEGS_MAX 32-bit lengths: cannot wrap). */
static uint64_t seg_bytes(const struct blk_seg *segs, unsigned nsegs)
{
    uint64_t bytes = 0;

    for (unsigned i = 0; i < nsegs; i++) {
        bytes += segs[i].len;
    }
    return bytes;
}

enum blk_status blk_start(struct blk_disk *d, enum blk_user user, enum blk_op op, uint64_t sector,
                          const struct blk_seg *segs, unsigned nsegs)
{
    uint64_t bytes = 0;

    if (d->kind == BLK_NONE || nsegs > BLK_SEGS_MAX) {
        return BLK_IOERR;
    }
    if (op != BLK_FLUSH) {
        bytes = seg_bytes(segs, nsegs);
        if (!blk_range_ok(d, sector, bytes)) {
            return BLK_IOERR;
        }
        if (bytes == 0) {
            return BLK_OK; /* nothing to move: the host disk never sees an empty request */
        }
    }
    if (d->kind == BLK_RAM) {
        return ram_request(d, op, sector, segs, nsegs);
    }
    if (op == BLK_FLUSH && !virtio_blk_flushes()) {
        return BLK_OK; /* a write-through device: every answered write is already stable */
    }
    if (bytes > BLK_XFER_MAX || !d->bounce) {
        return BLK_IOERR;
    }
    spin_lock(&host_lock);
    uint64_t now = arch_time();
    host_progress(now);
    /* One request per disk at a time, whichever of its users asks; then one on the host queue. */
    if (d->user != BLK_USER_NONE || !hostq_claim(&hq, d->id, now)) {
        spin_unlock(&host_lock);
        return BLK_BUSY;
    }
    uint8_t *p = d->bounce;
    for (unsigned i = 0; i < nsegs && op == BLK_WRITE; i++) {
        memcpy(p, segs[i].buf, segs[i].len);
        p += segs[i].len;
    }
    if (!virtio_blk_submit(op, d->base + sector, d->bounce, (uint32_t)bytes)) {
        hostq_complete(&hq, now); /* no working device: nothing went on the queue */
        spin_unlock(&host_lock);
        return BLK_IOERR;
    }
    dev_buf = d->bounce;
    d->user = user;
    d->answered = false;
    d->op = op;
    d->len = (uint32_t)bytes;
    spin_unlock(&host_lock);
    return BLK_PENDING;
}

bool blk_answered(struct blk_disk *d, enum blk_user user)
{
    if (d->kind != BLK_HOST) {
        return true;
    }
    spin_lock(&host_lock);
    host_progress(arch_time());
    bool done = d->user != user || d->answered;
    spin_unlock(&host_lock);
    return done;
}

enum blk_status blk_finish(struct blk_disk *d, enum blk_user user, const struct blk_seg *segs,
                           unsigned nsegs)
{
    if (d->kind != BLK_HOST) {
        return BLK_IOERR;
    }
    spin_lock(&host_lock);
    if (d->user != user) {
        spin_unlock(&host_lock);
        return BLK_IOERR; /* it has none: cancelled meanwhile */
    }
    if (!d->answered) {
        spin_unlock(&host_lock);
        return BLK_PENDING;
    }
    enum blk_status st = d->result;
    bool read = d->op == BLK_READ;
    uint32_t len = d->len;
    d->user = BLK_USER_NONE;
    d->answered = false;
    spin_unlock(&host_lock);
    /* The buffer is the disk's alone again (the device answered, or was reset, before the request
     * was shown answered), and only this VM's exits start its requests: no lock for the copy. */
    if (st == BLK_OK && read) {
        if (nsegs > BLK_SEGS_MAX || seg_bytes(segs, nsegs) != len) {
            return BLK_IOERR; /* its buffers are no longer what it may be given */
        }
        const uint8_t *p = d->bounce;
        for (unsigned i = 0; i < nsegs; i++) {
            memcpy(segs[i].buf, p, segs[i].len);
            p += segs[i].len;
        }
    }
    return st;
}

void blk_cancel(struct blk_disk *d, enum blk_user user)
{
    if (d->kind != BLK_HOST) {
        return;
    }
    spin_lock(&host_lock);
    if (d->user == user) {
        /* Its answer, when it comes, is nobody's; the buffer stays the disk's, and its next request
         * waits for the queue, so the device is done with the buffer before it is filled again. */
        hostq_forget(&hq, d->id, arch_time());
        d->user = BLK_USER_NONE;
        d->answered = false;
    }
    spin_unlock(&host_lock);
}

void blk_host_counts(uint64_t *completed, uint64_t *timeouts)
{
    spin_lock(&host_lock);
    *completed = hq.completed;
    *timeouts = hq.timeouts;
    spin_unlock(&host_lock);
}
