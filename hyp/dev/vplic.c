// SPDX-License-Identifier: MIT
// An emulated PLIC: level-triggered gateways, priorities, per-context enables, threshold, claim.
#include "vplic.h"

#include <stddef.h>
#include <string.h>

/* Register map of the RISC-V PLIC spec as laid out by SiFive and QEMU virt. */
#define PLIC_PRIORITY 0x0
#define PLIC_PENDING 0x1000
#define PLIC_PENDING_END 0x1080
#define PLIC_ENABLE 0x2000
#define PLIC_ENABLE_STRIDE 0x80
#define PLIC_ENABLE_END 0x1f2000
#define PLIC_CONTEXT 0x200000
#define PLIC_CONTEXT_STRIDE 0x1000
#define PLIC_THRESHOLD 0x0
#define PLIC_CLAIM 0x4

/* Source 0 does not exist ("no interrupt"), so its bit is never pending or enabled. */
#define SOURCE_MASK (~(uint32_t)1)

_Static_assert(VPLIC_SOURCES == 32, "one 32-bit word holds every source's bit");

/* The best source this context may take: enabled, pending, priority above the threshold; ties go
 * to the lowest ID (PLIC spec, "Interrupt Priorities"). 0 when there is none. */
static unsigned best_source(const struct vplic *p, unsigned c)
{
    uint32_t cand = p->pending & p->enable[c] & SOURCE_MASK;
    unsigned best = 0;
    uint32_t best_prio = p->threshold[c];
    for (unsigned s = 1; s < VPLIC_SOURCES; s++) {
        if ((cand & (1u << s)) && p->priority[s] > best_prio) {
            best = s;
            best_prio = p->priority[s];
        }
    }
    return best;
}

/* Every state change ends here: each context's SEIP follows whether it has something to claim,
 * and the callback hears only about changes so the vCPU is not kicked for nothing. */
static void update(struct vplic *p)
{
    for (unsigned c = 0; c < p->nctx; c++) {
        bool want = best_source(p, c) != 0;
        if (want != p->notified[c]) {
            p->notified[c] = want;
            if (p->ops.notify) {
                p->ops.notify(p->ops.ctx, c, want);
            }
        }
    }
}

/* Level-triggered gateway: a high line that is not in service is a pending request. A line that
 * drops before the claim withdraws the request (as QEMU's PLIC does), so a guest does not claim an
 * interrupt its device no longer asserts. */
static void gateway(struct vplic *p, unsigned src)
{
    uint32_t bit = 1u << src;
    if ((p->level & bit) && !(p->in_service & bit)) {
        p->pending |= bit;
    } else if (!(p->level & bit)) {
        p->pending &= ~bit;
    }
}

void vplic_init(struct vplic *p, unsigned nctx, const struct vplic_ops *ops)
{
    memset(p, 0, sizeof *p);
    p->nctx = nctx > VPLIC_MAX_CTX ? VPLIC_MAX_CTX : nctx;
    if (ops) {
        p->ops = *ops;
    }
}

void vplic_set_level(struct vplic *p, unsigned src, bool level)
{
    if (src == 0 || src >= VPLIC_SOURCES) {
        return;
    }
    if (level) {
        p->level |= 1u << src;
    } else {
        p->level &= ~(1u << src);
    }
    gateway(p, src);
    update(p);
}

static uint32_t claim(struct vplic *p, unsigned c)
{
    unsigned src = best_source(p, c);
    if (src) {
        p->pending &= ~(1u << src);
        p->in_service |= 1u << src;
    }
    return src;
}

/* PLIC spec: a completion for an ID not enabled for this context is ignored; so is one for an ID
 * that is not in service, which a hostile or confused guest could otherwise use to re-arm. */
static void complete(struct vplic *p, unsigned c, uint32_t id)
{
    if (id == 0 || id >= VPLIC_SOURCES) {
        return;
    }
    uint32_t bit = 1u << id;
    if (!(p->in_service & bit) || !(p->enable[c] & bit)) {
        return;
    }
    p->in_service &= ~bit;
    gateway(p, id);
}

static uint32_t context_read(struct vplic *p, unsigned c, uint64_t reg)
{
    if (reg == PLIC_THRESHOLD) {
        return p->threshold[c];
    }
    if (reg == PLIC_CLAIM) {
        return claim(p, c);
    }
    return 0;
}

static void context_write(struct vplic *p, unsigned c, uint64_t reg, uint32_t v)
{
    if (reg == PLIC_THRESHOLD) {
        p->threshold[c] = v & VPLIC_PRIO_MAX; /* WARL: only the implemented bits stick */
    } else if (reg == PLIC_CLAIM) {
        complete(p, c, v);
    }
}

bool vplic_mmio(struct vplic *p, uint64_t off, unsigned width, bool write, uint64_t *val)
{
    if (width != 4 || (off & 3) || off >= VPLIC_SIZE) {
        return false;
    }
    uint32_t v = write ? (uint32_t)*val : 0;
    uint32_t r = 0;

    if (off < PLIC_PENDING) {
        uint64_t src = off / 4;
        if (src != 0 && src < VPLIC_SOURCES) {
            if (write) {
                p->priority[src] = v & VPLIC_PRIO_MAX;
            }
            r = p->priority[src];
        }
    } else if (off < PLIC_PENDING_END) {
        /* Pending is read-only: requests come only from the gateways and leave only by claim. */
        r = off == PLIC_PENDING ? p->pending : 0;
    } else if (off >= PLIC_ENABLE && off < PLIC_ENABLE_END) {
        uint64_t c = (off - PLIC_ENABLE) / PLIC_ENABLE_STRIDE;
        uint64_t word = (off - PLIC_ENABLE) % PLIC_ENABLE_STRIDE;
        if (c < p->nctx && word == 0) {
            if (write) {
                p->enable[c] = v & SOURCE_MASK;
            }
            r = p->enable[c];
        }
    } else if (off >= PLIC_CONTEXT) {
        uint64_t c = (off - PLIC_CONTEXT) / PLIC_CONTEXT_STRIDE;
        uint64_t reg = (off - PLIC_CONTEXT) % PLIC_CONTEXT_STRIDE;
        if (c < p->nctx) {
            if (write) {
                context_write(p, (unsigned)c, reg, v);
            } else {
                r = context_read(p, (unsigned)c, reg);
            }
        }
    }
    if (!write) {
        *val = r;
    }
    update(p);
    return true;
}
