// SPDX-License-Identifier: MIT
// Validated Sv39 page-table updates for PV guests: frame types and reference counts that keep a
// guest's tables out of its own writable reach (Xen's PV MMU and the lessons of its advisories).
#include "pv/ptval.h"

#include <string.h>

#include "hvabi.h"
#include "pv/ptval_int.h"

/* ---- counts ---- */

/* Fenwick tree over frames (typed_tree[i] covers frames (i + 1 - lowbit(i + 1), i]): a count of
 * the tables in any range in O(log n), so a DMA check costs the same whatever its length. */
static void tree_add(struct ptval *pv, uint64_t idx, bool typed)
{
    for (uint64_t i = idx + 1; i <= pv->nframes; i += i & (~i + 1)) {
        pv->typed_tree[i - 1] += typed ? 1u : UINT32_MAX; /* -1, modulo 2^32 */
    }
}

static uint64_t tree_prefix(const struct ptval *pv, uint64_t n)
{
    uint64_t sum = 0;
    for (uint64_t i = n; i > 0; i -= i & (~i + 1)) {
        sum += pv->typed_tree[i - 1];
    }
    return sum;
}

/* Gives frame idx a type or takes it away; the chunk's count and the tree follow. */
static void set_type(struct ptval *pv, uint64_t idx, unsigned type)
{
    struct pt_frame *f = &pv->frames[idx];
    if ((f->type == PT_NONE) != (type == PT_NONE)) {
        struct pt_chunk *c = &pv->chunks[idx / CHUNK_FRAMES];
        c->typed += type != PT_NONE ? 1u : UINT32_MAX; /* at most 512, never below 0 */
        tree_add(pv, idx, type != PT_NONE);
    }
    if (type != PT_NONE) {
        pv->retyped = true;
    }
    f->type = (uint8_t)type;
}

static bool charge(struct ptval *pv, uint64_t steps)
{
    if (pv->budget < steps) {
        return false;
    }
    pv->budget -= steps;
    return true;
}

/* ---- one entry ---- */

#define NO_CHILD UINT64_MAX

/* Checks pte as an entry at level and takes its references. A non-leaf names a table of level
 * level - 1 (type level): one that has the type gains a reference; one that has none gets the type
 * and one reference, and is handed back in *child, still to be validated (its entries are the
 * walk's next steps). A writable leaf counts in its frame (4 KiB) or in each 2 MiB chunk it covers
 * (at most 512). */
static STEP_INLINE long take_entry(struct ptval *pv, uint64_t pte, unsigned level, uint64_t *child)
{
    uint64_t first = 0, n;
    *child = NO_CHILD;
    long err = pte_shape(pv, pte, level, &first, &n);
    if (err != SBI_SUCCESS || n == 0) {
        return err;
    }
    struct pt_frame *f = &pv->frames[first];
    struct pt_chunk *c = &pv->chunks[first / CHUNK_FRAMES];
    if (!pte_leaf(pte)) {
        if (f->type == level) {
            if (f->tcount == UINT32_MAX) {
                return SBI_ERR_DENIED;
            }
            f->tcount++;
            return SBI_SUCCESS;
        }
        if (f->type != PT_NONE || f->wcount != 0 || c->wsuper != 0) {
            return SBI_ERR_DENIED; /* a table at another level, or a frame mapped writable */
        }
        /* XSA-217: a writable mapping removed since the last flush may live on in a TLB; the guest
         * must not write the frame while (or after) it is validated. The type is set before its
         * entries are read, so an entry reaching this frame (as a table of another level, or
         * writable) is refused. */
        ptval_flush_if_pending(pv);
        set_type(pv, first, level);
        f->tcount = 1;
        *child = first;
        return SBI_SUCCESS;
    }
    if (!(pte & PV_PTE_W)) {
        return SBI_SUCCESS; /* read-only and execute-only leaves may map anything of the guest */
    }
    /* XSA-148/182: no writable mapping, superpages included, reaches a table. Check, then count. */
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

/* Drops what take_entry took for a PTE of a typed table. The guest may have written that table
 * itself (hext), so pte need not be one take_entry took: only a child table of this entry's level
 * with references left is followed (its type is then one below, so the walk is at most 3 deep), and
 * no count goes below zero. A child left without references is handed back in *child: its entries
 * are the walk's next steps. */
static STEP_INLINE void drop_entry(struct ptval *pv, uint64_t pte, unsigned level, uint64_t *child)
{
    uint64_t first = 0, n;
    *child = NO_CHILD;
    if (pte_shape(pv, pte, level, &first, &n) != SBI_SUCCESS || n == 0) {
        return;
    }
    struct pt_frame *f = &pv->frames[first];
    struct pt_chunk *c = &pv->chunks[first / CHUNK_FRAMES];
    if (!pte_leaf(pte)) {
        if (f->type == level && f->tcount > 0 && --f->tcount == 0) {
            *child = first;
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

/* ---- the walk ---- */

static void push(struct ptval *pv, uint64_t frame, enum ptval_mode mode)
{
    struct ptval_job *j = &pv->job;
    /* Invariant: each table pushed is a child of the one below, a level lower (take_entry and
     * drop_entry hand back only those), so three levels never overflow the stack. */
    if (j->depth < 3) {
        j->stack[j->depth++] = (struct ptval_level){ frame, table(pv, frame), 0, (uint8_t)mode };
    }
}

/* One step of the table on top of the stack, or the end of its walk. False when out of budget. */
static bool walk_step(struct ptval *pv)
{
    struct ptval_job *j = &pv->job;
    struct ptval_level *t = &j->stack[j->depth - 1];
    unsigned type = pv->frames[t->frame].type;
    uint64_t child = NO_CHILD;

    /* Invariant: a table on the stack keeps its type until its own walk ends (no other call runs
     * meanwhile, and a guest's own writes change no type); checked, as nothing else is done. */
    if (type == PT_NONE || type > PT_L2) {
        j->depth--;
        return true;
    }

    if (t->mode == PTVAL_TAKE && j->phase == PTVAL_UNDO) {
        t->mode = PTVAL_UNDO; /* a table above it failed: undo what this one took, next down */
    }
    if (t->mode == PTVAL_TAKE && t->next == PTES) {
        j->depth--; /* validated */
        if (j->depth > 0) {
            j->stack[j->depth - 1].next++; /* the parent's entry that named it is taken now */
        }
        return true;
    }
    if (t->mode == PTVAL_UNDO && t->next == 0) {
        /* Everything it took is given back: the type the walk gave it goes too. It was never
         * reachable by the hardware (the entry naming it was not written yet), so no flush. */
        pv->frames[t->frame].tcount = 0;
        set_type(pv, t->frame, PT_NONE);
        j->depth--;
        return true;
    }
    if (t->mode == PTVAL_DROP && t->next == PTES) {
        set_type(pv, t->frame, PT_NONE);
        /* Walk caches may hold it as a table until a flush: take_entry and writes flush first. */
        pv->flush_pending = true;
        j->depth--;
        return true;
    }
    /* Then its entries, one step each, as many as the budget allows or until one hands back a
     * child to walk first. An invalid entry holds nothing: it is only counted. */
    uint64_t room = pv->budget, steps = 0;
    unsigned level = type - 1;
    if (room == 0) {
        return false;
    }
    if (t->mode == PTVAL_TAKE) {
        /* Each entry is read once, into hypervisor memory: an undo drops what was taken, even if
         * the guest rewrote the table meanwhile (it can on hext). */
        uint64_t *seen = pv->seen[level];
        while (t->next < PTES && steps < room) {
            uint64_t e = t->t[t->next];
            seen[t->next] = e;
            steps++;
            if (!(e & PV_PTE_V)) {
                t->next++;
                continue;
            }
            long err = take_entry(pv, e, level, &child);
            if (err != SBI_SUCCESS) {
                j->err = err;
                j->phase = PTVAL_UNDO;
                t->mode = PTVAL_UNDO; /* entries [0, next) are taken */
                break;
            }
            if (child != NO_CHILD) {
                push(pv, child, PTVAL_TAKE); /* next moves on when the child is validated */
                break;
            }
            t->next++;
        }
    } else {
        bool undo = t->mode == PTVAL_UNDO;
        const uint64_t *from = undo ? pv->seen[level] : t->t;
        while ((undo ? t->next > 0 : t->next < PTES) && steps < room) {
            uint64_t e = undo ? from[--t->next] : from[t->next++];
            steps++;
            if (!(e & PV_PTE_V)) {
                continue;
            }
            drop_entry(pv, e, level, &child);
            if (child != NO_CHILD) {
                push(pv, child, PTVAL_DROP);
                break;
            }
        }
    }
    pv->budget -= steps;
    return true;
}

static uint64_t *slot_of(const struct ptval *pv, uint64_t pte_maddr)
{
    return table(pv, (pte_maddr - pv->base) >> 12) + ((pte_maddr & 0xfff) >> 3);
}

/* Whether replacing valid old with val removes or reduces a translation some TLB may hold. */
static bool pte_reduced(uint64_t old, uint64_t val)
{
    return !(val & PV_PTE_V) || pte_ppn(old) != pte_ppn(val) || pte_leaf(old) != pte_leaf(val) ||
           (old & ~val & PTE_PERMS) != 0;
}

/* An update whose new references are taken: the entry changes, and the old one's go. */
static void update_write(struct ptval *pv, uint64_t pte_maddr, uint64_t val)
{
    uint64_t *slot = slot_of(pv, pte_maddr);
    unsigned level = pv->frames[(pte_maddr - pv->base) >> 12].type - 1u;
    uint64_t old = *slot, child;

    *slot = val;
    if ((old & PV_PTE_V) && pte_reduced(old, val)) {
        pv->flush_pending = true;
    }
    drop_entry(pv, old, level, &child);
    pv->job.phase = PTVAL_DROP;
    if (child != NO_CHILD) {
        push(pv, child, PTVAL_DROP);
    }
}

/* What a walk that has ended means for its call. Returns true when the call is done. */
static bool job_end_of_walk(struct ptval *pv)
{
    struct ptval_job *j = &pv->job;
    if (j->phase == PTVAL_UNDO || j->phase == PTVAL_DROP) {
        return true;
    }
    /* PTVAL_TAKE: the new references are all taken. */
    if (j->kind == PTVAL_JOB_PIN) {
        uint64_t idx = (j->a - pv->base) >> 12;
        pv->frames[idx].pinned = 1; /* the pin holds the reference the walk's first table took */
        if (pv->reserved_slot != PTVAL_NO_SLOT) {
            table(pv, idx)[pv->reserved_slot] = pv->reserved_entry;
        }
        return true;
    }
    update_write(pv, j->a, j->b);
    return j->depth == 0;
}

/* Runs the walk in progress to its end, or until the budget runs out (PTVAL_AGAIN). At its end the
 * job is over and its result returned. */
static long job_run(struct ptval *pv)
{
    struct ptval_job *j = &pv->job;
    for (;;) {
        if (j->depth == 0 && job_end_of_walk(pv)) {
            long err = j->phase == PTVAL_UNDO ? j->err : SBI_SUCCESS;
            j->kind = PTVAL_JOB_NONE;
            return err;
        }
        if (!walk_step(pv)) {
            return PTVAL_AGAIN;
        }
    }
}

static void job_start(struct ptval *pv, unsigned kind, unsigned who, uint64_t a, uint64_t b)
{
    pv->job = (struct ptval_job){ .kind = (uint8_t)kind, .owner = who, .a = a, .b = b };
}

/* Before a call: the walk of an earlier one ends first; its result is kept for its owner. */
static long drain(struct ptval *pv)
{
    if (pv->job.kind == PTVAL_JOB_NONE) {
        return SBI_SUCCESS;
    }
    struct ptval_job j = pv->job;
    long err = job_run(pv);
    if (err == PTVAL_AGAIN) {
        return PTVAL_AGAIN;
    }
    if (j.owner < PTVAL_OWNERS) {
        pv->results[j.owner] = (struct ptval_result){ j.kind, j.a, j.b, err };
    }
    return SBI_SUCCESS;
}

/* The same call again from the caller whose call was cut: the result of its walk. Any other call of
 * that caller ends the wait for it. */
static bool collect(struct ptval *pv, unsigned who, unsigned kind, uint64_t a, uint64_t b,
                    long *err)
{
    if (who >= PTVAL_OWNERS) {
        return false;
    }
    struct ptval_result *r = &pv->results[who];
    bool same = r->kind == kind && r->a == a && r->b == b;
    *err = r->err;
    r->kind = PTVAL_JOB_NONE;
    return same;
}

uint64_t ptval_mem_bytes(uint64_t nframes)
{
    uint64_t nchunks = (nframes + CHUNK_FRAMES - 1) / CHUNK_FRAMES;
    return 3 * PTES * sizeof(uint64_t) + nframes * sizeof(struct pt_frame) +
           nchunks * sizeof(struct pt_chunk) + nframes * sizeof(uint32_t);
}

_Static_assert(sizeof(struct pt_frame) % _Alignof(struct pt_chunk) == 0, "chunks after frames");
_Static_assert(sizeof(struct pt_chunk) % _Alignof(uint32_t) == 0, "the tree after the chunks");

void ptval_init(struct ptval *pv, const struct ptval_ops *ops, uint64_t base, uint64_t nframes,
                void *mem)
{
    uint64_t nchunks = (nframes + CHUNK_FRAMES - 1) / CHUNK_FRAMES;
    uint8_t *p = mem;

    memset(pv, 0, sizeof *pv);
    pv->ops = *ops;
    pv->base = base;
    pv->nframes = nframes;
    pv->seen = (uint64_t(*)[PTES])(void *)p;
    p += 3 * PTES * sizeof(uint64_t);
    pv->frames = (struct pt_frame *)(void *)p;
    p += nframes * sizeof(struct pt_frame);
    pv->chunks = (struct pt_chunk *)(void *)p;
    p += nchunks * sizeof(struct pt_chunk);
    pv->typed_tree = (uint32_t *)(void *)p;
    pv->budget = UINT64_MAX;
    pv->reserved_slot = PTVAL_NO_SLOT;
}

long ptval_finish(struct ptval *pv)
{
    return drain(pv);
}

bool ptval_busy(const struct ptval *pv)
{
    return pv->job.kind != PTVAL_JOB_NONE;
}

void ptval_forget(struct ptval *pv, unsigned who)
{
    if (who < PTVAL_OWNERS) {
        pv->results[who].kind = PTVAL_JOB_NONE;
    }
}

long ptval_pin(struct ptval *pv, unsigned who, uint64_t root_maddr)
{
    long err = drain(pv);
    if (err != SBI_SUCCESS) {
        return err;
    }
    if (collect(pv, who, PTVAL_JOB_PIN, root_maddr, 0, &err)) {
        return err;
    }
    if (!charge(pv, 1)) {
        return PTVAL_AGAIN;
    }
    uint64_t idx;
    if ((root_maddr & 0xfff) || !frame_index(pv, root_maddr, &idx)) {
        return SBI_ERR_INVALID_ADDRESS;
    }
    struct pt_frame *f = &pv->frames[idx];
    if (f->pinned) {
        return SBI_ERR_DENIED;
    }
    if (pv->reserved_slot != PTVAL_NO_SLOT && table(pv, idx)[pv->reserved_slot] != 0) {
        return SBI_ERR_INVALID_PARAM; /* the hypervisor's entry goes there: it must be free */
    }
    /* The root as the child of a level-3 entry: a root already typed gains a reference (nothing to
     * validate), one that is not is validated by the walk. */
    uint64_t child;
    err = take_entry(pv, (root_maddr >> 12) << PV_PTE_PPN_SHIFT | PV_PTE_V, PT_L2, &child);
    if (err != SBI_SUCCESS) {
        return err;
    }
    job_start(pv, PTVAL_JOB_PIN, who, root_maddr, 0);
    if (child != NO_CHILD) {
        push(pv, child, PTVAL_TAKE);
    }
    return job_run(pv);
}

bool ptval_is_pinned_root(const struct ptval *pv, uint64_t root_maddr)
{
    uint64_t idx;
    return !(root_maddr & 0xfff) && frame_index(pv, root_maddr, &idx) && pv->frames[idx].pinned;
}

long ptval_unpin(struct ptval *pv, unsigned who, uint64_t root_maddr)
{
    long err = drain(pv);
    if (err != SBI_SUCCESS) {
        return err;
    }
    if (collect(pv, who, PTVAL_JOB_UNPIN, root_maddr, 0, &err)) {
        return err;
    }
    if (!charge(pv, 1)) {
        return PTVAL_AGAIN;
    }
    uint64_t idx;
    if ((root_maddr & 0xfff) || !frame_index(pv, root_maddr, &idx) || !pv->frames[idx].pinned) {
        return SBI_ERR_DENIED;
    }
    pv->frames[idx].pinned = 0;
    if (pv->reserved_slot != PTVAL_NO_SLOT) {
        table(pv, idx)[pv->reserved_slot] = 0; /* the walk never sees the hypervisor's entry */
    }
    uint64_t child;
    job_start(pv, PTVAL_JOB_UNPIN, who, root_maddr, 0);
    pv->job.phase = PTVAL_DROP;
    drop_entry(pv, (root_maddr >> 12) << PV_PTE_PPN_SHIFT | PV_PTE_V, PT_L2, &child);
    if (child != NO_CHILD) {
        push(pv, child, PTVAL_DROP);
    }
    return job_run(pv);
}

long ptval_update(struct ptval *pv, unsigned who, uint64_t pte_maddr, uint64_t val)
{
    long err = drain(pv);
    if (err != SBI_SUCCESS) {
        return err;
    }
    if (collect(pv, who, PTVAL_JOB_UPDATE, pte_maddr, val, &err)) {
        return err;
    }
    if (!charge(pv, 1)) {
        return PTVAL_AGAIN;
    }
    uint64_t idx;
    if ((pte_maddr & 7) || !frame_index(pv, pte_maddr, &idx)) {
        return SBI_ERR_INVALID_ADDRESS;
    }
    unsigned type = pv->frames[idx].type;
    if (type == PT_NONE) {
        /* Not a table: a plain write into the guest's own memory, which nothing here relies on. A
         * frame that just stopped being a table may still sit in a walk cache: flush first. */
        ptval_flush_if_pending(pv);
        *slot_of(pv, pte_maddr) = val;
        return SBI_SUCCESS;
    }
    if (type == PT_L2 && pv->frames[idx].pinned && pv->reserved_slot != PTVAL_NO_SLOT &&
        ((pte_maddr & 0xfff) >> 3) == pv->reserved_slot) {
        return SBI_ERR_DENIED; /* the hypervisor's entry in a pinned root */
    }
    unsigned level = type - 1;
    uint64_t old = *slot_of(pv, pte_maddr);
    /* Only A/D of a valid leaf change: no rule depends on them (A/D on a non-leaf are reserved). */
    if ((old & PV_PTE_V) && pte_leaf(old) && ((old ^ val) & ~(PV_PTE_A | PV_PTE_D)) == 0) {
        *slot_of(pv, pte_maddr) = val;
        return SBI_SUCCESS;
    }
    /* New references first, so a child shared by old and val never drops to zero on the way. */
    uint64_t child;
    err = take_entry(pv, val, level, &child);
    if (err != SBI_SUCCESS) {
        return err;
    }
    job_start(pv, PTVAL_JOB_UPDATE, who, pte_maddr, val);
    if (child != NO_CHILD) {
        push(pv, child, PTVAL_TAKE);
    }
    return job_run(pv);
}

long ptval_zero(struct ptval *pv, uint64_t frame_maddr)
{
    uint64_t idx;

    long err = drain(pv);
    if (err != SBI_SUCCESS) {
        return err;
    }
    if (!charge(pv, PTVAL_ZERO_STEPS)) {
        return PTVAL_AGAIN;
    }
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

uint64_t ptval_typed_frames(const struct ptval *pv, uint64_t first, uint64_t n)
{
    if (first >= pv->nframes) {
        return 0;
    }
    uint64_t end = n > pv->nframes - first ? pv->nframes : first + n;
    return tree_prefix(pv, end) - tree_prefix(pv, first);
}

void ptval_flush_if_pending(struct ptval *pv)
{
    if (pv->flush_pending) {
        pv->ops.flush(pv->ops.ctx);
        pv->flush_pending = false;
    }
}
