// SPDX-License-Identifier: MIT
// The guest fuzzer's device accesses: UART, PLIC and virtio-blk registers, and whole virtio-blk sessions.
#include "fuzz_int.h"

/* ---- devices ---- */

/* A value for a 32-bit queue address register: the queue area, or (with the high half zero) an
 * address below or above RAM. Never a truncated 64-bit one: its low half may well be RAM. */
uint64_t vq_addr(uint64_t base)
{
    if (!chance(8)) {
        return base + (chance(16) ? 8 * below(2) : 0);
    }
    switch (below(4)) {
        case 0:
            return below(0x2000);
        case 1:
            return fz_ram_base - 0x1000 - (below(0x10000) & ~0xful);
        case 2:
            return ram_end + (below(0x100000) & ~0xful);
        default:
            return 0xfffff000ul + (below(0x1000) & ~0xful);
    }
}

void vq_sanitize(void)
{
    /* Whatever the device was told, what it finds at the queue addresses only names junk. */
    uint64_t *d = (uint64_t *)J_VQ;
    for (unsigned i = 0; i < 2 * 4096 / 16; i++) {
        uint64_t len = chance(4) ? below(0x2000) : 16;
        d[2 * i] = chance(8) ? bad_addr(len) : junk_addr(len, 1);
        d[2 * i + 1] = len | (below(8) << 32) | (below(160) << 48);
    }
    for (unsigned i = 0; i < 4096 / 8; i++) {
        ((uint64_t *)(J_VQ + 0x2000))[i] = chance(2) ? rnd() & 0x007f007f007f007full : rnd();
    }
}

uint32_t vblk_value(unsigned off)
{
    switch (off) {
        case VIRTIO_MMIO_QUEUE_DESC_LOW:
            return (uint32_t)vq_addr(J_VQ + 0x1000 * below(2));
        case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
            return (uint32_t)vq_addr(J_VQ + 0x2000);
        case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
            return (uint32_t)vq_addr(J_VQ + 0x3000);
        case VIRTIO_MMIO_QUEUE_DESC_HIGH:
        case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
        case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
            return chance(8) ? (uint32_t)rnd() : 0;
        case VIRTIO_MMIO_QUEUE_NUM:
            return chance(4) ? (uint32_t)rnd() : 1u << below(9);
        default:
            return chance(2) ? (uint32_t)rnd() : (uint32_t)below(256);
    }
}

void mmio(uint64_t addr, unsigned width, bool store, uint64_t val)
{
    static const uint32_t ld[] = {
        0x0002c003, 0x0002d003, 0x0002e003, 0x0002b003
    }; /* lbu lhu lwu ld */
    static const uint32_t st[] = {
        0x00628023, 0x00629023, 0x0062a023, 0x0062b023
    }; /* sb sh sw sd */
    unsigned k = width == 1 ? 0 : width == 2 ? 1 : width == 4 ? 2 : 3;
    uint32_t w;

    regs_fill(false);
    fz_regs[5] = fz_regs[8] = addr;
    fz_regs[6] = fz_regs[9] = val;
    if (store) {
        w = st[k];
    } else {
        w = ld[k] | ((uint32_t)below(32) << 7); /* any destination, x0 and sp included */
        if (chance(4) && width < 8) {
            w &= ~0x4000u; /* the sign-extending form */
        }
    }
    if (chance(4) && (width == 4 || width == 8)) {
        /* c.lw/c.ld/c.sw/c.sd with x8 as base, x9 as data */
        uint32_t c = (width == 4 ? 0x4000u : 0x6000u) | (store ? 0x8000u : 0) | (1u << 2);
        if (!store) {
            c = (c & ~(7u << 2)) | ((uint32_t)below(8) << 2);
        }
        w = c | (0x0001u << 16);
    }
    slot_run(w, 0x13, 0x13);
    if (store) {
        regs_check(0);
    } else {
        regs_check((w & 3) == 3 ? 1u << ((w >> 7) & 31) : 1u << (8 + ((w >> 2) & 7)));
    }
}

void op_mmio(void)
{
    bool store = chance(2);
    uint64_t val = rval();

    if (fatal && chance(64)) {
        mmio(rnd() & 0x7ffffff8ul, 1u << below(4), store, val);
        return;
    }
    switch (below(3)) {
        case 1:
            if (has_plic) {
                static const uint64_t regions[][2] = { { 0, 0x1000 },
                                                       { 0x1000, 0x80 },
                                                       { 0x2000, 0x200 },
                                                       { 0x200000, 0x3000 },
                                                       { 0, 0x600000 } };
                unsigned r = (unsigned)below(5);
                mmio(PLIC + ((regions[r][0] + below(regions[r][1])) & ~3ul), 4, store, val);
                break;
            }
            /* fall through */
        case 0: {
            unsigned width = 1u << below(4);
            mmio(UART + (below(8) & ~(uint64_t)(width - 1)), width, store, val);
            break;
        }
        default: {
            if (!has_vblk) {
                break;
            }
            unsigned off = (unsigned)below(0x100) & ~3u;
            unsigned width = 4;
            if (chance(4)) {
                width = 1u << below(4);
                off = (0x100 + (unsigned)below(0xf00)) & ~(width - 1);
            }
            if (store && off == VIRTIO_MMIO_QUEUE_NOTIFY) {
                vq_sanitize();
            }
            mmio(VBLK + off, width, store, off < 0x100 ? vblk_value(off) : val);
            break;
        }
    }
}

/* A whole virtio-blk bring-up with a random step skipped or spoiled, then requests. */
void op_vblk_session(void)
{
    static const uint16_t steps[][2] = {
        { VIRTIO_MMIO_STATUS, 0 },
        { VIRTIO_MMIO_STATUS, 3 },
        { VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1 },
        { VIRTIO_MMIO_DRIVER_FEATURES, 1 },
        { VIRTIO_MMIO_STATUS, 11 },
        { VIRTIO_MMIO_QUEUE_SEL, 0 },
        { VIRTIO_MMIO_QUEUE_NUM, 0 },
        { VIRTIO_MMIO_QUEUE_DESC_LOW, 0 },
        { VIRTIO_MMIO_QUEUE_DESC_HIGH, 0 },
        { VIRTIO_MMIO_QUEUE_DRIVER_LOW, 0 },
        { VIRTIO_MMIO_QUEUE_DRIVER_HIGH, 0 },
        { VIRTIO_MMIO_QUEUE_DEVICE_LOW, 0 },
        { VIRTIO_MMIO_QUEUE_DEVICE_HIGH, 0 },
        { VIRTIO_MMIO_QUEUE_READY, 1 },
        { VIRTIO_MMIO_STATUS, 15 },
    };
    uint64_t spoil = chance(2) ? below(sizeof(steps) / sizeof(steps[0])) : ~0ul;

    for (unsigned i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        unsigned off = steps[i][0];
        uint32_t v = steps[i][1];
        if (i == spoil && chance(2)) {
            continue;
        }
        if (off == VIRTIO_MMIO_QUEUE_NUM || off == VIRTIO_MMIO_QUEUE_DESC_LOW ||
            off == VIRTIO_MMIO_QUEUE_DRIVER_LOW || off == VIRTIO_MMIO_QUEUE_DEVICE_LOW ||
            i == spoil) {
            v = vblk_value(off);
        }
        mmio(VBLK + off, 4, true, v);
    }
    for (unsigned k = 1 + (unsigned)below(3); k > 0; k--) {
        vq_sanitize();
        mmio(VBLK + VIRTIO_MMIO_QUEUE_NOTIFY, 4, true, chance(8) ? rnd() : 0);
        mmio(VBLK + VIRTIO_MMIO_INTERRUPT_ACK, 4, true, below(4));
    }
}
