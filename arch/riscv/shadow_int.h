/* SPDX-License-Identifier: MIT */
/* Between shadow.c (walks, trees, fills) and shadow_vm.c (the per-VM record of protected tables and
 * writable leaves). */
#ifndef ARCH_SHADOW_INT_H
#define ARCH_SHADOW_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <arch/shadow.h>

#define PAGE 4096ull
#define MEGA (2ull << 20)
/* Pages a fill from a guest superpage maps at once, an aligned group around the one it needs
 * (shadow.c's fill_around). */
#define SHADOW_AROUND 16u

#define PTE_V (1ull << 0)
#define PTE_R (1ull << 1)
#define PTE_W (1ull << 2)
#define PTE_X (1ull << 3)
#define PTE_U (1ull << 4)
#define PTE_A (1ull << 6)
#define PTE_D (1ull << 7)
#define PTE_LEAF (PTE_R | PTE_W | PTE_X)
#define PTE_PPN(p) (((p) >> 10) & ((1ull << 44) - 1))

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
