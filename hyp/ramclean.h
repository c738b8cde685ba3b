/* SPDX-License-Identifier: MIT */
/* Which pages of a guest's RAM may be shown to it. Guest RAM comes from frames that may hold anything
 * (what a boot loader left, a previous run's guest after a warm reset, another guest): a page is
 * cleared the first time the guest or the hypervisor on its behalf touches it, not when the guest is
 * built, so building a guest costs the same whatever its RAM. One bit per 4 KiB page; pure logic,
 * unit tested on the host. */
#ifndef HYP_RAMCLEAN_H
#define HYP_RAMCLEAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ram_clean {
    uint64_t *bits;  /* bit set: the page holds only zeros or what the guest wrote or was given */
    uint64_t npages;
    uint64_t sweep;  /* the next bitmap word ram_clean_sweep looks at */
};

/* Clears n pages from page `first` of the guest's RAM (the caller knows where that is). */
typedef void (*ram_zero_fn)(void *ctx, uint64_t first, uint64_t n);

/* Bitmap words for npages pages. */
static inline size_t ram_clean_words(uint64_t npages)
{
    return (size_t)((npages + 63) / 64);
}

/* bits holds ram_clean_words(npages) words; every page starts not cleared. */
void ram_clean_init(struct ram_clean *rc, uint64_t *bits, uint64_t npages);

/* True when pages [first, first + n) are all inside and cleared (n 0: true when first is inside). */
bool ram_clean_is(const struct ram_clean *rc, uint64_t first, uint64_t n);

/* How many pages of [first, first + n) are not cleared yet (the range must be inside). */
uint64_t ram_clean_missing(const struct ram_clean *rc, uint64_t first, uint64_t n);

/* Clears every page of [first, first + n) that is not yet, one zero call per run of such pages, and
 * returns how many it cleared. The range must be inside (the caller checked it). */
uint64_t ram_clean_make(struct ram_clean *rc, uint64_t first, uint64_t n, ram_zero_fn zero, void *ctx);

/* Clears at most max pages of [first, first + n) that are not yet, beginning with the 64-page group
 * that holds `near` and going on from the start of the range; true when the whole range is cleared. */
bool ram_clean_step(struct ram_clean *rc, uint64_t first, uint64_t n, uint64_t near, uint64_t max,
                    ram_zero_fn zero, void *ctx);

/* Goes on clearing the whole RAM in order: at most max_words bitmap words looked at and max pages
 * cleared per call. Returns the pages it cleared; ram_clean_swept tells when it is done. */
uint64_t ram_clean_sweep(struct ram_clean *rc, uint64_t max_words, uint64_t max, ram_zero_fn zero,
                         void *ctx);
static inline bool ram_clean_swept(const struct ram_clean *rc)
{
    return rc->sweep >= ram_clean_words(rc->npages);
}

#endif
