// SPDX-License-Identifier: MIT
// Unit tests for the emulated PLIC: register map, gateways, claim/complete, notify, bad input.
#include "check.h"
#include "dev/vplic.h"

#include <stdint.h>

#define PRIO(s) (4u * (s))
#define PENDING 0x1000u
#define ENABLE(c) (0x2000u + 0x80u * (c))
#define THRESHOLD(c) (0x200000u + 0x1000u * (c))
#define CLAIM(c) (0x200004u + 0x1000u * (c))

/* What the PLIC told each context through notify. */
struct rec {
    bool level[VPLIC_MAX_CTX];
    unsigned calls[VPLIC_MAX_CTX];
    unsigned total;
    unsigned repeats; /* notifications that repeated the previous value: must stay 0 */
    unsigned bad_ctx; /* notifications for contexts that do not exist: must stay 0 */
    unsigned nctx;
};

static void rec_notify(void *ctx, unsigned context, bool pending)
{
    struct rec *r = ctx;
    r->total++;
    if (context >= r->nctx) {
        r->bad_ctx++;
        return;
    }
    if (r->level[context] == pending) {
        r->repeats++;
    }
    r->level[context] = pending;
    r->calls[context]++;
}

static void setup(struct vplic *p, struct rec *r, unsigned nctx)
{
    memset(r, 0, sizeof *r);
    r->nctx = nctx > VPLIC_MAX_CTX ? VPLIC_MAX_CTX : nctx;
    struct vplic_ops ops = { .notify = rec_notify, .ctx = r };
    vplic_init(p, nctx, &ops);
}

static uint32_t rd(struct vplic *p, uint64_t off)
{
    uint64_t v = 0xdeadbeefcafeull;
    CHECK(vplic_mmio(p, off, 4, false, &v));
    CHECK(v <= UINT32_MAX);
    return (uint32_t)v;
}

static void wr(struct vplic *p, uint64_t off, uint64_t val)
{
    CHECK(vplic_mmio(p, off, 4, true, &val));
}

TEST(vplic_reset_and_clamp)
{
    struct vplic p;
    struct rec r;
    setup(&p, &r, 100);
    CHECK_EQ(p.nctx, VPLIC_MAX_CTX);
    for (unsigned s = 0; s < VPLIC_SOURCES; s++) {
        CHECK_EQ(rd(&p, PRIO(s)), 0);
    }
    CHECK_EQ(rd(&p, PENDING), 0);
    for (unsigned c = 0; c < VPLIC_MAX_CTX; c++) {
        CHECK_EQ(rd(&p, ENABLE(c)), 0);
        CHECK_EQ(rd(&p, THRESHOLD(c)), 0);
        CHECK_EQ(rd(&p, CLAIM(c)), 0);
    }
    CHECK_EQ(r.total, 0);
    vplic_init(&p, 2, NULL); /* no callback: must not crash */
    CHECK_EQ(p.nctx, 2);
    wr(&p, PRIO(1), 1);
    wr(&p, ENABLE(0), 2);
    vplic_set_level(&p, 1, true);
    CHECK(p.notified[0]);
    CHECK_EQ(rd(&p, CLAIM(0)), 1);
}

TEST(vplic_priority_warl)
{
    struct vplic p;
    struct rec r;
    setup(&p, &r, 1);
    wr(&p, PRIO(1), 0xffffffff);
    CHECK_EQ(rd(&p, PRIO(1)), VPLIC_PRIO_MAX);
    wr(&p, PRIO(2), 0x13);
    CHECK_EQ(rd(&p, PRIO(2)), 3);
    wr(&p, PRIO(31), 5);
    CHECK_EQ(rd(&p, PRIO(31)), 5);
    wr(&p, PRIO(0), 7); /* source 0 is reserved */
    CHECK_EQ(rd(&p, PRIO(0)), 0);
    CHECK_EQ(p.priority[0], 0);
    wr(&p, PRIO(32), 7); /* beyond the implemented sources */
    CHECK_EQ(rd(&p, PRIO(32)), 0);
    CHECK_EQ(rd(&p, 0xffc), 0);
    wr(&p, PRIO(1), 0);
    CHECK_EQ(rd(&p, PRIO(1)), 0);
}

TEST(vplic_pending_read_only)
{
    struct vplic p;
    struct rec r;
    setup(&p, &r, 1);
    vplic_set_level(&p, 3, true);
    vplic_set_level(&p, 31, true);
    CHECK_EQ(rd(&p, PENDING), (1u << 3) | (1u << 31));
    wr(&p, PENDING, 0);
    CHECK_EQ(rd(&p, PENDING), (1u << 3) | (1u << 31));
    wr(&p, PENDING, 0xffffffff);
    CHECK_EQ(rd(&p, PENDING), (1u << 3) | (1u << 31));
    CHECK_EQ(rd(&p, PENDING + 4), 0);
    vplic_set_level(&p, 0, true); /* source 0 and out-of-range sources are ignored */
    vplic_set_level(&p, 32, true);
    vplic_set_level(&p, ~0u, true);
    CHECK_EQ(rd(&p, PENDING), (1u << 3) | (1u << 31));
    CHECK_EQ(r.total, 0); /* nothing enabled, nothing notified */
}

TEST(vplic_enable_bits)
{
    struct vplic p;
    struct rec r;
    setup(&p, &r, 2);
    wr(&p, ENABLE(0), 0xffffffff);
    CHECK_EQ(rd(&p, ENABLE(0)), 0xfffffffe); /* bit 0 reads zero */
    wr(&p, ENABLE(1), 0x12);
    CHECK_EQ(rd(&p, ENABLE(1)), 0x12);
    CHECK_EQ(rd(&p, ENABLE(0)), 0xfffffffe);
    wr(&p, ENABLE(0) + 4, 0xffffffff); /* word 1: no sources there */
    CHECK_EQ(rd(&p, ENABLE(0) + 4), 0);
    wr(&p, ENABLE(2), 0xffffffff); /* context 2 does not exist */
    CHECK_EQ(rd(&p, ENABLE(2)), 0);
    CHECK_EQ(p.enable[2], 0);
    wr(&p, ENABLE(0), 1u << 0 | 1u << 5);
    CHECK_EQ(rd(&p, ENABLE(0)), 1u << 5);
}

TEST(vplic_threshold)
{
    struct vplic p;
    struct rec r;
    setup(&p, &r, 1);
    wr(&p, THRESHOLD(0), 0xff);
    CHECK_EQ(rd(&p, THRESHOLD(0)), VPLIC_PRIO_MAX);
    wr(&p, THRESHOLD(0), 3);
    CHECK_EQ(rd(&p, THRESHOLD(0)), 3);
    wr(&p, PRIO(4), 3);
    wr(&p, ENABLE(0), 1u << 4);
    vplic_set_level(&p, 4, true);
    CHECK(!r.level[0]); /* priority must exceed the threshold, not equal it */
    CHECK_EQ(rd(&p, CLAIM(0)), 0);
    wr(&p, THRESHOLD(0), 2);
    CHECK(r.level[0]);
    wr(&p, THRESHOLD(0), 7); /* raising it masks the pending source again */
    CHECK(!r.level[0]);
    wr(&p, THRESHOLD(0), 0);
    CHECK(r.level[0]);
    CHECK_EQ(rd(&p, CLAIM(0)), 4);
    CHECK(!r.level[0]);
    CHECK_EQ(r.calls[0], 4);
    CHECK_EQ(r.repeats, 0);
}

TEST(vplic_priority_zero_never_interrupts)
{
    struct vplic p;
    struct rec r;
    setup(&p, &r, 1);
    wr(&p, ENABLE(0), 0xfffffffe);
    vplic_set_level(&p, 9, true);
    CHECK(!r.level[0]);
    CHECK_EQ(rd(&p, CLAIM(0)), 0);
    CHECK_EQ(rd(&p, PENDING), 1u << 9); /* pending, just never delivered */
    wr(&p, PRIO(9), 1);
    CHECK(r.level[0]);
    wr(&p, PRIO(9), 0);
    CHECK(!r.level[0]);
}

TEST(vplic_claim_order_and_ties)
{
    struct vplic p;
    struct rec r;
    setup(&p, &r, 1);
    wr(&p, ENABLE(0), 0xfffffffe);
    wr(&p, PRIO(5), 2);
    wr(&p, PRIO(3), 2);
    wr(&p, PRIO(9), 6);
    wr(&p, PRIO(30), 2);
    vplic_set_level(&p, 30, true);
    vplic_set_level(&p, 5, true);
    vplic_set_level(&p, 9, true);
    vplic_set_level(&p, 3, true);
    CHECK_EQ(rd(&p, CLAIM(0)), 9); /* highest priority first */
    CHECK_EQ(rd(&p, CLAIM(0)), 3); /* then ties by lowest ID */
    CHECK_EQ(rd(&p, CLAIM(0)), 5);
    CHECK(r.level[0]);
    CHECK_EQ(rd(&p, CLAIM(0)), 30);
    CHECK(!r.level[0]);
    CHECK_EQ(rd(&p, CLAIM(0)), 0); /* nothing left */
    CHECK_EQ(rd(&p, PENDING), 0);
    CHECK_EQ(p.in_service, (1u << 3) | (1u << 5) | (1u << 9) | (1u << 30));
    CHECK_EQ(r.repeats, 0);
}

TEST(vplic_claim_with_nothing_pending)
{
    struct vplic p;
    struct rec r;
    setup(&p, &r, 2);
    CHECK_EQ(rd(&p, CLAIM(0)), 0);
    CHECK_EQ(rd(&p, CLAIM(1)), 0);
    CHECK_EQ(p.in_service, 0);
    wr(&p, PRIO(2), 1);
    vplic_set_level(&p, 2, true); /* pending but not enabled anywhere */
    CHECK_EQ(rd(&p, CLAIM(0)), 0);
    CHECK_EQ(p.in_service, 0);
    CHECK_EQ(p.pending, 1u << 2);
}

TEST(vplic_complete_rules)
{
    struct vplic p;
    struct rec r;
    setup(&p, &r, 2);
    wr(&p, PRIO(5), 1);
    wr(&p, PRIO(6), 1);
    wr(&p, ENABLE(0), (1u << 5) | (1u << 6));
    vplic_set_level(&p, 5, true);
    CHECK_EQ(rd(&p, CLAIM(0)), 5);
    CHECK(!r.level[0]);

    wr(&p, CLAIM(0), 6); /* not in service */
    wr(&p, CLAIM(0), 0);
    wr(&p, CLAIM(0), 32);
    wr(&p, CLAIM(0), 0xffffffff);
    CHECK_EQ(p.in_service, 1u << 5);
    wr(&p, CLAIM(1), 5); /* not enabled for context 1 */
    CHECK_EQ(p.in_service, 1u << 5);
    wr(&p, CLAIM(2), 5); /* no such context */
    CHECK_EQ(p.in_service, 1u << 5);
    CHECK_EQ(rd(&p, PENDING), 0); /* in service, so the high level is not pending */
    CHECK(!r.level[0]);

    wr(&p, CLAIM(0), 0x100000005ull); /* bits above the 32-bit access are not data */
    CHECK_EQ(p.in_service, 0);
    CHECK_EQ(rd(&p, PENDING), 1u << 5); /* level still high: pending again */
    CHECK(r.level[0]);
    CHECK_EQ(rd(&p, CLAIM(0)), 5);
    vplic_set_level(&p, 5, false);
    wr(&p, CLAIM(0), 5);
    CHECK_EQ(rd(&p, PENDING), 0); /* level low at completion: done */
    CHECK(!r.level[0]);
    wr(&p, CLAIM(0), 5); /* a second completion is ignored */
    CHECK_EQ(p.in_service, 0);

    /* Disabling a source while in service makes its completion from that context be ignored. */
    vplic_set_level(&p, 6, true);
    CHECK_EQ(rd(&p, CLAIM(0)), 6);
    wr(&p, ENABLE(0), 1u << 5);
    wr(&p, CLAIM(0), 6);
    CHECK_EQ(p.in_service, 1u << 6);
    wr(&p, ENABLE(0), 1u << 6);
    wr(&p, CLAIM(0), 6);
    CHECK_EQ(p.in_service, 0);
    CHECK_EQ(r.repeats, 0);
}

TEST(vplic_level_changes_around_service)
{
    struct vplic p;
    struct rec r;
    setup(&p, &r, 1);
    wr(&p, PRIO(7), 4);
    wr(&p, ENABLE(0), 1u << 7);
    vplic_set_level(&p, 7, true);
    CHECK(r.level[0]);
    vplic_set_level(&p, 7, false); /* a request withdrawn before the claim */
    CHECK(!r.level[0]);
    CHECK_EQ(rd(&p, CLAIM(0)), 0);
    vplic_set_level(&p, 7, true);
    CHECK_EQ(rd(&p, CLAIM(0)), 7);
    vplic_set_level(&p, 7, false);
    vplic_set_level(&p, 7, true); /* a new edge during service waits for completion */
    CHECK_EQ(rd(&p, PENDING), 0);
    CHECK(!r.level[0]);
    wr(&p, CLAIM(0), 7);
    CHECK_EQ(rd(&p, PENDING), 1u << 7);
    CHECK(r.level[0]);
    CHECK_EQ(r.repeats, 0);
}

TEST(vplic_per_context_enables)
{
    struct vplic p;
    struct rec r;
    setup(&p, &r, 3);
    wr(&p, PRIO(1), 1);
    wr(&p, PRIO(2), 1);
    wr(&p, ENABLE(0), 1u << 1);
    wr(&p, ENABLE(1), 1u << 2);
    wr(&p, ENABLE(2), (1u << 1) | (1u << 2));
    vplic_set_level(&p, 1, true);
    CHECK(r.level[0]);
    CHECK(!r.level[1]);
    CHECK(r.level[2]);
    vplic_set_level(&p, 2, true);
    CHECK(r.level[1]);
    CHECK_EQ(rd(&p, CLAIM(1)), 2);
    CHECK(!r.level[1]);
    CHECK(r.level[2]); /* source 1 is still there for context 2 */
    CHECK_EQ(rd(&p, CLAIM(2)), 1);
    CHECK(!r.level[0]); /* claimed by context 2, gone for context 0 too */
    CHECK(!r.level[2]);
    CHECK_EQ(rd(&p, CLAIM(0)), 0);
    wr(&p, CLAIM(0), 1); /* context 0 may complete it: enabled there (spec) */
    CHECK_EQ(p.in_service, 1u << 2);
    CHECK(r.level[0]);
    CHECK(r.level[2]);
    CHECK_EQ(r.calls[0], 3);
    CHECK_EQ(r.calls[1], 2);
    CHECK_EQ(r.calls[2], 3);
    CHECK_EQ(r.repeats, 0);
}

TEST(vplic_notify_only_on_change)
{
    struct vplic p;
    struct rec r;
    setup(&p, &r, 2);
    wr(&p, PRIO(3), 2);
    wr(&p, PRIO(4), 2);
    wr(&p, ENABLE(0), (1u << 3) | (1u << 4));
    CHECK_EQ(r.total, 0);
    vplic_set_level(&p, 3, true);
    CHECK_EQ(r.total, 1);
    vplic_set_level(&p, 3, true);
    vplic_set_level(&p, 4, true);
    wr(&p, PRIO(4), 5);
    wr(&p, THRESHOLD(0), 1);
    rd(&p, PENDING);
    rd(&p, CLAIM(1));
    CHECK_EQ(r.total, 1);
    CHECK_EQ(rd(&p, CLAIM(0)), 4);
    CHECK_EQ(r.total, 1); /* source 3 still asks */
    CHECK_EQ(rd(&p, CLAIM(0)), 3);
    CHECK_EQ(r.total, 2);
    CHECK(!r.level[0]);
    CHECK_EQ(r.calls[1], 0);
    CHECK_EQ(r.repeats, 0);
}

TEST(vplic_bad_accesses)
{
    struct vplic p;
    struct rec r;
    setup(&p, &r, 2);
    uint64_t v = 7;
    CHECK(!vplic_mmio(&p, PRIO(1), 1, true, &v));
    CHECK(!vplic_mmio(&p, PRIO(1), 2, true, &v));
    CHECK(!vplic_mmio(&p, PRIO(1), 8, true, &v));
    CHECK(!vplic_mmio(&p, PRIO(1), 0, true, &v));
    CHECK(!vplic_mmio(&p, PRIO(1), 3, true, &v));
    CHECK(!vplic_mmio(&p, PRIO(1) + 2, 4, true, &v));
    CHECK(!vplic_mmio(&p, PRIO(1) + 1, 4, true, &v));
    CHECK_EQ(p.priority[1], 0);
    CHECK(!vplic_mmio(&p, CLAIM(0), 8, false, &v));
    CHECK(!vplic_mmio(&p, CLAIM(0) - 2, 4, false, &v));
    CHECK(!vplic_mmio(&p, VPLIC_SIZE, 4, false, &v));
    CHECK(!vplic_mmio(&p, UINT64_MAX - 3, 4, false, &v));
    CHECK(!vplic_mmio(&p, 1ull << 40, 4, true, &v));
    CHECK_EQ(rd(&p, VPLIC_SIZE - 4), 0);
    CHECK_EQ(rd(&p, 0x1f2000), 0); /* gaps read 0 */
    CHECK_EQ(rd(&p, 0x100000), 0);
    CHECK_EQ(rd(&p, THRESHOLD(0) + 8), 0);
    wr(&p, THRESHOLD(0) + 8, 5);
    wr(&p, THRESHOLD(2), 5); /* context beyond nctx */
    CHECK_EQ(rd(&p, THRESHOLD(2)), 0);
    wr(&p, THRESHOLD(VPLIC_MAX_CTX), 5);
    CHECK_EQ(rd(&p, THRESHOLD(1023)), 0);
    CHECK_EQ(rd(&p, ENABLE(15871)), 0);
    CHECK_EQ(rd(&p, THRESHOLD(0)), 0);
    CHECK_EQ(rd(&p, THRESHOLD(1)), 0);
    struct vplic fresh;
    struct rec r2;
    setup(&fresh, &r2, 2);
    CHECK(memcmp(&fresh.priority, &p.priority, sizeof p.priority) == 0);
    CHECK(memcmp(&fresh.enable, &p.enable, sizeof p.enable) == 0);
    CHECK(memcmp(&fresh.threshold, &p.threshold, sizeof p.threshold) == 0);
    CHECK_EQ(r.total, 0);
}

/* From-scratch reference for "this context has a deliverable interrupt", and the claim answer. */
static unsigned ref_best(const struct vplic *p, unsigned c)
{
    unsigned best = 0;
    for (unsigned s = 1; s < VPLIC_SOURCES; s++) {
        if ((p->pending >> s & 1) && (p->enable[c] >> s & 1) && p->priority[s] > p->threshold[c] &&
            (best == 0 || p->priority[s] > p->priority[best])) {
            best = s;
        }
    }
    return best;
}

static uint64_t rng_state;
static uint32_t rng(void)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(rng_state >> 33);
}

TEST(vplic_random_sequence)
{
    static const unsigned widths[] = { 4, 4, 4, 4, 4, 4, 4, 1, 2, 8 };
    struct vplic p;
    struct rec r;
    setup(&p, &r, 3);
    rng_state = 4242;
    unsigned claims = 0, completes = 0;
    uint32_t claimed_by[VPLIC_MAX_CTX] = { 0 };

    for (int step = 0; step < 200000; step++) {
        uint32_t op = rng() % 8;
        unsigned c = rng() % 5; /* sometimes a context that does not exist */
        uint64_t off = 0, v = rng();
        if (rng() % 4 == 0) {
            v |= (uint64_t)rng() << 32;
        }
        bool write = false;
        switch (op) {
        case 0:
        case 1:
            vplic_set_level(&p, rng() % 34, rng() % 3 != 0);
            break;
        case 2:
            off = PRIO(rng() % 34);
            write = rng() & 1;
            v &= 0xf;
            break;
        case 3:
            off = ENABLE(c) + 4 * (rng() % 3 == 0);
            write = rng() & 1;
            break;
        case 4:
            off = THRESHOLD(c);
            write = rng() & 1;
            v &= rng() % 3 ? 0x7 : ~0ull;
            break;
        case 5:
            off = CLAIM(c);
            break;
        case 6:
            off = CLAIM(c);
            write = true;
            /* Mostly complete something this context claimed, sometimes anything at all. */
            v = rng() % 3 ? claimed_by[c % VPLIC_MAX_CTX] : (v % 40);
            break;
        default:
            off = (uint64_t)rng() << (rng() % 16);
            write = rng() & 1;
            break;
        }
        if (op >= 2) {
            unsigned width = widths[rng() % 10];
            unsigned expect_claim = c < p.nctx ? ref_best(&p, c) : 0;
            uint32_t in_service_before = p.in_service;
            bool valid = width == 4 && off % 4 == 0 && off < VPLIC_SIZE;
            CHECK_EQ(vplic_mmio(&p, off, width, write, &v), valid);
            if (valid && !write) {
                CHECK(v <= UINT32_MAX);
            }
            if (valid && !write && off == CLAIM(c)) {
                CHECK_EQ(v, expect_claim);
                if (v) {
                    claims++;
                    claimed_by[c % VPLIC_MAX_CTX] = (uint32_t)v;
                }
            }
            if (valid && write && off == CLAIM(c) && p.in_service != in_service_before) {
                completes++;
                CHECK(c < p.nctx);
                CHECK_EQ(in_service_before & ~p.in_service, 1ull << (uint32_t)v);
            }
        }
        /* Invariants, checked after every step. */
        CHECK_EQ(p.pending & 1, 0);
        CHECK_EQ(p.in_service & 1, 0);
        CHECK_EQ(p.pending & p.in_service, 0);
        CHECK_EQ(p.pending, p.level & ~p.in_service & ~1u);
        CHECK_EQ(p.priority[0], 0);
        for (unsigned s = 0; s < VPLIC_SOURCES; s++) {
            CHECK(p.priority[s] <= VPLIC_PRIO_MAX);
        }
        for (unsigned k = 0; k < p.nctx; k++) {
            bool want = ref_best(&p, k) != 0;
            CHECK_EQ(p.notified[k], want);
            CHECK_EQ(r.level[k], want);
            CHECK_EQ(p.enable[k] & 1, 0);
            CHECK(p.threshold[k] <= VPLIC_PRIO_MAX);
        }
    }
    CHECK_EQ(r.repeats, 0);
    CHECK_EQ(r.bad_ctx, 0);
    CHECK(claims > 1000);
    CHECK(completes > 1000);
    CHECK(r.total > 1000);
}
