// SPDX-License-Identifier: MIT
// Page-table calls for tables the trap engine shadows (HV_FEAT_TABLES_BATCHED): MMU_UPDATE's
// HV_MMU_SHADOWED form, a cooperative kernel's batch of updates to its own tables (Linux's lazy-MMU
// sections, guest-pv/linux/0004-*.patch), and SET_ROOT of a shadowed root (its satp write).
#include <arch/arch.h>

#include "budget.h"
#include "guest_mem.h"
#include "hvabi.h"
#include "hyp.h"
#include "pv/pv.h"
#include "vm.h"

/* Entries read from the guest at a time, each exactly once (as hc_mmu.c's). */
#define CHUNK 32

/* What one call has learnt and still owes: the two table frames it last wrote (a fork's batch
 * alternates between the parent's table and the child's), each checked once, and whether the engine
 * write-protects it (a frame it did not stays so for the call: only walks protect, and none runs
 * during a call); the pages to drop, gathered while they stay in one 2 MiB region (Linux's batches
 * are a last-level table's entries, in order), so that the trees are walked once for a group. */
struct batch {
    uint64_t frame[2];
    uint64_t *base[2];
    bool unprotected[2];
    unsigned last;
    uint64_t root, lo, hi;
};

/* Guest physical address of machine address m when [m, m + len) is RAM, else ~0. */
static uint64_t ram_gpa(const struct vm *vm, uint64_t m, uint64_t len)
{
    uint64_t off = pv_machine_offset(vm), hpa;

    if (m < off || !guest_ram_range(vm, m - off, len, &hpa)) {
        return ~0ull;
    }
    return m - off;
}

static void charge(struct hc_budget *b, uint64_t units)
{
    b->left = b->left > units ? b->left - units : 0;
}

/* Pages are gathered in aligned groups of this many: dropping a group is a walk per view and space
 * of every vCPU (8 spaces at most), then an entry per page, about 6,000 instructions a vCPU at worst,
 * charged when the group is started. */
#define GROUP_SHIFT 18
#define UNITS_GROUP 64u

static void drop_gathered(struct vcpu *v, struct batch *t)
{
    if (t->hi > t->lo) {
        vcpu_arch_drop_pages(v, t->root, t->lo, t->hi);
    }
    t->lo = t->hi = 0;
}

static void gather(struct vcpu *v, struct batch *t, uint64_t va, struct hc_budget *b)
{
    va &= ~(PAGE_SIZE - 1);
    if (t->hi > t->lo && (va >> GROUP_SHIFT) == (t->lo >> GROUP_SHIFT)) {
        t->lo = va < t->lo ? va : t->lo;
        t->hi = va + PAGE_SIZE > t->hi ? va + PAGE_SIZE : t->hi;
        return;
    }
    drop_gathered(v, t);
    charge(b, v->vm->nvcpus * UNITS_GROUP);
    t->lo = va;
    t->hi = va + PAGE_SIZE;
}

/* The host address of the table frame at machine address frame, checked on first use in the call:
 * RAM, and not a frame the validator holds as a table (which changes only through its own updates). */
static long frame_of(struct vcpu *v, struct batch *t, uint64_t frame, unsigned *slot, struct hc_budget *b)
{
    for (unsigned i = 0; i < 2; i++) {
        if (t->base[i] && t->frame[i] == frame) {
            *slot = i;
            return SBI_SUCCESS;
        }
    }
    uint64_t at = ram_gpa(v->vm, frame, PAGE_SIZE);
    if (at == ~0ull) {
        return SBI_ERR_INVALID_ADDRESS;
    }
    uint64_t *base = guest_ram_write_ptr(v->vm, at, PAGE_SIZE);
    if (!base) {
        return SBI_ERR_DENIED;
    }
    charge(b, 2);
    t->last ^= 1;
    *slot = t->last;
    t->frame[*slot] = frame;
    t->base[*slot] = base;
    t->unprotected[*slot] = false;
    return SBI_SUCCESS;
}

/* One entry: written, then the engine's trees follow it. */
static long one(struct vcpu *v, struct batch *t, const struct hv_mmu_update_va *e, struct hc_budget *b)
{
    unsigned slot;

    if ((e->ptr & HV_MMU_CMD_MASK) != HV_MMU_PTE) {
        return SBI_ERR_INVALID_PARAM;
    }
    uint64_t ma = e->ptr & ~HV_MMU_CMD_MASK;
    long err = frame_of(v, t, ma & ~(PAGE_SIZE - 1), &slot, b);
    if (err != SBI_SUCCESS) {
        return err;
    }
    uint64_t *word = t->base[slot] + (ma & (PAGE_SIZE - 1)) / 8;
    uint64_t old = __atomic_load_n(word, __ATOMIC_RELAXED);
    __atomic_store_n(word, e->val, __ATOMIC_RELAXED);
    charge(b, 1);
    if (!t->unprotected[slot]) {
        enum arch_table_update r = vcpu_arch_table_updated(v, t->frame[slot] - pv_machine_offset(v->vm) +
                                                                  (ma & (PAGE_SIZE - 1)),
                                                           old, e->val);
        if (r == ARCH_TABLE_ALL_DROPPED) {
            b->left = 0; /* enough for one exit: the next entry waits for the next call */
            return SBI_SUCCESS;
        }
        t->unprotected[slot] = r == ARCH_TABLE_UNPROTECTED;
        charge(b, v->vm->nvcpus);
        if (r == ARCH_TABLE_FOLLOWED) {
            return SBI_SUCCESS;
        }
    }
    if (e->va & HV_MMU_VA_DROP) {
        gather(v, t, e->va, b);
    }
    return SBI_SUCCESS;
}

long hc_mmu_update_shadowed(struct vcpu *v, uint64_t gpa, uint64_t count, uint64_t root_ma,
                            uint64_t *done, struct hc_budget *b)
{
    struct hv_mmu_update_va buf[CHUNK];
    struct batch t = { .last = 1 };
    uint64_t hpa;

    *done = 0;
    if (!vcpu_arch_has_tables_batched()) {
        return SBI_ERR_NOT_SUPPORTED;
    }
    if (count > (1ull << 40) || (gpa & 7) || !guest_ram_range(v->vm, gpa, count * sizeof(buf[0]), &hpa)) {
        return SBI_ERR_INVALID_ADDRESS;
    }
    t.root = ram_gpa(v->vm, root_ma, PAGE_SIZE);
    if ((root_ma & (PAGE_SIZE - 1)) || t.root == ~0ull) {
        return SBI_ERR_INVALID_ADDRESS;
    }
    uint64_t n = count < HV_MMU_BATCH_MAX ? count : HV_MMU_BATCH_MAX;
    const struct hv_mmu_update_va *src = guest_ram_ptr(v->vm, gpa, n * sizeof(buf[0]));
    long err = SBI_SUCCESS;
    /* An entry may cost a unit, a frame's check, the engine's look at every vCPU's trees and a new
     * group of pages to drop: the worst case must fit what is left. */
    uint64_t worst = 3 + v->vm->nvcpus * (1 + UNITS_GROUP);
    while (*done < n && err == SBI_SUCCESS && b->left >= worst) {
        uint64_t k = n - *done < CHUNK ? n - *done : CHUNK;
        for (uint64_t i = 0; i < k; i++) {
            buf[i] = src[*done + i];
        }
        for (uint64_t i = 0; i < k && err == SBI_SUCCESS && b->left >= worst; i++) {
            err = one(v, &t, &buf[i], b);
            *done += err == SBI_SUCCESS;
        }
    }
    drop_gathered(v, &t);
    v->vm->stats.batched_updates += *done;
    if (err == SBI_SUCCESS && *done < count) {
        b->cut = true;
    }
    return err;
}

long hc_set_shadow_root(struct vcpu *v, uint64_t root_ma, uint64_t asid)
{
    if (!vcpu_arch_has_tables_batched()) {
        return SBI_ERR_NOT_SUPPORTED;
    }
    uint64_t root = ram_gpa(v->vm, root_ma, PAGE_SIZE);
    if (asid > 0xffff || (root_ma & (PAGE_SIZE - 1))) {
        return SBI_ERR_INVALID_PARAM;
    }
    if (root == ~0ull) {
        return SBI_ERR_INVALID_ADDRESS;
    }
    /* The satp the guest would have written: Sv39 (the only mode offered), its ASID, its root. */
    vcpu_arch_set_shadow_root(v, (8ull << 60) | (asid << 44) | (root >> 12));
    return SBI_SUCCESS;
}
