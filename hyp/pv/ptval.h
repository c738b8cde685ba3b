/* SPDX-License-Identifier: MIT */
/* Validated page-table updates for paravirtual guests (Sv39), modelled on Xen's PV MMU: every
 * frame of a guest has a type (not a table, or a table of one level) with a reference count, and a
 * count of the writable mappings that reach it. A frame is never a table and writable-mapped at
 * once; only frames of the guest itself are ever mapped; tables are validated once when they gain
 * their type and then only the entries that change are checked. Writable superpages count per 2 MiB
 * chunk of guest RAM, not per frame, so no entry costs more than 512 steps. Pure logic: unit tested
 * on the host.
 *
 * Bounded work: gaining a type validates a whole subtree and losing the last reference drops one,
 * which a guest can make as large as its RAM. So that work is a walk with its place kept here (a
 * stack of at most three tables and the entry reached in each), run in steps drawn from a budget
 * the caller sets for each exit. When the budget runs out the call answers PTVAL_AGAIN and the walk
 * waits, in a consistent state, for the next call of the guest: every call first finishes the walk
 * in progress, whoever started it, so no call ever sees a half-validated table. The caller that
 * started it learns its result by making the same call again (see ptval_update).
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

/* A call's answer when the budget ran out before it was done: not an SBI error (those are
 * negative), never passed to a guest as such. The call's work so far is kept; the guest calls
 * again. */
#define PTVAL_AGAIN 1
/* Budget steps: one per entry checked or dropped and one per call; clearing a frame costs more.
 * Every call makes progress with a budget of at least PTVAL_ZERO_STEPS. */
#define PTVAL_ZERO_STEPS 16u
/* Callers whose results of cut calls are kept apart (vCPUs of a guest). */
#define PTVAL_OWNERS 8u
/* No reserved root slot (struct ptval.reserved_slot). */
#define PTVAL_NO_SLOT 512u

/* One table of the walk in progress. */
struct ptval_level
{
    uint64_t frame; /* index of the table's frame */
    uint64_t *t;    /* its entries (ops.frame, asked once) */
    uint16_t
      next;       /* TAKE: entries taken so far; UNDO: taken entries still to drop; DROP: dropped */
    uint8_t mode; /* PTVAL_TAKE, PTVAL_UNDO, PTVAL_DROP */
};

enum ptval_mode
{
    PTVAL_TAKE, /* validating: its entries take references, in order */
    PTVAL_UNDO, /* a later entry failed: what was taken is dropped again, newest first */
    PTVAL_DROP, /* it lost its last reference: its entries drop theirs, then its type goes */
};

/* The call whose walk is in progress (kind PTVAL_JOB_NONE: none). */
struct ptval_job
{
    uint8_t kind;  /* PTVAL_JOB_* */
    uint8_t phase; /* PTVAL_TAKE while the new references are taken, PTVAL_UNDO after a failure,
                    * PTVAL_DROP while the old ones are dropped */
    uint8_t depth; /* tables on the stack */
    unsigned owner;
    uint64_t a, b; /* the call's arguments: PTE address and value, or the root */
    long err;      /* the failure being undone */
    struct ptval_level stack[3];
};

enum ptval_job_kind
{
    PTVAL_JOB_NONE,
    PTVAL_JOB_UPDATE,
    PTVAL_JOB_PIN,
    PTVAL_JOB_UNPIN,
};

/* The result of a caller's cut call, finished by a later call (its own or another caller's). */
struct ptval_result
{
    uint8_t kind; /* PTVAL_JOB_NONE: nothing kept */
    uint64_t a, b;
    long err;
};

struct ptval {
    struct ptval_ops ops;
    uint64_t base;           /* machine address of the guest's first frame (what PTE PPNs name) */
    uint64_t nframes;        /* frames of guest RAM: [base, base + nframes * 4096) */
    struct pt_frame *frames; /* nframes entries */
    struct pt_chunk *chunks; /* ceil(nframes / 512) entries */
    uint32_t *typed_tree;    /* typed frames, as a Fenwick tree over frames: a range in O(log n) */
    uint64_t (*seen)[512];   /* per level, the entries of the table being validated, as read */
    bool flush_pending;      /* a translation was removed or reduced since the last flush */
    bool retyped;            /* a frame became a table since the caller last cleared this */
    uint64_t budget;         /* steps calls may still take: the caller sets it for each exit */
    unsigned reserved_slot;  /* a root entry that is the hypervisor's, or PTVAL_NO_SLOT: it must be
                              * zero to pin, holds reserved_entry while pinned, and no update may
                              * change it */
    uint64_t reserved_entry;
    struct ptval_job job;
    struct ptval_result results[PTVAL_OWNERS];
};

/* All calls return an SBI error code (include/hvabi.h): SBI_SUCCESS, SBI_ERR_INVALID_ADDRESS
 * (a frame that is not the guest's, a misaligned PTE address), SBI_ERR_INVALID_PARAM (a malformed
 * PTE: reserved bits, W without R, misaligned superpage, any superpage when base is not 2 MiB
 * aligned, A/D/U on a non-leaf; a root whose reserved slot is not empty), SBI_ERR_DENIED (a rule of
 * the type system: a table mapped writable, a writable mapping of a table, a frame used at two
 * levels, pin of a frame already pinned, unpin of one that is not, zeroing a table, an update of
 * the reserved slot), or PTVAL_AGAIN. A failed call changes nothing.
 *
 * PTVAL_AGAIN: the budget ran out. Either the walk of an earlier call was not finished yet (this
 * call has not started), or this call started one (caller `who` owns it): the guest must make the
 * same call again (same arguments, same caller), which continues it and answers its result. A call
 * of anything else is not a continuation: it finishes the walk first, and the result is dropped
 * when the owner's next call is another one. */

/* Bytes the caller provides for a guest of nframes frames: ptval_init lays its tables out there. */
uint64_t ptval_mem_bytes(uint64_t nframes);
/* Guest RAM is the nframes frames at machine address base; mem holds ptval_mem_bytes(nframes)
 * zeroed bytes, 8-byte aligned. base must be 4 KiB aligned, and 2 MiB aligned for superpages: a
 * superpage leaf's alignment is checked on machine addresses, so its frames line up with the chunks
 * only when base is 2 MiB aligned; with any other base every superpage leaf is refused
 * (SBI_ERR_INVALID_PARAM). The budget starts unlimited and no slot is reserved. */
void ptval_init(struct ptval *pv,
                const struct ptval_ops *ops,
                uint64_t base,
                uint64_t nframes,
                void *mem);
/* Validates the tree under root_maddr as a root (level 2) and pins it. */
long ptval_pin(struct ptval *pv, unsigned who, uint64_t root_maddr);
/* Unpins a pinned root; its tree loses its types where nothing else references them. An entry is
 * only followed into a child table of its level with references left, so a tree the guest rewrote
 * itself cannot make the walk deeper than 3, nor take a count below zero. */
long ptval_unpin(struct ptval *pv, unsigned who, uint64_t root_maddr);
/* Writes val at pte_maddr (8-byte aligned, in the guest's memory). In a frame that is a table, val is
 * checked for that table's level first (only a change of A/D alone skips the checks); in any other
 * frame it is a plain write, which is how a guest whose tables are read-only to it prepares them. */
long ptval_update(struct ptval *pv, unsigned who, uint64_t pte_maddr, uint64_t val);
/* Clears a frame of the guest that is not a table (SBI_ERR_DENIED for a table). */
long ptval_zero(struct ptval *pv, uint64_t frame_maddr);
/* Finishes the walk in progress, if any, within the budget: PTVAL_AGAIN if it is not done yet. */
long ptval_finish(struct ptval *pv);
/* A walk is in progress (tables typed on its behalf are not all checked, or not all dropped). */
bool ptval_busy(const struct ptval *pv);
/* Forgets the result kept for caller who (a vCPU started afresh). */
void ptval_forget(struct ptval *pv, unsigned who);
bool ptval_is_pinned_root(const struct ptval *pv, uint64_t root_maddr);
/* How many of the n frames from frame index first are tables (frames past the guest count none). */
uint64_t ptval_typed_frames(const struct ptval *pv, uint64_t first, uint64_t n);
/* Flushes if a translation was removed or reduced since the last flush (end of an exit). */
void ptval_flush_if_pending(struct ptval *pv);
/* Recomputes every count from the tables (and the walk in progress) and compares; writes the first
 * difference to why. For tests and fuzzers. */
bool ptval_check(const struct ptval *pv, char *why, size_t len);

#endif
