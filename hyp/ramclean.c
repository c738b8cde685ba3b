// SPDX-License-Identifier: MIT
// Demand clearing of guest RAM: a bitmap of the pages that may be shown to the guest, and the
// clearing of the others in runs, a 64-page word at a time.
#include "ramclean.h"

/* The bits of word w that stand for pages of [first, first + n) (n > 0, range inside). */
static uint64_t word_mask(uint64_t w, uint64_t first, uint64_t n)
{
    uint64_t lo = w * 64 > first ? 0 : first - w * 64;
    uint64_t end = first + n, hi = end >= w * 64 + 64 ? 64 : end - w * 64;
    uint64_t upto = hi == 64 ? ~0ull : (1ull << hi) - 1;
    return upto & ~((1ull << lo) - 1);
}

/* Clears at most max of the pages of word w named by want that are not cleared yet; returns how
 * many it cleared. */
static uint64_t clean_word(struct ram_clean *rc, uint64_t w, uint64_t want, uint64_t max, ram_zero_fn zero,
                           void *ctx)
{
    uint64_t missing = want & ~rc->bits[w], done = 0;
    unsigned b = 0;

    while (missing >> b && done < max) {
        while (!((missing >> b) & 1)) {
            b++;
        }
        unsigned e = b;
        while (e < 64 && ((missing >> e) & 1) && done + (e - b) < max) {
            e++;
        }
        zero(ctx, w * 64 + b, e - b);
        uint64_t run = (e == 64 ? ~0ull : (1ull << e) - 1) & ~((1ull << b) - 1);
        rc->bits[w] |= run;
        done += e - b;
        b = e;
        if (b == 64) {
            break;
        }
    }
    return done;
}

void ram_clean_init(struct ram_clean *rc, uint64_t *bits, uint64_t npages)
{
    rc->bits = bits;
    rc->npages = npages;
    rc->sweep = 0;
    for (size_t w = 0; w < ram_clean_words(npages); w++) {
        bits[w] = 0;
    }
}

bool ram_clean_is(const struct ram_clean *rc, uint64_t first, uint64_t n)
{
    if (first >= rc->npages || n > rc->npages - first) {
        return false;
    }
    for (uint64_t w = first / 64; n && w <= (first + n - 1) / 64; w++) {
        uint64_t m = word_mask(w, first, n);
        if ((rc->bits[w] & m) != m) {
            return false;
        }
    }
    return true;
}

uint64_t ram_clean_missing(const struct ram_clean *rc, uint64_t first, uint64_t n)
{
    uint64_t missing = 0;

    if (n == 0 || first >= rc->npages || n > rc->npages - first) {
        return 0;
    }
    for (uint64_t w = first / 64; w <= (first + n - 1) / 64; w++) {
        /* Bit by bit, without a popcount instruction or libgcc's. */
        for (uint64_t m = word_mask(w, first, n) & ~rc->bits[w]; m; m &= m - 1) {
            missing++;
        }
    }
    return missing;
}

uint64_t ram_clean_make(struct ram_clean *rc, uint64_t first, uint64_t n, ram_zero_fn zero, void *ctx)
{
    uint64_t done = 0;

    if (n == 0 || first >= rc->npages || n > rc->npages - first) {
        return 0;
    }
    for (uint64_t w = first / 64; w <= (first + n - 1) / 64; w++) {
        done += clean_word(rc, w, word_mask(w, first, n), 64, zero, ctx);
    }
    return done;
}

bool ram_clean_step(struct ram_clean *rc, uint64_t first, uint64_t n, uint64_t near, uint64_t max,
                    ram_zero_fn zero, void *ctx)
{
    if (n == 0 || first >= rc->npages || n > rc->npages - first) {
        return false;
    }
    uint64_t done = 0, last = (first + n - 1) / 64;
    if (near >= first && near - first < n) {
        done += clean_word(rc, near / 64, word_mask(near / 64, first, n), max, zero, ctx);
    }
    for (uint64_t w = first / 64; w <= last && done < max; w++) {
        done += clean_word(rc, w, word_mask(w, first, n), max - done, zero, ctx);
    }
    return ram_clean_is(rc, first, n);
}

uint64_t ram_clean_sweep(struct ram_clean *rc, uint64_t max_words, uint64_t max, ram_zero_fn zero,
                         void *ctx)
{
    uint64_t words = ram_clean_words(rc->npages), done = 0;

    for (uint64_t looked = 0; rc->sweep < words && looked < max_words && done < max; looked++) {
        uint64_t w = rc->sweep;
        uint64_t want = word_mask(w, w * 64, rc->npages - w * 64 < 64 ? rc->npages - w * 64 : 64);
        done += clean_word(rc, w, want, max - done, zero, ctx);
        if ((rc->bits[w] & want) != want) {
            break; /* out of pages for this call: the word is taken up again next time */
        }
        rc->sweep++;
    }
    return done;
}
