// SPDX-License-Identifier: MIT
// The per-VM record behind the shadow trees (arch/shadow.h): which guest table frames every tree of
// the VM keeps write-protected, found through an index, and which frames some tree maps writable,
// so that a frame becoming a table loses those mappings and only those.
#include <arch/shadow.h>

#include "shadow_int.h"

void shadow_vm_init(struct shadow_vm *vm, uint64_t *writable, uint64_t ram_base, uint64_t nframes)
{
    vm->writable = writable;
    vm->ram_base = ram_base;
    vm->nframes = nframes;
    vm->table_writes = 0;
    vm->vm_drops = 0;
    vm->revokes = 0;
    tpatch_init(&vm->patch);
    shadow_vm_reset(vm);
}

void shadow_vm_reset(struct shadow_vm *vm)
{
    vm->nwp = 0;
    for (unsigned i = 0; i < 2 * SHADOW_WP_MAX; i++) {
        vm->wp_index[i] = 0;
    }
    for (unsigned i = 0; i < 8; i++) {
        vm->wp_megas[i] = 0;
    }
    vm->nwmap = 0;
    vm->wmap_lost = false;
    for (uint64_t i = 0; i < (vm->nframes + 63) / 64; i++) {
        vm->writable[i] = 0;
    }
}

static unsigned wp_hash(uint64_t gpa)
{
    return (unsigned)(((gpa >> 12) * 0x9e3779b1u) >> 9) & (2 * SHADOW_WP_MAX - 1);
}

static unsigned mega_bit(uint64_t gpa)
{
    return (unsigned)(gpa >> 21) & 511;
}

const struct shadow_wp *shadow_wp_find(const struct shadow_vm *vm, uint64_t gpa)
{
    uint64_t f = gpa & ~(PAGE - 1);

    /* The index has twice the room of the set: a probe ends at an empty entry. */
    for (unsigned h = wp_hash(f);; h = (h + 1) & (2 * SHADOW_WP_MAX - 1)) {
        if (!vm->wp_index[h]) {
            return (const struct shadow_wp *)0;
        }
        if (vm->wp[vm->wp_index[h] - 1].gpa == f) {
            return &vm->wp[vm->wp_index[h] - 1];
        }
    }
}

static void wp_add(struct shadow_vm *vm, const struct shadow_wp *w)
{
    unsigned h = wp_hash(w->gpa);

    while (vm->wp_index[h]) {
        h = (h + 1) & (2 * SHADOW_WP_MAX - 1);
    }
    vm->wp[vm->nwp++] = *w;
    vm->wp_index[h] = (uint8_t)vm->nwp;
    vm->wp_megas[mega_bit(w->gpa) / 64] |= 1ull << (mega_bit(w->gpa) % 64);
}

/* A protected table reached through two virtual ranges: any write to it drops everything. */
#define VA_ALIASED (~0ull)

bool shadow_table_written(struct shadow_vm *vm, uint64_t gpa, uint64_t *va)
{
    const struct shadow_wp *w = shadow_wp_find(vm, gpa);

    vm->table_writes++;
    if (!w || w->level != 0 || w->va == VA_ALIASED) {
        return false; /* a pointer to a table, or a superpage: what hangs below is unknown here */
    }
    *va = w->va + ((gpa & (PAGE - 1)) / 8) * PAGE;
    return true;
}

static bool writable_bit(const struct shadow_vm *vm, uint64_t gpa)
{
    uint64_t f = (gpa - vm->ram_base) / PAGE;
    return gpa >= vm->ram_base && f < vm->nframes && ((vm->writable[f / 64] >> (f % 64)) & 1);
}

void shadow_mark_writable(struct shadow_vm *vm, uint64_t gpa, uint64_t len)
{
    for (uint64_t a = gpa; a < gpa + len; a += PAGE) {
        uint64_t f = (a - vm->ram_base) / PAGE;
        if (a >= vm->ram_base && f < vm->nframes) {
            vm->writable[f / 64] |= 1ull << (f % 64);
        }
    }
}

static bool wmap_live(const struct shadow_wmap *w)
{
    return w->owner->space[w->space].gen == w->gen && *w->slot == w->pte;
}

/* Records a writable leaf just written at slot; when the record is full, stale entries go first. */
void shadow_wmap_add(struct shadow_vm *vm, struct shadow *s, uint64_t *slot, uint64_t gpa, uint64_t len)
{
    if (vm->wmap_lost) {
        return;
    }
    if (vm->nwmap == SHADOW_WMAP_MAX) {
        unsigned n = 0;
        for (unsigned i = 0; i < vm->nwmap; i++) {
            if (wmap_live(&vm->wmap[i])) {
                vm->wmap[n++] = vm->wmap[i];
            }
        }
        vm->nwmap = n;
        /* Mostly live: compacting again soon would cost a scan per fill. Give up until the next
         * drop of everything. */
        if (n > SHADOW_WMAP_MAX / 4 * 3) {
            vm->wmap_lost = true;
            return;
        }
    }
    vm->wmap[vm->nwmap++] = (struct shadow_wmap){ slot, *slot, gpa, len, s, s->cur, s->space[s->cur].gen };
}

/* Takes every writable leaf over the frame at gpa out of the trees (they refill read-only once the
 * frame is protected). False when some writable leaf went unrecorded. */
static bool wmap_revoke(struct shadow_vm *vm, uint64_t gpa)
{
    if (vm->wmap_lost) {
        return false;
    }
    unsigned n = 0;
    for (unsigned i = 0; i < vm->nwmap; i++) {
        struct shadow_wmap *w = &vm->wmap[i];
        if (!wmap_live(w)) {
            continue;
        }
        if (gpa >= w->gpa && gpa - w->gpa < w->len) {
            *w->slot = 0;
            w->owner->fence = true;
            vm->revokes++;
            continue;
        }
        vm->wmap[n++] = *w;
    }
    vm->nwmap = n;
    return true;
}

/* Write-protects the tables a walk for va went through. A table new to the set may still be mapped
 * writable in some tree (it was data until now): then every tree of the VM goes, and the set starts
 * again with these. */
void shadow_protect_path(struct shadow_vm *vm, const struct shadow_ops *ops, const struct shadow_path *p,
                         uint64_t va)
{
    for (unsigned i = 0; i < p->n; i++) {
        unsigned level = 2 - i;
        uint64_t base = va & ~((PAGE << (9 * (level + 1))) - 1);
        struct shadow_wp *w = (struct shadow_wp *)shadow_wp_find(vm, p->table[i]);
        if (w) {
            if (w->va != base || w->level != level) {
                w->va = VA_ALIASED;
            }
            continue;
        }
        if (vm->nwp < SHADOW_WP_MAX && writable_bit(vm, p->table[i]) && wmap_revoke(vm, p->table[i])) {
            /* The bit stays: a frame's bit says "look in the record", which now has none for it. */
        } else if (vm->nwp == SHADOW_WP_MAX || writable_bit(vm, p->table[i])) {
            vm->vm_drops++;
            ops->drop_vm(ops->ctx);
            i = (unsigned)-1; /* protect the whole path again, in the fresh set */
            continue;
        }
        wp_add(vm, &(struct shadow_wp){ p->table[i], base, level });
    }
}

bool shadow_any_protected_in(const struct shadow_vm *vm, uint64_t gpa, uint64_t len)
{
    /* A 2 MiB region (the only range asked) whose bit is clear holds none. */
    if (len == MEGA && !((vm->wp_megas[mega_bit(gpa) / 64] >> (mega_bit(gpa) % 64)) & 1)) {
        return false;
    }
    for (unsigned i = 0; i < vm->nwp; i++) {
        if (vm->wp[i].gpa >= gpa && vm->wp[i].gpa - gpa < len) {
            return true;
        }
    }
    return false;
}

void shadow_vm_forget_lower(struct shadow_vm *vm)
{
    struct shadow_wp keep[SHADOW_WP_MAX];
    unsigned n = 0, total = vm->nwp;

    for (unsigned i = 0; i < total; i++) {
        const struct shadow_wp *w = &vm->wp[i];
        /* A root translates both halves; an aliased table, unknown ranges: both stay. */
        if (w->level == 2 || w->va == VA_ALIASED || (w->va >> 38) != 0) {
            keep[n++] = *w;
        }
    }
    for (unsigned i = 0; i < 2 * SHADOW_WP_MAX; i++) {
        vm->wp_index[i] = 0;
    }
    for (unsigned i = 0; i < 8; i++) {
        vm->wp_megas[i] = 0;
    }
    vm->nwp = 0;
    for (unsigned i = 0; i < n; i++) {
        wp_add(vm, &keep[i]);
    }
}
