// SPDX-License-Identifier: MIT
// The completion of an emulated device access (hyp/mmio.h, inline in the device fast path): a
// load's value cut to its width and sign-extended by shifts, a store's value cut, x0 untouched.
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "mmio.h"

/* The reference: masks, as the emulation did before the shifts. */
static uint64_t ref_load(uint64_t val, unsigned width, bool sext)
{
    if (width == 8) {
        return val;
    }
    uint64_t mask = (1ull << (8 * width)) - 1, sign = 1ull << (8 * width - 1);
    val &= mask;
    return (sext && (val & sign)) ? val | ~mask : val;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

TEST(load_widths_and_signs_match_masks)
{
    static const uint64_t vals[] = { 0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff,
                                     0x80000000, 0xffffffff, 0x8000000000000000ull, ~0ull };
    for (unsigned w = 1; w <= 8; w *= 2) {
        for (int s = 0; s < 2; s++) {
            for (unsigned i = 0; i < sizeof vals / sizeof vals[0] + 2000; i++) {
                uint64_t v = i < sizeof vals / sizeof vals[0] ? vals[i] : next();
                struct vcpu_arch a;
                struct mmio_insn in = { .len = 4, .store = false, .width = (uint8_t)w,
                                        .sign_extend = s && w < 8, .reg = 15 };
                memset(&a, 0, sizeof a);
                mmio_complete(&a, &in, v, 0x1000);
                CHECK_EQ(a.regs.x[15], ref_load(v, w, s && w < 8));
                CHECK_EQ(a.regs.sepc, 0x1004);
            }
        }
    }
}

TEST(store_value_is_cut_to_width)
{
    for (unsigned i = 0; i < 4000; i++) {
        uint64_t v = next();
        unsigned w = 1u << (i & 3);
        struct vcpu_arch a;
        struct mmio_insn in = { .len = 2, .store = true, .width = (uint8_t)w, .reg = 9 };
        memset(&a, 0, sizeof a);
        a.regs.x[9] = v;
        CHECK_EQ(mmio_store_value(&a, &in), ref_load(v, w, false));
        /* A store completes by stepping over the instruction only. */
        mmio_complete(&a, &in, 0x55, 0x2000);
        CHECK_EQ(a.regs.x[9], v);
        CHECK_EQ(a.regs.sepc, 0x2002);
    }
}

TEST(x0_stays_zero)
{
    struct vcpu_arch a;
    struct mmio_insn in = { .len = 4, .store = false, .width = 1, .reg = 0 };
    memset(&a, 0, sizeof a);
    mmio_complete(&a, &in, 0xff, 0);
    CHECK_EQ(a.regs.x[0], 0);
    in.store = true;
    a.regs.x[0] = 0x1234; /* never written by the engine; reads as zero regardless */
    CHECK_EQ(mmio_store_value(&a, &in), 0);
}
