// SPDX-License-Identifier: MIT
// Shadow page tables (arch/shadow.h): software walks of the guest's Sv39 tables, and the trees the
// hardware uses instead of them.
#include <arch/shadow.h>

#include "shadow_int.h"

/* One walk of shadow_translate. *raced: the A/D update found the entry changed since it was read (a
 * table the guest writes without trapping, from another hart): nothing was written, walk again. */
static enum shadow_result walk(const struct shadow_ops *ops, const struct shadow_env *env, enum shadow_view view,
                               uint64_t va, enum shadow_access acc, bool set_ad, uint64_t *gpa, uint64_t *pte,
                               unsigned *level, struct shadow_path *path, bool *raced)
{
    *raced = false;
    if (path) {
        path->n = 0;
    }
    if (env->bare) {
        *gpa = va;
        *pte = PTE_V | PTE_LEAF | PTE_A | PTE_D;
        *level = 2;
        return SHADOW_OK;
    }
    if (!shadow_va_canonical(va)) {
        return SHADOW_PAGE_FAULT;
    }
    uint64_t table = env->root;
    for (int l = 2; l >= 0; l--) {
        uint64_t at = table + shadow_vpn(va, (unsigned)l) * 8 - env->offset;
        uint64_t *p = ops->ram(ops->ctx, at, 8);
        if (path && p) {
            path->table[path->n++] = table - env->offset;
        }
        if (!p) {
            *gpa = at;
            return SHADOW_WALK_FAULT; /* the walk itself left RAM */
        }
        uint64_t e = *p;
        if (!(e & PTE_V) || ((e & PTE_W) && !(e & PTE_R)) || (e & PTE_HIGH)) {
            return SHADOW_PAGE_FAULT;
        }
        if (!(e & PTE_LEAF)) {
            /* "For non-leaf PTEs, the D, A, and U bits are reserved" (supervisor chapter, Sv32). */
            if (l == 0 || (e & (PTE_A | PTE_D | PTE_U))) {
                return SHADOW_PAGE_FAULT;
            }
            table = PTE_PPN(e) << 12;
            continue;
        }
        /* A superpage's low PPN bits must be zero (misaligned superpage: page fault). */
        uint64_t low = (1ull << (9 * l)) - 1;
        if (PTE_PPN(e) & low) {
            return SHADOW_PAGE_FAULT;
        }
        if (!shadow_allowed(e, view, acc, env->sum, env->mxr)) {
            return SHADOW_PAGE_FAULT;
        }
        if (set_ad && (!(e & PTE_A) || (acc == SHADOW_STORE && !(e & PTE_D)))) {
            /* Atomic with the guest's own updates of the entry, as the hardware's must be
             * (supervisor chapter, "Virtual Address Translation Process", step 7): an entry cleared
             * meanwhile is not brought back. */
            uint64_t seen = e;
            e |= PTE_A | (acc == SHADOW_STORE ? PTE_D : 0);
            if (!__atomic_compare_exchange_n(p, &seen, e, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
                *raced = true;
                return SHADOW_PAGE_FAULT;
            }
        }
        uint64_t span = PAGE << (9 * l);
        *gpa = (PTE_PPN(e) << 12) - env->offset + (va & (span - 1));
        *pte = e;
        *level = (unsigned)l;
        return SHADOW_OK;
    }
    return SHADOW_PAGE_FAULT;
}

/* Walks raced by the guest's own stores before the access is left to fault: each race is one of its
 * other harts rewriting the very entry, which only a guest working against itself keeps doing. */
#define WALK_TRIES 4

enum shadow_result shadow_translate(const struct shadow_ops *ops, const struct shadow_env *env,
                                    enum shadow_view view, uint64_t va, enum shadow_access acc,
                                    bool set_ad, uint64_t *gpa, uint64_t *pte, unsigned *level,
                                    struct shadow_path *path)
{
    for (unsigned i = 0; i < WALK_TRIES; i++) {
        bool raced;
        enum shadow_result r = walk(ops, env, view, va, acc, set_ad, gpa, pte, level, path, &raced);
        if (!raced) {
            return r;
        }
    }
    return SHADOW_PAGE_FAULT;
}

static void clear_root(const struct shadow_ops *ops, uint64_t root)
{
    uint64_t *r = ops->table(ops->ctx, root);

    for (unsigned k = 0; k < SHADOW_RESERVED_SLOT; k++) {
        r[k] = 0;
    }
}

static void space_empty(struct shadow *s, const struct shadow_ops *ops, struct shadow_space *sp)
{
    if (!sp->filled) {
        return;
    }
    for (unsigned i = 0; i < SHADOW_VIEWS; i++) {
        clear_root(ops, sp->root[i]);
    }
    sp->filled = false;
    sp->lower = false;
    sp->gen++;
    s->fence = true;
}

void shadow_init(struct shadow *s, const struct shadow_ops *ops, const uint64_t roots[SHADOW_VIEWS],
                 uint64_t pool, unsigned npool, uint64_t reserved_pte, struct shadow_vm *vm)
{
    s->vm = vm;
    s->nspaces = 1;
    s->cur = 0;
    s->clock = 0;
    s->fence = true;
    s->space[0].key = SHADOW_NO_KEY;
    s->space[0].last_use = 0;
    s->space[0].filled = true;
    for (unsigned i = 0; i < SHADOW_VIEWS; i++) {
        s->root[i] = roots[i];
        s->space[0].root[i] = roots[i];
        ops->table(ops->ctx, roots[i])[SHADOW_RESERVED_SLOT] = reserved_pte;
    }
    s->pool = pool;
    s->npool = npool;
    s->used = 0;
    s->reserved_pte = reserved_pte;
    s->fills = s->drops = 0;
}

void shadow_add_spaces(struct shadow *s, const struct shadow_ops *ops, const uint64_t *roots, unsigned n)
{
    for (unsigned k = 0; k < n && s->nspaces < SHADOW_SPACES; k++) {
        struct shadow_space *sp = &s->space[s->nspaces++];
        sp->key = SHADOW_NO_KEY;
        sp->last_use = 0;
        sp->filled = false;
        sp->lower = false;
        for (unsigned i = 0; i < SHADOW_VIEWS; i++) {
            sp->root[i] = roots[k * SHADOW_VIEWS + i];
            ops->table(ops->ctx, sp->root[i])[SHADOW_RESERVED_SLOT] = s->reserved_pte;
        }
    }
}

static void make_current(struct shadow *s, unsigned i)
{
    s->cur = i;
    s->space[i].last_use = ++s->clock;
    for (unsigned v = 0; v < SHADOW_VIEWS; v++) {
        s->root[v] = s->space[i].root[v];
    }
}

/* satp fields of a space's key (supervisor chapter, "satp"): Sv39 is mode 8. */
#define KEY_PPN(k) ((k) & ((1ull << 44) - 1))
#define KEY_SV39(k) (((k) >> 60) == 8)

/* The guest root of a kept space that may lend its upper-half entries: Sv39, known, and not the
 * root of `to` (whose entries are being made). */
static const uint64_t *lender_root(const struct shadow *s, const struct shadow_ops *ops, unsigned i,
                                   unsigned to)
{
    uint64_t k = s->space[i].key, kt = s->space[to].key;

    if (i == to || !s->space[i].filled || k == SHADOW_NO_KEY || !KEY_SV39(k) || KEY_PPN(k) == KEY_PPN(kt)) {
        return (const uint64_t *)0;
    }
    return ops->ram(ops->ctx, KEY_PPN(k) << 12, PAGE);
}

/* A space just emptied for a new guest root starts with the upper half (slots 256-510) of the
 * space it follows wherever the two guest roots hold the same entry: Linux gives every process the
 * same kernel half, and its shadow, built from the same guest tables, is then the same. Those
 * tables are protected already (their stores drop what they made, in every space); the new root is
 * protected here, as a walk through it would. Shared tables below are only ever cleared by such
 * drops, which are right for every space that shares them, and reclaimed with the whole pool. */
static void share_upper(struct shadow *s, const struct shadow_ops *ops, unsigned from, unsigned to)
{
    uint64_t kt = s->space[to].key;
    const uint64_t *gf = lender_root(s, ops, from, to);

    if (!s->vm || !gf || kt == SHADOW_NO_KEY || !KEY_SV39(kt)) {
        return;
    }
    const uint64_t *gt = ops->ram(ops->ctx, KEY_PPN(kt) << 12, PAGE);
    if (!gt) {
        return;
    }
    struct shadow_path root = { 1, { KEY_PPN(kt) << 12, 0, 0 } };
    shadow_protect_path(s->vm, ops, &root, 0);
    const struct shadow_wp *w = shadow_wp_find(s->vm, KEY_PPN(kt) << 12);
    /* Protecting it may have dropped every tree (the source's too), or found it used otherwise. */
    if (!s->space[from].filled || !w || w->level != 2 || w->va != 0) {
        return;
    }
    bool any = false;
    for (unsigned v = 0; v < SHADOW_VIEWS; v++) {
        const uint64_t *rf = ops->table(ops->ctx, s->space[from].root[v]);
        uint64_t *rt = ops->table(ops->ctx, s->space[to].root[v]);
        for (unsigned k = 256; k < SHADOW_RESERVED_SLOT; k++) {
            if ((rf[k] & PTE_V) && gf[k] == gt[k]) {
                rt[k] = rf[k];
                any = true;
            }
        }
    }
    s->space[to].filled |= any;
}

void shadow_lend_upper(struct shadow *s, const struct shadow_ops *ops, enum shadow_view view, unsigned k)
{
    uint64_t kc = s->space[s->cur].key;

    if (!s->vm || kc == SHADOW_NO_KEY || !KEY_SV39(kc) || k < 256 || k >= SHADOW_RESERVED_SLOT) {
        return;
    }
    const uint64_t *gc = ops->ram(ops->ctx, KEY_PPN(kc) << 12, PAGE);
    uint64_t e = ops->table(ops->ctx, s->root[view])[k];
    if (!gc || !(e & PTE_V)) {
        return;
    }
    for (unsigned i = 0; i < s->nspaces; i++) {
        const uint64_t *gi = lender_root(s, ops, i, s->cur);
        uint64_t *ri = gi ? ops->table(ops->ctx, s->space[i].root[view]) : (uint64_t *)0;
        if (ri && !(ri[k] & PTE_V) && gi[k] == gc[k]) {
            ri[k] = e;
        }
    }
}

bool shadow_switch(struct shadow *s, const struct shadow_ops *ops, uint64_t key)
{
    unsigned victim = 0, from = s->cur;

    for (unsigned i = 0; i < s->nspaces; i++) {
        if (s->space[i].key == key && key != SHADOW_NO_KEY) {
            make_current(s, i);
            /* Kept, but emptied since (its root was rebuilt): as good as new. */
            if (!s->space[i].filled) {
                share_upper(s, ops, from, i);
            }
            return true;
        }
        if (s->space[i].last_use < s->space[victim].last_use) {
            victim = i;
        }
    }
    /* The current space may be the only one: its trees were filled under the old key, so they go. */
    space_empty(s, ops, &s->space[victim]);
    s->space[victim].key = key;
    make_current(s, victim);
    share_upper(s, ops, from, victim);
    return false;
}

void shadow_drop_all(struct shadow *s, const struct shadow_ops *ops)
{
    /* Every space stays what it is (its key), only emptier: an empty tree is right for any key. */
    for (unsigned i = 0; i < s->nspaces; i++) {
        space_empty(s, ops, &s->space[i]);
    }
    s->used = 0;
    s->epoch++;
    s->drops++;
}

/* Drops what the trees of sp hold for the span of one guest entry at level (0: the page at va,
 * 1: its 2 MiB, 2: its 1 GiB): the shadow entry at the same level, or a larger one above it. */
static void drop_span_in(struct shadow *s, const struct shadow_ops *ops, const struct shadow_space *sp,
                         uint64_t va, unsigned level)
{
    for (unsigned i = 0; i < SHADOW_VIEWS; i++) {
        uint64_t *t = ops->table(ops->ctx, sp->root[i]);
        for (int l = 2; l >= 0; l--) {
            uint64_t *e = &t[shadow_vpn(va, (unsigned)l)];
            if (!(*e & PTE_V)) {
                break;
            }
            /* A pointer tagged PTE_SUPER goes whole: the fence covers every translation made from
             * the guest's leaf for va (supervisor chapter, "SFENCE.VMA"), not only va's page. */
            if ((*e & (PTE_LEAF | PTE_SUPER)) || (unsigned)l == level) {
                *e = 0;
                s->fence = true;
                break;
            }
            t = ops->table(ops->ctx, PTE_PPN(*e) << 12);
        }
    }
}

void shadow_drop_span(struct shadow *s, const struct shadow_ops *ops, uint64_t va, unsigned level)
{
    if (!shadow_va_canonical(va) || shadow_vpn(va, 2) == SHADOW_RESERVED_SLOT || level > 2) {
        return;
    }
    for (unsigned i = 0; i < s->nspaces; i++) {
        if (s->space[i].filled) {
            drop_span_in(s, ops, &s->space[i], va, level);
        }
    }
}

void shadow_drop_root_entry(struct shadow *s, const struct shadow_ops *ops, uint64_t root, uint64_t va)
{
    if (!shadow_va_canonical(va) || shadow_vpn(va, 2) == SHADOW_RESERVED_SLOT) {
        return;
    }
    /* A space of unknown key may translate with that root. Other spaces may hold the same shadow
     * entry (share_upper), but for roots of their own whose entry still is what it was built from. */
    for (unsigned i = 0; i < s->nspaces; i++) {
        const struct shadow_space *sp = &s->space[i];
        if (sp->filled && (sp->key == SHADOW_NO_KEY || KEY_PPN(sp->key) == root >> 12)) {
            drop_span_in(s, ops, sp, va, 2);
        }
    }
}

/* drop_span_in for the pages of [lo, hi), all in one 2 MiB region: one walk to its last-level table
 * per view, then the entries of the range. */
static void drop_pages_in(struct shadow *s, const struct shadow_ops *ops, const struct shadow_space *sp,
                          uint64_t lo, uint64_t hi)
{
    for (unsigned i = 0; i < SHADOW_VIEWS; i++) {
        uint64_t *t = ops->table(ops->ctx, sp->root[i]);
        uint64_t *e = &t[shadow_vpn(lo, 2)];
        if ((*e & PTE_V) && !(*e & (PTE_LEAF | PTE_SUPER))) {
            t = ops->table(ops->ctx, PTE_PPN(*e) << 12);
            e = &t[shadow_vpn(lo, 1)];
        }
        if (!(*e & PTE_V)) {
            continue;
        }
        /* A leaf above the last level, or pieces of one guest superpage: the whole entry goes. */
        if (*e & (PTE_LEAF | PTE_SUPER)) {
            *e = 0;
            s->fence = true;
            continue;
        }
        t = ops->table(ops->ctx, PTE_PPN(*e) << 12);
        for (uint64_t va = lo; va < hi; va += PAGE) {
            uint64_t *l = &t[shadow_vpn(va, 0)];
            if (*l & PTE_V) {
                *l = 0;
                s->fence = true;
            }
        }
    }
}

void shadow_drop_pages(struct shadow *s, const struct shadow_ops *ops, uint64_t root, uint64_t lo, uint64_t hi)
{
    lo &= ~(PAGE - 1);
    if (hi <= lo || (lo >> 21) != ((hi - 1) >> 21) || !shadow_va_canonical(lo) ||
        shadow_vpn(lo, 2) == SHADOW_RESERVED_SLOT) {
        return;
    }
    for (unsigned i = 0; i < s->nspaces; i++) {
        const struct shadow_space *sp = &s->space[i];
        if (sp->filled && (sp->key == SHADOW_NO_KEY || KEY_PPN(sp->key) == root >> 12)) {
            drop_pages_in(s, ops, sp, lo, hi);
        }
    }
}

void shadow_drop_va(struct shadow *s, const struct shadow_ops *ops, uint64_t va)
{
    shadow_drop_span(s, ops, va, 0);
}

/* The host physical address the leaf of view's tree for va maps va to, when it has every bit of
 * need; else 0. */
static uint64_t leaf_hpa(const struct shadow *s, const struct shadow_ops *ops, enum shadow_view view,
                         uint64_t va, uint64_t need)
{
    if (!shadow_va_canonical(va) || shadow_vpn(va, 2) == SHADOW_RESERVED_SLOT) {
        return 0;
    }
    const uint64_t *t = ops->table(ops->ctx, s->root[view]);
    for (int l = 2; l >= 0; l--) {
        uint64_t e = t[shadow_vpn(va, (unsigned)l)];
        if (!(e & PTE_V)) {
            return 0;
        }
        if (e & PTE_LEAF) {
            uint64_t span = PAGE << (9 * l);
            return (e & need) == need ? (PTE_PPN(e) << 12) + (va & (span - 1)) : 0;
        }
        t = ops->table(ops->ctx, PTE_PPN(e) << 12);
    }
    return 0;
}

uint64_t shadow_exec_hpa(const struct shadow *s, const struct shadow_ops *ops, enum shadow_view view,
                         uint64_t va)
{
    return leaf_hpa(s, ops, view, va, PTE_X);
}

uint64_t shadow_table_store_hpa(const struct shadow *s, const struct shadow_ops *ops, enum shadow_view view,
                                uint64_t va)
{
    return leaf_hpa(s, ops, view, va, PTE_TW);
}

void shadow_drop_match(struct shadow *s, const struct shadow_ops *ops, uint64_t mask, uint64_t value,
                       bool va_only, uint64_t va)
{
    if (va_only && (!shadow_va_canonical(va) || shadow_vpn(va, 2) == SHADOW_RESERVED_SLOT)) {
        return;
    }
    for (unsigned i = 0; i < s->nspaces; i++) {
        struct shadow_space *sp = &s->space[i];
        /* A space of unknown key may be the one asked for. */
        if (!sp->filled || (sp->key != SHADOW_NO_KEY && (sp->key & mask) != value)) {
            continue;
        }
        if (va_only) {
            drop_span_in(s, ops, sp, va, 0);
        } else {
            space_empty(s, ops, sp);
        }
    }
}

void shadow_drop_lower(struct shadow *s, const struct shadow_ops *ops, uint64_t mask, uint64_t value)
{
    for (unsigned i = 0; i < s->nspaces; i++) {
        struct shadow_space *sp = &s->space[i];
        if (!sp->lower || (sp->key != SHADOW_NO_KEY && (sp->key & mask) != value)) {
            continue;
        }
        /* The tables below stay allocated until the pool is reclaimed whole (shadow_drop_all);
         * writable leaves recorded under them stay recorded, and a revocation that zeroes one
         * where nothing reaches it any more costs nothing. The generation stays: the upper
         * half's records are as live as before. */
        for (unsigned v = 0; v < SHADOW_VIEWS; v++) {
            uint64_t *r = ops->table(ops->ctx, sp->root[v]);
            for (unsigned k = 0; k < 256; k++) {
                r[k] = 0;
            }
        }
        sp->lower = false;
        s->fence = true;
    }
}

bool shadow_has_lower(const struct shadow *s)
{
    for (unsigned i = 0; i < s->nspaces; i++) {
        if (s->space[i].lower) {
            return true;
        }
    }
    return false;
}
