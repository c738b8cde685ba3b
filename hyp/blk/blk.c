// SPDX-License-Identifier: MIT
// The block backend: a guest's disk as a window on the host disk or an image in RAM. Every request
// is checked against the window here, whoever made it, so no device model can reach past it.
#include "blk/blk.h"

#include <string.h>

#include <arch/spinlock.h>

#include "console.h"
#include "drv/virtio_blk.h"
#include "hyp.h"
#include "vm.h"

/* Lock: the host disk driver (hyp/drv/virtio_blk.c: its one queue and request header), shared by
 * every guest with a host disk, whichever hart it runs on. Taken last; held for one request. */
static struct spinlock host_lock;

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
    d->kind = BLK_HOST;
    d->base = off;
    d->sectors = want;
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
    if (vm->disk.kind == BLK_RAM) {
        vm_free_frames(vm, (uint64_t)(uintptr_t)vm->disk.ram, vm->disk.ram_frames);
    }
    memset(&vm->disk, 0, sizeof vm->disk);
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

enum blk_status blk_request(struct blk_disk *d, enum blk_op op, uint64_t sector,
                            const struct blk_seg *segs, unsigned nsegs)
{
    uint64_t bytes = 0;

    if (d->kind == BLK_NONE || nsegs > BLK_SEGS_MAX) {
        return BLK_IOERR;
    }
    if (op != BLK_FLUSH) {
        for (unsigned i = 0; i < nsegs; i++) {
            bytes += segs[i].len; /* at most BLK_SEGS_MAX 32-bit lengths: cannot wrap */
        }
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
    spin_lock(&host_lock);
    enum blk_status st = virtio_blk_rw(op, d->base + sector, segs, op == BLK_FLUSH ? 0 : nsegs);
    spin_unlock(&host_lock);
    return st;
}
