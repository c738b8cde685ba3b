// SPDX-License-Identifier: MIT
// Block test guest: the block workload (the same checksum in both flavours), then malformed requests
// (addresses outside RAM, lengths that wrap, loops in descriptor chains, sectors past the disk), each of
// which must end in an I/O error while the device, the guest and the hypervisor carry on.
#include "guest.h"
#include "virtio.h"

#define BLOCKS 256
#define PLIC_PENDING 0x1000

static unsigned failures;
static uint8_t data[4096] __attribute__((aligned(4096)));

static void expect(const char *what, long got, long want)
{
    if (got == want) {
        kprintf("blktest: %s: ok\n", what);
    } else {
        kprintf("blktest: %s: FAIL (got %ld, want %ld)\n", what, got, want);
        failures++;
    }
}

static uint64_t ram_end(void)
{
    return guest_platform.mem[0].base + guest_platform.mem[0].size;
}

/* Whether the PLIC has source src pending (the device's or the batch's completion interrupt). */
static long plic_pending(unsigned src)
{
    if (!guest_platform.plic.dev.present) {
        return -1;
    }
    volatile uint32_t *p = (volatile uint32_t *)(guest_platform.plic.dev.base + PLIC_PENDING);
    return (*p >> src) & 1;
}

/* A good write and read-back after the bad ones: the disk still works. */
static void still_works(void)
{
    struct hv_blk_req r[2];
    for (unsigned i = 0; i < sizeof data; i++) {
        data[i] = (uint8_t)(i ^ 0x5a);
    }
    r[0] = (struct hv_blk_req){ HV_BLK_WRITE, 0xff, blk_sectors - 8, (uint64_t)data, sizeof data };
    r[1] = (struct hv_blk_req){ HV_BLK_READ, 0xff, blk_sectors - 8, (uint64_t)data, sizeof data };
    expect("good requests after the bad ones", blk_submit(r, 2), 2);
    expect("their status", r[1].status, HV_BLK_OK);
    expect("their data", data[4095], (uint8_t)(4095 ^ 0x5a));
}

#ifdef GUEST_FLAVOUR_pv
static void bad_request(const char *what, struct hv_blk_req r, long want_err, unsigned want_status)
{
    static struct hv_blk_req one;
    char name[96];

    one = r;
    one.status = 0xff;
    struct sbiret ret = sbi_call(HV_EXT, HV_FID_BLK_SUBMIT, (unsigned long)&one, 1, 0, 0, 0, 0);
    fmt_snprintf(name, sizeof name, "%s: error", what);
    expect(name, ret.error, want_err);
    fmt_snprintf(name, sizeof name, "%s: status", what);
    expect(name, one.status, want_status);
}

static void malformed(void)
{
    uint64_t buf = (uint64_t)data, end = ram_end();

    bad_request("buffer outside RAM", (struct hv_blk_req){ HV_BLK_READ, 0, 0, 0x1000, 512 }, SBI_ERR_IO,
                HV_BLK_IOERR);
    bad_request("buffer past the end of RAM",
                (struct hv_blk_req){ HV_BLK_READ, 0, 0, end - 512, 1024 }, SBI_ERR_IO, HV_BLK_IOERR);
    bad_request("length that wraps", (struct hv_blk_req){ HV_BLK_WRITE, 0, 0, ~0ul - 511, 1024 },
                SBI_ERR_IO, HV_BLK_IOERR);
    bad_request("huge length", (struct hv_blk_req){ HV_BLK_WRITE, 0, 0, buf, ~0ul - 511 }, SBI_ERR_IO,
                HV_BLK_IOERR);
    bad_request("length not whole sectors", (struct hv_blk_req){ HV_BLK_WRITE, 0, 0, buf, 700 },
                SBI_ERR_IO, HV_BLK_IOERR);
    bad_request("sectors beyond the disk",
                (struct hv_blk_req){ HV_BLK_READ, 0, blk_sectors - 1, buf, 1024 }, SBI_ERR_IO,
                HV_BLK_IOERR);
    bad_request("sector far beyond the disk", (struct hv_blk_req){ HV_BLK_READ, 0, ~0ul - 1, buf, 1024 },
                SBI_ERR_IO, HV_BLK_IOERR);
    bad_request("unknown operation", (struct hv_blk_req){ 9, 0, 0, buf, 512 }, SBI_ERR_IO, HV_BLK_UNSUPP);
    /* The request array itself. */
    expect("array outside RAM", sbi_call(HV_EXT, HV_FID_BLK_SUBMIT, 0x1000, 1, 0, 0, 0, 0).error,
           SBI_ERR_INVALID_ADDRESS);
    expect("array running off the end of RAM",
           sbi_call(HV_EXT, HV_FID_BLK_SUBMIT, end - 16, 2, 0, 0, 0, 0).error, SBI_ERR_INVALID_ADDRESS);
    expect("array at a wrapping address",
           sbi_call(HV_EXT, HV_FID_BLK_SUBMIT, ~0ul - 15, 64, 0, 0, 0, 0).error, SBI_ERR_INVALID_ADDRESS);
    expect("misaligned array", sbi_call(HV_EXT, HV_FID_BLK_SUBMIT, buf + 4, 1, 0, 0, 0, 0).error,
           SBI_ERR_INVALID_ADDRESS);
    expect("unknown control", sbi_call(HV_EXT, HV_FID_BLK_CTL, 99, 0, 0, 0, 0, 0).error,
           SBI_ERR_INVALID_PARAM);
    /* A batch raises the completion interrupt; acknowledging lowers it. */
    if (guest_platform.plic.dev.present) {
        static struct hv_blk_req f = { .op = HV_BLK_FLUSH };
        sbi_call(HV_EXT, HV_FID_BLK_CTL, HV_BLK_CTL_ACK, 0, 0, 0, 0, 0);
        expect("completion interrupt quiet", plic_pending(HV_BLK_IRQ), 0);
        blk_submit(&f, 1); /* a host disk's flush may take more than one call */
        expect("completion interrupt pending", plic_pending(HV_BLK_IRQ), 1);
        sbi_call(HV_EXT, HV_FID_BLK_CTL, HV_BLK_CTL_ACK, 0, 0, 0, 0, 0);
        expect("completion interrupt acknowledged", plic_pending(HV_BLK_IRQ), 0);
    }
}
#else
static struct virtio_blk_req_hdr hdr;
static volatile uint8_t status;

static uint32_t raw3(uint32_t type, uint64_t sector, uint64_t addr, uint32_t len, uint16_t flags)
{
    hdr = (struct virtio_blk_req_hdr){ type, 0, sector };
    status = 0xee;
    const struct virtq_desc chain[3] = {
        { (uint64_t)&hdr, sizeof hdr, VIRTQ_DESC_F_NEXT, 1 },
        { addr, len, (uint16_t)(VIRTQ_DESC_F_NEXT | flags), 2 },
        { (uint64_t)&status, 1, VIRTQ_DESC_F_WRITE, 0 },
    };
    return blk_raw(chain, 3, 0);
}

static void bad_chain(const char *what, uint32_t used_len, long want_len, long want_status)
{
    char name[96];

    fmt_snprintf(name, sizeof name, "%s: used length", what);
    expect(name, used_len, want_len);
    fmt_snprintf(name, sizeof name, "%s: status", what);
    expect(name, status, want_status);
}

static void malformed(void)
{
    uint64_t buf = (uint64_t)data, end = ram_end();
    volatile uint32_t *regs = (volatile uint32_t *)guest_platform.virtio[0].base;

    bad_chain("data outside RAM", raw3(VIRTIO_BLK_T_OUT, 0, 0x1000, 512, 0), 1, VIRTIO_BLK_S_IOERR);
    bad_chain("data past the end of RAM", raw3(VIRTIO_BLK_T_IN, 0, end - 512, 1024, VIRTQ_DESC_F_WRITE),
              1, VIRTIO_BLK_S_IOERR);
    bad_chain("length that wraps", raw3(VIRTIO_BLK_T_IN, 0, buf, 0xfffffe00u, VIRTQ_DESC_F_WRITE), 1,
              VIRTIO_BLK_S_IOERR);
    bad_chain("address that wraps", raw3(VIRTIO_BLK_T_OUT, 0, ~0ul - 511, 1024, 0), 1,
              VIRTIO_BLK_S_IOERR);
    bad_chain("sectors beyond the disk", raw3(VIRTIO_BLK_T_IN, blk_sectors - 1, buf, 1024,
                                              VIRTQ_DESC_F_WRITE),
              1, VIRTIO_BLK_S_IOERR);
    bad_chain("sector far beyond the disk", raw3(VIRTIO_BLK_T_IN, ~0ul - 1, buf, 1024, VIRTQ_DESC_F_WRITE),
              1, VIRTIO_BLK_S_IOERR);
    bad_chain("indirect descriptor (not offered)",
              raw3(VIRTIO_BLK_T_OUT, 0, buf, 512, VIRTQ_DESC_F_INDIRECT), 1, VIRTIO_BLK_S_IOERR);
    /* A loop: header -> status -> status ... */
    hdr = (struct virtio_blk_req_hdr){ VIRTIO_BLK_T_OUT, 0, 0 };
    status = 0xee;
    const struct virtq_desc loop[2] = {
        { (uint64_t)&hdr, sizeof hdr, VIRTQ_DESC_F_NEXT, 1 },
        { (uint64_t)&status, 1, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1 },
    };
    bad_chain("loop in the chain", blk_raw(loop, 2, 0), 1, VIRTIO_BLK_S_IOERR);
    status = 0xee;
    bad_chain("head past the table", blk_raw(loop, 0, 500), 0, 0xee);
    expect("device does not ask for a reset", blk_device_status() & VIRTIO_STATUS_NEEDS_RESET, 0);
    /* The used-buffer interrupt reaches the PLIC (source 1) and is withdrawn by InterruptACK. */
    expect("interrupt status", regs[VIRTIO_MMIO_INTERRUPT_STATUS / 4], VIRTIO_INT_USED);
    expect("interrupt pending at the PLIC", plic_pending(1), 1);
    regs[VIRTIO_MMIO_INTERRUPT_ACK / 4] = VIRTIO_INT_USED;
    expect("interrupt acknowledged", plic_pending(1), 0);
}
#endif

/* blktest=slow: the host disk is throttled below what the hypervisor's timeout allows for a burst
 * (tests/e2e/test_blk.py): a request that times out fails alone, and the disk works again. Each
 * round writes four blocks in one batch, which the throttle cannot take in time, then writes one
 * block alone and reads it back alone, each after a pause of 0.7 s (QEMU virt's timer runs at
 * 10 MHz) in which the throttle catches up, tried again after another pause if the other guest's
 * burst was in the way. */
static void pause(void)
{
    for (uint64_t t0 = csr_time(); csr_time() - t0 < 7000000;) {
    }
}

/* One request alone, after a pause, up to ten times; counts the timeouts on the way. */
static bool alone(struct hv_blk_req r, unsigned *timeouts)
{
    for (unsigned tries = 0; tries < 10; tries++) {
        pause();
        struct hv_blk_req one = r;
        if (blk_submit(&one, 1) == 1) {
            return true;
        }
        *timeouts += one.status == HV_BLK_IOERR;
    }
    return false;
}

static void slow_disk(void)
{
    static uint8_t blocks[4][512], back[512];
    unsigned timeouts = 0, worked = 0, wrong = 0;

    for (unsigned round = 0; round < 3; round++) {
        struct hv_blk_req w[4];
        for (unsigned k = 0; k < 4; k++) {
            for (unsigned i = 0; i < 512; i++) {
                blocks[k][i] = (uint8_t)(i + 3 * k + 7 * round + 1);
            }
            w[k] = (struct hv_blk_req){ HV_BLK_WRITE, 0xff, 16 + k, (uint64_t)blocks[k], 512 };
        }
        unsigned done = blk_submit(w, 4);
        /* Those done are on the disk; the pv flavour stops at the first that failed, the fv one
         * posts all four and each may fail on its own. */
        for (unsigned k = done; k < 4; k++) {
            timeouts += w[k].status == HV_BLK_IOERR;
        }
        kprintf("blktest: round %u: %u of 4 writes done\n", round, done);
        for (unsigned i = 0; i < 512; i++) {
            back[i] = 0;
        }
        if (alone((struct hv_blk_req){ HV_BLK_WRITE, 0xff, 40 + round, (uint64_t)blocks[3], 512 },
                  &timeouts) &&
            alone((struct hv_blk_req){ HV_BLK_READ, 0xff, 40 + round, (uint64_t)back, 512 }, &timeouts)) {
            worked++;
            for (unsigned i = 0; i < 512; i++) {
                wrong += back[i] != blocks[3][i];
            }
        }
    }
    kprintf("blktest: slow disk: %u requests timed out, %u of 3 written and read back after them, "
            "%u bytes wrong\n", timeouts, worked, wrong);
}

void guest_main(unsigned long hartid, unsigned long dtb)
{
    (void)hartid;
    (void)dtb;
    unsigned bad;

    kprintf("blktest: %s flavour\n", GUEST_FLAVOUR);
    if (blk_init() != 0) {
        kprintf("blktest: FAIL: no disk\n");
        return;
    }
    kprintf("blktest: disk of %lu sectors\n", (unsigned long)blk_sectors);
    const char *mode = bootarg("blktest");
    if (mode && mode[0] == 's') {
        slow_disk();
        return;
    }
    /* A disk made from this guest's own image (configs/blk.c, "ram") starts with our first page. */
    struct hv_blk_req first = { HV_BLK_READ, 0xff, 0, (uint64_t)data, sizeof data };
    expect("first block read", blk_submit(&first, 1), 1);
    bool same = true;
    for (unsigned i = 0; i < sizeof data; i++) {
        same &= data[i] == ((const uint8_t *)guest_platform.mem[0].base)[i];
    }
    kprintf("blktest: disk starts with this guest's image: %s\n", same ? "yes" : "no");
    uint64_t sum = wl_blk(BLOCKS, &bad);
    kprintf("blk: wrote %u blocks, read %u blocks, checksum 0x%016lx\n", BLOCKS, BLOCKS,
            (unsigned long)sum);
    expect("blocks read back as written", bad, 0);
    expect("workload completed", sum != 0, 1);
    malformed();
    still_works();
    kprintf("blktest: %u failures\n", failures);
}
