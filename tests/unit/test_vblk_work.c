// SPDX-License-Identifier: MIT
// The emulated virtio-blk's work per exit: a notify reads at most one exit's budget of descriptors
// and moves at most its budget of bytes (hyp/budget.h); the rest goes on in later exits, requests
// completing in order with the right data; a buffer that became a validated table meanwhile ends
// its request with an I/O error instead of being written.
#include <stdint.h>

#include "budget.h"
#include "vblk_guest.h"

#define BIGQ 128
#define BYTES_PER_EXIT ((uint64_t)EXIT_BUDGET * BYTES_PER_UNIT)

/* Makes heads[0..n) available with one notify. */
static void kick_many(const uint16_t *heads, unsigned n, unsigned qnum)
{
    struct virtq_avail *a = at(AVAIL);
    for (unsigned i = 0; i < n; i++) {
        a->ring[(a->idx + i) % qnum] = heads[i];
    }
    a->idx = (uint16_t)(a->idx + n);
    w32(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
}

static uint16_t used_idx(void)
{
    return ((struct virtq_used *)at(USED))->idx;
}

/* Eight reads of the whole disk (32 KiB each, 256 KiB together) in one notify. */
static void eight_whole_disk_reads(void)
{
    uint16_t heads[8];
    for (unsigned k = 0; k < 8; k++) {
        uint16_t d = (uint16_t)(3 * k);
        ((struct virtio_blk_req_hdr *)at(HDR))[k] =
          (struct virtio_blk_req_hdr){ VIRTIO_BLK_T_IN, 0, 0 };
        set_desc(d, HDR + 16 * k, 16, VIRTQ_DESC_F_NEXT, (uint16_t)(d + 1));
        set_desc(d + 1,
                 DATA + k * sizeof disk,
                 sizeof disk,
                 VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE,
                 (uint16_t)(d + 2));
        set_desc(d + 2, STATUS + k, 1, VIRTQ_DESC_F_WRITE, 0);
        *(uint8_t *)at(STATUS + k) = 0xee;
        heads[k] = d;
    }
    kick_many(heads, 8, 32);
}

TEST(vblk_bytes_per_notify_are_bounded)
{
    setup();
    driver_init(32);
    eight_whole_disk_reads();
    /* One exit's worth, not the 256 KiB asked for. */
    CHECK(bytes_moved <= BYTES_PER_EXIT);
    CHECK(bytes_moved >= BYTES_PER_EXIT / 2);
    CHECK(used_idx() < 8);
    CHECK(vblk_pending(&dev));
    /* Later exits do the rest, a budget at a time, in order. */
    unsigned exits = 0;
    while (vblk_pending(&dev) && exits < 100) {
        uint64_t before = bytes_moved;
        vblk_work(&dev, EXIT_BUDGET);
        CHECK(bytes_moved - before <= BYTES_PER_EXIT);
        exits++;
    }
    CHECK(exits >= 1 && exits <= 3);
    CHECK_EQ(used_idx(), 8);
    CHECK_EQ(bytes_moved, 8 * sizeof disk);
    struct virtq_used *u = at(USED);
    for (unsigned k = 0; k < 8; k++) {
        CHECK_EQ(u->ring[k].id, 3 * k);
        CHECK_EQ(u->ring[k].len, sizeof disk + 1);
        CHECK_EQ(*(uint8_t *)at(STATUS + k), VIRTIO_BLK_S_OK);
        CHECK(memcmp(at(DATA + k * sizeof disk), disk, sizeof disk) == 0);
    }
    CHECK(irq_level);
    CHECK_EQ(dev.errors, 0);
}

/* 128 available entries all naming one chain of the whole 128-descriptor table: 16,384
 * descriptors for one notify to read. Each chain has more segments than the device takes, so each
 * request ends in an I/O error; one notify reads at most a budget's worth of them. */
TEST(vblk_descriptors_per_notify_are_bounded)
{
    setup();
    driver_init(BIGQ);
    header(VIRTIO_BLK_T_IN, 0);
    set_desc(0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
    for (unsigned i = 1; i < BIGQ - 1; i++) {
        set_desc(i, DATA, RAM_SIZE / 2, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, (uint16_t)(i + 1));
    }
    set_desc(BIGQ - 1, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
    uint16_t heads[BIGQ] = { 0 };
    dma_calls = 0;
    kick_many(heads, BIGQ, BIGQ);
    CHECK(dma_calls <= EXIT_BUDGET / UNITS_VIRTIO_DESC + 3); /* + the three rings */
    CHECK(used_idx() > 0 && used_idx() < BIGQ);
    unsigned exits = 0;
    while (vblk_pending(&dev) && exits < 1000) {
        dma_calls = 0;
        vblk_work(&dev, EXIT_BUDGET);
        CHECK(dma_calls <= EXIT_BUDGET / UNITS_VIRTIO_DESC + 3);
        exits++;
    }
    CHECK_EQ(used_idx(), BIGQ);
    CHECK_EQ(dev.errors, BIGQ);
    CHECK_EQ(status_byte(), VIRTIO_BLK_S_IOERR);
    CHECK_EQ(requests_seen, 0);
    CHECK(!vblk_pending(&dev));
}

/* A read waits half done for a later exit; meanwhile the guest makes its buffer a validated table:
 * the device stores no more into it, and the request ends with an I/O error. */
TEST(vblk_buffer_retyped_while_a_request_waits)
{
    setup();
    driver_init(32);
    eight_whole_disk_reads();
    CHECK(dev.cur_busy);
    unsigned k = dev.cur_head / 3;
    uint64_t done = dev.cur_done;
    uint8_t *buf = at(DATA + k * sizeof disk);
    pt_frame = DATA + k * sizeof disk + ((done + 4095) & ~4095ull);
    memset(buf + done, 0x5a, sizeof disk - done);
    vblk_work(&dev, EXIT_BUDGET);
    CHECK_EQ(*(uint8_t *)at(STATUS + k), VIRTIO_BLK_S_IOERR);
    for (uint64_t i = done; i < sizeof disk; i++) {
        if (buf[i] != 0x5a) {
            CHECK(buf[i] == 0x5a);
            break;
        }
    }
    while (vblk_pending(&dev)) {
        vblk_work(&dev, EXIT_BUDGET);
    }
    CHECK_EQ(used_idx(), 8);
    CHECK_EQ(dev.errors, 1);
}

/* A budget too small for anything leaves everything as it was. */
TEST(vblk_work_without_budget_does_nothing)
{
    setup();
    driver_init(32);
    eight_whole_disk_reads();
    uint16_t before = used_idx();
    uint64_t moved = bytes_moved;
    vblk_work(&dev, 0);
    vblk_work(&dev, UNITS_BLK_REQUEST);
    CHECK_EQ(used_idx(), before);
    CHECK_EQ(bytes_moved, moved);
    CHECK(vblk_pending(&dev));
    /* A reset drops the request under way. */
    w32(VIRTIO_MMIO_STATUS, 0);
    CHECK(!vblk_pending(&dev));
    CHECK(!dev.cur_busy);
}
