/* SPDX-License-Identifier: MIT */
/* Sv39x4 G-stage tables (priv spec, hypervisor chapter, "Guest Physical Address Translation"). */
#ifndef ARCH_GSTAGE_H
#define ARCH_GSTAGE_H

#include <stdbool.h>
#include <stdint.h>

/* Sv39x4 translates 41-bit guest physical addresses; its root table is 16 KiB, 16 KiB aligned. */
#define GSTAGE_GPA_BITS 41
#define GSTAGE_ROOT_FRAMES 4

#define PTE_V (1ul << 0)
#define PTE_R (1ul << 1)
#define PTE_W (1ul << 2)
#define PTE_X (1ul << 3)
#define PTE_U (1ul << 4)
#define PTE_G (1ul << 5)
#define PTE_A (1ul << 6)
#define PTE_D (1ul << 7)
#define PTE_PPN_SHIFT 10
#define PTE_PPN_MASK (((1ul << 44) - 1) << PTE_PPN_SHIFT)

/* Table frames come from the caller, so host tests can hand out malloc'ed pages. Addresses are physical
 * and the hypervisor runs untranslated, so a physical address is also a pointer. */
struct pt_alloc {
    uint64_t (*alloc)(void *ctx, uint64_t nframes, uint64_t align); /* zeroed frames, or 0 */
    void (*free)(void *ctx, uint64_t pa, uint64_t nframes);
    void *ctx;
};

struct gstage {
    uint64_t root; /* physical address of the 16 KiB root table */
    uint64_t tables; /* table frames in use, root included, for accounting and leak checks */
};

int gstage_init(struct gstage *gs, const struct pt_alloc *pa);

/* Maps [gpa, gpa + size) to [hpa, hpa + size) with perm (PTE_R/W/X). Uses 2 MiB leaves where both sides
 * line up. Fails with HV_EEXIST, leaving earlier pages of the range mapped, when any page is mapped. */
int gstage_map(struct gstage *gs, const struct pt_alloc *pa, uint64_t gpa, uint64_t hpa, uint64_t size,
               uint64_t perm);

/* Removes the leaves of [gpa, gpa + size); a range that would split a superpage is refused. */
int gstage_unmap(struct gstage *gs, uint64_t gpa, uint64_t size);

/* Translates gpa; returns false when unmapped. */
bool gstage_lookup(const struct gstage *gs, uint64_t gpa, uint64_t *hpa, uint64_t *perm);

/* Frees every table frame; the mapped memory itself belongs to the caller. */
void gstage_destroy(struct gstage *gs, const struct pt_alloc *pa);

#endif
