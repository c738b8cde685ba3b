/* SPDX-License-Identifier: MIT */
/* Inside the PV page-table validator: the entry rules and frame lookups that its updates (ptval.c)
 * and its consistency check (ptval_check.c) share. */
#ifndef HYP_PV_PTVAL_INT_H
#define HYP_PV_PTVAL_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "hvabi.h"
#include "pv/ptval.h"

#define PTES 512
#define PTE_RWX (PV_PTE_R | PV_PTE_W | PV_PTE_X)
/* Permissions whose loss must reach every TLB before a frame is reused (G: other ASIDs). */
#define PTE_PERMS (PTE_RWX | PV_PTE_U | PV_PTE_G)
/* Frames per struct pt_chunk: one 2 MiB superpage. */
#define CHUNK_FRAMES 512ull
/* The walk's step for one entry: inlined into the walk, where a call per entry cost as much as the
 * entry's own checks (every step counts against an exit's budget). */
#define STEP_INLINE inline __attribute__((always_inline))

static inline uint64_t pte_ppn(uint64_t pte)
{
    return (pte & PV_PTE_PPN_MASK) >> PV_PTE_PPN_SHIFT;
}

static inline bool pte_leaf(uint64_t pte)
{
    return (pte & PTE_RWX) != 0;
}

/* Index of the guest frame holding maddr. Compares indices, so base + nframes * 4096 never wraps;
 * base is 4 KiB aligned (the caller's contract), so a PPN names a whole frame. */
static STEP_INLINE bool frame_index(const struct ptval *pv, uint64_t maddr, uint64_t *idx)
{
    *idx = (maddr - pv->base) >> 12;
    return maddr >= pv->base && *idx < pv->nframes;
}

static inline uint64_t *table(const struct ptval *pv, uint64_t idx)
{
    return pv->ops.frame(pv->ops.ctx, pv->base + (idx << 12));
}

/* The rules for an entry at a level that do not depend on types (priv spec, supervisor chapter,
 * Sv39). On success *n frames from guest frame *first are referenced (none if not valid). */
static STEP_INLINE long pte_shape(const struct ptval *pv, uint64_t pte, unsigned level,
                                  uint64_t *first, uint64_t *n)
{
    *n = 0;
    if (!(pte & PV_PTE_V)) {
        return SBI_SUCCESS; /* hardware ignores every other bit of an invalid PTE */
    }
    if (pte & PV_PTE_HIGH_MASK) {
        return SBI_ERR_INVALID_PARAM;
    }
    uint64_t count = 1;
    if (!pte_leaf(pte)) {
        /* "For non-leaf PTEs, the D, A, and U bits are reserved ... must be cleared by software" */
        if (level == 0 || (pte & (PV_PTE_A | PV_PTE_D | PV_PTE_U))) {
            return SBI_ERR_INVALID_PARAM;
        }
    } else {
        if ((pte & (PV_PTE_R | PV_PTE_W)) == PV_PTE_W) {
            return SBI_ERR_INVALID_PARAM; /* W without R is reserved */
        }
        count = 1ull << (9 * level); /* 4 KiB, 2 MiB or 1 GiB */
        if (pte_ppn(pte) & (count - 1)) {
            return SBI_ERR_INVALID_PARAM; /* a misaligned superpage is a page fault */
        }
        if (level > 0 && (pv->base & (CHUNK_FRAMES * 4096 - 1))) {
            return SBI_ERR_INVALID_PARAM; /* its frames would straddle two chunks (ptval.h) */
        }
    }
    uint64_t idx;
    if (!frame_index(pv, pte_ppn(pte) << 12, &idx) || count > pv->nframes - idx) {
        return SBI_ERR_INVALID_ADDRESS;
    }
    *first = idx;
    *n = count;
    return SBI_SUCCESS;
}

#endif
