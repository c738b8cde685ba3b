// SPDX-License-Identifier: MIT
// The PV page-table validator's consistency check (ptval_check): every count, type and reference
// recomputed from the tables themselves, for tests and the fuzzers.
#include <stddef.h>
#include <string.h>

#include "pv/ptval_int.h"

/* Writes "frame F: what (a, b)" to why, cut to fit len (no printf here), and returns false. */
static bool fail(char *why, size_t len, uint64_t frame, const char *what, uint64_t a, uint64_t b)
{
    const char *text[] = { "frame ", ": ", what, " (", ", ", ")" };
    const uint64_t *num[] = { &frame, NULL, NULL, &a, &b, NULL }; /* printed after text[k] */
    size_t pos = 0;
    for (unsigned k = 0; k < 6 && why != NULL && len != 0; k++) {
        char d[20]; /* 2^64 - 1 has 20 digits */
        unsigned n = sizeof(d);
        for (uint64_t v = num[k] ? *num[k] : 0; num[k] && (n == sizeof(d) || v != 0); v /= 10) {
            d[--n] = (char)('0' + v % 10);
        }
        for (const char *c = text[k]; *c != '\0' && pos + 1 < len; c++) {
            why[pos++] = *c;
        }
        for (; n < sizeof(d) && pos + 1 < len; n++) {
            why[pos++] = d[n];
        }
        why[pos] = '\0';
    }
    return false;
}

/* The walk's place for frame f: its level on the stack, or NULL when it is not on it. */
static const struct ptval_level *on_stack(const struct ptval *pv, uint64_t f, unsigned *depth)
{
    for (unsigned d = 0; d < pv->job.depth; d++) {
        if (pv->job.stack[d].frame == f) {
            *depth = d;
            return &pv->job.stack[d];
        }
    }
    return NULL;
}

/* Whether entry i of typed frame f holds its references now: all do, but in a table of the walk
 * those not yet taken (the one whose child is being validated above it is), those given back by an
 * undo, and those dropped. */
static bool entry_held(const struct ptval *pv, uint64_t f, unsigned i)
{
    unsigned d;
    const struct ptval_level *t = on_stack(pv, f, &d);
    if (!t) {
        return true;
    }
    switch (t->mode) {
        case PTVAL_TAKE:
            return i < t->next || (i == t->next && d + 1 < pv->job.depth);
        case PTVAL_UNDO:
            return i <
                   t->next; /* a table above it is one of these entries' children, being dropped */
        default:
            return i >= t->next;
    }
}

/* Counts the references the typed tables hold to the frames [lo, hi) (in tc, wc) and to their chunk
 * (in *ws), checking every entry that holds them. */
static bool check_refs(const struct ptval *pv, uint64_t lo, uint64_t hi, uint32_t *tc, uint32_t *wc,
                       uint32_t *ws, char *why, size_t len)
{
    for (uint64_t f = 0; f < pv->nframes; f++) {
        unsigned type = pv->frames[f].type;
        if (type > PT_L2) {
            return fail(why, len, f, "bad type", type, 0);
        }
        if (type == PT_NONE) {
            continue;
        }
        const uint64_t *t = table(pv, f);
        for (unsigned i = 0; i < PTES; i++) {
            if (!entry_held(pv, f, i)) {
                continue;
            }
            uint64_t first = 0, n;
            long err = pte_shape(pv, t[i], type - 1, &first, &n);
            if (err != SBI_SUCCESS) {
                return fail(why, len, f, "entry (index, error) is invalid", i, (uint64_t)-err);
            }
            if (n != 0 && !pte_leaf(t[i])) {
                if (pv->frames[first].type != type - 1) {
                    return fail(why, len, f, "entry (index, frame) to another level", i, first);
                }
                if (first >= lo && first < hi) {
                    tc[first - lo]++;
                }
            } else if (n == 1 && (t[i] & PV_PTE_W) && first >= lo && first < hi) {
                wc[first - lo]++;
            } else if (n > 1 && (t[i] & PV_PTE_W) && first <= lo && lo < first + n) {
                (*ws)++; /* a superpage starts a chunk: it covers lo's if it covers lo */
            }
        }
    }
    /* The walk's first table holds one reference no entry has yet: the entry being updated, or the
     * pin (until the walk is over), unless it is being dropped. */
    const struct ptval_job *j = &pv->job;
    uint64_t bottom = j->stack[0].frame;
    if (j->depth > 0 && j->stack[0].mode != PTVAL_DROP && bottom >= lo && bottom < hi) {
        tc[bottom - lo]++;
    }
    return true;
}

bool ptval_check(const struct ptval *pv, char *why, size_t len)
{
    /* One chunk at a time; counts never pass UINT32_MAX (refused). */
    uint32_t tc[CHUNK_FRAMES], wc[CHUNK_FRAMES], ws;
    for (uint64_t lo = 0; lo < pv->nframes; lo += CHUNK_FRAMES) {
        uint64_t hi = pv->nframes - lo < CHUNK_FRAMES ? pv->nframes : lo + CHUNK_FRAMES;
        const struct pt_chunk *c = &pv->chunks[lo / CHUNK_FRAMES];
        uint32_t typed = 0;
        memset(tc, 0, sizeof(tc));
        memset(wc, 0, sizeof(wc));
        ws = 0;
        if (!check_refs(pv, lo, hi, tc, wc, &ws, why, len)) {
            return false;
        }
        for (uint64_t f = lo; f < hi; f++) {
            const struct pt_frame *pf = &pv->frames[f];
            unsigned d;
            const struct ptval_level *walk = on_stack(pv, f, &d);
            if (pf->pinned) {
                if (pf->type != PT_L2) {
                    return fail(why, len, f, "pinned but not a root (type, pinned)", pf->type, 1);
                }
                tc[f - lo]++;
            }
            if (pf->tcount != tc[f - lo]) {
                return fail(why, len, f, "tcount (have, expected)", pf->tcount, tc[f - lo]);
            }
            if (pf->wcount != wc[f - lo]) {
                return fail(why, len, f, "wcount (have, expected)", pf->wcount, wc[f - lo]);
            }
            /* Only a table being dropped has a type and no reference. */
            bool dropping = walk && walk->mode == PTVAL_DROP;
            if (pf->type != PT_NONE && ((pf->tcount == 0 && !dropping) || pf->wcount != 0)) {
                return fail(why, len, f, "table unreferenced or writable (tcount, wcount)",
                            pf->tcount, pf->wcount);
            }
            if (walk && pf->type == PT_NONE) {
                return fail(
                  why, len, f, "walk on a frame without a type (depth, mode)", d, walk->mode);
            }
            typed += pf->type != PT_NONE;
        }
        if (c->typed != typed) {
            return fail(why, len, lo, "chunk typed (have, expected)", c->typed, typed);
        }
        if (ptval_typed_frames(pv, lo, hi - lo) != typed) {
            return fail(why,
                        len,
                        lo,
                        "typed-frame tree (have, expected)",
                        ptval_typed_frames(pv, lo, hi - lo),
                        typed);
        }
        if (c->wsuper != ws) {
            return fail(why, len, lo, "chunk wsuper (have, expected)", c->wsuper, ws);
        }
        if (typed != 0 && ws != 0) {
            return fail(why, len, lo, "chunk with tables writable (typed, wsuper)", typed, ws);
        }
    }
    return true;
}
