// SPDX-License-Identifier: MIT
// Unit tests for the emulated virtio-blk: registers, feature negotiation, requests through the split
// virtqueue as Linux and U-Boot lay them out, and malformed rings that must end in I/O errors.
#include "vblk_guest.h"

TEST(vblk_identity_and_config)
{
    setup();
    CHECK_EQ(r32(VIRTIO_MMIO_MAGIC), 0x74726976);
    CHECK_EQ(r32(VIRTIO_MMIO_VERSION), 2);
    CHECK_EQ(r32(VIRTIO_MMIO_DEVICE_ID), 2);
    CHECK_EQ(r32(VIRTIO_MMIO_VENDOR_ID), VBLK_VENDOR);
    w32(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    uint32_t lo = r32(VIRTIO_MMIO_DEVICE_FEATURES);
    w32(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    uint32_t hi = r32(VIRTIO_MMIO_DEVICE_FEATURES);
    w32(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 2);
    CHECK_EQ(r32(VIRTIO_MMIO_DEVICE_FEATURES), 0);
    CHECK(hi & 1);                                /* VERSION_1 */
    CHECK(lo & (1u << VIRTIO_BLK_F_FLUSH));
    CHECK(!(lo & (1u << VIRTIO_F_INDIRECT_DESC))); /* not offered */
    CHECK(!(lo & (1u << VIRTIO_F_EVENT_IDX)));
    CHECK_EQ(r32(VIRTIO_MMIO_QUEUE_NUM_MAX), VBLK_QSIZE);
    w32(VIRTIO_MMIO_QUEUE_SEL, 1);
    CHECK_EQ(r32(VIRTIO_MMIO_QUEUE_NUM_MAX), 0); /* one queue only */
    /* Configuration space: capacity in 4- and 8-byte reads, seg_max, blk_size. */
    uint64_t v;
    CHECK(vblk_mmio(&dev, 0x100, 8, false, &v));
    CHECK_EQ(v, SECTORS);
    CHECK_EQ(r32(0x100), SECTORS);
    CHECK_EQ(r32(0x104), 0);
    CHECK_EQ(r32(0x10c), BLK_SEGS_MAX);
    CHECK_EQ(r32(0x114), 512);
    CHECK(vblk_mmio(&dev, 0x114, 2, false, &v));
    CHECK_EQ(v, 512);
    CHECK(vblk_mmio(&dev, 0x200, 4, false, &v));
    CHECK_EQ(v, 0);
    v = 5;
    CHECK(vblk_mmio(&dev, 0x100, 4, true, &v)); /* ignored */
    CHECK_EQ(r32(0x100), SECTORS);
    /* Registers are 32-bit only; misaligned or outside the slot is refused. */
    CHECK(!vblk_mmio(&dev, VIRTIO_MMIO_STATUS, 1, false, &v));
    CHECK(!vblk_mmio(&dev, VIRTIO_MMIO_MAGIC, 8, false, &v));
    CHECK(!vblk_mmio(&dev, 0x102, 4, false, &v));
    CHECK(!vblk_mmio(&dev, 0x1000, 4, false, &v));
    CHECK(!vblk_mmio(&dev, 0x10, 3, false, &v));
}

TEST(vblk_feature_negotiation)
{
    setup();
    /* Without VERSION_1 (a legacy driver on a modern device): FEATURES_OK does not stick. */
    w32(VIRTIO_MMIO_STATUS, 3);
    w32(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    w32(VIRTIO_MMIO_DRIVER_FEATURES, 1u << VIRTIO_BLK_F_FLUSH);
    w32(VIRTIO_MMIO_STATUS, 3 | VIRTIO_STATUS_FEATURES_OK);
    CHECK_EQ(r32(VIRTIO_MMIO_STATUS), 3);
    /* A bit we did not offer (indirect descriptors): refused too. */
    w32(VIRTIO_MMIO_DRIVER_FEATURES, 1u << VIRTIO_F_INDIRECT_DESC);
    w32(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    w32(VIRTIO_MMIO_DRIVER_FEATURES, 1);
    w32(VIRTIO_MMIO_STATUS, 3 | VIRTIO_STATUS_FEATURES_OK);
    CHECK_EQ(r32(VIRTIO_MMIO_STATUS), 3);
    /* VERSION_1 alone (what U-Boot may take): accepted. */
    w32(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    w32(VIRTIO_MMIO_DRIVER_FEATURES, 0);
    w32(VIRTIO_MMIO_STATUS, 3 | VIRTIO_STATUS_FEATURES_OK);
    CHECK_EQ(r32(VIRTIO_MMIO_STATUS), 3 | VIRTIO_STATUS_FEATURES_OK);
    /* Reset clears status and negotiated features. */
    w32(VIRTIO_MMIO_STATUS, 0);
    CHECK_EQ(r32(VIRTIO_MMIO_STATUS), 0);
    w32(VIRTIO_MMIO_STATUS, 3 | VIRTIO_STATUS_FEATURES_OK);
    CHECK_EQ(r32(VIRTIO_MMIO_STATUS), 3);
}

TEST(vblk_write_then_read)
{
    setup();
    driver_init(QNUM);
    for (unsigned i = 0; i < 1024; i++) {
        ((uint8_t *)at(DATA))[i] = (uint8_t)(0xa5 ^ i);
    }
    CHECK_EQ(request3(VIRTIO_BLK_T_OUT, 3, DATA, 1024), 1);
    CHECK_EQ(status_byte(), VIRTIO_BLK_S_OK);
    CHECK(memcmp(disk + 3 * 512, at(DATA), 1024) == 0);
    CHECK(irq_level);
    CHECK_EQ(r32(VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_INT_USED);
    w32(VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_INT_USED);
    CHECK(!irq_level);
    CHECK_EQ(r32(VIRTIO_MMIO_INTERRUPT_STATUS), 0);

    /* Read it back, the data split over two descriptors and the header over two as well. */
    header(VIRTIO_BLK_T_IN, 3);
    set_desc(4, HDR, 8, VIRTQ_DESC_F_NEXT, 5);
    set_desc(5, HDR + 8, 8, VIRTQ_DESC_F_NEXT, 6);
    set_desc(6, DATA + 0x1000, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 7);
    set_desc(7, DATA + 0x2000, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 0);
    set_desc(0, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
    CHECK_EQ(kick(4, QNUM), 1025);
    CHECK_EQ(status_byte(), VIRTIO_BLK_S_OK);
    CHECK(memcmp(at(DATA + 0x1000), at(DATA), 512) == 0);
    CHECK(memcmp(at(DATA + 0x2000), (uint8_t *)at(DATA) + 512, 512) == 0);
    CHECK(irq_level);

    /* Data and status in one descriptor, as a driver may lay out a read. */
    header(VIRTIO_BLK_T_IN, 4);
    set_desc(0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
    set_desc(1, DATA + 0x3000, 513, VIRTQ_DESC_F_WRITE, 0);
    CHECK_EQ(kick(0, QNUM), 513);
    CHECK_EQ(*(uint8_t *)at(DATA + 0x3000 + 512), VIRTIO_BLK_S_OK);
    CHECK(memcmp(at(DATA + 0x3000), (uint8_t *)at(DATA) + 512, 512) == 0);
    CHECK_EQ(dev.requests, 3);
    CHECK_EQ(dev.errors, 0);
}

TEST(vblk_flush_and_unsupported)
{
    setup();
    driver_init(QNUM);
    header(VIRTIO_BLK_T_FLUSH, 0);
    set_desc(0, HDR, 16, VIRTQ_DESC_F_NEXT, 2);
    set_desc(2, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
    CHECK_EQ(kick(0, QNUM), 1);
    CHECK_EQ(status_byte(), VIRTIO_BLK_S_OK);
    CHECK_EQ(request3(VIRTIO_BLK_T_GET_ID, 0, DATA, 20), 1);
    CHECK_EQ(status_byte(), VIRTIO_BLK_S_UNSUPP);
    CHECK_EQ(request3(77, 0, DATA, 512), 1);
    CHECK_EQ(status_byte(), VIRTIO_BLK_S_UNSUPP);
}

/* Each malformed request ends with IOERR (where its status byte can be written at all), the disk is
 * not touched, and the next good request works. */
TEST(vblk_malformed_requests)
{
    setup();
    driver_init(QNUM);
    uint8_t before[sizeof disk];
    memcpy(before, disk, sizeof disk);
    struct {
        const char *what;
        uint32_t type;
        uint64_t sector, buf;
        uint32_t len;
    } bad[] = {
        { "data outside RAM", VIRTIO_BLK_T_OUT, 0, 0x1000, 512 },
        { "data past the end of RAM", VIRTIO_BLK_T_OUT, 0, RAM_BASE + RAM_SIZE - 512, 1024 },
        { "length that wraps", VIRTIO_BLK_T_IN, 0, ~0ull - 511, 0x400 },
        { "huge length", VIRTIO_BLK_T_IN, 0, DATA, 0xffffffffu },
        { "sectors beyond the disk", VIRTIO_BLK_T_OUT, SECTORS - 1, DATA, 1024 },
        { "sector far beyond the disk", VIRTIO_BLK_T_IN, ~0ull - 1, DATA, 1024 },
        { "sector past the disk", VIRTIO_BLK_T_IN, SECTORS, DATA, 512 },
        { "length not whole sectors", VIRTIO_BLK_T_OUT, 0, DATA, 100 },
        { "read into a page table", VIRTIO_BLK_T_IN, 0, pt_frame - 512, 1024 },
    };
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint32_t len = request3(bad[i].type, bad[i].sector, bad[i].buf, bad[i].len);
        if (len != 1 || status_byte() != VIRTIO_BLK_S_IOERR) {
            fprintf(stderr, "%s: used len %u status %u\n", bad[i].what, len, status_byte());
            test_failures++;
        }
    }
    CHECK_EQ(requests_seen, 0);
    CHECK(memcmp(before, disk, sizeof disk) == 0);

    /* A loop in the chain: 0 -> 1 -> 0. */
    header(VIRTIO_BLK_T_OUT, 0);
    set_desc(0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
    set_desc(1, DATA, 512, VIRTQ_DESC_F_NEXT, 0);
    CHECK_EQ(kick(0, QNUM), 0); /* no writable descriptor for a status */
    /* A loop through the status descriptor itself. */
    set_desc(1, STATUS, 1, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
    CHECK_EQ(kick(0, QNUM), 1);
    CHECK_EQ(status_byte(), VIRTIO_BLK_S_IOERR);
    /* next past the table; a head past the table. */
    set_desc(1, DATA, 512, VIRTQ_DESC_F_NEXT, QNUM);
    CHECK_EQ(kick(0, QNUM), 0);
    CHECK_EQ(kick(QNUM + 3, QNUM), 0);
    /* Indirect descriptors were not offered. */
    header(VIRTIO_BLK_T_OUT, 0);
    set_desc(1, DATA, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_INDIRECT, 2);
    set_desc(2, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
    CHECK_EQ(kick(0, QNUM), 1);
    CHECK_EQ(status_byte(), VIRTIO_BLK_S_IOERR);
    /* A readable descriptor after a writable one. */
    set_desc(1, DATA, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
    set_desc(2, DATA + 512, 512, VIRTQ_DESC_F_NEXT, 3);
    set_desc(3, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
    CHECK_EQ(kick(0, QNUM), 1);
    CHECK_EQ(status_byte(), VIRTIO_BLK_S_IOERR);
    /* A header shorter than 16 bytes. */
    set_desc(0, HDR, 8, VIRTQ_DESC_F_NEXT, 2);
    set_desc(2, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
    CHECK_EQ(kick(0, QNUM), 1);
    CHECK_EQ(status_byte(), VIRTIO_BLK_S_IOERR);
    /* The status byte in a page table: nothing is written there. */
    header(VIRTIO_BLK_T_OUT, 0);
    set_desc(0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
    set_desc(1, DATA, 512, VIRTQ_DESC_F_NEXT, 2);
    set_desc(2, pt_frame, 1, VIRTQ_DESC_F_WRITE, 0);
    CHECK_EQ(kick(0, QNUM), 0);
    CHECK_EQ(*(uint8_t *)at(pt_frame), 0);
    CHECK_EQ(requests_seen, 0);
    CHECK(memcmp(before, disk, sizeof disk) == 0);
    CHECK_EQ(r32(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET, 0);

    /* The device carries on. */
    memset(at(DATA), 0x3c, 512);
    CHECK_EQ(request3(VIRTIO_BLK_T_OUT, SECTORS - 1, DATA, 512), 1);
    CHECK_EQ(status_byte(), VIRTIO_BLK_S_OK);
    CHECK_EQ(disk[(SECTORS - 1) * 512], 0x3c);
}

TEST(vblk_too_many_segments)
{
    setup();
    driver_init(VBLK_QSIZE);
    header(VIRTIO_BLK_T_OUT, 0);
    set_desc(0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
    unsigned n = BLK_SEGS_MAX + 1;
    for (unsigned i = 1; i <= n; i++) {
        set_desc(i, DATA, 512, VIRTQ_DESC_F_NEXT, (uint16_t)(i + 1));
    }
    set_desc(n + 1, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
    CHECK_EQ(kick(0, VBLK_QSIZE), 1);
    CHECK_EQ(status_byte(), VIRTIO_BLK_S_IOERR);
    /* One fewer fits (and lies inside the 64-sector disk). */
    set_desc(n - 1, DATA, 512, VIRTQ_DESC_F_NEXT, (uint16_t)(n + 1));
    CHECK_EQ(kick(0, VBLK_QSIZE), 1);
    CHECK_EQ(status_byte(), VIRTIO_BLK_S_OK);
}

TEST(vblk_broken_rings_need_reset)
{
    setup();
    driver_init(QNUM);
    /* An avail index further ahead than the ring is long. */
    struct virtq_avail *a = at(AVAIL);
    a->idx = QNUM + 1;
    w32(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    CHECK(r32(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
    CHECK_EQ(r32(VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_INT_CONFIG);
    CHECK(irq_level);
    CHECK_EQ(((struct virtq_used *)at(USED))->idx, 0);
    /* Reset, and a fresh set-up works. */
    w32(VIRTIO_MMIO_STATUS, 0);
    CHECK(!irq_level);
    CHECK_EQ(r32(VIRTIO_MMIO_QUEUE_READY), 0);
    memset(at(AVAIL), 0, 4096);
    memset(at(USED), 0, 4096);
    driver_init(QNUM);
    CHECK_EQ(request3(VIRTIO_BLK_T_IN, 0, DATA, 512), 513);
    CHECK_EQ(status_byte(), VIRTIO_BLK_S_OK);

    /* Rings outside RAM, the used ring in a page table, a queue size not a power of two. */
    uint64_t bad_used[] = { RAM_BASE + RAM_SIZE - 8, pt_frame, 0x1000 };
    for (unsigned i = 0; i < 3; i++) {
        w32(VIRTIO_MMIO_STATUS, 0);
        driver_init(QNUM);
        w32(VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)bad_used[i]);
        w32(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
        CHECK(r32(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
    }
    w32(VIRTIO_MMIO_STATUS, 0);
    driver_init(6);
    w32(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    CHECK(r32(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
    /* Too large a queue is not taken. */
    w32(VIRTIO_MMIO_QUEUE_NUM, VBLK_QSIZE * 2);
    CHECK_EQ(dev.queue_num, 0);
}

TEST(vblk_notify_before_driver_ok_is_ignored)
{
    setup();
    w32(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    CHECK_EQ(r32(VIRTIO_MMIO_STATUS), 0);
    CHECK_EQ(r32(VIRTIO_MMIO_INTERRUPT_STATUS), 0);
    CHECK_EQ(irq_calls, 0);
}

/* Random register traffic and random rings: nothing may crash or touch memory outside RAM (ASan). */
TEST(vblk_random_traffic)
{
    setup();
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (unsigned round = 0; round < 20000; round++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        if (round % 500 == 0) {
            w32(VIRTIO_MMIO_STATUS, 0);
            driver_init(QNUM);
        }
        unsigned what = x % 8;
        if (what < 4) {
            /* scribble on the descriptor table or the avail ring */
            uint8_t *p = at(what < 3 ? DESC : AVAIL);
            p[(x >> 8) % (what < 3 ? QNUM * 16 : 4 + 2 * QNUM)] = (uint8_t)(x >> 24);
        } else if (what < 7) {
            w32(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
        } else {
            uint64_t v = x >> 32;
            vblk_mmio(&dev, (x >> 16) & 0xffc, 4, (x >> 40) & 1, &v);
        }
    }
    CHECK(1);
}
