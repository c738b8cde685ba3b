/* SPDX-License-Identifier: MIT */
/* Validated page-table updates for paravirtual guests (Sv39), modelled on Xen's PV MMU: every
 * frame of a guest has a type (not a table, or a table of one level) with a reference count, and a
 * count of the writable mappings that reach it. A frame is never a table and writable-mapped at
 * once; only frames of the guest itself are ever mapped; tables are validated once when they gain
 * their type and then only the entries that change are checked. Writable superpages count per 2 MiB
 * chunk of guest RAM, not per frame, so no entry costs more than 512 steps. Pure logic: unit tested
 * on the host.
 *
 * Nothing read from guest frames is trusted: where the guest writes its typed tables itself (the
 * hext engine, where validation is advisory), counts may drift from the tables, but every call
 * stays bounded (recursion depth <= 3) and in bounds, and never takes a count below zero. */
#ifndef HYP_PV_PTVAL_H
#define HYP_PV_PTVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Sv39 PTE fields (priv spec, supervisor chapter, "Sv39"). */
#define PV_PTE_V (1ull << 0)
#define PV_PTE_R (1ull << 1)
#define PV_PTE_W (1ull << 2)
#define PV_PTE_X (1ull << 3)
#define PV_PTE_U (1ull << 4)
#define PV_PTE_G (1ull << 5)
#define PV_PTE_A (1ull << 6)
#define PV_PTE_D (1ull << 7)
#define PV_PTE_PPN_SHIFT 10
#define PV_PTE_PPN_MASK (((1ull << 44) - 1) << PV_PTE_PPN_SHIFT)
/* Bits 63..54: N (Svnapot), PBMT (Svpbmt) and reserved; none is supported, all must be zero. */
#define PV_PTE_HIGH_MASK (0x3ffull << 54)

enum pt_type {
    PT_NONE = 0, /* not a page table */
    PT_L0 = 1,   /* a table at level 0 (its leaves map 4 KiB) */
    PT_L1 = 2,   /* level 1 (2 MiB leaves) */
    PT_L2 = 3,   /* level 2: a root (1 GiB leaves) */
};

struct pt_frame {
    uint8_t type;    /* enum pt_type */
    uint8_t pinned;  /* a root pinned by the guest (counts as one reference) */
    uint16_t pad;
    uint32_t tcount; /* references as a table: parent entries pointing at it, plus the pin */
    uint32_t wcount; /* writable 4 KiB leaf mappings of this frame in validated tables */
};

/* 2 MiB of guest RAM: chunk i holds frames [512 * i, 512 * i + 512) counted from base. */
struct pt_chunk {
    uint32_t typed;  /* frames of the chunk that are tables */
    uint32_t wsuper; /* writable 2 MiB leaves covering the chunk, plus writable 1 GiB ones */
};

struct ptval_ops {
    /* Host pointer to the 4 KiB frame at a machine address of the guest (always one of its own). */
    uint64_t *(*frame)(void *ctx, uint64_t maddr);
    /* Drops every cached translation of the guest on every hart (TLB and walk caches). */
    void (*flush)(void *ctx);
    void *ctx;
};

struct ptval {
    struct ptval_ops ops;
    uint64_t base;           /* machine address of the guest's first frame (what PTE PPNs name) */
    uint64_t nframes;        /* frames of guest RAM: [base, base + nframes * 4096) */
    struct pt_frame *frames; /* nframes entries, zeroed by the caller */
    struct pt_chunk *chunks; /* ceil(nframes / 512) entries, zeroed by the caller */
    bool flush_pending;      /* a translation was removed or reduced since the last flush */
};

/* All functions return an SBI error code (include/hvabi.h): SBI_SUCCESS, SBI_ERR_INVALID_ADDRESS
 * (a frame that is not the guest's, a misaligned PTE address), SBI_ERR_INVALID_PARAM (a malformed
 * PTE: reserved bits, W without R, misaligned superpage, any superpage when base is not 2 MiB
 * aligned, A/D/U on a non-leaf), SBI_ERR_DENIED (a rule of the type system: a table mapped
 * writable, a writable mapping of a table, a frame used at two levels, pin of a frame already
 * pinned, unpin of one that is not, zeroing a table). A failed call changes nothing. */

/* Guest RAM is the nframes frames at machine address base, described by frames (nframes entries)
 * and chunks (ceil(nframes / 512) entries), both zeroed. base must be 4 KiB aligned, and 2 MiB
 * aligned for superpages: a superpage leaf's alignment is checked on machine addresses, so its
 * frames line up with the chunks only when base is 2 MiB aligned; with any other base every
 * superpage leaf is refused (SBI_ERR_INVALID_PARAM). */
void ptval_init(struct ptval *pv, const struct ptval_ops *ops, uint64_t base, uint64_t nframes,
                struct pt_frame *frames, struct pt_chunk *chunks);
/* Validates the tree under root_maddr as a root (level 2) and pins it. */
long ptval_pin(struct ptval *pv, uint64_t root_maddr);
/* Unpins a pinned root; its tree loses its types where nothing else references them. An entry is
 * only followed into a child table of its level with references left, so a tree the guest rewrote
 * itself cannot make this recurse deeper than 3, nor take a count below zero. */
long ptval_unpin(struct ptval *pv, uint64_t root_maddr);
/* Writes val at pte_maddr (8-byte aligned, in the guest's memory). In a frame that is a table, val is
 * checked for that table's level first (only a change of A/D alone skips the checks); in any other
 * frame it is a plain write, which is how a guest whose tables are read-only to it prepares them. */
long ptval_update(struct ptval *pv, uint64_t pte_maddr, uint64_t val);
/* Clears a frame of the guest that is not a table (SBI_ERR_DENIED for a table). */
long ptval_zero(struct ptval *pv, uint64_t frame_maddr);
bool ptval_is_pinned_root(const struct ptval *pv, uint64_t root_maddr);
/* Flushes if a translation was removed or reduced since the last flush (end of a batch). */
void ptval_flush_if_pending(struct ptval *pv);
/* Recomputes every count from the tables and compares; writes the first difference to why. For tests
 * and fuzzers. */
bool ptval_check(const struct ptval *pv, char *why, size_t len);

#endif
