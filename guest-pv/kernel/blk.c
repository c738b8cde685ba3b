// SPDX-License-Identifier: MIT
// The block driver. The pv flavour hands a whole batch of requests to the hypervisor in one call
// (HV_FID_BLK_SUBMIT); the fv flavour drives the virtio-mmio block device its device tree names, as it
// would on a board: descriptors in a split virtqueue, one notify per batch, completion read from the
// used ring. Both take the same struct hv_blk_req, so the workloads above them are identical.
#include "guest.h"
#include "virtio.h"

uint64_t blk_sectors;

#ifdef GUEST_FLAVOUR_pv
int blk_init(void)
{
    struct sbiret r = sbi_call(HV_EXT, HV_FID_PROBE, 0, 0, 0, 0, 0, 0);

    if (r.error || !(r.value & HV_FEAT_BLK)) {
        return -1;
    }
    r = sbi_call(HV_EXT, HV_FID_BLK_CTL, HV_BLK_CTL_CAPACITY, 0, 0, 0, 0, 0);
    blk_sectors = r.error ? 0 : (uint64_t)r.value;
    return r.error ? -1 : 0;
}

unsigned blk_submit(struct hv_blk_req *reqs, unsigned n)
{
    unsigned done = 0;

    /* The hypervisor takes at most HV_BLK_BATCH_MAX per call and says how many it did; while the
     * host disk works on a request it answers with fewer (none, even), and the next call, with the
     * rest of the array, picks up its result. */
    while (done < n) {
        struct sbiret r =
            sbi_call(HV_EXT, HV_FID_BLK_SUBMIT, (unsigned long)(reqs + done), n - done, 0, 0, 0, 0);
        done += (unsigned)r.value;
        if (r.error) {
            break;
        }
    }
    /* The work is done when the call returns: we do not wait for the completion interrupt, so we
     * neither enable nor acknowledge it (that would cost a second call per batch). */
    return done;
}
#else
#define QNUM 64 /* 21 three-descriptor requests per batch */

static volatile uint32_t *regs;
static struct virtq_desc desc[QNUM] __attribute__((aligned(16)));
static struct {
    uint16_t flags, idx, ring[QNUM], used_event;
} avail __attribute__((aligned(2)));
static struct {
    uint16_t flags, idx;
    struct virtq_used_elem ring[QNUM];
    uint16_t avail_event;
} used __attribute__((aligned(4)));
static struct virtio_blk_req_hdr hdrs[QNUM / 3];
static uint8_t status[QNUM / 3];
static uint16_t last_used;

static uint32_t rd(unsigned off)
{
    return regs[off / 4];
}

static void wr(unsigned off, uint32_t v)
{
    regs[off / 4] = v;
}

/* Our writes to the rings before the device's reads, and the device's writes before our reads. */
static void fence(void)
{
    __asm__ volatile("fence iorw, iorw" ::: "memory");
}

static void set_addr(unsigned low, const volatile void *p)
{
    wr(low, (uint32_t)(uint64_t)p);
    wr(low + 4, (uint32_t)((uint64_t)p >> 32));
}

/* Virtio 1.x, "Device Initialization". */
static int setup(void)
{
    wr(VIRTIO_MMIO_STATUS, 0);
    wr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    if (!(rd(VIRTIO_MMIO_DEVICE_FEATURES) & 1)) {
        return -1; /* no VIRTIO_F_VERSION_1 */
    }
    wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    wr(VIRTIO_MMIO_DRIVER_FEATURES, 1);
    wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    wr(VIRTIO_MMIO_DRIVER_FEATURES, rd(VIRTIO_MMIO_DEVICE_FEATURES) & (1u << VIRTIO_BLK_F_FLUSH));
    wr(VIRTIO_MMIO_STATUS,
       VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
    if (!(rd(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK)) {
        return -1;
    }
    wr(VIRTIO_MMIO_QUEUE_SEL, 0);
    if (rd(VIRTIO_MMIO_QUEUE_NUM_MAX) < QNUM) {
        return -1;
    }
    wr(VIRTIO_MMIO_QUEUE_NUM, QNUM);
    set_addr(VIRTIO_MMIO_QUEUE_DESC_LOW, desc);
    set_addr(VIRTIO_MMIO_QUEUE_DRIVER_LOW, &avail);
    set_addr(VIRTIO_MMIO_QUEUE_DEVICE_LOW, &used);
    wr(VIRTIO_MMIO_QUEUE_READY, 1);
    blk_sectors = rd(VIRTIO_MMIO_CONFIG) | (uint64_t)rd(VIRTIO_MMIO_CONFIG + 4) << 32;
    wr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                               VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
    return 0;
}

int blk_init(void)
{
    for (unsigned i = 0; i < guest_platform.nvirtio; i++) {
        regs = (volatile uint32_t *)guest_platform.virtio[i].base;
        if (rd(VIRTIO_MMIO_MAGIC) == VIRTIO_MMIO_MAGIC_VALUE && rd(VIRTIO_MMIO_VERSION) == 2 &&
            rd(VIRTIO_MMIO_DEVICE_ID) == VIRTIO_ID_BLOCK) {
            return setup();
        }
    }
    regs = (volatile uint32_t *)0;
    return -1;
}

uint32_t blk_raw(const struct virtq_desc *chain, unsigned n, uint16_t head)
{
    for (unsigned i = 0; i < n && i < QNUM; i++) {
        desc[i] = chain[i];
    }
    avail.ring[avail.idx % QNUM] = head;
    fence();
    avail.idx++;
    fence();
    wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    /* The hypervisor's device finishes before the notify returns; a real one may take a while. */
    while (*(volatile uint16_t *)&used.idx == last_used) {
    }
    fence();
    uint32_t len = used.ring[last_used % QNUM].len;
    last_used++;
    return len; /* the interrupt stays up: the caller looks at it */
}

uint32_t blk_device_status(void)
{
    return regs ? rd(VIRTIO_MMIO_STATUS) : 0;
}

/* Up to QNUM / 3 requests at once: header, data, status each; one notify for all of them. */
static unsigned submit_some(struct hv_blk_req *reqs, unsigned n)
{
    static const uint32_t type[] = { [HV_BLK_READ] = VIRTIO_BLK_T_IN, [HV_BLK_WRITE] = VIRTIO_BLK_T_OUT,
                                     [HV_BLK_FLUSH] = VIRTIO_BLK_T_FLUSH };
    for (unsigned k = 0; k < n; k++) {
        uint16_t d = (uint16_t)(3 * k);
        hdrs[k] = (struct virtio_blk_req_hdr){ reqs[k].op <= HV_BLK_FLUSH ? type[reqs[k].op] : ~0u, 0,
                                               reqs[k].sector };
        status[k] = 0xff;
        desc[d] = (struct virtq_desc){ (uint64_t)&hdrs[k], sizeof hdrs[k], VIRTQ_DESC_F_NEXT,
                                       (uint16_t)(d + 1) };
        desc[d + 1] = (struct virtq_desc){ reqs[k].buf, (uint32_t)reqs[k].len,
                                           VIRTQ_DESC_F_NEXT |
                                               (reqs[k].op == HV_BLK_READ ? VIRTQ_DESC_F_WRITE : 0),
                                           (uint16_t)(d + 2) };
        desc[d + 2] = (struct virtq_desc){ (uint64_t)&status[k], 1, VIRTQ_DESC_F_WRITE, 0 };
        if (reqs[k].op == HV_BLK_FLUSH) {
            desc[d].next = (uint16_t)(d + 2); /* no data */
        }
        avail.ring[(avail.idx + k) % QNUM] = d;
    }
    fence();
    avail.idx = (uint16_t)(avail.idx + n);
    fence();
    wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    while ((uint16_t)(*(volatile uint16_t *)&used.idx - last_used) < n) {
    }
    fence();
    last_used = (uint16_t)(last_used + n);
    wr(VIRTIO_MMIO_INTERRUPT_ACK, rd(VIRTIO_MMIO_INTERRUPT_STATUS));
    unsigned ok = 0;
    for (unsigned k = 0; k < n; k++) {
        reqs[k].status = status[k];
        ok += ok == k && status[k] == VIRTIO_BLK_S_OK;
    }
    return ok;
}

unsigned blk_submit(struct hv_blk_req *reqs, unsigned n)
{
    unsigned done = 0;

    if (!regs) {
        return 0;
    }
    while (done < n) {
        unsigned k = n - done < QNUM / 3 ? n - done : QNUM / 3;
        unsigned ok = submit_some(reqs + done, k);
        done += ok;
        if (ok < k) {
            break;
        }
    }
    return done;
}
#endif
