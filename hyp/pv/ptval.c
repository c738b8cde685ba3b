// SPDX-License-Identifier: MIT
// Validated Sv39 page-table updates for PV guests: frame types and reference counts that keep a
// guest's tables out of its own writable reach (Xen's PV MMU and the lessons of its advisories).
#include "pv/ptval.h"

#include <string.h>

#include "hvabi.h"

#define PTES 512
#define PTE_RWX (PV_PTE_R | PV_PTE_W | PV_PTE_X)
/* Permissions whose loss must reach every TLB before a frame is reused (G: other ASIDs). */
#define PTE_PERMS (PTE_RWX | PV_PTE_U | PV_PTE_G)
/* Frames per struct pt_chunk: one 2 MiB superpage. */
#define CHUNK_FRAMES 512ull

static uint64_t pte_ppn(uint64_t pte)
{
    return (pte & PV_PTE_PPN_MASK) >> PV_PTE_PPN_SHIFT;
}

static bool pte_leaf(uint64_t pte)
{
    return (pte & PTE_RWX) != 0;
}

/* Index of the guest frame holding maddr. Compares indices, so base + nframes * 4096 never wraps;
 * base is 4 KiB aligned (the caller's contract), so a PPN names a whole frame. */
static bool frame_index(const struct ptval *pv, uint64_t maddr, uint64_t *idx)
{
    *idx = (maddr - pv->base) >> 12;
    return maddr >= pv->base && *idx < pv->nframes;
}

static uint64_t *table(const struct ptval *pv, uint64_t idx)
{
    return pv->ops.frame(pv->ops.ctx, pv->base + (idx << 12));
}

/* The rules for an entry at a level that do not depend on types (priv spec, supervisor chapter,
 * Sv39). On success *n frames from guest frame *first are referenced (none if not valid). */
static long pte_shape(const struct ptval *pv, uint64_t pte, unsigned level, uint64_t *first,
                      uint64_t *n)
{
    *n = 0;
    if (!(pte & PV_PTE_V)) {
        return SBI_SUCCESS; /* hardware ignores every other bit of an invalid PTE */
    }
    if (pte & PV_PTE_HIGH_MASK) {
        return SBI_ERR_INVALID_PARAM;
    }
    uint64_t count = 1;
    if (!pte_leaf(pte)) {
        /* "For non-leaf PTEs, the D, A, and U bits are reserved ... must be cleared by software" */
        if (level == 0 || (pte & (PV_PTE_A | PV_PTE_D | PV_PTE_U))) {
            return SBI_ERR_INVALID_PARAM;
        }
    } else {
        if ((pte & (PV_PTE_R | PV_PTE_W)) == PV_PTE_W) {
            return SBI_ERR_INVALID_PARAM; /* W without R is reserved */
        }
        count = 1ull << (9 * level); /* 4 KiB, 2 MiB or 1 GiB */
        if (pte_ppn(pte) & (count - 1)) {
            return SBI_ERR_INVALID_PARAM; /* a misaligned superpage is a page fault */
        }
        if (level > 0 && (pv->base & (CHUNK_FRAMES * 4096 - 1))) {
            return SBI_ERR_INVALID_PARAM; /* its frames would straddle two chunks (ptval.h) */
        }
    }
    uint64_t idx;
    if (!frame_index(pv, pte_ppn(pte) << 12, &idx) || count > pv->nframes - idx) {
        return SBI_ERR_INVALID_ADDRESS;
    }
    *first = idx;
    *n = count;
    return SBI_SUCCESS;
}

static long get_table(struct ptval *pv, uint64_t idx, unsigned type);
static void put_table(struct ptval *pv, uint64_t idx);

/* Checks pte as an entry at level and takes its references. Recursion: a non-leaf at level L takes
 * a table of level L - 1 (type L); pte_shape refuses non-leaves at level 0, so depth <= 3. A
 * writable leaf counts in its frame (4 KiB) or in each 2 MiB chunk it covers (at most 512). */
static long take_ref(struct ptval *pv, uint64_t pte, unsigned level)
{
    uint64_t first = 0, n;
    long err = pte_shape(pv, pte, level, &first, &n);
    if (err != SBI_SUCCESS || n == 0) {
        return err;
    }
    if (!pte_leaf(pte)) {
        return get_table(pv, first, level);
    }
    if (!(pte & PV_PTE_W)) {
        return SBI_SUCCESS; /* read-only and execute-only leaves may map anything of the guest */
    }
    /* XSA-148/182: no writable mapping, superpages included, reaches a table. Check, then count. */
    struct pt_frame *f = &pv->frames[first];
    struct pt_chunk *c = &pv->chunks[first / CHUNK_FRAMES];
    if (n == 1 && (f->type != PT_NONE || f->wcount == UINT32_MAX)) {
        return SBI_ERR_DENIED;
    }
    for (uint64_t i = 0; i < n / CHUNK_FRAMES; i++) {
        if (c[i].typed != 0 || c[i].wsuper == UINT32_MAX) {
            return SBI_ERR_DENIED;
        }
    }
    /* XSA-217: a frame that just stopped being a table may live on in walk caches: flush first. */
    ptval_flush_if_pending(pv);
    if (n == 1) {
        f->wcount++;
    }
    for (uint64_t i = 0; i < n / CHUNK_FRAMES; i++) {
        c[i].wsuper++;
    }
    return SBI_SUCCESS;
}

/* Drops what take_ref took for a PTE of a typed table. The guest may have written that table
 * itself (hext), so pte need not be one take_ref took: only a child table of this entry's level is
 * put (types fall at each step, so depth <= 3), and no count goes below zero. */
static void drop_ref(struct ptval *pv, uint64_t pte, unsigned level)
{
    uint64_t first = 0, n;
    if (pte_shape(pv, pte, level, &first, &n) != SBI_SUCCESS || n == 0) {
        return;
    }
    struct pt_frame *f = &pv->frames[first];
    struct pt_chunk *c = &pv->chunks[first / CHUNK_FRAMES];
    if (!pte_leaf(pte)) {
        if (f->type == level) {
            put_table(pv, first);
        }
    } else if (pte & PV_PTE_W) {
        if (n == 1 && f->wcount > 0) {
            f->wcount--;
        }
        for (uint64_t i = 0; i < n / CHUNK_FRAMES; i++) {
            if (c[i].wsuper > 0) {
                c[i].wsuper--;
            }
        }
    }
}

static long get_table(struct ptval *pv, uint64_t idx, unsigned type)
{
    struct pt_frame *f = &pv->frames[idx];
    if (f->type == type) {
        if (f->tcount == UINT32_MAX) {
            return SBI_ERR_DENIED;
        }
        f->tcount++;
        return SBI_SUCCESS;
    }
    struct pt_chunk *c = &pv->chunks[idx / CHUNK_FRAMES];
    if (f->type != PT_NONE || f->wcount != 0 || c->wsuper != 0) {
        return SBI_ERR_DENIED; /* a table at another level, or a frame mapped writable */
    }
    /* XSA-217: a writable mapping removed since the last flush may live on in a TLB; the guest
     * must not write the frame while (or after) it is validated. */
    ptval_flush_if_pending(pv);
    /* The type is set before the entries are read, so an entry reaching this frame (as a table of
     * another level, or writable) is refused. */
    f->type = (uint8_t)type;
    f->tcount = 1;
    c->typed++; /* at most 512: no overflow */
    const uint64_t *t = table(pv, idx);
    for (unsigned i = 0; i < PTES; i++) {
        long err = take_ref(pv, t[i], type - 1);
        if (err != SBI_SUCCESS) {
            while (i-- > 0) {
                drop_ref(pv, t[i], type - 1);
            }
            f->type = PT_NONE;
            f->tcount = 0;
            c->typed--;
            return err;
        }
    }
    return SBI_SUCCESS;
}

static void put_table(struct ptval *pv, uint64_t idx)
{
    struct pt_frame *f = &pv->frames[idx];
    /* Only entries the guest wrote itself lead to a frame that is no table, or to one without
     * references (a table has none only while its entries are dropped below): nothing to put. */
    if (f->type == PT_NONE || f->tcount == 0 || --f->tcount != 0) {
        return;
    }
    const uint64_t *t = table(pv, idx);
    for (unsigned i = 0; i < PTES; i++) {
        drop_ref(pv, t[i], f->type - 1u);
    }
    f->type = PT_NONE;
    pv->chunks[idx / CHUNK_FRAMES].typed--; /* it counts f: a type and typed change together */
    /* Walk caches may hold it as a table until a flush: get_table and take_ref flush first. */
    pv->flush_pending = true;
}

void ptval_init(struct ptval *pv, const struct ptval_ops *ops, uint64_t base, uint64_t nframes,
                struct pt_frame *frames, struct pt_chunk *chunks)
{
    pv->ops = *ops;
    pv->base = base;
    pv->nframes = nframes;
    pv->frames = frames;
    pv->chunks = chunks;
    pv->flush_pending = false;
}

long ptval_pin(struct ptval *pv, uint64_t root_maddr)
{
    uint64_t idx;
    if ((root_maddr & 0xfff) || !frame_index(pv, root_maddr, &idx)) {
        return SBI_ERR_INVALID_ADDRESS;
    }
    if (pv->frames[idx].pinned) {
        return SBI_ERR_DENIED;
    }
    long err = get_table(pv, idx, PT_L2);
    if (err == SBI_SUCCESS) {
        pv->frames[idx].pinned = 1; /* the pin holds the reference get_table took */
    }
    return err;
}

bool ptval_is_pinned_root(const struct ptval *pv, uint64_t root_maddr)
{
    uint64_t idx;
    return !(root_maddr & 0xfff) && frame_index(pv, root_maddr, &idx) && pv->frames[idx].pinned;
}

long ptval_unpin(struct ptval *pv, uint64_t root_maddr)
{
    uint64_t idx;
    if ((root_maddr & 0xfff) || !frame_index(pv, root_maddr, &idx) || !pv->frames[idx].pinned) {
        return SBI_ERR_DENIED;
    }
    pv->frames[idx].pinned = 0;
    put_table(pv, idx);
    return SBI_SUCCESS;
}

/* Whether replacing valid old with val removes or reduces a translation some TLB may hold. */
static bool pte_reduced(uint64_t old, uint64_t val)
{
    return !(val & PV_PTE_V) || pte_ppn(old) != pte_ppn(val) || pte_leaf(old) != pte_leaf(val) ||
           (old & ~val & PTE_PERMS) != 0;
}

long ptval_update(struct ptval *pv, uint64_t pte_maddr, uint64_t val)
{
    uint64_t idx;
    if ((pte_maddr & 7) || !frame_index(pv, pte_maddr, &idx)) {
        return SBI_ERR_INVALID_ADDRESS;
    }
    unsigned type = pv->frames[idx].type;
    if (type == PT_NONE) {
        /* Not a table: a plain write into the guest's own memory, which nothing here relies on. A
         * frame that just stopped being a table may still sit in a walk cache: flush first. */
        ptval_flush_if_pending(pv);
        table(pv, idx)[(pte_maddr & 0xfff) >> 3] = val;
        return SBI_SUCCESS;
    }
    unsigned level = type - 1;
    uint64_t *slot = table(pv, idx) + ((pte_maddr & 0xfff) >> 3);
    uint64_t old = *slot;
    /* Only A/D of a valid leaf change: no rule depends on them (A/D on a non-leaf are reserved). */
    if ((old & PV_PTE_V) && pte_leaf(old) && ((old ^ val) & ~(PV_PTE_A | PV_PTE_D)) == 0) {
        *slot = val;
        return SBI_SUCCESS;
    }
    /* New references first, so a child shared by old and val never drops to zero on the way. */
    long err = take_ref(pv, val, level);
    if (err != SBI_SUCCESS) {
        return err;
    }
    drop_ref(pv, old, level);
    *slot = val;
    if ((old & PV_PTE_V) && pte_reduced(old, val)) {
        pv->flush_pending = true;
    }
    return SBI_SUCCESS;
}

long ptval_zero(struct ptval *pv, uint64_t frame_maddr)
{
    uint64_t idx;

    if ((frame_maddr & 0xfff) || !frame_index(pv, frame_maddr, &idx)) {
        return SBI_ERR_INVALID_ADDRESS;
    }
    if (pv->frames[idx].type != PT_NONE) {
        return SBI_ERR_DENIED;
    }
    ptval_flush_if_pending(pv);
    uint64_t *t = table(pv, idx);
    for (unsigned i = 0; i < 512; i++) {
        t[i] = 0;
    }
    return SBI_SUCCESS;
}

void ptval_flush_if_pending(struct ptval *pv)
{
    if (pv->flush_pending) {
        pv->ops.flush(pv->ops.ctx);
        pv->flush_pending = false;
    }
}

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

/* Counts the references the typed tables hold to the frames [lo, hi) (in tc, wc) and to their chunk
 * (in *ws), checking every entry. */
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
            if (pf->type != PT_NONE && (pf->tcount == 0 || pf->wcount != 0)) {
                return fail(why, len, f, "table unreferenced or writable (tcount, wcount)",
                            pf->tcount, pf->wcount);
            }
            typed += pf->type != PT_NONE;
        }
        if (c->typed != typed) {
            return fail(why, len, lo, "chunk typed (have, expected)", c->typed, typed);
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
