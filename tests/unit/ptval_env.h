/* SPDX-License-Identifier: MIT */
/* What the validator tests share (test_ptval.c, test_ptval_random.c, test_ptval_budget.c): a fake
 * guest whose frames are host memory, helpers that write its tables as the guest would, and op(),
 * which runs one call and checks every invariant, and that a failed call changed nothing. */
#ifndef TESTS_PTVAL_ENV_H
#define TESTS_PTVAL_ENV_H

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "check.h"
#include "hvabi.h"
#include "pv/ptval.h"

/* Machine address of the fake guest's first frame: 1 GiB aligned, so superpages can be valid. */
#define BASE 0x80000000ull
#define FA(i) (BASE + (uint64_t)(i)*4096)
#define PTE(maddr, flags) ((((uint64_t)(maddr) >> 12) << PV_PTE_PPN_SHIFT) | (flags) | PV_PTE_V)
#define NL(i) PTE(FA(i), 0)
#define R PV_PTE_R
#define W PV_PTE_W
#define X PV_PTE_X
#define RW (PV_PTE_R | PV_PTE_W)

struct env
{
    struct ptval pv;
    void *tables; /* what the validator keeps its state in (ptval_mem_bytes) */
    struct pt_frame *frames, *frames_snap;
    struct pt_chunk *chunks, *chunks_snap;
    uint8_t *mem, *mem_snap; /* mem_snap only for small guests */
    uint64_t base;           /* BASE unless a test moves the guest */
    uint64_t n, nchunks;
    bool mapped;   /* mem comes from mmap (the 1 GiB guest) */
    bool snap_mem; /* compare memory around failed operations */
    bool hext;     /* the guest writes typed tables itself: counts may drift from them */
    int flushes;
    long probe; /* a frame whose state each flush records, or -1 */
    uint8_t probe_type;
    uint32_t probe_wcount;
    uintptr_t stack_low; /* lowest frame address seen in ops.frame (deepest recursion) */
    uintptr_t stack_max; /* most stack below op() any call used to reach ops.frame */
    long hook_frame;     /* when ops.frame is first asked for this frame (-1: never), the */
    unsigned hook_index; /* guest writes hook_val at entry hook_index of frame hook_target */
    uint64_t hook_target, hook_val;
};

static inline uint64_t *env_frame(void *ctx, uint64_t maddr)
{
    struct env *e = ctx;
    if (maddr < e->base || (maddr - e->base) / 4096 >= e->n || (maddr & 0xfff)) {
        fprintf(stderr, "ops.frame of 0x%llx: not a guest frame\n", (unsigned long long)maddr);
        abort();
    }
    uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
    e->stack_low = sp < e->stack_low ? sp : e->stack_low;
    if (e->hook_frame >= 0 && maddr == e->base + (uint64_t)e->hook_frame * 4096) {
        /* The guest (hext) writes one of its typed tables while the validator works. */
        ((uint64_t *)(e->mem + e->hook_target * 4096))[e->hook_index] = e->hook_val;
        e->hook_frame = -1;
    }
    return (uint64_t *)(e->mem + (maddr - e->base));
}

static inline void env_flush(void *ctx)
{
    struct env *e = ctx;
    e->flushes++;
    if (e->probe >= 0) {
        e->probe_type = e->frames[e->probe].type;
        e->probe_wcount = e->frames[e->probe].wcount;
    }
}

static inline struct env *env_new_at(uint64_t base, uint64_t n)
{
    struct env *e = calloc(1, sizeof(*e));
    e->base = base;
    e->n = n;
    e->nchunks = (n + 511) / 512;
    e->tables = calloc(1, ptval_mem_bytes(n));
    e->frames_snap = calloc(n, sizeof(*e->frames));
    e->chunks_snap = calloc(e->nchunks, sizeof(*e->chunks));
    if (n <= 1024) {
        e->mem = aligned_alloc(4096, n * 4096);
        e->mem_snap = malloc(n * 4096);
        memset(e->mem, 0, n * 4096);
        e->snap_mem = true;
    } else {
        e->mem = mmap(NULL,
                      n * 4096,
                      PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                      -1,
                      0);
        CHECK(e->mem != MAP_FAILED);
        e->mapped = true;
    }
    e->probe = -1;
    e->hook_frame = -1;
    e->stack_low = UINTPTR_MAX;
    struct ptval_ops ops = { env_frame, env_flush, e };
    ptval_init(&e->pv, &ops, base, n, e->tables);
    e->frames = e->pv.frames;
    e->chunks = e->pv.chunks;
    return e;
}

static inline struct env *env_new(uint64_t n)
{
    return env_new_at(BASE, n);
}

static inline void env_free(struct env *e)
{
    if (e->mapped) {
        munmap(e->mem, e->n * 4096);
    } else {
        free(e->mem);
    }
    free(e->mem_snap);
    free(e->tables);
    free(e->frames_snap);
    free(e->chunks_snap);
    free(e);
}

static inline uint64_t *slot(struct env *e, uint64_t frame, unsigned i)
{
    return (uint64_t *)(e->mem + frame * 4096) + i;
}

/* The guest writing a frame it owns directly (it may, while the frame is not a table). */
static inline void poke(struct env *e, uint64_t frame, unsigned i, uint64_t val)
{
    *slot(e, frame, i) = val;
}

/* An oracle apart from ptval_check: no valid writable leaf of a typed table covers a typed frame */
static inline bool no_writable_table(struct env *e)
{
    for (uint64_t f = 0; f < e->n; f++) {
        unsigned type = e->frames[f].type;
        for (unsigned i = 0; type != PT_NONE && i < 512; i++) {
            uint64_t p = *slot(e, f, i);
            if ((p & (PV_PTE_V | W)) != (PV_PTE_V | W)) {
                continue;
            }
            uint64_t first = ((p >> 10) & ((1ull << 44) - 1)) - e->base / 4096;
            uint64_t span = 1ull << (9 * (type - 1));
            for (uint64_t j = first; j < first + span; j++) {
                if (j >= e->n || e->frames[j].type != PT_NONE) {
                    fprintf(stderr,
                            "frame %llu entry %u maps frame %llu writable\n",
                            (unsigned long long)f,
                            i,
                            (unsigned long long)j);
                    return false;
                }
            }
        }
    }
    return true;
}

static inline void checked(struct env *e)
{
    char why[160];
    bool ok = ptval_check(&e->pv, why, sizeof(why));
    if (!ok) {
        fprintf(stderr, "ptval_check: %s\n", why);
    }
    CHECK(ok);
    CHECK(no_writable_table(e));
}

/* No frame is a table, pinned or counted, no chunk counted: what releasing everything leaves. */
static inline bool all_released(struct env *e)
{
    for (uint64_t f = 0; f < e->n; f++) {
        const struct pt_frame *pf = &e->frames[f];
        if (pf->type != PT_NONE || pf->pinned || pf->tcount != 0 || pf->wcount != 0) {
            fprintf(stderr, "frame %llu still held\n", (unsigned long long)f);
            return false;
        }
    }
    for (uint64_t c = 0; c < e->nchunks; c++) {
        if (e->chunks[c].typed != 0 || e->chunks[c].wsuper != 0) {
            fprintf(stderr, "chunk %llu still held\n", (unsigned long long)c);
            return false;
        }
    }
    return true;
}

/* No count wrapped below zero (a count that large is unreachable: calls refuse to pass it). */
static inline bool nothing_underflowed(struct env *e)
{
    for (uint64_t f = 0; f < e->n; f++) {
        if (e->frames[f].tcount >= 1u << 31 || e->frames[f].wcount >= 1u << 31) {
            fprintf(stderr, "frame %llu: count underflow\n", (unsigned long long)f);
            return false;
        }
    }
    for (uint64_t c = 0; c < e->nchunks; c++) {
        if (e->chunks[c].typed > 512 || e->chunks[c].wsuper >= 1u << 31) {
            fprintf(stderr, "chunk %llu: count underflow\n", (unsigned long long)c);
            return false;
        }
    }
    return true;
}

enum op
{
    OP_PIN,
    OP_UNPIN,
    OP_UPDATE
};

/* Runs one call, then checks every invariant, and that a failed call changed nothing. */
static inline long op(struct env *e, enum op k, uint64_t addr, uint64_t val)
{
    memcpy(e->frames_snap, e->frames, e->n * sizeof(*e->frames));
    memcpy(e->chunks_snap, e->chunks, e->nchunks * sizeof(*e->chunks));
    if (e->snap_mem) {
        memcpy(e->mem_snap, e->mem, e->n * 4096);
    }
    e->stack_low = UINTPTR_MAX;
    long r = k == OP_PIN     ? ptval_pin(&e->pv, 0, addr)
             : k == OP_UNPIN ? ptval_unpin(&e->pv, 0, addr)
                             : ptval_update(&e->pv, 0, addr, val);
    uintptr_t top = (uintptr_t)__builtin_frame_address(0);
    if (e->stack_low < top && top - e->stack_low > e->stack_max) {
        e->stack_max = top - e->stack_low;
    }
    if (e->hext) {
        CHECK(nothing_underflowed(e)); /* ptval_check may rightly disagree with tampered tables */
    } else {
        checked(e);
    }
    if (r != SBI_SUCCESS) {
        CHECK(memcmp(e->frames_snap, e->frames, e->n * sizeof(*e->frames)) == 0);
        CHECK(memcmp(e->chunks_snap, e->chunks, e->nchunks * sizeof(*e->chunks)) == 0);
        CHECK(!e->snap_mem || memcmp(e->mem_snap, e->mem, e->n * 4096) == 0);
    } else if (k == OP_UPDATE) {
        CHECK_EQ(*(uint64_t *)(e->mem + (addr - e->base)), val);
    }
    return r;
}

#define PIN(e, f) op(e, OP_PIN, FA(f), 0)
#define UNPIN(e, f) op(e, OP_UNPIN, FA(f), 0)
#define UPD(e, f, i, v) op(e, OP_UPDATE, FA(f) + 8 * (i), v)

/* 64 frames: root 0 -> level-1 table 1 -> level-0 table 2, pinned; frames 8.. are data. */
static inline struct env *env_std(void)
{
    struct env *e = env_new(64);
    poke(e, 0, 0, NL(1));
    poke(e, 1, 0, NL(2));
    CHECK_EQ(PIN(e, 0), SBI_SUCCESS);
    CHECK_EQ(e->frames[0].type, PT_L2);
    CHECK_EQ(e->frames[1].type, PT_L1);
    CHECK_EQ(e->frames[2].type, PT_L0);
    return e;
}

/* 1024 frames at a 2 MiB-aligned base: root 600 -> level-1 table 601 -> level-0 table 5 (in the
 * first 2 MiB). */
static inline struct env *env_big(void)
{
    struct env *e = env_new(1024);
    poke(e, 600, 0, NL(601));
    CHECK_EQ(PIN(e, 600), SBI_SUCCESS);
    return e;
}

#endif
