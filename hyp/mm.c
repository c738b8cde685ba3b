// SPDX-License-Identifier: MIT
// Physical frame allocator. Pure logic over caller-provided bitmaps, so the host unit tests run it as
// is. Runs are claimed, released and scrubbed a 64-frame word at a time, and searches go through two
// summaries (a bit per word: "has a free frame", "is wholly free"), so a 2 GiB guest's RAM costs a few
// thousand word operations, not half a million bit operations, and busy memory is skipped 4096 frames
// per summary word.
#include "mm.h"

#include "hverr.h"

#define ALL ~0ull

/* Trailing zeros of a non-zero word. Written out (de Bruijn) rather than __builtin_ctzll: without Zbb
 * the compiler calls libgcc, whose default multilib is built for another ABI than this image. */
static uint64_t ctz(uint64_t x)
{
    static const uint8_t pos[64] = {
        0,  1,  2,  53, 3,  7,  54, 27, 4,  38, 41, 8,  34, 55, 48, 28, 62, 5,  39, 46, 44, 42,
        22, 9,  24, 35, 59, 56, 49, 18, 29, 11, 63, 52, 6,  26, 37, 40, 33, 47, 61, 45, 43, 21,
        23, 58, 17, 10, 51, 25, 36, 32, 60, 20, 57, 16, 50, 31, 19, 15, 30, 14, 13, 12,
    };
    return pos[((x & -x) * 0x022fdd63cc95386dull) >> 58];
}

static uint64_t popcount(uint64_t x)
{
    x = x - ((x >> 1) & 0x5555555555555555ull);
    x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
    return (x * 0x0101010101010101ull) >> 56;
}

/* The bits [lo, hi) of one word, lo < hi <= 64. */
static uint64_t bits(uint64_t lo, uint64_t hi)
{
    return (hi == 64 ? ALL : (1ull << hi) - 1) & ~((1ull << lo) - 1);
}

size_t frames_bitmap_words(uint64_t size)
{
    return (size_t)FRAMES_BITMAP_WORDS(size);
}

/* The frames a word covers that lie in the pool: all 64 but in the last word. */
static uint64_t word_mask(const struct frame_pool *p, uint64_t w)
{
    uint64_t tail = p->nframes - w * 64;
    return tail >= 64 ? ALL : bits(0, tail);
}

/* Re-derives the summary bits of bitmap words [w0, w1]. */
static void summarize(struct frame_pool *p, uint64_t w0, uint64_t w1)
{
    for (uint64_t w = w0; w <= w1; w++) {
        uint64_t m = word_mask(p, w), b = 1ull << (w % 64);
        p->some[w / 64] = (p->bitmap[w] & m) != m ? p->some[w / 64] | b : p->some[w / 64] & ~b;
        p->empty[w / 64] = (p->bitmap[w] & m) == 0 ? p->empty[w / 64] | b : p->empty[w / 64] & ~b;
    }
    if (w0 < p->hint && (p->some[w0 / 64] >> (w0 % 64)) & 1) {
        p->hint = w0;
    }
}

/* Sets (val) or clears the bits [f, f + n) of a bitmap. */
static void range_set(uint64_t *bm, uint64_t f, uint64_t n, bool val)
{
    while (n > 0) {
        uint64_t lo = f % 64, k = 64 - lo < n ? 64 - lo : n, m = bits(lo, lo + k);
        bm[f / 64] = val ? bm[f / 64] | m : bm[f / 64] & ~m;
        f += k;
        n -= k;
    }
}

/* The first frame in [f, f + n) whose bit is set, or f + n when none is. */
static uint64_t range_first_set(const uint64_t *bm, uint64_t f, uint64_t n, uint64_t *probes)
{
    uint64_t end = f + n;
    while (f < end) {
        ++*probes;
        uint64_t lo = f % 64, k = 64 - lo < end - f ? 64 - lo : end - f;
        uint64_t hit = bm[f / 64] & bits(lo, lo + k);
        if (hit) {
            return f - lo + ctz(hit);
        }
        f += k;
    }
    return end;
}

int frames_add_pool(struct frame_alloc *fa, uint64_t base, uint64_t size, uint64_t *bitmap)
{
    uint64_t start = ALIGN_UP(base, PAGE_SIZE);
    uint64_t end = base + size < base ? ALIGN_DOWN(~0ull, PAGE_SIZE) : ALIGN_DOWN(base + size, PAGE_SIZE);

    if (fa->npools == MM_MAX_POOLS) {
        return HV_ENOMEM;
    }
    if (end <= start || !bitmap) {
        return HV_EINVAL;
    }
    for (unsigned i = 0; i < fa->npools; i++) {
        const struct frame_pool *p = &fa->pools[i];
        if (start < p->base + p->nframes * PAGE_SIZE && p->base < end) {
            return HV_EINVAL;
        }
    }
    struct frame_pool *p = &fa->pools[fa->npools++];
    p->base = start;
    p->nframes = (end - start) / PAGE_SIZE;
    p->nfree = p->nframes;
    p->words = (p->nframes + 63) / 64;
    p->bitmap = bitmap;
    p->used = bitmap + p->words;
    p->some = p->used + p->words;
    p->empty = p->some + (p->words + 63) / 64;
    for (size_t w = 0; w < frames_bitmap_words(p->nframes * PAGE_SIZE); w++) {
        bitmap[w] = 0;
    }
    summarize(p, 0, p->words - 1);
    p->hint = 0;
    return HV_OK;
}

void frames_reserve(struct frame_alloc *fa, uint64_t base, uint64_t size)
{
    uint64_t end = base + size < base ? ~0ull : base + size;

    for (unsigned i = 0; i < fa->npools; i++) {
        struct frame_pool *p = &fa->pools[i];
        uint64_t pend = p->base + p->nframes * PAGE_SIZE;
        uint64_t lo = base > p->base ? base : p->base;
        uint64_t hi = end < pend ? end : pend;
        if (lo >= hi) {
            continue;
        }
        uint64_t f0 = (ALIGN_DOWN(lo, PAGE_SIZE) - p->base) / PAGE_SIZE;
        uint64_t f1 = (ALIGN_UP(hi, PAGE_SIZE) - p->base) / PAGE_SIZE;
        for (uint64_t f = f0; f < f1;) {
            uint64_t lo_b = f % 64, k = 64 - lo_b < f1 - f ? 64 - lo_b : f1 - f;
            uint64_t fresh = ~p->bitmap[f / 64] & bits(lo_b, lo_b + k);
            p->nfree -= popcount(fresh);
            p->bitmap[f / 64] |= fresh;
            f += k;
        }
        summarize(p, f0 / 64, (f1 - 1) / 64);
    }
}

/* The next bitmap word at or after w that a summary marks, or p->words when none is. */
static uint64_t next_marked(struct frame_pool *p, const uint64_t *summary, uint64_t w)
{
    uint64_t sw = (p->words + 63) / 64;
    for (uint64_t i = w / 64; i < sw; i++) {
        p->probes++;
        uint64_t hit = summary[i] & (i == w / 64 ? bits(w % 64, 64) : ALL);
        if (hit) {
            uint64_t found = i * 64 + ctz(hit);
            return found < p->words ? found : p->words;
        }
    }
    return p->words;
}

/* The first frame at or after f whose address is a multiple of af frames. */
static uint64_t align_frame(const struct frame_pool *p, uint64_t f, uint64_t af)
{
    return (ALIGN_UP(p->base + f * PAGE_SIZE, af * PAGE_SIZE) - p->base) / PAGE_SIZE;
}

/* The first aligned run of n free frames at or after frame f, or p->nframes when there is none.
 * Candidates come from the summaries: a run starts in a word with a free frame, and a run of 128
 * frames or more wholly covers a free word within its first 127 frames, so after a busy frame the
 * search resumes just before the next wholly free word. */
static uint64_t find_run(struct frame_pool *p, uint64_t f, uint64_t n, uint64_t af)
{
    while (f < p->nframes && n <= p->nframes - f) {
        uint64_t w = next_marked(p, p->some, f / 64);
        if (w == p->words) {
            return p->nframes;
        }
        if (w * 64 > f) {
            f = align_frame(p, w * 64, af);
            continue;
        }
        /* Straight to the word's first free frame at or after f. */
        uint64_t free = ~p->bitmap[w] & word_mask(p, w) & bits(f % 64, 64);
        if (!free) {
            f = align_frame(p, (w + 1) * 64, af);
            continue;
        }
        if (w * 64 + ctz(free) != f) {
            f = align_frame(p, w * 64 + ctz(free), af);
            continue;
        }
        if (n > p->nframes - f) {
            break;
        }
        uint64_t busy = range_first_set(p->bitmap, f, n, &p->probes);
        if (busy == f + n) {
            return f;
        }
        uint64_t next = busy + 1;
        if (n >= 128) {
            uint64_t e = next_marked(p, p->empty, next / 64);
            next = e * 64 > next + 63 ? e * 64 - 63 : next;
        }
        f = align_frame(p, next, af);
    }
    return p->nframes;
}

static uint64_t pool_alloc(struct frame_pool *p, uint64_t n, uint64_t align)
{
    if (n == 0 || n > p->nfree) {
        return 0;
    }
    uint64_t af = align / PAGE_SIZE;
    /* Single frames start at the hint: below it nothing is free. */
    uint64_t from = n == 1 && af == 1 ? p->hint * 64 : 0;
    uint64_t hit = find_run(p, align_frame(p, from, af), n, af);
    if (hit >= p->nframes) {
        return 0;
    }
    range_set(p->bitmap, hit, n, true);
    p->nfree -= n;
    summarize(p, hit / 64, (hit + n - 1) / 64);
    if (n == 1 && af == 1) {
        p->hint = hit / 64;
    }
    return p->base + hit * PAGE_SIZE;
}

uint64_t frames_alloc(struct frame_alloc *fa, uint64_t n, uint64_t align)
{
    if (align < PAGE_SIZE || (align & (align - 1)) != 0) {
        return 0;
    }
    for (unsigned i = 0; i < fa->npools; i++) {
        uint64_t a = pool_alloc(&fa->pools[i], n, align);
        if (a) {
            return a;
        }
    }
    return 0;
}

static struct frame_pool *pool_of(const struct frame_alloc *fa, uint64_t addr)
{
    for (unsigned i = 0; i < fa->npools; i++) {
        const struct frame_pool *p = &fa->pools[i];
        if (addr >= p->base && (addr - p->base) / PAGE_SIZE < p->nframes) {
            return (struct frame_pool *)p;
        }
    }
    return 0;
}

int frames_free(struct frame_alloc *fa, uint64_t addr, uint64_t n)
{
    struct frame_pool *p = pool_of(fa, addr);

    if (!p || (addr & (PAGE_SIZE - 1)) || n == 0) {
        return HV_EINVAL;
    }
    uint64_t f = (addr - p->base) / PAGE_SIZE;
    if (n > p->nframes - f) {
        return HV_EINVAL;
    }
    /* Every frame must be in use: a double free is refused whole, before anything changes. */
    for (uint64_t g = f; g < f + n;) {
        uint64_t lo = g % 64, k = 64 - lo < f + n - g ? 64 - lo : f + n - g, m = bits(lo, lo + k);
        if ((p->bitmap[g / 64] & m) != m) {
            return HV_EINVAL;
        }
        g += k;
    }
    range_set(p->bitmap, f, n, false);
    p->nfree += n;
    summarize(p, f / 64, (f + n - 1) / 64);
    return HV_OK;
}

void frames_scrub(struct frame_alloc *fa, uint64_t addr, uint64_t n,
                  void (*scrub)(void *ctx, uint64_t pa, uint64_t n), void *ctx)
{
    struct frame_pool *p = pool_of(fa, addr);

    if (!p || n > p->nframes - (addr - p->base) / PAGE_SIZE) {
        return;
    }
    uint64_t f = (addr - p->base) / PAGE_SIZE, end = f + n;
    /* Runs that were handed out before are scrubbed; then the whole range counts as handed out. */
    for (uint64_t g = f; g < end;) {
        uint64_t start = range_first_set(p->used, g, end - g, &p->probes);
        if (start == end) {
            break;
        }
        uint64_t stop = start;
        while (stop < end) {
            uint64_t lo = stop % 64, k = 64 - lo < end - stop ? 64 - lo : end - stop;
            uint64_t gap = ~p->used[stop / 64] & bits(lo, lo + k);
            if (gap) {
                stop = stop - lo + ctz(gap);
                break;
            }
            stop += k;
        }
        scrub(ctx, p->base + start * PAGE_SIZE, stop - start);
        g = stop;
    }
    range_set(p->used, f, n, true);
}

uint64_t frames_free_count(const struct frame_alloc *fa)
{
    uint64_t n = 0;

    for (unsigned i = 0; i < fa->npools; i++) {
        n += fa->pools[i].nfree;
    }
    return n;
}

uint64_t frames_largest_run(const struct frame_alloc *fa, uint64_t align)
{
    uint64_t best = 0;

    for (unsigned i = 0; i < fa->npools; i++) {
        const struct frame_pool *p = &fa->pools[i];
        uint64_t run_start = 0, run = 0;
        for (uint64_t f = 0; f < p->nframes;) {
            uint64_t w = f / 64;
            bool whole = f % 64 == 0 && (p->bitmap[w] & word_mask(p, w)) == 0;
            uint64_t k = whole ? p->nframes - f < 64 ? p->nframes - f : 64 : 1;
            bool free = whole || !((p->bitmap[w] >> (f % 64)) & 1);
            if (free) {
                run_start = run ? run_start : f;
                run += k;
                /* The usable part starts at the first aligned address of the run. */
                uint64_t a0 = ALIGN_UP(p->base + run_start * PAGE_SIZE, align);
                uint64_t e = p->base + (run_start + run) * PAGE_SIZE;
                best = e > a0 && e - a0 > best ? e - a0 : best;
            } else {
                run = 0;
            }
            f += k;
        }
    }
    return best;
}

bool frames_in_use(const struct frame_alloc *fa, uint64_t addr)
{
    const struct frame_pool *p = pool_of(fa, addr);
    uint64_t f = p ? (addr - p->base) / PAGE_SIZE : 0;

    return p && ((p->bitmap[f / 64] >> (f % 64)) & 1);
}

uint64_t frames_fingerprint(const struct frame_alloc *fa)
{
    uint64_t h = 14695981039346656037ull; /* FNV-1a over the in-use bitmaps, word by word */

    for (unsigned p = 0; p < fa->npools; p++) {
        const struct frame_pool *pool = &fa->pools[p];
        for (uint64_t w = 0; w < pool->words; w++) {
            h = (h ^ pool->bitmap[w]) * 1099511628211ull;
        }
    }
    return h;
}
