// SPDX-License-Identifier: MIT
// Fuzzes the paravirtual page-table validator (hyp/pv/ptval.c). The input is a sequence of the
// calls a guest makes through the MMU hypercalls (update, zero, pin, unpin, flush) and of its own
// stores into its frames, on a small guest: 1032 frames of host memory (two whole 2 MiB chunks and
// a bit, so superpages can be valid), 2 MiB aligned, whose host address serves as the machine
// address. After every operation ptval_check() recomputes every count from the tables, and checks
// written here independently of it must hold: no writable leaf reaches a table, a refused call
// changes nothing, a flush comes before a frame that lost a mapping is used again (XSA-217). The
// first byte may make it a hext guest, which also writes its typed tables itself: counts may then
// drift from the tables, but no call may underflow a count, recurse without bound or touch memory
// outside the guest. Calls run with the whole budget, or with small budgets called again until done
// (every invariant checked between), or are cut once and left for the next call to finish.
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "hvabi.h"
#include "pv/ptval.h"

#define NFRAMES 1032u
#define NCHUNKS 3u
#define CHUNK (512u * 4096u)

static uint8_t *ram;  /* NFRAMES frames, 2 MiB aligned */
static uint64_t base; /* its host address: the guest's machine address */
static void *tables;  /* the validator's state (ptval_mem_bytes) */
static struct pt_frame *frames, frames_snap[NFRAMES];
static struct pt_chunk *chunks, chunks_snap[NCHUNKS];
static uint8_t dirty[NFRAMES]; /* frames written since the last input, cleared before the next */
static struct ptval pv;
static unsigned flushes;
static bool hext;

static uint64_t fa(uint64_t frame)
{
    return base + frame * 4096;
}

static uint64_t *frame_ptr(void *ctx, uint64_t maddr)
{
    (void)ctx;
    /* The validator asks only for frames of the guest: anything else is a bug in it. */
    FUZZ_CHECK(maddr >= base && (maddr - base) / 4096 < NFRAMES && (maddr & 0xfff) == 0,
               "ops.frame(0x%llx) outside the guest", (unsigned long long)maddr);
    dirty[(maddr - base) / 4096] = 1;
    return (uint64_t *)(uintptr_t)maddr;
}

static void flush(void *ctx)
{
    (void)ctx;
    flushes++;
}

static uint64_t *slot(uint64_t frame, unsigned i)
{
    return (uint64_t *)(ram + frame * 4096) + i;
}

/* A frame of the guest, most often in the first 64 of each chunk (so tables and leaves meet), the
 * chunk starts included (so superpages are aligned). */
static uint64_t take_frame(struct fuzz_in *in)
{
    uint8_t b = fz_u8(in);
    switch (b >> 6) {
    case 0: return b & 63;
    case 1: return 512 + (b & 63);
    default: return 1024 + (b & 7);
    }
}

/* A machine address near or outside the guest: just below, just past, far away, wrapping. */
static uint64_t take_wild(struct fuzz_in *in)
{
    uint8_t b = fz_u8(in);
    switch (b & 7) {
    case 0: return base - 4096 * (1 + (b >> 3));
    case 1: return fa(NFRAMES + (b >> 3));
    case 2: return fa(take_frame(in)) + 1 + (b >> 5); /* misaligned */
    case 3: return 0;
    case 4: return ~0ull - (b >> 3);
    case 5: return base + (1ull << 30);
    default: return fz_u64(in);
    }
}

static uint64_t pte(uint64_t maddr, uint64_t flags)
{
    return ((maddr >> 12) << PV_PTE_PPN_SHIFT) | flags;
}

/* A PTE: usually a valid one naming a guest frame with fuzzed permissions (V set most of the time),
 * sometimes with reserved bits, outside the guest, or raw. */
static uint64_t take_pte(struct fuzz_in *in)
{
    uint8_t s = fz_u8(in);
    if (s < 0x10) {
        return fz_u64(in);
    }
    if (s < 0x18) {
        return 0;
    }
    uint64_t maddr = s < 0x20 ? take_wild(in) & ~0xfffull : fa(take_frame(in));
    uint64_t flags = fz_u8(in) | (uint64_t)(s & 3) << 8; /* V R W X U G A D, RSW */
    if (s >= 0x40) {
        flags |= PV_PTE_V;
    }
    uint64_t v = pte(maddr, flags);
    if ((s & 0x3f) == 0x3f) {
        v |= (uint64_t)fz_u8(in) << 54; /* N, PBMT, reserved */
    }
    return v;
}

/* ---- checks of our own ---- */

/* No valid writable leaf of a typed table covers a typed frame (XSA-148, XSA-182). */
static void check_no_writable_table(void)
{
    for (uint64_t f = 0; f < NFRAMES; f++) {
        unsigned type = frames[f].type;
        for (unsigned i = 0; type != PT_NONE && i < 512; i++) {
            uint64_t p = *slot(f, i);
            if ((p & (PV_PTE_V | PV_PTE_W)) != (PV_PTE_V | PV_PTE_W)) {
                continue;
            }
            uint64_t first = ((p & PV_PTE_PPN_MASK) >> PV_PTE_PPN_SHIFT) - base / 4096;
            uint64_t span = 1ull << (9 * (type - 1));
            for (uint64_t j = first; j < first + span; j++) {
                FUZZ_CHECK(j < NFRAMES && frames[j].type == PT_NONE,
                           "table %llu entry %u maps frame %llu writable", (unsigned long long)f, i,
                           (unsigned long long)j);
            }
        }
    }
}

static void check_counts_sane(void)
{
    for (unsigned f = 0; f < NFRAMES; f++) {
        FUZZ_CHECK(frames[f].type <= PT_L2, "frame %u type %u", f, frames[f].type);
        FUZZ_CHECK(frames[f].tcount < 1u << 31 && frames[f].wcount < 1u << 31,
                   "frame %u: count underflow", f);
        FUZZ_CHECK(!frames[f].pinned || frames[f].type == PT_L2, "frame %u pinned, not a root", f);
    }
    for (unsigned c = 0; c < NCHUNKS; c++) {
        FUZZ_CHECK(chunks[c].typed <= 512 && chunks[c].wsuper < 1u << 31, "chunk %u: underflow", c);
    }
}

static void check_all(void)
{
    check_counts_sane();
    if (hext) {
        return; /* ptval_check may rightly disagree with tables the guest rewrote */
    }
    char why[160];
    FUZZ_CHECK(ptval_check(&pv, why, sizeof why), "ptval_check: %s", why);
    if (!ptval_busy(&pv)) {
        check_no_writable_table(); /* a half-validated table has entries not checked yet */
    }
}

/* Whether the call gave some frame a table type or a new writable mapping. */
static bool gained_type_or_writable(void)
{
    for (unsigned f = 0; f < NFRAMES; f++) {
        if ((frames_snap[f].type == PT_NONE && frames[f].type != PT_NONE) ||
            frames[f].wcount > frames_snap[f].wcount) {
            return true;
        }
    }
    for (unsigned c = 0; c < NCHUNKS; c++) {
        if (chunks[c].wsuper > chunks_snap[c].wsuper) {
            return true;
        }
    }
    return false;
}

enum op { OP_UPDATE, OP_ZERO, OP_PIN, OP_UNPIN };

static long run_op(enum op k, unsigned who, uint64_t addr, uint64_t val)
{
    return k == OP_UPDATE ? ptval_update(&pv, who, addr, val)
           : k == OP_ZERO ? ptval_zero(&pv, addr)
           : k == OP_PIN  ? ptval_pin(&pv, who, addr)
                          : ptval_unpin(&pv, who, addr);
}

/* Runs one call and checks it. budget 0: the whole budget; else that many steps per exit, called
 * again until done, or (cut_once) left cut for the next call to finish. */
static void call(enum op k, unsigned who, uint64_t addr, uint64_t val, uint64_t budget,
                 bool cut_once)
{
    /* A call left cut before: the next exit finishes it first, which no oracle below is about. */
    pv.budget = UINT64_MAX;
    FUZZ_CHECK(ptval_finish(&pv) == SBI_SUCCESS, "an unlimited budget finishes any walk");
    check_all();
    /* Its caller gave up on it: the same call again later is a new one here, so the result kept
     * for it is forgotten (as when a vCPU starts afresh). */
    for (unsigned w = 0; w < PTVAL_OWNERS; w++) {
        ptval_forget(&pv, w);
    }
    memcpy(frames_snap, frames, NFRAMES * sizeof *frames);
    memcpy(chunks_snap, chunks, NCHUNKS * sizeof *chunks);
    bool inside = addr >= base && addr - base < (uint64_t)NFRAMES * 4096;
    uint64_t f = inside ? (addr - base) / 4096 : 0;
    uint64_t old = inside ? *(uint64_t *)(ram + ((addr - base) & ~7ull)) : 0;
    bool pending = pv.flush_pending;
    unsigned type = inside ? frames[f].type : PT_NONE;
    unsigned before = flushes;

    long r;
    unsigned exits = 0;
    do {
        pv.budget = budget ? budget : UINT64_MAX;
        r = run_op(k, who, addr, val);
        FUZZ_CHECK(pv.budget <= (budget ? budget : UINT64_MAX), "budget grew");
        exits++;
        if (r == PTVAL_AGAIN) {
            /* A walk cut anywhere leaves a consistent state: checked at cuts 1, 2, 4, 8... (each
             * check reads every table). */
            if ((exits & (exits - 1)) == 0) {
                check_all();
            }
            if (cut_once) {
                return;
            }
        }
        /* A budget of one step still gets through: (513 tables * 512 + calls) per op at most. */
        FUZZ_CHECK(exits < 2000000, "op %d made no progress", k);
    } while (r == PTVAL_AGAIN);

    FUZZ_CHECK(r == SBI_SUCCESS || r == SBI_ERR_INVALID_ADDRESS || r == SBI_ERR_INVALID_PARAM ||
                   r == SBI_ERR_DENIED,
               "op %d: error %ld", k, r);
    if (r != SBI_SUCCESS) {
        /* A failed call changes nothing: no count, no type, not the entry. */
        FUZZ_CHECK(memcmp(frames_snap, frames, NFRAMES * sizeof *frames) == 0,
                   "op %d failed (%ld) but changed "
                   "frames",
                   k,
                   r);
        FUZZ_CHECK(memcmp(chunks_snap, chunks, NCHUNKS * sizeof *chunks) == 0,
                   "op %d failed but changed "
                   "chunks",
                   k);
        FUZZ_CHECK(!inside || *(uint64_t *)(ram + ((addr - base) & ~7ull)) == old,
                   "op %d failed but wrote", k);
        FUZZ_CHECK(!(addr & 7) || k != OP_UPDATE || r == SBI_ERR_INVALID_ADDRESS, "misaligned");
        FUZZ_CHECK(
          inside || r == SBI_ERR_INVALID_ADDRESS || r == SBI_ERR_DENIED, "outside: %ld", r);
    } else {
        FUZZ_CHECK(
          inside, "op %d succeeded outside the guest (0x%llx)", k, (unsigned long long)addr);
        switch (k) {
        case OP_UPDATE:
            FUZZ_CHECK(*(uint64_t *)(ram + (addr - base)) == val, "update did not write");
            break;
        case OP_ZERO:
            for (unsigned i = 0; i < 512; i++) {
                FUZZ_CHECK(*slot(f, i) == 0, "zero left entry %u", i);
            }
            FUZZ_CHECK(type == PT_NONE, "zeroed a table");
            break;
        case OP_PIN:
            FUZZ_CHECK(frames[f].pinned && frames[f].type == PT_L2, "pin");
            break;
        case OP_UNPIN:
            FUZZ_CHECK(!frames[f].pinned, "unpin");
            break;
        }
    }
    /* XSA-217: with a removed or reduced translation possibly cached, nothing becomes a table or
     * writable, and no frame that may have just stopped being a table is written, before a flush.
     */
    if (pending && !hext && r == SBI_SUCCESS &&
        (gained_type_or_writable() || k == OP_ZERO || (k == OP_UPDATE && type == PT_NONE))) {
        FUZZ_CHECK(flushes > before, "op %d without the flush it owed", k);
    }
    check_all();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = { data, size };

    if (!ram) {
        void *p = NULL;
        /* Exactly the guest's size (ASan guards its end); aligned_alloc wants a multiple of 2 MiB.
         */
        FUZZ_CHECK(posix_memalign(&p, CHUNK, (size_t)NFRAMES * 4096) == 0, "no memory");
        ram = p;
        memset(ram, 0, (size_t)NFRAMES * 4096);
        base = (uint64_t)(uintptr_t)ram;
    }
    for (unsigned f = 0; f < NFRAMES; f++) {
        if (dirty[f]) {
            memset(ram + (size_t)f * 4096, 0, 4096);
            dirty[f] = 0;
        }
    }
    if (!tables) {
        tables = malloc(ptval_mem_bytes(NFRAMES));
        FUZZ_CHECK(tables != NULL, "no memory");
    }
    memset(tables, 0, ptval_mem_bytes(NFRAMES));
    const struct ptval_ops ops = { frame_ptr, flush, NULL };
    ptval_init(&pv, &ops, base, NFRAMES, tables);
    frames = pv.frames;
    chunks = pv.chunks;
    hext = fz_u8(&in) == 0x48; /* 'H' */

    for (unsigned step = 0; step < 512 && in.n > 0; step++) {
        uint8_t op = fz_u8(&in);
        /* Mostly the whole budget; else a small one per exit (the least with which every call
         * progresses, up to 4095 more), called again until done or (one in four of those) left
         * cut; the caller one of four vCPUs. */
        uint8_t mode = (op & 0x40) ? fz_u8(&in) : 0;
        uint64_t budget = mode ? PTVAL_ZERO_STEPS + (fz_u16(&in) & 0xfff) : 0;
        bool cut_once = (mode & 3) == 0 && mode != 0;
        unsigned who = (mode >> 2) & 3;
#define call(k, a, v) call(k, who, a, v, budget, cut_once)
        switch (op % 8) {
        case 0:
        case 1: { /* a validated update, mostly in the first entries of a frame */
            uint64_t f = take_frame(&in);
            uint8_t b = fz_u8(&in);
            unsigned i = (b & 0x80) ? fz_u16(&in) % 512 : b & 7;
            call(OP_UPDATE, fa(f) + 8 * i, take_pte(&in));
            break;
        }
        case 2:
            call(OP_UPDATE, take_wild(&in), take_pte(&in));
            break;
        case 3:
            call(OP_ZERO, (op & 0x80) ? take_wild(&in) : fa(take_frame(&in)), 0);
            break;
        case 4:
            call(OP_PIN, (op & 0x80) ? take_wild(&in) : fa(take_frame(&in)), 0);
            break;
        case 5:
            call(OP_UNPIN, (op & 0x80) ? take_wild(&in) : fa(take_frame(&in)), 0);
            break;
        case 6: { /* the guest stores into its own frame: tables are read-only to it unless hext */
            uint64_t f = take_frame(&in);
            uint8_t b = fz_u8(&in);
            uint64_t v = take_pte(&in);
            if (frames[f].type == PT_NONE || hext) {
                dirty[f] = 1;
                if (op & 0x80) {
                    memset(slot(f, 0), 0, 4096);
                } else {
                    *slot(f, (b & 0x80) ? (b & 0x7f) * 4 : b & 7) = v;
                }
            }
            check_all();
            break;
        }
        default:
            ptval_flush_if_pending(&pv);
            FUZZ_CHECK(!pv.flush_pending, "still pending after a flush");
            break;
        }
#undef call
    }
    pv.budget = UINT64_MAX;
    FUZZ_CHECK(ptval_finish(&pv) == SBI_SUCCESS, "an unlimited budget finishes any walk");
    /* Unpinning every root releases everything the guest validated (when it never tampered). */
    for (unsigned f = 0; f < NFRAMES; f++) {
        if (frames[f].pinned) {
            FUZZ_CHECK(ptval_unpin(&pv, 0, fa(f)) == SBI_SUCCESS, "final unpin of %u", f);
        }
    }
    check_all();
    if (!hext) {
        for (unsigned f = 0; f < NFRAMES; f++) {
            FUZZ_CHECK(frames[f].type == PT_NONE && frames[f].tcount == 0 && frames[f].wcount == 0,
                       "frame %u held after every root was unpinned", f);
        }
    }
    return 0;
}
