// SPDX-License-Identifier: MIT
// The emulated virtio-blk over a backend that answers in a later exit (the host disk): the used
// entry and the interrupt come with the answer, a read's data is copied only then, a backend that
// cannot start a request yet is asked again, and a reset or a buffer retyped meanwhile drops the
// request at the backend.
#include <stdint.h>

#include "budget.h"
#include "vblk_guest.h"

static uint16_t used_idx(void)
{
    return ((struct virtq_used *)at(USED))->idx;
}

TEST(vblk_read_completes_when_the_backend_answers)
{
    setup();
    later.on = true;
    driver_init(QNUM);
    memset(at(DATA), 0x11, 4096);
    CHECK_EQ(request3(VIRTIO_BLK_T_IN, 1, DATA, 4096), ~0u); /* no used entry yet */
    CHECK(later.queued && later.op == BLK_READ && later.sector == 1 && later.len == 4096);
    CHECK(vblk_pending(&dev));
    CHECK(!irq_level);
    CHECK_EQ(status_byte(), 0xee);
    vblk_work(&dev, VIRTIO_EXIT_BUDGET); /* a later exit: no answer yet */
    CHECK_EQ(used_idx(), 0);
    CHECK_EQ(*(uint8_t *)at(DATA), 0x11); /* nothing reaches the guest before the answer */
    later.answer = true;
    vblk_work(&dev, VIRTIO_EXIT_BUDGET);
    CHECK_EQ(used_idx(), 1);
    CHECK_EQ(((struct virtq_used *)at(USED))->ring[0].len, 4096u + 1);
    CHECK_EQ(status_byte(), VIRTIO_BLK_S_OK);
    CHECK(memcmp(at(DATA), disk + 512, 4096) == 0);
    CHECK(irq_level);
    CHECK(!vblk_pending(&dev));
    CHECK_EQ(later.starts, 1u);
}

TEST(vblk_backend_busy_then_failing)
{
    setup();
    later.on = true;
    later.busy = true;
    driver_init(QNUM);
    CHECK_EQ(request3(VIRTIO_BLK_T_OUT, 0, DATA, 1024), ~0u);
    CHECK_EQ(later.starts, 0u);
    CHECK(vblk_pending(&dev)); /* asked again at its next exits */
    later.busy = false;
    later.result = BLK_IOERR; /* as a host disk request that timed out */
    vblk_work(&dev, VIRTIO_EXIT_BUDGET);
    CHECK_EQ(later.starts, 1u);
    CHECK_EQ(used_idx(), 0);
    later.answer = true;
    vblk_work(&dev, VIRTIO_EXIT_BUDGET);
    CHECK_EQ(used_idx(), 1);
    CHECK_EQ(status_byte(), VIRTIO_BLK_S_IOERR);
    CHECK_EQ(dev.errors, 1u);
    /* The device goes on: the next request works. */
    later.result = BLK_OK;
    memset(at(DATA), 0x77, 512);
    CHECK_EQ(request3(VIRTIO_BLK_T_OUT, 3, DATA, 512), ~0u);
    later.answer = true;
    vblk_work(&dev, VIRTIO_EXIT_BUDGET);
    CHECK_EQ(used_idx(), 2);
    CHECK_EQ(status_byte(), VIRTIO_BLK_S_OK);
    CHECK_EQ(disk[3 * 512], 0x77);
}

TEST(vblk_flush_answered_later)
{
    setup();
    later.on = true;
    driver_init(QNUM);
    header(VIRTIO_BLK_T_FLUSH, 0);
    set_desc(0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
    set_desc(1, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
    CHECK_EQ(kick(0, QNUM), ~0u);
    CHECK(later.queued && later.op == BLK_FLUSH);
    later.answer = true;
    vblk_work(&dev, VIRTIO_EXIT_BUDGET);
    CHECK_EQ(used_idx(), 1);
    CHECK_EQ(status_byte(), VIRTIO_BLK_S_OK);
}

TEST(vblk_reset_drops_the_request_at_the_backend)
{
    setup();
    later.on = true;
    driver_init(QNUM);
    CHECK_EQ(request3(VIRTIO_BLK_T_IN, 0, DATA, 512), ~0u);
    w32(VIRTIO_MMIO_STATUS, 0);
    CHECK_EQ(later.cancels, 1u);
    CHECK(!later.queued);
    CHECK(!vblk_pending(&dev));
}

TEST(vblk_buffer_retyped_while_the_backend_works)
{
    setup();
    later.on = true;
    driver_init(QNUM);
    memset(at(DATA), 0x5a, 4096);
    CHECK_EQ(request3(VIRTIO_BLK_T_IN, 0, DATA, 4096), ~0u);
    pt_frame = DATA; /* the guest made the buffer a page table meanwhile */
    later.answer = true;
    vblk_work(&dev, VIRTIO_EXIT_BUDGET);
    CHECK_EQ(used_idx(), 1);
    CHECK_EQ(status_byte(), VIRTIO_BLK_S_IOERR);
    CHECK_EQ(later.cancels, 1u);
    CHECK_EQ(*(uint8_t *)at(DATA + 100), 0x5a);
}

/* The part copied when the answer comes is paid from that exit's budget: too little waits. */
TEST(vblk_answer_collected_within_the_budget)
{
    setup();
    later.on = true;
    driver_init(QNUM);
    CHECK_EQ(request3(VIRTIO_BLK_T_IN, 0, DATA, VBLK_PART_MAX), ~0u);
    CHECK_EQ(later.len, VBLK_PART_MAX);
    later.answer = true;
    vblk_work(&dev, UNITS_BLK_REQUEST + 3 * UNITS_VIRTIO_DESC);
    CHECK_EQ(used_idx(), 0);
    vblk_work(&dev, VIRTIO_EXIT_BUDGET);
    CHECK_EQ(used_idx(), 1);
    CHECK(memcmp(at(DATA), disk, VBLK_PART_MAX) == 0);
}
