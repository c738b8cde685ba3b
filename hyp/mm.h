/* SPDX-License-Identifier: MIT */
/* Physical frame allocator: one bitmap pool per RAM region the device tree reports, with a summary
 * bit per 64 frames so that a search skips busy memory 4096 frames at a time and runs are claimed and
 * released a word at a time. */
#ifndef HYP_MM_H
#define HYP_MM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PAGE_SHIFT 12
#define PAGE_SIZE (1ul << PAGE_SHIFT)
#define MM_MAX_POOLS 8

#define ALIGN_UP(x, a) (((x) + (a)-1) & ~((uint64_t)(a)-1))
#define ALIGN_DOWN(x, a) ((x) & ~((uint64_t)(a)-1))

struct frame_pool {
    uint64_t base;    /* address of frame 0, page aligned */
    uint64_t nframes;
    uint64_t nfree;
    uint64_t *bitmap; /* bit set = frame in use (allocated or reserved) */
    uint64_t *used;   /* bit set = frame handed out at least once since boot (may hold data) */
    uint64_t *some;   /* bit w set = bitmap word w has a free frame */
    uint64_t *empty;  /* bit w set = bitmap word w is wholly free (all 64 frames, or the pool's tail) */
    uint64_t words;   /* bitmap words: (nframes + 63) / 64 */
    uint64_t hint;    /* a word at or before the first with a free frame: where single frames start */
    uint64_t probes;  /* words the searches have looked at: what the unit tests hold bounded */
};

struct frame_alloc {
    struct frame_pool pools[MM_MAX_POOLS];
    unsigned npools;
};

/* Words a pool of `size` bytes needs for its bitmaps and summaries (a constant expression). */
#define FRAMES_WORDS_(size) (((size) / PAGE_SIZE + 63) / 64)
#define FRAMES_BITMAP_WORDS(size) (2 * FRAMES_WORDS_(size) + 2 * ((FRAMES_WORDS_(size) + 63) / 64))
size_t frames_bitmap_words(uint64_t size);

/* Adds [base, base + size) shrunk to whole pages; `bitmap` must hold frames_bitmap_words(size) words.
 * Every frame starts free. Returns 0, or HV_EINVAL / HV_ENOMEM (overlap, no room for another pool). */
int frames_add_pool(struct frame_alloc *fa, uint64_t base, uint64_t size, uint64_t *bitmap);

/* Marks every frame that [base, base + size) touches as in use; parts outside all pools are ignored. */
void frames_reserve(struct frame_alloc *fa, uint64_t base, uint64_t size);

/* n contiguous free frames whose address is a multiple of align (a power of two >= PAGE_SIZE).
 * Returns the address, or 0 when no run fits. The memory is not cleared here. */
uint64_t frames_alloc(struct frame_alloc *fa, uint64_t n, uint64_t align);

/* Returns n frames from addr. Frames that are not allocated, or outside every pool, are refused as a
 * whole (HV_EINVAL) so a double free cannot corrupt the counts. */
int frames_free(struct frame_alloc *fa, uint64_t addr, uint64_t n);

/* For an allocated run: calls scrub for every sub-run that an earlier allocation handed out (it may
 * hold a previous owner's data), then marks the whole run as handed out. Frames nobody has had since
 * boot hold only what the firmware left there and need no clearing. */
void frames_scrub(struct frame_alloc *fa, uint64_t addr, uint64_t n,
                  void (*scrub)(void *ctx, uint64_t pa, uint64_t n), void *ctx);

uint64_t frames_free_count(const struct frame_alloc *fa);
/* Bytes of the largest run of free frames whose start is a multiple of align (for refusals: it walks
 * every bitmap, so it is not for exits). */
uint64_t frames_largest_run(const struct frame_alloc *fa, uint64_t align);
/* A hash of which frames are in use: equal before and after work that gave back all it took. */
uint64_t frames_fingerprint(const struct frame_alloc *fa);
bool frames_in_use(const struct frame_alloc *fa, uint64_t addr);

#endif
