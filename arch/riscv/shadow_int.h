/* SPDX-License-Identifier: MIT */
/* Between shadow.c (walks, trees), shadow_fill.c (fills) and shadow_vm.c (the per-VM record of
 * protected tables and writable leaves). */
#ifndef ARCH_SHADOW_INT_H
#define ARCH_SHADOW_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <arch/shadow.h>

#define PAGE 4096ull
#define MEGA (2ull << 20)

#define PTE_V (1ull << 0)
#define PTE_R (1ull << 1)
#define PTE_W (1ull << 2)
#define PTE_X (1ull << 3)
#define PTE_U (1ull << 4)
#define PTE_A (1ull << 6)
#define PTE_D (1ull << 7)
#define PTE_LEAF (PTE_R | PTE_W | PTE_X)
#define PTE_PPN(p) (((p) >> 10) & ((1ull << 44) - 1))

/* RSW bit (the hardware ignores it) on a shadow pointer whose whole span comes from one guest
 * superpage: an sfence.vma of any address in that superpage drops the pointer. */
#define PTE_SUPER (1ull << 8)
/* RSW bit on a read-only leaf over a protected table that the guest's entry lets it store to (W and
 * D set): its store is a table write, known from the tree without walking the guest's tables. */
#define PTE_TW (1ull << 9)
/* N, PBMT and the reserved bits (Svnapot and Svpbmt are not offered to guests: must be zero). */
#define PTE_HIGH (0x3ffull << 54)

static inline unsigned shadow_vpn(uint64_t va, unsigned level)
{
    return (unsigned)(va >> (12 + 9 * level)) & 0x1ff;
}

/* Sv39 addresses sign-extend bit 38 (supervisor chapter, "Sv39"). */
static inline bool shadow_va_canonical(uint64_t va)
{
    uint64_t top = va >> 38;
    return top == 0 || top == (1ull << 26) - 1;
}

/* What a guest leaf lets an access in view do (supervisor chapter, "Virtual Address Translation
 * Process", step 5). */
static inline bool shadow_allowed(uint64_t pte, enum shadow_view view, enum shadow_access acc, bool sum, bool mxr)
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

/* View's root entry k (the upper half) of the current space was just made: every other kept space
 * whose guest root holds the same entry, and which has none there yet, gets the same (the subtree
 * below is built from the same guest tables). Linux's processes share their kernel half; what one
 * of them is first to use (a fork's child, in the view with SUM set) is then there for the parent,
 * and through it for the next child (share_upper). */
void shadow_lend_upper(struct shadow *s, const struct shadow_ops *ops, enum shadow_view view, unsigned k);
/* Write-protects the tables a walk for va went through (may drop every tree of the VM). */
void shadow_protect_path(struct shadow_vm *vm,
                         const struct shadow_ops *ops,
                         const struct shadow_path *p,
                         uint64_t va);
/* True when some protected table lies in [gpa, gpa + len). */
bool shadow_any_protected_in(const struct shadow_vm *vm, uint64_t gpa, uint64_t len);
/* The frames of [gpa, gpa + len) are mapped writable somewhere: their bits say "look in the
 * record". */
void shadow_mark_writable(struct shadow_vm *vm, uint64_t gpa, uint64_t len);
/* Records a writable leaf just written at slot by s's current space (kind PAGE or MEGA), or the entry
 * at slot over a table of pieces from gpa (kind PIECES; once is enough while it stays). */
void shadow_wmap_add(struct shadow_vm *vm,
                     struct shadow *s,
                     uint64_t *slot,
                     uint64_t gpa,
                     enum shadow_wmap_kind kind);

#endif
