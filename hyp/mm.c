// SPDX-License-Identifier: MIT
// Physical frame allocator. Pure logic over caller-provided bitmaps, so the host unit tests run it as is.
#include "mm.h"

#include "hverr.h"

static bool bit_get(const uint64_t *bm, uint64_t i)
{
    return (bm[i / 64] >> (i % 64)) & 1;
}

static void bit_set(uint64_t *bm, uint64_t i, bool v)
{
    if (v) {
        bm[i / 64] |= 1ull << (i % 64);
    } else {
        bm[i / 64] &= ~(1ull << (i % 64));
    }
}

static size_t words(uint64_t size)
{
    return (size_t)((size / PAGE_SIZE + 63) / 64);
}

size_t frames_bitmap_words(uint64_t size)
{
    return 2 * words(size);
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
    p->bitmap = bitmap;
    p->used = bitmap + words(p->nframes * PAGE_SIZE);
    for (size_t w = 0; w < frames_bitmap_words(p->nframes * PAGE_SIZE); w++) {
        bitmap[w] = 0;
    }
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
        for (uint64_t a = ALIGN_DOWN(lo, PAGE_SIZE); a < hi; a += PAGE_SIZE) {
            uint64_t f = (a - p->base) / PAGE_SIZE;
            if (!bit_get(p->bitmap, f)) {
                bit_set(p->bitmap, f, true);
                p->nfree--;
            }
        }
    }
}

static uint64_t pool_alloc(struct frame_pool *p, uint64_t n, uint64_t align)
{
    /* The first frame index whose address is aligned. */
    uint64_t f = (ALIGN_UP(p->base, align) - p->base) / PAGE_SIZE;

    if (n == 0 || n > p->nfree) {
        return 0;
    }
    while (f + n <= p->nframes) {
        uint64_t used = n;
        /* Scan the candidate run from its end, so a busy frame lets us skip past it at once. */
        while (used > 0 && !bit_get(p->bitmap, f + used - 1)) {
            used--;
        }
        if (used == 0) {
            for (uint64_t i = 0; i < n; i++) {
                bit_set(p->bitmap, f + i, true);
            }
            p->nfree -= n;
            return p->base + f * PAGE_SIZE;
        }
        uint64_t next = f + used; /* first frame after the busy one */
        f = (ALIGN_UP(p->base + next * PAGE_SIZE, align) - p->base) / PAGE_SIZE;
    }
    return 0;
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
    for (uint64_t i = 0; i < n; i++) {
        if (!bit_get(p->bitmap, f + i)) {
            return HV_EINVAL;
        }
    }
    for (uint64_t i = 0; i < n; i++) {
        bit_set(p->bitmap, f + i, false);
    }
    p->nfree += n;
    return HV_OK;
}

void frames_scrub(struct frame_alloc *fa, uint64_t addr, uint64_t n,
                  void (*scrub)(void *ctx, uint64_t pa, uint64_t n), void *ctx)
{
    struct frame_pool *p = pool_of(fa, addr);

    if (!p || n > p->nframes - (addr - p->base) / PAGE_SIZE) {
        return;
    }
    uint64_t f = (addr - p->base) / PAGE_SIZE;
    for (uint64_t i = 0; i < n;) {
        if (!bit_get(p->used, f + i)) {
            bit_set(p->used, f + i, true);
            i++;
            continue;
        }
        uint64_t run = 0;
        while (i + run < n && bit_get(p->used, f + i + run)) {
            run++;
        }
        scrub(ctx, p->base + (f + i) * PAGE_SIZE, run);
        i += run;
    }
}

uint64_t frames_free_count(const struct frame_alloc *fa)
{
    uint64_t n = 0;

    for (unsigned i = 0; i < fa->npools; i++) {
        n += fa->pools[i].nfree;
    }
    return n;
}

bool frames_in_use(const struct frame_alloc *fa, uint64_t addr)
{
    const struct frame_pool *p = pool_of(fa, addr);

    return p && bit_get(p->bitmap, (addr - p->base) / PAGE_SIZE);
}

uint64_t frames_fingerprint(const struct frame_alloc *fa)
{
    uint64_t h = 14695981039346656037ull; /* FNV-1a over the in-use bitmaps, word by word */

    for (unsigned p = 0; p < fa->npools; p++) {
        const struct frame_pool *pool = &fa->pools[p];
        for (uint64_t w = 0; w < (pool->nframes + 63) / 64; w++) {
            h = (h ^ pool->bitmap[w]) * 1099511628211ull;
        }
    }
    return h;
}
