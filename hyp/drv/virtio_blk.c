// SPDX-License-Identifier: MIT
// Host disk driver: virtio-blk over virtio-mmio version 2, one virtqueue, one request in flight at a
// time, submitted in one exit and found answered by polling the used ring in a later one. Its data
// is in one buffer of hypervisor memory the caller names (never guest RAM: hyp/blk/blk.c); a request
// the device does not answer is dropped by resetting the device, after which it no longer touches
// that buffer, and the device is set up again.
#include "drv/virtio_blk.h"

#include <stddef.h>

#include <arch/arch.h>

#include "console.h"
#include "hyp.h"
#include "virtio.h"

#define QSIZE 4u /* one request: header, data, status */

/* The queue lives in the hypervisor's image: it runs with translation off, so these addresses are
 * what the device sees. */
static struct virtq_desc desc[QSIZE] __attribute__((aligned(16)));
static struct {
    uint16_t flags, idx, ring[QSIZE], used_event;
} avail __attribute__((aligned(2)));
static struct {
    uint16_t flags, idx;
    struct virtq_used_elem ring[QSIZE];
    uint16_t avail_event;
} used __attribute__((aligned(4)));
static struct virtio_blk_req_hdr hdr;
static volatile uint8_t status;

static struct {
    bool probed, ready, flush;
    uintptr_t base;
    unsigned qsize;
    uint16_t last_used;
    uint64_t capacity;
} disk;

static uint32_t rd(unsigned off)
{
    return *(volatile uint32_t *)(disk.base + off);
}

static void wr(unsigned off, uint32_t v)
{
    *(volatile uint32_t *)(disk.base + off) = v;
}

/* Orders our ring writes before the device's reads (and its writes before ours). QEMU's devices see
 * memory coherently; a board whose I/O needs a device-ordering fence wants an arch hook here. */
static void ring_fence(void)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static uint64_t addr(const volatile void *p)
{
    return (uint64_t)(uintptr_t)p;
}

static void set_queue_addr(unsigned low, const volatile void *p)
{
    wr(low, (uint32_t)addr(p));
    wr(low + 4, (uint32_t)(addr(p) >> 32));
}

/* Virtio 1.x, "Device Initialization", for the slot at base; false leaves the device failed. */
static bool setup(uintptr_t base)
{
    disk.base = base;
    wr(VIRTIO_MMIO_STATUS, 0);
    wr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
    wr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    uint32_t lo = rd(VIRTIO_MMIO_DEVICE_FEATURES);
    wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    uint32_t hi = rd(VIRTIO_MMIO_DEVICE_FEATURES);
    if (!(hi & (1u << (VIRTIO_F_VERSION_1 - 32)))) {
        hyp_log("disk: virtio-mmio at 0x%lx does not offer VIRTIO_F_VERSION_1", (unsigned long)base);
        wr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_FAILED);
        return false;
    }
    /* Only what a one-request-at-a-time driver uses: flush, so the guests' flushes mean something. */
    disk.flush = lo & (1u << VIRTIO_BLK_F_FLUSH);
    wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    wr(VIRTIO_MMIO_DRIVER_FEATURES, disk.flush ? 1u << VIRTIO_BLK_F_FLUSH : 0);
    wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    wr(VIRTIO_MMIO_DRIVER_FEATURES, 1u << (VIRTIO_F_VERSION_1 - 32));
    wr(VIRTIO_MMIO_STATUS,
       VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
    if (!(rd(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK)) {
        hyp_log("disk: virtio-mmio at 0x%lx refused our features", (unsigned long)base);
        wr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_FAILED);
        return false;
    }
    wr(VIRTIO_MMIO_QUEUE_SEL, 0);
    uint32_t max = rd(VIRTIO_MMIO_QUEUE_NUM_MAX);
    if (max < QSIZE || rd(VIRTIO_MMIO_QUEUE_READY)) {
        hyp_log("disk: virtio-mmio at 0x%lx: queue 0 unusable (size %u)", (unsigned long)base, max);
        wr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_FAILED);
        return false;
    }
    disk.qsize = max < QSIZE ? max : QSIZE;
    /* A fresh queue (at boot, and after a reset): the device starts again at index 0. */
    avail.idx = 0;
    disk.last_used = 0;
    used.idx = 0;
    wr(VIRTIO_MMIO_QUEUE_NUM, disk.qsize);
    set_queue_addr(VIRTIO_MMIO_QUEUE_DESC_LOW, desc);
    set_queue_addr(VIRTIO_MMIO_QUEUE_DRIVER_LOW, &avail);
    set_queue_addr(VIRTIO_MMIO_QUEUE_DEVICE_LOW, &used);
    wr(VIRTIO_MMIO_QUEUE_READY, 1);
    /* The capacity is two 32-bit reads: repeat if the device changed it in between. */
    uint32_t gen;
    do {
        gen = rd(VIRTIO_MMIO_CONFIG_GENERATION);
        disk.capacity = rd(VIRTIO_MMIO_CONFIG + VIRTIO_BLK_CFG_CAPACITY) |
                        (uint64_t)rd(VIRTIO_MMIO_CONFIG + VIRTIO_BLK_CFG_CAPACITY + 4) << 32;
    } while (gen != rd(VIRTIO_MMIO_CONFIG_GENERATION));
    wr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                               VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
    return true;
}

bool virtio_blk_init(void)
{
    if (disk.probed) {
        return disk.ready;
    }
    disk.probed = true;
    for (unsigned i = 0; i < platform.nvirtio; i++) {
        uintptr_t base = (uintptr_t)platform.virtio[i].base;
        if (platform.virtio[i].size < VIRTIO_MMIO_CONFIG + 8) {
            continue;
        }
        disk.base = base;
        /* Empty slots answer with DeviceID 0; a legacy (version 1) transport is not driven. */
        if (rd(VIRTIO_MMIO_MAGIC) != VIRTIO_MMIO_MAGIC_VALUE ||
            rd(VIRTIO_MMIO_DEVICE_ID) != VIRTIO_ID_BLOCK) {
            continue;
        }
        if (rd(VIRTIO_MMIO_VERSION) != 2) {
            hyp_log("disk: virtio-mmio at 0x%lx is legacy (version %u); QEMU needs "
                    "-global virtio-mmio.force-legacy=false",
                    (unsigned long)base, rd(VIRTIO_MMIO_VERSION));
            continue;
        }
        if (setup(base)) {
            disk.ready = true;
            hyp_log("disk: virtio-blk at 0x%lx, %lu sectors (%lu MiB)%s", (unsigned long)base,
                    (unsigned long)disk.capacity, (unsigned long)(disk.capacity >> 11),
                    disk.flush ? ", flush" : ", write-through");
            return true;
        }
    }
    hyp_log("disk: no virtio-blk device found");
    return false;
}

uint64_t virtio_blk_capacity(void)
{
    return disk.ready ? disk.capacity : 0;
}

bool virtio_blk_flushes(void)
{
    return disk.flush;
}

static void chain(unsigned i, const volatile void *p, uint32_t len, uint16_t flags)
{
    desc[i] = (struct virtq_desc){ .addr = addr(p), .len = len, .flags = flags,
                                   .next = (uint16_t)(i + 1) };
}

bool virtio_blk_submit(enum blk_op op, uint64_t sector, uint8_t *buf, uint32_t len)
{
    if (!disk.ready) {
        return false;
    }
    hdr = (struct virtio_blk_req_hdr){
        .type = op == BLK_READ ? VIRTIO_BLK_T_IN : op == BLK_WRITE ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_FLUSH,
        .sector = sector,
    };
    status = 0xff;
    unsigned n = 0;
    chain(n++, &hdr, sizeof hdr, VIRTQ_DESC_F_NEXT);
    if (op != BLK_FLUSH) {
        chain(n++, buf, len, VIRTQ_DESC_F_NEXT | (op == BLK_READ ? VIRTQ_DESC_F_WRITE : 0));
    }
    chain(n, &status, 1, VIRTQ_DESC_F_WRITE);
    avail.ring[avail.idx % disk.qsize] = 0;
    ring_fence();
    avail.idx++;
    ring_fence();
    wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    return true;
}

bool virtio_blk_answered(enum blk_status *st)
{
    if (!disk.ready || *(volatile uint16_t *)&used.idx == disk.last_used) {
        return false;
    }
    ring_fence(); /* the status byte after the index that shows it written */
    disk.last_used++;
    /* Nobody takes this interrupt (it stays masked), but the device keeps its line up until told. */
    wr(VIRTIO_MMIO_INTERRUPT_ACK, rd(VIRTIO_MMIO_INTERRUPT_STATUS));
    *st = status == VIRTIO_BLK_S_OK ? BLK_OK : status == VIRTIO_BLK_S_UNSUPP ? BLK_UNSUPP : BLK_IOERR;
    return true;
}

bool virtio_blk_reset(void)
{
    if (!disk.probed || !disk.base) {
        return true;
    }
    /* Virtio 1.x, "Device Status Field" and virtio-mmio "Status": writing 0 resets the device, which
     * then forgets its queue; the reset is complete once the status reads 0 again, and only then may
     * the buffers of what was on the queue be used for anything else. */
    wr(VIRTIO_MMIO_STATUS, 0);
    if (rd(VIRTIO_MMIO_STATUS) != 0) {
        return false;
    }
    bool was_ready = disk.ready;
    disk.ready = setup(disk.base);
    if (was_ready && !disk.ready) {
        hyp_log("disk: the device did not come back from its reset: every later request fails");
    }
    return true;
}
