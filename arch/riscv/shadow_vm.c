// SPDX-License-Identifier: MIT
// The per-VM record behind the shadow trees (arch/shadow.h): which guest table frames every tree of
// the VM keeps write-protected, found through an index, and which frames some tree maps writable,
// so that a frame becoming a table loses those mappings and only those.
#include <arch/shadow.h>

#include "shadow_int.h"

void shadow_vm_init(struct shadow_vm *vm, uint64_t *writable, struct shadow_wmap *wmap, uint64_t ram_base,
                    uint64_t nframes)
{
    vm->writable = writable;
    vm->wmap = wmap;
    vm->ram_base = ram_base;
    vm->nframes = nframes;
    vm->table_writes = 0;
    vm->vm_drops = 0;
    vm->revokes = 0;
    vm->wp_gen = 1;
    vm->last_gen = 0;
    vm->flood_frame = 0;
    vm->flood_stores = 0;
    vm->unprotects = 0;
    vm->fenced_lower = false;
    tpatch_init(&vm->patch);
    shadow_vm_reset(vm);
}

/* Empties the record of protected tables, its index and region bits. Frames leave it: the last
 * path protected is no longer known to be. */
static void wp_clear(struct shadow_vm *vm)
{
    vm->wp_gen++;
    vm->nwp = 0;
    for (unsigned i = 0; i < 2 * SHADOW_WP_MAX; i++) {
        vm->wp_index[i] = 0;
    }
    for (unsigned i = 0; i < 8; i++) {
        vm->wp_megas[i] = 0;
    }
}

void shadow_vm_reset(struct shadow_vm *vm)
{
    wp_clear(vm);
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

/* A region bit set by tables of more than one 2 MiB region (region numbers are gpa >> 21, far below). */
#define MEGA_MIXED (~0u)

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
    /* The region's tag: the first region of its bit, or MEGA_MIXED once another shares the bit. */
    unsigned b = mega_bit(w->gpa);
    uint32_t tag = (uint32_t)(w->gpa >> 21);
    if (!((vm->wp_megas[b / 64] >> (b % 64)) & 1)) {
        vm->wp_mega_tag[b] = tag;
    } else if (vm->wp_mega_tag[b] != tag) {
        vm->wp_mega_tag[b] = MEGA_MIXED;
    }
    vm->wp_megas[b / 64] |= 1ull << (b % 64);
}

/* A protected table reached through two virtual ranges: any write to it drops everything. */
#define VA_ALIASED (~0ull)

bool shadow_table_written(struct shadow_vm *vm, uint64_t gpa, uint64_t *va, unsigned *level)
{
    const struct shadow_wp *w = shadow_wp_find(vm, gpa);

    vm->table_writes++;
    if (!w || w->va == VA_ALIASED) {
        return false; /* reached through two ranges: which one the entry translates is unknown */
    }
    /* The entry's span: 4 KiB, 2 MiB or 1 GiB from the table's first address, sign-extended from
     * bit 38 as Sv39 addresses are (a root's upper half). */
    uint64_t a = w->va + ((gpa & (PAGE - 1)) / 8) * (PAGE << (9 * w->level));
    *va = (uint64_t)((int64_t)(a << 25) >> 25);
    *level = w->level;
    return true;
}

/* A frame marked for removal from the record (no RAM frame is at the top of the address space). */
#define WP_GONE (~0ull)

/* Takes the frames marked WP_GONE out of the record; the index and region bits are built again. */
static void wp_compact(struct shadow_vm *vm)
{
    unsigned n = 0, total = vm->nwp;

    for (unsigned i = 0; i < total; i++) {
        if (vm->wp[i].gpa != WP_GONE) {
            vm->wp[n++] = vm->wp[i];
        }
    }
    wp_clear(vm);
    for (unsigned i = 0; i < n; i++) {
        struct shadow_wp w = vm->wp[i];
        wp_add(vm, &w);
    }
}

/* The table at gpa, recorded at level for the span at va: marked to be forgotten. False when the
 * record has it for another span or level (reached some other way too). */
static bool wp_mark(struct shadow_vm *vm, uint64_t gpa, unsigned level, uint64_t va)
{
    struct shadow_wp *w = (struct shadow_wp *)shadow_wp_find(vm, gpa);

    if (!w) {
        return true;
    }
    if (w->level != level || w->va != va) {
        return false;
    }
    w->gpa = WP_GONE;
    return true;
}

bool shadow_entry_changed(struct shadow_vm *vm, const struct shadow_ops *ops, uint64_t old, uint64_t now,
                          uint64_t va, unsigned level)
{
    /* Only a pointer to a table matters, and only when it no longer points there. */
    if (level == 0 || !(old & PTE_V) || (old & PTE_LEAF) ||
        ((now & PTE_V) && !(now & PTE_LEAF) && PTE_PPN(now) == PTE_PPN(old))) {
        return true;
    }
    uint64_t child = PTE_PPN(old) << 12;
    const struct shadow_wp *w = shadow_wp_find(vm, child);
    if (!w) {
        return true; /* never walked: nothing protects it */
    }
    if (w->level != level - 1 || w->va != va) {
        return false;
    }
    bool ok = true;
    const uint64_t *t = level == 2 ? ops->ram(ops->ctx, child, PAGE) : (const uint64_t *)0;
    if (t) {
        /* The level-1 table's own pointers (512 entries at most: a bounded step). Entries are read
         * as the guest left them, at the moment it unlinks the table. */
        for (unsigned i = 0; i < 512 && ok; i++) {
            if ((t[i] & PTE_V) && !(t[i] & PTE_LEAF)) {
                ok = wp_mark(vm, PTE_PPN(t[i]) << 12, 0, va + i * MEGA);
            }
        }
    }
    ok = ok && wp_mark(vm, child, level - 1, va);
    wp_compact(vm);
    return ok;
}

bool shadow_table_flooded(struct shadow_vm *vm, uint64_t gpa, uint64_t *va, unsigned *level)
{
    uint64_t frame = gpa & ~(PAGE - 1);

    if (frame != vm->flood_frame) {
        vm->flood_frame = frame;
        vm->flood_stores = 0;
    }
    if (++vm->flood_stores < SHADOW_FLOOD) {
        return false;
    }
    struct shadow_wp *w = (struct shadow_wp *)shadow_wp_find(vm, frame);
    if (!w || w->level == 2 || w->va == VA_ALIASED) {
        return false; /* reached through two ranges: its span is not one range */
    }
    *va = w->va;
    *level = w->level + 1;
    w->gpa = WP_GONE;
    wp_compact(vm);
    vm->flood_stores = 0;
    vm->unprotects++;
    return true;
}

void shadow_walked(struct shadow_vm *vm, const struct shadow_path *path)
{
    for (unsigned i = 0; i < path->n; i++) {
        if (path->table[i] == vm->flood_frame) {
            vm->flood_stores = 0;
        }
    }
}

bool shadow_forget_root(struct shadow_vm *vm, uint64_t gpa)
{
    bool ok = wp_mark(vm, gpa & ~(PAGE - 1), 2, 0);

    wp_compact(vm);
    return ok;
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
    if ((uint16_t)w->owner->epoch != w->epoch) {
        return false;
    }
    /* A table of pieces lives while the entry still leads to it, whatever bits it gained since. */
    if (w->kind == SHADOW_WMAP_PIECES) {
        return (*w->slot & PTE_V) && !(*w->slot & PTE_LEAF) && PTE_PPN(*w->slot) == PTE_PPN(w->pte);
    }
    return *w->slot == w->pte;
}

/* Records a writable leaf just written at slot; when the record is full, stale entries go first. */
void shadow_wmap_add(struct shadow_vm *vm, struct shadow *s, uint64_t *slot, uint64_t gpa,
                     enum shadow_wmap_kind kind)
{
    if (vm->wmap_lost) {
        return;
    }
    /* A table of pieces filled page after page: recorded by its first fill. */
    if (kind == SHADOW_WMAP_PIECES && vm->nwmap && vm->wmap[vm->nwmap - 1].slot == slot &&
        vm->wmap[vm->nwmap - 1].pte == *slot && vm->wmap[vm->nwmap - 1].owner == s &&
        vm->wmap[vm->nwmap - 1].epoch == (uint16_t)s->epoch) {
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
    vm->wmap[vm->nwmap++] = (struct shadow_wmap){ slot, *slot, s, (uint32_t)(gpa >> 12), (uint16_t)s->epoch,
                                                  (uint16_t)kind };
}

/* A table of pieces recorded at w: its writable leaves over the n frames at gpa[] go; the record
 * stays for the others. */
static void revoke_pieces(struct shadow_vm *vm, const struct shadow_ops *ops, const struct shadow_wmap *w,
                          const uint64_t *gpa, unsigned n)
{
    uint64_t *l0 = ops->table(ops->ctx, PTE_PPN(w->pte) << 12);

    for (unsigned k = 0; k < n; k++) {
        uint32_t f = (uint32_t)(gpa[k] >> 12);
        if (f >= w->frame && f - w->frame < 512 && (l0[f - w->frame] & PTE_W)) {
            l0[f - w->frame] = 0;
            w->owner->fence = true;
            vm->revokes++;
        }
    }
}

/* Takes every writable leaf over any of the n frames at gpa[] out of the trees (they refill
 * read-only once the frames are protected). False when some writable leaf went unrecorded. */
static bool wmap_revoke(struct shadow_vm *vm, const struct shadow_ops *ops, const uint64_t *gpa, unsigned n)
{
    if (vm->wmap_lost) {
        return false;
    }
    /* The frame test first, from the record alone: a scan of the whole record costs a few
     * instructions a record. A record that covers one of the frames goes, live or not (a live
     * leaf is zeroed first); the last record takes its place. */
    for (unsigned i = 0; i < vm->nwmap;) {
        struct shadow_wmap *w = &vm->wmap[i];
        bool hit = false;
        for (unsigned k = 0; k < n; k++) {
            uint32_t f = (uint32_t)(gpa[k] >> 12);
            hit |= w->kind != SHADOW_WMAP_PAGE ? f >= w->frame && f - w->frame < 512 : w->frame == f;
        }
        if (!hit) {
            i++;
            continue;
        }
        if (w->kind == SHADOW_WMAP_PIECES) {
            if (wmap_live(w)) {
                revoke_pieces(vm, ops, w, gpa, n);
                i++;
            } else {
                *w = vm->wmap[--vm->nwmap];
            }
            continue;
        }
        if (wmap_live(w)) {
            *w->slot = 0;
            w->owner->fence = true;
            vm->revokes++;
        }
        *w = vm->wmap[--vm->nwmap];
    }
    return true;
}

/* Write-protects the tables a walk for va went through. A table new to the set may still be mapped
 * writable in some tree (it was data until now): then every tree of the VM goes, and the set starts
 * again with these. A last-level table of the lower half of a guest that fences it (fenced_lower) is
 * left as it is, unless the record has it already (it serves some other walk as well). */
void shadow_protect_path(struct shadow_vm *vm, const struct shadow_ops *ops, const struct shadow_path *path,
                         uint64_t va)
{
    /* The last path protected, if the record lost nothing since: the same tables for the same
     * 2 MiB (so the same bases) are protected as they were (the commonest fill: the next page). */
    if (path->n == 3 && vm->last_gen == vm->wp_gen && vm->last_mega == va >> 21 &&
        vm->last_path[0] == path->table[0] && vm->last_path[1] == path->table[1] &&
        vm->last_path[2] == path->table[2]) {
        return;
    }
    struct shadow_path own = *path;
    const struct shadow_path *p = &own;

    if (vm->fenced_lower && own.n == 3 && (va >> 38) == 0 && !shadow_wp_find(vm, own.table[2])) {
        own.n = 2;
    }
    /* Tables new to the record may be mapped writable in some tree (they were data until now):
     * those leaves go, all in one scan of the record of writable leaves (a few instructions a
     * record: it runs inside a fill's work bound). When that record lost some leaf, or the record
     * of tables is full, every tree of the VM goes instead, and the record starts again (empty, no
     * frame mapped writable): at most once. */
    for (;;) {
        uint64_t wr[3];
        unsigned nwr = 0, nnew = 0;
        for (unsigned i = 0; i < p->n; i++) {
            if (!shadow_wp_find(vm, p->table[i])) {
                nnew++;
                if (writable_bit(vm, p->table[i])) {
                    wr[nwr++] = p->table[i];
                }
            }
        }
        if (vm->nwp + nnew <= SHADOW_WP_MAX && (nwr == 0 || wmap_revoke(vm, ops, wr, nwr))) {
            /* No writable leaf maps them any more: their bits go, so that protecting them again (a
             * table given up and walked again) need not look. */
            (void)wr; /* the bits stay: a frame's bit says "look in the record" */
            break;
        }
        vm->vm_drops++;
        ops->drop_vm(ops->ctx);
    }
    for (unsigned i = 0; i < p->n; i++) {
        unsigned level = 2 - i;
        /* A root translates every address: its entries' spans are counted from 0. */
        uint64_t base = level == 2 ? 0 : va & ~((PAGE << (9 * (level + 1))) - 1);
        struct shadow_wp *w = (struct shadow_wp *)shadow_wp_find(vm, p->table[i]);
        if (w) {
            if (w->va != base || w->level != level) {
                w->va = VA_ALIASED;
            }
            continue;
        }
        wp_add(vm, &(struct shadow_wp){ p->table[i], base, level });
    }
    if (path->n == 3) {
        vm->last_gen = vm->wp_gen;
        vm->last_mega = va >> 21;
        vm->last_path[0] = path->table[0];
        vm->last_path[1] = path->table[1];
        vm->last_path[2] = path->table[2];
    }
}

bool shadow_any_protected_in(const struct shadow_vm *vm, uint64_t gpa, uint64_t len)
{
    /* A 2 MiB region (the only range asked) whose bit is clear holds none; one whose bit only its
     * own tables set holds some. Only a bit shared by two regions needs the scan. */
    if (len == MEGA && (gpa & (MEGA - 1)) == 0) {
        unsigned b = mega_bit(gpa);
        if (!((vm->wp_megas[b / 64] >> (b % 64)) & 1)) {
            return false;
        }
        if (vm->wp_mega_tag[b] != MEGA_MIXED) {
            return vm->wp_mega_tag[b] == (uint32_t)(gpa >> 21);
        }
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
    for (unsigned i = 0; i < vm->nwp; i++) {
        struct shadow_wp *w = &vm->wp[i];
        /* A root translates both halves; an aliased table, unknown ranges: both stay. */
        if (!(w->level == 2 || w->va == VA_ALIASED || (w->va >> 38) != 0)) {
            w->gpa = WP_GONE;
        }
    }
    wp_compact(vm);
}
