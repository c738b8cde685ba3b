// SPDX-License-Identifier: MIT
// Shadow page tables (arch/shadow.h): the fill, which makes the shadow entries a walk of the guest's
// tables allows (with the rights of the view, around the address where a superpage permits).
#include <arch/shadow.h>

#include "shadow_int.h"

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
    unsigned first = shadow_vpn(va, 0) & ~(SHADOW_AROUND - 1);
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

/* The neighbours of a page just filled from a guest last-level table, in its aligned group of
 * SHADOW_AROUND entries (l0 the shadow's table for them, table the guest's): each entry the guest
 * has made valid, accessed and allowed to load in this view is filled too, as a speculative walk of
 * the hardware's may (supervisor chapter, "Address translation": a leaf with A set may be cached
 * before any access). Where the guest writes its tables through traps, the record names every entry
 * of the table, so a later store to a neighbour's entry drops it as it drops the page's; where it
 * fences its user tables (tables_fenced), it fences every entry it takes rights from. A kernel that
 * maps several pages on one fault (the cooperative Linux) then pays one exit for them, not one each.
 * Only where the caller asks (env->around): elsewhere the neighbours seldom hold anything new, and
 * looking costs every fill. */
static void fill_around_leaves(struct shadow *s, const struct shadow_ops *ops, const struct shadow_env *env,
                               enum shadow_view view, uint64_t *l0, uint64_t va, uint64_t table)
{
    unsigned first = shadow_vpn(va, 0) & ~(SHADOW_AROUND - 1);
    const uint64_t *g = ops->ram(ops->ctx, table, PAGE);

    if (!g) {
        return;
    }
    for (unsigned k = first; k < first + SHADOW_AROUND; k++) {
        /* Read once: another vCPU may be rewriting the entry, and what is checked is what is mapped. */
        uint64_t e = __atomic_load_n(&g[k], __ATOMIC_RELAXED);
        if ((l0[k] & PTE_V) || !(e & PTE_V) || !(e & PTE_A) || (e & PTE_HIGH) || ((e & PTE_W) && !(e & PTE_R)) ||
            !shadow_allowed(e, view, SHADOW_LOAD, env->sum, env->mxr)) {
            continue;
        }
        uint64_t page = (PTE_PPN(e) << 12) - env->offset;
        if (!ops->ram(ops->ctx, page, PAGE) || shadow_wp_find(s->vm, page) ||
            tpatch_frame_patched(&s->vm->patch, page)) {
            continue;
        }
        uint64_t flags = leaf_rights(e, env, view, false);
        bool w = (e & PTE_W) && (e & PTE_D) && ops->may_write(ops->ctx, page, PAGE);
        l0[k] = ((ops->hpa(ops->ctx, page) >> 12) << 10) | flags | (w ? PTE_W : 0);
        if (w) {
            shadow_mark_writable(s->vm, page, PAGE);
            shadow_wmap_add(s->vm, s, &l0[k], page, SHADOW_WMAP_PAGE);
        }
    }
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
    if (!shadow_va_canonical(va) || shadow_vpn(va, 2) == SHADOW_RESERVED_SLOT) {
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
    s->space[s->cur].lower |= shadow_vpn(va, 2) < 256;
    bool fresh = !(t[shadow_vpn(va, 2)] & PTE_V);
    uint64_t *l1 = descend(s, ops, &t[shadow_vpn(va, 2)]);
    /* Pieces of a guest superpage hang under a pointer tagged PTE_SUPER, which a fence of one of its
     * addresses drops whole. Bare mode has nothing to go stale. */
    if (!env->bare && level == 2) {
        t[shadow_vpn(va, 2)] |= PTE_SUPER;
    }
    if (fresh && !env->bare) {
        shadow_lend_upper(s, ops, view, shadow_vpn(va, 2));
    }
    uint64_t *leaf;
    if (big) {
        leaf = &l1[shadow_vpn(va, 1)];
        *leaf = ((ops->hpa(ops->ctx, mega) >> 12) << 10) | flags;
    } else {
        uint64_t *l0 = descend(s, ops, &l1[shadow_vpn(va, 1)]);
        if (!env->bare && level == 1) {
            l1[shadow_vpn(va, 1)] |= PTE_SUPER;
        }
        leaf = &l0[shadow_vpn(va, 0)];
        *leaf = ((ops->hpa(ops->ctx, page) >> 12) << 10) | flags;
        if (env->around && level == 0 && s->vm && !env->bare && path.n == 3) {
            fill_around_leaves(s, ops, env, view, l0, va, path.table[2]);
        }
        /* Pieces of a guest superpage: their table is recorded once for all its writable leaves. */
        if (level > 0 && s->vm && !env->bare) {
            if (fill_around(s, ops, env, view, l0, va, page, pte) || (flags & PTE_W)) {
                shadow_wmap_add(s->vm, s, &l1[shadow_vpn(va, 1)], mega, SHADOW_WMAP_PIECES);
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
