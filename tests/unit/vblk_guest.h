/* SPDX-License-Identifier: MIT */
/* What the virtio-blk tests share (test_vblk.c, test_vblk_work.c): a guest of 1 MiB whose RAM is
 * host memory, one frame of it a "page table", a RAM disk that checks what the device model must
 * have checked, and a driver that sets the device up as Linux does. */
#ifndef TESTS_VBLK_GUEST_H
#define TESTS_VBLK_GUEST_H

#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "dev/vblk.h"
#include "virtio.h"

/* ---- the guest: 1 MiB of RAM at 0x80000000, one frame of it a "page table" ---- */
#define RAM_BASE 0x80000000ull
#define RAM_SIZE (1u << 20)
#define DESC (RAM_BASE + 0x1000)
#define AVAIL (RAM_BASE + 0x2000)
#define USED (RAM_BASE + 0x3000)
#define HDR (RAM_BASE + 0x4000)
#define STATUS (RAM_BASE + 0x4100)
#define DATA (RAM_BASE + 0x10000)
#define SECTORS 64
#define QNUM 8

static uint8_t *ram;
static uint8_t disk[SECTORS * 512];
static unsigned irq_calls, requests_seen;
static uint64_t pt_frame = RAM_BASE + 0x9000; /* a "page table": the device may not store here */
static uint64_t dma_calls, bytes_moved;       /* descriptors checked, data moved */
static bool irq_level;

static inline void *t_dma(void *ctx, uint64_t gpa, uint64_t len, bool device_writes)
{
    (void)ctx;
    if (gpa < RAM_BASE || gpa - RAM_BASE > RAM_SIZE || len > RAM_SIZE - (gpa - RAM_BASE)) {
        return NULL;
    }
    dma_calls++;
    if (device_writes && len && gpa < pt_frame + 4096 && gpa + len > pt_frame) {
        return NULL;
    }
    return ram + (gpa - RAM_BASE);
}

/* A RAM disk that checks what the device model must have checked already. */
static inline enum blk_status t_request(void *ctx, enum blk_op op, uint64_t sector,
                                        const struct blk_seg *segs, unsigned nsegs)
{
    (void)ctx;
    requests_seen++;
    CHECK(nsegs <= BLK_SEGS_MAX);
    uint64_t off = sector * 512;
    for (unsigned i = 0; i < nsegs && op != BLK_FLUSH; i++) {
        CHECK(off + segs[i].len <= sizeof disk);
        CHECK(segs[i].buf >= ram && segs[i].buf + segs[i].len <= ram + RAM_SIZE);
        if (off + segs[i].len > sizeof disk) {
            return BLK_IOERR;
        }
        if (op == BLK_READ) {
            memcpy(segs[i].buf, disk + off, segs[i].len);
        } else {
            memcpy(disk + off, segs[i].buf, segs[i].len);
        }
        off += segs[i].len;
        bytes_moved += segs[i].len;
    }
    return BLK_OK;
}

/* A backend that answers later (the host disk), when a test says so: mode set by the test. */
static struct {
    bool on;       /* requests go on after the call */
    bool busy;     /* ... or cannot be started at all */
    bool queued, answer;
    enum blk_status result;
    enum blk_op op;
    uint64_t sector, len;
    unsigned starts, cancels;
} later;

static inline enum blk_status t_start(void *ctx, enum blk_op op, uint64_t sector,
                                      const struct blk_seg *segs, unsigned nsegs)
{
    if (!later.on) {
        return t_request(ctx, op, sector, segs, nsegs);
    }
    if (later.busy) {
        return BLK_BUSY;
    }
    CHECK(!later.queued); /* one at a time */
    uint64_t len = 0;
    for (unsigned i = 0; i < nsegs; i++) {
        len += segs[i].len;
    }
    CHECK(len <= VBLK_PART_MAX);
    /* A write's data is taken now, as hyp/blk copies it into its bounce buffer. */
    if (op == BLK_WRITE && later.result == BLK_OK) {
        t_request(ctx, op, sector, segs, nsegs);
    }
    later.queued = true;
    later.op = op;
    later.sector = sector;
    later.len = len;
    later.starts++;
    return BLK_PENDING;
}

static inline bool t_answered(void *ctx)
{
    (void)ctx;
    CHECK(later.queued);
    return later.answer;
}

static inline enum blk_status t_finish(void *ctx, const struct blk_seg *segs, unsigned nsegs)
{
    CHECK(later.queued && later.answer);
    later.queued = later.answer = false;
    if (later.result != BLK_OK) {
        return later.result;
    }
    if (later.op == BLK_READ) {
        uint64_t len = 0;
        for (unsigned i = 0; i < nsegs; i++) {
            len += segs[i].len;
        }
        CHECK(len == later.len);
        return t_request(ctx, BLK_READ, later.sector, segs, nsegs);
    }
    return BLK_OK;
}

static inline void t_cancel(void *ctx)
{
    (void)ctx;
    CHECK(later.queued);
    later.queued = later.answer = false;
    later.cancels++;
}

static inline void t_irq(void *ctx, bool level)
{
    (void)ctx;
    CHECK(level != irq_level); /* only changes are reported */
    irq_level = level;
    irq_calls++;
}

static struct vblk dev;

static inline void *at(uint64_t gpa)
{
    return ram + (gpa - RAM_BASE);
}

static inline uint32_t r32(uint64_t off)
{
    uint64_t v = 0xdeadbeefdeadbeefull;
    CHECK(vblk_mmio(&dev, off, 4, false, &v));
    CHECK(v <= 0xffffffffull);
    return (uint32_t)v;
}

static inline void w32(uint64_t off, uint32_t val)
{
    uint64_t v = val;
    CHECK(vblk_mmio(&dev, off, 4, true, &v));
}

static inline void setup(void)
{
    static const struct vblk_ops ops = { t_dma, NULL, t_start, t_answered, t_finish, t_cancel, t_irq,
                                         NULL };
    if (!ram) {
        ram = malloc(RAM_SIZE);
    }
    memset(ram, 0, RAM_SIZE);
    for (unsigned i = 0; i < sizeof disk; i++) {
        disk[i] = (uint8_t)(i * 7 + i / 512);
    }
    irq_calls = requests_seen = 0;
    memset(&later, 0, sizeof later);
    pt_frame = RAM_BASE + 0x9000;
    dma_calls = bytes_moved = 0;
    irq_level = false;
    vblk_init(&dev, SECTORS, &ops);
}

/* Linux's virtio_mmio probe and virtio_blk set-up, in order. */
static inline void driver_init(unsigned qnum)
{
    w32(VIRTIO_MMIO_STATUS, 0);
    w32(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
    w32(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    w32(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    uint64_t f = (uint64_t)r32(VIRTIO_MMIO_DEVICE_FEATURES) << 32;
    w32(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    f |= r32(VIRTIO_MMIO_DEVICE_FEATURES);
    w32(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    w32(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(f >> 32));
    w32(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    w32(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)f);
    w32(VIRTIO_MMIO_STATUS,
        VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
    CHECK(r32(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK);
    w32(VIRTIO_MMIO_QUEUE_SEL, 0);
    CHECK_EQ(r32(VIRTIO_MMIO_QUEUE_READY), 0);
    CHECK(r32(VIRTIO_MMIO_QUEUE_NUM_MAX) >= qnum);
    w32(VIRTIO_MMIO_QUEUE_NUM, qnum);
    w32(VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)DESC);
    w32(VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(DESC >> 32));
    w32(VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)AVAIL);
    w32(VIRTIO_MMIO_QUEUE_DRIVER_HIGH, 0);
    w32(VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)USED);
    w32(VIRTIO_MMIO_QUEUE_DEVICE_HIGH, 0);
    w32(VIRTIO_MMIO_QUEUE_READY, 1);
    w32(VIRTIO_MMIO_STATUS,
        VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
          VIRTIO_STATUS_DRIVER_OK);
}

static inline struct virtq_desc *desc(unsigned i)
{
    return (struct virtq_desc *)at(DESC) + i;
}

static inline void set_desc(unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
    *desc(i) = (struct virtq_desc){ addr, len, flags, next };
}

static inline void header(uint32_t type, uint64_t sector)
{
    *(struct virtio_blk_req_hdr *)at(HDR) = (struct virtio_blk_req_hdr){ type, 0, sector };
    *(uint8_t *)at(STATUS) = 0xee;
}

/* Makes head available and notifies; returns the used entry's length, or ~0 when none appeared. */
static inline uint32_t kick(uint16_t head, unsigned qnum)
{
    struct virtq_avail *a = at(AVAIL);
    struct virtq_used *u = at(USED);
    uint16_t before = u->idx;
    a->ring[a->idx % qnum] = head;
    a->idx++;
    w32(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    if (u->idx != (uint16_t)(before + 1)) {
        return ~0u;
    }
    CHECK_EQ(u->ring[before % qnum].id, head);
    return u->ring[before % qnum].len;
}

/* The usual three-descriptor request: header, data, status. */
static inline uint32_t request3(uint32_t type, uint64_t sector, uint64_t buf, uint32_t len)
{
    header(type, sector);
    uint16_t dflags = VIRTQ_DESC_F_NEXT | (type == VIRTIO_BLK_T_IN ? VIRTQ_DESC_F_WRITE : 0);
    set_desc(0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
    set_desc(1, buf, len, dflags, 2);
    set_desc(2, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
    return kick(0, QNUM);
}

static inline uint8_t status_byte(void)
{
    return *(uint8_t *)at(STATUS);
}

#endif
