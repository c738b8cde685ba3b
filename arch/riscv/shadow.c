// SPDX-License-Identifier: MIT
// Shadow page tables (arch/shadow.h): software walks of the guest's Sv39 tables, and the trees the
// hardware uses instead of them.
#include <arch/shadow.h>

#include "shadow_int.h"

/* RSW bit (the hardware ignores it) on a shadow pointer whose whole span comes from one guest
 * superpage: an sfence.vma of any address in that superpage drops the pointer. */
#define PTE_SUPER (1ull << 8)
/* RSW bit on a read-only leaf over a protected table that the guest's entry lets it store to (W and
 * D set): its store is a table write, known from the tree without walking the guest's tables. */
#define PTE_TW (1ull << 9)
/* N, PBMT and the reserved bits (Svnapot and Svpbmt are not offered to guests: must be zero). */
#define PTE_HIGH (0x3ffull << 54)

static unsigned vpn(uint64_t va, unsigned level)
{
    return (unsigned)(va >> (12 + 9 * level)) & 0x1ff;
}

/* Sv39 addresses sign-extend bit 38 (supervisor chapter, "Sv39"). */
static bool va_canonical(uint64_t va)
{
    uint64_t top = va >> 38;
    return top == 0 || top == (1ull << 26) - 1;
}

static bool allowed(uint64_t pte, enum shadow_view view, enum shadow_access acc, bool sum, bool mxr)
{
    if (view == SHADOW_USER) {
        if (!(pte & PTE_U)) {
            return false;
        }
    } else if (pte & PTE_U) {
        /* S-mode never executes a U page, and touches one only with SUM. */
        if (acc == SHADOW_EXEC || !sum) {
            return false;
        }
    }
    switch (acc) {
    case SHADOW_LOAD:
        return (pte & PTE_R) || (mxr && (pte & PTE_X));
    case SHADOW_STORE:
        return (pte & PTE_W) != 0;
    default:
        return (pte & PTE_X) != 0;
    }
}

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
    if (!va_canonical(va)) {
        return SHADOW_PAGE_FAULT;
    }
    uint64_t table = env->root;
    for (int l = 2; l >= 0; l--) {
        uint64_t at = table + vpn(va, (unsigned)l) * 8 - env->offset;
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
        if (!allowed(e, view, acc, env->sum, env->mxr)) {
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

/* A space just emptied for a new guest root starts with the upper half (slots 256-510) of the
 * space it follows wherever the two guest roots hold the same entry: Linux gives every process the
 * same kernel half, and its shadow, built from the same guest tables, is then the same. Those
 * tables are protected already (their stores drop what they made, in every space); the new root is
 * protected here, as a walk through it would. Shared tables below are only ever cleared by such
 * drops, which are right for every space that shares them, and reclaimed with the whole pool. */
static void share_upper(struct shadow *s, const struct shadow_ops *ops, unsigned from, unsigned to)
{
    uint64_t kf = s->space[from].key, kt = s->space[to].key;

    if (from == to || !s->vm || !s->space[from].filled || kf == SHADOW_NO_KEY || kt == SHADOW_NO_KEY ||
        !KEY_SV39(kf) || !KEY_SV39(kt) || KEY_PPN(kf) == KEY_PPN(kt)) {
        return;
    }
    const uint64_t *gf = ops->ram(ops->ctx, KEY_PPN(kf) << 12, PAGE);
    const uint64_t *gt = ops->ram(ops->ctx, KEY_PPN(kt) << 12, PAGE);
    if (!gf || !gt) {
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
            uint64_t *e = &t[vpn(va, (unsigned)l)];
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
    if (!va_canonical(va) || vpn(va, 2) == SHADOW_RESERVED_SLOT || level > 2) {
        return;
    }
    for (unsigned i = 0; i < s->nspaces; i++) {
        if (s->space[i].filled) {
            drop_span_in(s, ops, &s->space[i], va, level);
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
    if (!va_canonical(va) || vpn(va, 2) == SHADOW_RESERVED_SLOT) {
        return 0;
    }
    const uint64_t *t = ops->table(ops->ctx, s->root[view]);
    for (int l = 2; l >= 0; l--) {
        uint64_t e = t[vpn(va, (unsigned)l)];
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
    if (va_only && (!va_canonical(va) || vpn(va, 2) == SHADOW_RESERVED_SLOT)) {
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

static uint64_t pool_take(struct shadow *s, const struct shadow_ops *ops)
{
    uint64_t pa = s->pool + (uint64_t)s->used++ * PAGE;
    uint64_t *t = ops->table(ops->ctx, pa);

    for (unsigned i = 0; i < 512; i++) {
        t[i] = 0;
    }
    return pa;
}

/* The next level's table under entry e, made when missing (or when e held a leaf). */
static uint64_t *descend(struct shadow *s, const struct shadow_ops *ops, uint64_t *e)
{
    if (!(*e & PTE_V) || (*e & PTE_LEAF)) {
        *e = ((pool_take(s, ops) >> 12) << 10) | PTE_V;
    }
    return ops->table(ops->ctx, PTE_PPN(*e) << 12);
}

/* What the hardware may do through a leaf for the guest's entry pte in this view, without W (the
 * caller decides it): every entry is U (the guest kernel runs in U-mode) and has A and D set, so the
 * hardware never needs to update it; a patched frame is execute-only. */
static uint64_t leaf_rights(uint64_t pte, const struct shadow_env *env, enum shadow_view view, bool patched)
{
    uint64_t flags = PTE_V | PTE_U | PTE_A | PTE_D;

    if (((pte & PTE_R) || (env->mxr && (pte & PTE_X))) && !patched) {
        flags |= PTE_R;
    }
    if ((pte & PTE_X) && !(view != SHADOW_USER && (pte & PTE_U))) {
        flags |= PTE_X;
    }
    return flags;
}

/* The neighbours of a page just filled from a guest superpage, in its aligned group of
 * SHADOW_AROUND pages (l0 holds the pieces of that superpage): filled too, with the rights the
 * guest's entry gives them, when they are RAM (the group is cleared first where the guest never used
 * it: a bounded step), not tables the record protects, not patched and not mapped yet. Linux maps
 * its RAM with superpages and uses it page after page, each of which would otherwise be a fill, and
 * where a superpage cannot be mapped whole (a table of its own in it, patched text) it would take
 * one per page. True when some leaf it wrote is writable. */
static bool fill_around(struct shadow *s, const struct shadow_ops *ops, const struct shadow_env *env,
                        enum shadow_view view, uint64_t *l0, uint64_t va, uint64_t page, uint64_t pte)
{
    uint64_t group = page & ~(SHADOW_AROUND * PAGE - 1);
    unsigned first = vpn(va, 0) & ~(SHADOW_AROUND - 1);
    uint64_t flags = leaf_rights(pte, env, view, false);
    bool any_w = false;

    if (!ops->ram(ops->ctx, group, SHADOW_AROUND * PAGE)) {
        return false;
    }
    if ((pte & PTE_W) && (pte & PTE_D) && (flags & PTE_R) && ops->may_write(ops->ctx, group, SHADOW_AROUND * PAGE)) {
        flags |= PTE_W;
    }
    for (unsigned k = 0; k < SHADOW_AROUND; k++) {
        uint64_t g = group + k * PAGE;
        if ((l0[first + k] & PTE_V) || shadow_wp_find(s->vm, g) || tpatch_frame_patched(&s->vm->patch, g)) {
            continue;
        }
        l0[first + k] = ((ops->hpa(ops->ctx, g) >> 12) << 10) | flags;
        if (flags & PTE_W) {
            shadow_mark_writable(s->vm, g, PAGE);
            any_w = true;
        }
    }
    return any_w;
}

enum shadow_result shadow_fill(struct shadow *s, const struct shadow_ops *ops,
                               const struct shadow_env *env, enum shadow_view view, uint64_t va,
                               enum shadow_access acc, uint64_t *gpa)
{
    uint64_t pte;
    unsigned level;
    struct shadow_path path;
    enum shadow_result r = shadow_translate(ops, env, view, va, acc, true, gpa, &pte, &level, &path);

    if (r != SHADOW_OK) {
        return r;
    }
    if (!va_canonical(va) || vpn(va, 2) == SHADOW_RESERVED_SLOT) {
        return SHADOW_RESERVED; /* bare-mode addresses up there are neither RAM nor devices */
    }
    if (s->vm) {
        shadow_walked(s->vm, &path);
    }
    uint64_t page = *gpa & ~(PAGE - 1);
    if (!ops->ram(ops->ctx, page, PAGE)) {
        return ops->device(ops->ctx, *gpa) ? SHADOW_DEVICE : SHADOW_ACCESS_FAULT;
    }
    /* A frame holding patches is execute-only: the guest must never read the patch. Its data
     * accesses undo the frame's patches first (the caller), then come back as ordinary fills. */
    bool patched = s->vm && tpatch_frame_patched(&s->vm->patch, page);
    /* Guest user code would take the patch's load fault where its own illegal instruction is due:
     * it runs the originals. */
    if (patched && (acc != SHADOW_EXEC || view == SHADOW_USER)) {
        return SHADOW_PATCHED;
    }
    bool table_page = s->vm && shadow_wp_find(s->vm, page);
    /* A store to a table the shadow protects is carried out by the hypervisor, unless the frame must
     * stay read-only altogether (a validated table: only its hypercalls change it). Nothing is
     * mapped for it, so the tables of its walk need no protecting. */
    if (acc == SHADOW_STORE && table_page) {
        return ops->may_write(ops->ctx, page, PAGE) ? SHADOW_TABLE_WRITE : SHADOW_WRITE_PROTECTED;
    }
    /* Room for two tables below the root, or start over: drop everything, like a full TLB. */
    if (s->npool - s->used < 2) {
        shadow_drop_all(s, ops);
    }
    if (s->vm && !env->bare) {
        shadow_protect_path(s->vm, ops, &path, va);
        /* The protection may have made the page itself a protected table (a table mapping itself),
         * or dropped every tree: look again. */
        table_page = shadow_wp_find(s->vm, page) != 0;
        if (acc == SHADOW_STORE && table_page) {
            return ops->may_write(ops->ctx, page, PAGE) ? SHADOW_TABLE_WRITE : SHADOW_WRITE_PROTECTED;
        }
    }

    /* What the hardware may do through this entry: the guest's rights for this view, W only once D
     * is set (so the first store comes back here to set it), never W on a frame that must stay
     * read-only. */
    uint64_t flags = leaf_rights(pte, env, view, patched);
    bool want_w = (pte & PTE_W) && (pte & PTE_D) && (flags & PTE_R) && !table_page;

    /* A guest superpage over RAM becomes a 2 MiB shadow leaf when the whole 2 MiB is RAM and, for a
     * writable one, none of it must stay read-only: fewer faults after every drop. */
    uint64_t mega = *gpa & ~(MEGA - 1);
    /* Not over a protected table either, even read-only: its loads and stores would keep replacing
     * each other's mappings. The cheap questions first: the RAM question may clear pages. */
    bool big = level > 0 && (va & (MEGA - 1)) == (*gpa & (MEGA - 1)) &&
               !(s->vm && shadow_any_protected_in(s->vm, mega, MEGA)) &&
               !(s->vm && tpatch_any_in(&s->vm->patch, mega, MEGA)) && ops->ram(ops->ctx, mega, MEGA) &&
               (ops->hpa(ops->ctx, mega) & (MEGA - 1)) == 0 && !(want_w && !ops->may_write(ops->ctx, mega, MEGA));
    if (want_w && (big || ops->may_write(ops->ctx, page, PAGE))) {
        flags |= PTE_W;
        if (s->vm) {
            shadow_mark_writable(s->vm, big ? mega : page, big ? MEGA : PAGE);
        }
    } else if (acc == SHADOW_STORE) {
        return SHADOW_WRITE_PROTECTED; /* mapping it read-only would only fault again */
    } else if (table_page && (pte & PTE_W) && (pte & PTE_D) && (flags & PTE_R) && !big &&
               ops->may_write(ops->ctx, page, PAGE)) {
        flags |= PTE_TW;
    }

    uint64_t *t = ops->table(ops->ctx, s->root[view]);
    s->space[s->cur].filled = true;
    s->space[s->cur].lower |= vpn(va, 2) < 256;
    uint64_t *l1 = descend(s, ops, &t[vpn(va, 2)]);
    /* Pieces of a guest superpage hang under a pointer tagged PTE_SUPER, which a fence of one of its
     * addresses drops whole. Bare mode has nothing to go stale. */
    if (!env->bare && level == 2) {
        t[vpn(va, 2)] |= PTE_SUPER;
    }
    uint64_t *leaf;
    if (big) {
        leaf = &l1[vpn(va, 1)];
        *leaf = ((ops->hpa(ops->ctx, mega) >> 12) << 10) | flags;
    } else {
        uint64_t *l0 = descend(s, ops, &l1[vpn(va, 1)]);
        if (!env->bare && level == 1) {
            l1[vpn(va, 1)] |= PTE_SUPER;
        }
        leaf = &l0[vpn(va, 0)];
        *leaf = ((ops->hpa(ops->ctx, page) >> 12) << 10) | flags;
        /* Pieces of a guest superpage: their table is recorded once for all its writable leaves. */
        if (level > 0 && s->vm && !env->bare) {
            if (fill_around(s, ops, env, view, l0, va, page, pte) || (flags & PTE_W)) {
                shadow_wmap_add(s->vm, s, &l1[vpn(va, 1)], mega, SHADOW_WMAP_PIECES);
            }
            s->fills++;
            return SHADOW_OK;
        }
    }
    if ((flags & PTE_W) && s->vm) {
        shadow_wmap_add(s->vm, s, leaf, big ? mega : page, big ? SHADOW_WMAP_MEGA : SHADOW_WMAP_PAGE);
    }
    s->fills++;
    return SHADOW_OK;
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
