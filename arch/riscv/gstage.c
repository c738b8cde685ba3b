// SPDX-License-Identifier: MIT
// Sv39x4 G-stage page tables: pure table logic, no CSR access, so it is unit tested on the host.
#include <arch/gstage.h>

#include <stddef.h>

#include "hverr.h"

#define LEVELS 3
#define PAGE 4096ul
#define MEGA (PAGE << 9)

static uint64_t *table(uint64_t pa)
{
    return (uint64_t *)(uintptr_t)pa;
}

/* VPN index of gpa at a level (2 = root). The root has 11 bits of index: the "x4" of Sv39x4. */
static unsigned vpn(uint64_t gpa, int level)
{
    uint64_t mask = level == 2 ? 0x7ff : 0x1ff;
    return (unsigned)((gpa >> (12 + 9 * level)) & mask);
}

static uint64_t pte_pa(uint64_t pte)
{
    return ((pte & PTE_PPN_MASK) >> PTE_PPN_SHIFT) << 12;
}

static bool pte_leaf(uint64_t pte)
{
    return (pte & (PTE_R | PTE_W | PTE_X)) != 0;
}

int gstage_init(struct gstage *gs, const struct pt_alloc *pa)
{
    gs->root = pa->alloc(pa->ctx, GSTAGE_ROOT_FRAMES, GSTAGE_ROOT_FRAMES * PAGE);
    gs->tables = gs->root ? GSTAGE_ROOT_FRAMES : 0;
    return gs->root ? HV_OK : HV_ENOMEM;
}

/* The slot for gpa at `level`, creating intermediate tables on the way when pa is given. */
static uint64_t *walk(struct gstage *gs, const struct pt_alloc *pa, uint64_t gpa, int level)
{
    uint64_t *t = table(gs->root);

    for (int l = LEVELS - 1; l > level; l--) {
        uint64_t *slot = &t[vpn(gpa, l)];
        if (!(*slot & PTE_V)) {
            if (!pa) {
                return NULL;
            }
            uint64_t next = pa->alloc(pa->ctx, 1, PAGE);
            if (!next) {
                return NULL;
            }
            gs->tables++;
            *slot = ((next >> 12) << PTE_PPN_SHIFT) | PTE_V;
        } else if (pte_leaf(*slot)) {
            return NULL; /* a superpage covers this range already */
        }
        t = table(pte_pa(*slot));
    }
    return &t[vpn(gpa, level)];
}

int gstage_map(struct gstage *gs, const struct pt_alloc *pa, uint64_t gpa, uint64_t hpa, uint64_t size,
               uint64_t perm)
{
    perm &= PTE_R | PTE_W | PTE_X;
    /* A writable page must be readable (W without R is reserved), and something must be allowed. */
    if (!perm || ((perm & PTE_W) && !(perm & PTE_R))) {
        return HV_EINVAL;
    }
    if ((gpa | hpa | size) & (PAGE - 1) || size == 0) {
        return HV_EINVAL;
    }
    if (gpa + size < gpa || gpa + size > (1ul << GSTAGE_GPA_BITS) || hpa + size < hpa ||
        hpa + size > (1ul << 56)) {
        return HV_ERANGE;
    }
    while (size) {
        /* G-stage leaves must carry U: the hardware checks every guest access as a U-mode access. A and
         * D are preset so no implementation needs to fault to set them. */
        uint64_t bits = perm | PTE_V | PTE_U | PTE_A | PTE_D;
        bool big = ((gpa | hpa) & (MEGA - 1)) == 0 && size >= MEGA;
        uint64_t *slot = walk(gs, pa, gpa, big ? 1 : 0);
        if (!slot) {
            return HV_ENOMEM;
        }
        if (*slot & PTE_V) {
            return HV_EEXIST;
        }
        *slot = ((hpa >> 12) << PTE_PPN_SHIFT) | bits;
        uint64_t step = big ? MEGA : PAGE;
        gpa += step;
        hpa += step;
        size -= step;
    }
    return HV_OK;
}

int gstage_unmap(struct gstage *gs, uint64_t gpa, uint64_t size)
{
    if ((gpa | size) & (PAGE - 1) || gpa + size < gpa) {
        return HV_EINVAL;
    }
    while (size) {
        uint64_t *t = table(gs->root);
        int l = LEVELS - 1;
        uint64_t *slot = &t[vpn(gpa, l)];
        while ((*slot & PTE_V) && !pte_leaf(*slot) && l > 0) {
            t = table(pte_pa(*slot));
            slot = &t[vpn(gpa, --l)];
        }
        uint64_t span = PAGE << (9 * l);
        if (!(*slot & PTE_V) || !pte_leaf(*slot)) {
            return HV_ENOENT;
        }
        if ((gpa & (span - 1)) || size < span) {
            return HV_EINVAL; /* would split a superpage */
        }
        *slot = 0;
        gpa += span;
        size -= span;
    }
    return HV_OK;
}

bool gstage_lookup(const struct gstage *gs, uint64_t gpa, uint64_t *hpa, uint64_t *perm)
{
    if (gpa >= (1ul << GSTAGE_GPA_BITS)) {
        return false;
    }
    const uint64_t *t = table(gs->root);
    for (int l = LEVELS - 1; l >= 0; l--) {
        uint64_t pte = t[vpn(gpa, l)];
        if (!(pte & PTE_V)) {
            return false;
        }
        if (pte_leaf(pte)) {
            uint64_t span = PAGE << (9 * l);
            *hpa = pte_pa(pte) + (gpa & (span - 1));
            *perm = pte & (PTE_R | PTE_W | PTE_X);
            return true;
        }
        t = table(pte_pa(pte));
    }
    return false;
}

static void free_level(struct gstage *gs, const struct pt_alloc *pa, uint64_t tpa, int level)
{
    uint64_t *t = table(tpa);
    unsigned n = level == 2 ? 2048 : 512;

    for (unsigned i = 0; level > 0 && i < n; i++) {
        if ((t[i] & PTE_V) && !pte_leaf(t[i])) {
            free_level(gs, pa, pte_pa(t[i]), level - 1);
        }
    }
    uint64_t frames = level == 2 ? GSTAGE_ROOT_FRAMES : 1;
    pa->free(pa->ctx, tpa, frames);
    gs->tables -= frames;
}

void gstage_destroy(struct gstage *gs, const struct pt_alloc *pa)
{
    if (gs->root) {
        free_level(gs, pa, gs->root, LEVELS - 1);
        gs->root = 0;
    }
}
