// SPDX-License-Identifier: MIT
// Attack pack, virtio-blk: malformed chains and rings the emulated device (hyp/dev/vblk.c) must
// refuse. A malformed chain ends that request with VIRTIO_BLK_S_IOERR (where its status byte is the
// guest's to write) and moves no data; rings the device cannot use (outside RAM, a used ring in a
// validated table) or an avail index past the ring make it set DEVICE_NEEDS_RESET (virtio 1.1,
// 2.1.1 "Device Status Field": the device stops until the driver resets it), touching nothing.
#include <string.h>

#include "attack.h"
#include "virtio.h"

#define VBLK ((volatile uint32_t *)0x10001000ul)
#define VQ AT_VQ
#define PATTERN 0x5a

static struct virtq_desc desc[VQ] __attribute__((aligned(16)));
static struct virtq_desc indirect[4] __attribute__((aligned(16)));
static struct at_vq_avail avail __attribute__((aligned(2)));
static struct at_vq_used used __attribute__((aligned(4)));
static struct virtio_blk_req_hdr hdr = { VIRTIO_BLK_T_IN, 0, 0 };
static uint8_t status;

void at_virtio_setup(uint32_t num, uint64_t d, uint64_t av, uint64_t us)
{
    VBLK[VIRTIO_MMIO_STATUS / 4] = 0;
    memset(&avail, 0, sizeof avail);
    memset(&used, 0, sizeof used);
    VBLK[VIRTIO_MMIO_STATUS / 4] = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;
    VBLK[VIRTIO_MMIO_DRIVER_FEATURES_SEL / 4] = 1;
    VBLK[VIRTIO_MMIO_DRIVER_FEATURES / 4] = 1; /* VIRTIO_F_VERSION_1 */
    VBLK[VIRTIO_MMIO_STATUS / 4] =
      VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK;
    VBLK[VIRTIO_MMIO_QUEUE_SEL / 4] = 0;
    VBLK[VIRTIO_MMIO_QUEUE_NUM / 4] = num;
    d = d ? d : (uint64_t)desc;
    av = av ? av : (uint64_t)&avail;
    us = us ? us : (uint64_t)&used;
    VBLK[VIRTIO_MMIO_QUEUE_DESC_LOW / 4] = (uint32_t)d;
    VBLK[VIRTIO_MMIO_QUEUE_DESC_HIGH / 4] = (uint32_t)(d >> 32);
    VBLK[VIRTIO_MMIO_QUEUE_DRIVER_LOW / 4] = (uint32_t)av;
    VBLK[VIRTIO_MMIO_QUEUE_DRIVER_HIGH / 4] = (uint32_t)(av >> 32);
    VBLK[VIRTIO_MMIO_QUEUE_DEVICE_LOW / 4] = (uint32_t)us;
    VBLK[VIRTIO_MMIO_QUEUE_DEVICE_HIGH / 4] = (uint32_t)(us >> 32);
    VBLK[VIRTIO_MMIO_QUEUE_READY / 4] = 1;
    VBLK[VIRTIO_MMIO_STATUS / 4] = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                                   VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK;
}

/* Offers head under avail index idx and notifies; waits (up to 0.2 s) for a used entry. Returns how
 * many the device completed as our used ring shows them. */
static unsigned kick(uint16_t head, uint16_t idx)
{
    avail.ring[0] = head;
    __asm__ volatile("fence rw, rw" ::: "memory");
    avail.idx = idx;
    __asm__ volatile("fence rw, rw" ::: "memory");
    VBLK[VIRTIO_MMIO_QUEUE_NOTIFY / 4] = 0;
    uint64_t end = csr_time() + 2000000;
    while (*(volatile uint16_t *)&used.idx == 0 && csr_time() < end) {
    }
    __asm__ volatile("fence rw, rw" ::: "memory");
    return *(volatile uint16_t *)&used.idx;
}

static long needs_reset(void)
{
    return (VBLK[VIRTIO_MMIO_STATUS / 4] & VIRTIO_STATUS_NEEDS_RESET) != 0;
}

long at_virtio_good_read(void)
{
    at_virtio_setup(VQ, 0, 0, 0);
    desc[0] = (struct virtq_desc){ (uint64_t)&hdr, sizeof hdr, VIRTQ_DESC_F_NEXT, 1 };
    desc[1] = (struct virtq_desc){ AT_BUF, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2 };
    desc[2] = (struct virtq_desc){ (uint64_t)&status, 1, VIRTQ_DESC_F_WRITE, 0 };
    status = 0x77;
    return kick(0, 1) == 1 && status == VIRTIO_BLK_S_OK;
}

static bool buf_untouched(void)
{
    for (unsigned i = 0; i < 512; i++) {
        if (((volatile uint8_t *)AT_BUF)[i] != PATTERN) {
            return false;
        }
    }
    return true;
}

/* A malformed request: it completes with IOERR, its data buffer (AT_BUF) untouched. */
static void report_ioerr(const char *a, uint16_t head)
{
    status = 0x77;
    at_result(a, "completed", kick(head, 1));
    at_result(a, "status-ioerr", status == VIRTIO_BLK_S_IOERR);
    at_result(a, "buffer-untouched", buf_untouched());
    at_result(a, "device-works-after", at_virtio_good_read());
}

/* The device refused the queue: nothing completed, nothing written, DEVICE_NEEDS_RESET set. */
static void report_reset(const char *a)
{
    status = 0x77;
    at_result(a, "completed", kick(0, 1) + used.idx);
    at_result(a, "needs-reset", needs_reset());
    at_result(a, "status-untouched", status == 0x77);
    at_result(a, "device-works-after", at_virtio_good_read());
}

#define IS(n) (strcmp(a, n) == 0)

bool attack_virtio(const char *a)
{
    uint16_t rw = VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE;

    memset((void *)AT_BUF, PATTERN, 512);
    if (IS("virtio-chain-loop")) {
        /* hdr -> data -> status -> status -> ...: the walk must stop at the queue's length. */
        at_virtio_setup(VQ, 0, 0, 0);
        desc[0] = (struct virtq_desc){ (uint64_t)&hdr, sizeof hdr, VIRTQ_DESC_F_NEXT, 1 };
        desc[1] = (struct virtq_desc){ AT_BUF, 512, rw, 2 };
        desc[2] = (struct virtq_desc){ (uint64_t)&status, 1, rw, 2 };
        report_ioerr(a, 0);
    } else if (IS("virtio-chain-longer-than-queue")) {
        /* A queue of 8: a chain through all 8 descriptors whose last names a 9th, past the table.
         */
        at_virtio_setup(8, 0, 0, 0);
        desc[0] = (struct virtq_desc){ (uint64_t)&hdr, sizeof hdr, VIRTQ_DESC_F_NEXT, 1 };
        for (uint16_t i = 1; i < 7; i++) {
            desc[i] = (struct virtq_desc){ AT_BUF + (i - 1) * 512ul, 512, rw, (uint16_t)(i + 1) };
        }
        desc[7] = (struct virtq_desc){ (uint64_t)&status, 1, rw, 8 };
        memset((void *)AT_BUF, PATTERN, 6 * 512);
        report_ioerr(a, 0);
    } else if (IS("virtio-indirect")) {
        /* VIRTIO_F_INDIRECT_DESC is not offered: a descriptor that uses it fails the request (and
         * the table it names, aiming at our buffer, is never followed). */
        at_virtio_setup(VQ, 0, 0, 0);
        indirect[0] = (struct virtq_desc){ AT_BUF, 512, VIRTQ_DESC_F_WRITE, 0 };
        desc[0] = (struct virtq_desc){ (uint64_t)&hdr, sizeof hdr, VIRTQ_DESC_F_NEXT, 1 };
        desc[1] = (struct virtq_desc){
            (uint64_t)indirect, sizeof indirect, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_INDIRECT, 2
        };
        desc[2] = (struct virtq_desc){ (uint64_t)&status, 1, VIRTQ_DESC_F_WRITE, 0 };
        report_ioerr(a, 0);
    } else if (IS("virtio-garbage-avail-idx")) {
        /* 0x8000 entries made available in a ring of 128: the index is garbage. */
        at_virtio_setup(VQ, 0, 0, 0);
        desc[0] = (struct virtq_desc){ (uint64_t)&hdr, sizeof hdr, VIRTQ_DESC_F_NEXT, 1 };
        desc[1] = (struct virtq_desc){ AT_BUF, 512, rw, 2 };
        desc[2] = (struct virtq_desc){ (uint64_t)&status, 1, VIRTQ_DESC_F_WRITE, 0 };
        status = 0x77;
        at_result(a, "completed", kick(0, 0x8000));
        at_result(a, "needs-reset", needs_reset());
        at_result(a, "status-untouched", status == 0x77);
        at_result(a, "buffer-untouched", buf_untouched());
        at_result(a, "device-works-after", at_virtio_good_read());
    } else if (IS("virtio-desc-ring-outside-ram")) {
        at_virtio_setup(VQ, AT_RAM + AT_RAM_SIZE + 0x100000, 0, 0);
        report_reset(a);
    } else if (IS("virtio-used-ring-past-ram")) {
        /* A used ring starting in RAM and running past its end. */
        at_virtio_setup(VQ, 0, 0, AT_RAM + AT_RAM_SIZE - 64);
        report_reset(a);
    } else if (IS("virtio-queue-size-not-power-of-2")) {
        /* Virtio 1.1, 2.6 "Split Virtqueues": the queue size is always a power of 2. */
        at_virtio_setup(100, 0, 0, 0);
        report_reset(a);
    } else if (IS("virtio-misaligned-desc-ring")) {
        /* 2.6 again: the descriptor table is 16-byte aligned. */
        at_virtio_setup(VQ, (uint64_t)desc + 8, 0, 0);
        report_reset(a);
    } else if (IS("virtio-used-ring-in-table")) {
        /* The device writes the used ring: in a validated level-0 table it would write entries. */
        at_build_and_pin();
        at_snap(AT_L0);
        at_virtio_setup(VQ, 0, 0, AT_L0);
        report_reset(a);
        at_result(a, "table-unchanged", at_same(AT_L0));
    } else if (IS("virtio-desc-ring-in-table")) {
        /* The device only reads a descriptor table, so one in a validated table is taken: its
         * entries, read as descriptors, name no buffer of the guest's, and the request ends (no
         * status byte to write) with the table unchanged. */
        at_build_and_pin();
        at_snap(AT_L0);
        at_virtio_setup(VQ, AT_L0, 0, 0);
        at_result(a, "completed", kick(0, 1));
        at_result(a, "used-len", used.ring[0].len);
        at_result(a, "needs-reset", needs_reset());
        at_result(a, "table-unchanged", at_same(AT_L0));
    } else if (IS("virtio-status-in-table")) {
        at_build_and_pin();
        at_snap(AT_L0);
        at_virtio_setup(VQ, 0, 0, 0);
        desc[0] = (struct virtq_desc){ (uint64_t)&hdr, sizeof hdr, VIRTQ_DESC_F_NEXT, 1 };
        desc[1] = (struct virtq_desc){ AT_BUF, 512, rw, 2 };
        desc[2] = (struct virtq_desc){ AT_L0 + 8, 1, VIRTQ_DESC_F_WRITE, 0 };
        /* Refused whole: no status byte it may write, no data moved, the entry still there. */
        at_result(a, "completed", kick(0, 1));
        at_result(a, "used-len", used.ring[0].len);
        at_result(a, "buffer-untouched", buf_untouched());
        at_result(a, "table-unchanged", at_same(AT_L0));
    } else if (IS("virtio-data-in-table")) {
        at_build_and_pin();
        at_snap(AT_L0);
        at_virtio_setup(VQ, 0, 0, 0);
        desc[0] = (struct virtq_desc){ (uint64_t)&hdr, sizeof hdr, VIRTQ_DESC_F_NEXT, 1 };
        desc[1] = (struct virtq_desc){ AT_L0, 512, rw, 2 };
        desc[2] = (struct virtq_desc){ (uint64_t)&status, 1, VIRTQ_DESC_F_WRITE, 0 };
        status = 0x77;
        at_result(a, "completed", kick(0, 1));
        at_result(a, "status-ioerr", status == VIRTIO_BLK_S_IOERR);
        at_result(a, "table-unchanged", at_same(AT_L0));
    } else {
        return false;
    }
    return true;
}
