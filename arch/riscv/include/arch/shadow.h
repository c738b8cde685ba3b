/* SPDX-License-Identifier: MIT */
/* Shadow page tables for the trap engine: the guest kernel runs in U-mode, so the hardware never walks
 * the guest's own Sv39 tables. On a page fault the guest's tables are walked in software (its
 * permissions, SUM and MXR, A/D bits set as the hardware would) and the translation is copied into
 * a hypervisor-owned tree the hardware uses, with every page user-accessible and only guest RAM
 * mapped. Each guest-visible view has its own tree: the guest kernel with SUM clear, with SUM set,
 * and guest user mode, which sees only the guest's U pages. The trees hold only what was used since
 * the last sfence.vma or satp write, which drop them, as a TLB would; and they follow the guest's own
 * writes to its tables: every table frame a walk went through is write-protected in every tree of the
 * VM, so a store to it comes to the hypervisor, which carries it out and forgets what the entry
 * mapped. Pure logic: tested on the host (tests/unit/test_shadow.c). */
#ifndef ARCH_SHADOW_H
#define ARCH_SHADOW_H

#include <stdbool.h>
#include <stdint.h>

#include <arch/tpatch.h>

/* Pages a fill maps at once, an aligned group around the one it needs: the pieces of a guest
 * superpage, or the valid neighbours in a guest last-level table (shadow_fill.c; the
 * hypervisor ABI's HV_FILL_AROUND). */
#define SHADOW_AROUND 16u

enum shadow_view {
    SHADOW_KERNEL = 0,     /* guest kernel, sstatus.SUM = 0: its U pages are out of reach */
    SHADOW_KERNEL_SUM = 1, /* guest kernel, SUM = 1: its U pages readable and writable, not executable */
    SHADOW_USER = 2,       /* guest user mode: only U pages */
    SHADOW_VIEWS = 3,
};

enum shadow_access {
    SHADOW_LOAD,
    SHADOW_STORE,
    SHADOW_EXEC,
};

enum shadow_result {
    SHADOW_OK,           /* translated (and, for shadow_fill, mapped: retry the access) */
    SHADOW_PAGE_FAULT,   /* the guest's tables refuse the access: the guest takes its page fault */
    SHADOW_ACCESS_FAULT, /* the translation reaches neither RAM nor a device */
    SHADOW_WALK_FAULT,   /* the walk itself left RAM (*gpa: the entry it would have read) */
    SHADOW_DEVICE,       /* a device address: the access is emulated (*gpa says where) */
    SHADOW_RESERVED,     /* the guest maps the range the hypervisor keeps for itself */
    SHADOW_WRITE_PROTECTED, /* a store the guest's tables allow to a frame that must stay read-only */
    SHADOW_TABLE_WRITE,  /* a store to one of the guest's page tables: emulate it, then call
                          * shadow_table_written (*gpa says where) */
    SHADOW_PATCHED,      /* a load or store to a frame holding patched instructions (arch/tpatch.h):
                          * undo its patches, then retry (*gpa says where) */
};

/* The root slot every hardware root gives the hypervisor's alias (VA 0xffffffffc0000000 up). */
#define SHADOW_RESERVED_SLOT 511

struct shadow_ops {
    /* Host pointer to [gpa, gpa + len) when it lies wholly in the guest's RAM, else NULL. */
    void *(*ram)(void *ctx, uint64_t gpa, uint64_t len);
    /* Physical address of the guest RAM at gpa (gpa in RAM). */
    uint64_t (*hpa)(void *ctx, uint64_t gpa);
    /* True when gpa is one of the guest's emulated devices. */
    bool (*device)(void *ctx, uint64_t gpa);
    /* False when some frame of [gpa, gpa + len) must never be writable to the guest (a validated
     * page table of a paravirtual guest). */
    bool (*may_write)(void *ctx, uint64_t gpa, uint64_t len);
    /* Host pointer to a table frame of the shadow, from its physical address. */
    uint64_t *(*table)(void *ctx, uint64_t pa);
    /* Drops every tree of every vCPU of the VM and calls shadow_vm_reset (a frame just found to be a
     * table may be mapped writable somewhere). */
    void (*drop_vm)(void *ctx);
    void *ctx;
};

/* The guest table frames the VM's trees were built from: write-protected in all of them. */
#define SHADOW_WP_MAX 128
struct shadow_wp {
    uint64_t gpa;   /* the table frame */
    uint64_t va;    /* the first virtual address it translates */
    unsigned level; /* its level: 2 the root, 0 the last */
};

struct shadow;
/* A writable leaf some tree holds: where, what it says, the frame it maps (a 2 MiB leaf: the first
 * of 512), and whose trees it is in (epoch: the low bits of its owner's pool epoch when it was made).
 * A pool frame is only taken again after the pool is reclaimed whole, which starts a new epoch: until
 * then a slot holding the same entry may still be reached (spaces share their upper halves), and
 * revoking one nothing reaches is harmless. So is an epoch that wrapped around: a stale record taken
 * for live only revokes. 32 bytes a record. */
struct shadow_wmap {
    uint64_t *slot;
    uint64_t pte;
    struct shadow *owner;
    uint32_t frame;  /* guest physical address >> 12 */
    uint16_t epoch;
    uint16_t kind;   /* enum shadow_wmap_kind */
};
enum shadow_wmap_kind {
    SHADOW_WMAP_PAGE,   /* slot: a leaf mapping the 4 KiB frame */
    SHADOW_WMAP_MEGA,   /* slot: a leaf mapping the 2 MiB from frame */
    /* slot: the entry over a last-level table whose leaves are the pieces of one guest superpage,
     * the 512 frames from frame in order; any of them may be writable. */
    SHADOW_WMAP_PIECES,
};
#define SHADOW_WMAP_MAX 2048 /* 64 KiB: the caller's (trap-engine VMs only) */

/* Per VM: the protected frames, and which frames of its RAM some tree maps writable (one bit per
 * 4 KiB frame, and a record of each such leaf), so that a frame becoming a table loses its writable
 * mappings, and only those. */
struct shadow_vm {
    struct shadow_wmap *wmap; /* SHADOW_WMAP_MAX records */
    unsigned nwmap;
    bool wmap_lost;      /* a writable leaf went unrecorded: only dropping every tree is safe */
    struct shadow_wp wp[SHADOW_WP_MAX];
    unsigned nwp;
    /* Every fill asks whether frames are protected, several times: an open-addressed index of wp
     * by frame (index + 1, 0 empty), and one bit per 2 MiB region (hashed) that may hold one. */
    uint8_t wp_index[2 * SHADOW_WP_MAX];
    uint64_t wp_megas[8];
    uint32_t wp_mega_tag[512]; /* for a set bit: the region (gpa >> 21) whose tables set it, or ~0 */
    /* Bumped whenever frames leave the record; the last 3-level path protected, its 2 MiB and the
     * generation it was protected in (shadow_protect_path need not look again). */
    uint64_t wp_gen, last_gen, last_mega, last_path[3];
    /* The table frame the guest last stored to, and how many stores to it came with no walk through
     * it between (shadow_table_flooded). */
    uint64_t flood_frame;
    unsigned flood_stores;
    uint64_t unprotects;   /* tables given up on for their stores (counted for the bench) */
    /* The guest keeps the architecture's fence rules for the last-level tables of its lower half
     * (HV_FID_TABLES_FENCED): after it changes or clears a valid entry there it fences the page
     * (or everything) before relying on the change, as on hardware, whose TLB may keep the old
     * entry until then. So those tables are walked and not write-protected: the guest's stores to
     * them are plain ones, and its fences drop what the trees made from the old entries (each
     * vCPU's trees are its TLB). Set until the VM restarts; shadow_vm_reset keeps it. */
    bool fenced_lower;
    uint64_t *writable;  /* bitmap over guest RAM, nframes bits */
    uint64_t ram_base;   /* guest physical address of the first frame */
    uint64_t nframes;
    uint64_t table_writes; /* guest stores to its tables, carried out by the hypervisor */
    uint64_t vm_drops;     /* every tree dropped: a frame became a table while mapped writable */
    uint64_t revokes;      /* writable leaves taken back from a frame that became a table */
    /* Patched instructions: frames holding them are mapped execute-only. Not part of what
     * shadow_vm_reset forgets: the patches are in guest memory until undone. */
    struct tpatch patch;
};

/* writable: a bitmap of nframes bits; wmap: room for SHADOW_WMAP_MAX records. */
void shadow_vm_init(struct shadow_vm *vm, uint64_t *writable, struct shadow_wmap *wmap, uint64_t ram_base,
                    uint64_t nframes);
/* Forgets every protected frame and writable mapping: only once every tree of the VM is dropped. */
void shadow_vm_reset(struct shadow_vm *vm);
/* The protected frame holding gpa, or NULL. */
const struct shadow_wp *shadow_wp_find(const struct shadow_vm *vm, uint64_t gpa);
/* After the hypervisor carried out a guest store at gpa in a protected table: true when only the span
 * of the entry written needs dropping from the trees (*va and *level, as shadow_drop_span takes
 * them), false when every tree must be dropped (a table reached through two ranges). */
bool shadow_table_written(struct shadow_vm *vm, uint64_t gpa, uint64_t *va, unsigned *level);
/* The entry at level for the span at va (shadow_table_written's answer) went from old to now. When
 * it pointed to a table and no longer does, that table and the tables it points to stop being
 * protected (the guest may free them as data), provided the record reached them through this span
 * only: false when it did not, and every tree must be dropped. The span itself is the caller's to
 * drop, which takes whatever the trees made from those tables. */
/* After a store the hypervisor carried out into the protected table at gpa: true when that table took
 * SHADOW_FLOOD stores with no walk through it in between (Linux clearing or write-protecting a whole
 * table), and is no longer protected: its stores are plain ones from now on, until a walk protects it
 * again. The caller drops its whole span (*va at *level, as shadow_drop_span takes it), which takes
 * every translation made from it. Never a root: shadow_forget_root is for those. */
#define SHADOW_FLOOD 4
bool shadow_table_flooded(struct shadow_vm *vm, uint64_t gpa, uint64_t *va, unsigned *level);
/* A walk went through the tables of path: none of them is being flooded. */
struct shadow_path;
void shadow_walked(struct shadow_vm *vm, const struct shadow_path *path);

/* The root table at gpa stops being protected, once no tree is built from it any more (the caller
 * emptied them): false when the record has the frame as some other level (every tree must go). */
bool shadow_forget_root(struct shadow_vm *vm, uint64_t gpa);
bool shadow_entry_changed(struct shadow_vm *vm, const struct shadow_ops *ops, uint64_t old, uint64_t now,
                          uint64_t va, unsigned level);

/* The guest's translation regime for one walk. */
struct shadow_env {
    bool bare;      /* satp.MODE = Bare: virtual = guest physical */
    uint64_t root;  /* Sv39: the root table's address as the tables name addresses */
    uint64_t offset; /* subtracted from every address the tables name to get a guest physical one
                      * (0, or the machine offset for paravirtual tables) */
    bool sum, mxr;  /* the guest's sstatus.SUM and MXR */
    bool around;    /* a fill from a last-level table maps its valid neighbours too (the fill after a
                     * guest kernel mapped a faulting page, where it may have mapped its group) */
};

/* Address spaces whose trees are kept while the guest runs another (a context switch back finds its
 * tree): a bounded cache, least recently used evicted. */
#define SHADOW_SPACES 8
#define SHADOW_NO_KEY (~0ull)
struct shadow_space {
    uint64_t key;                /* the guest's satp (mode, ASID, root) these trees translate */
    uint64_t root[SHADOW_VIEWS];
    uint64_t last_use;           /* s->clock when last switched to */
    unsigned gen;                /* bumped whenever the space is emptied */
    bool filled;                 /* some root entry may be set: clear before reuse */
    bool lower;                  /* some entry of root slots 0..255 (the lower half) may be set */
};

struct shadow {
    uint64_t root[SHADOW_VIEWS]; /* the current space's roots (physical addresses) */
    struct shadow_space space[SHADOW_SPACES];
    unsigned nspaces, cur;
    uint64_t clock;
    bool fence;                  /* some tree lost entries since the caller last fenced the TLB */
    uint64_t pool;               /* physical address of npool frames for the lower levels */
    unsigned npool;
    unsigned used;               /* pool frames in use; all are reclaimed at once by drop_all */
    unsigned epoch;              /* bumped by every reclaim of the pool (shadow_wmap) */
    uint64_t reserved_pte;       /* root entry SHADOW_RESERVED_SLOT of every view */
    struct shadow_vm *vm;        /* shared by the vCPUs of one VM */
    uint64_t fills, drops;       /* counters for the bench */
};

/* roots: SHADOW_VIEWS frames; pool: npool frames. All zeroed. One address space (key unknown) until
 * shadow_add_spaces gives more. */
void shadow_init(struct shadow *s, const struct shadow_ops *ops, const uint64_t roots[SHADOW_VIEWS],
                 uint64_t pool, unsigned npool, uint64_t reserved_pte, struct shadow_vm *vm);
/* n more address spaces (n <= SHADOW_SPACES - 1), their roots n * SHADOW_VIEWS zeroed frames. */
void shadow_add_spaces(struct shadow *s, const struct shadow_ops *ops, const uint64_t *roots, unsigned n);
/* The guest now translates with key (its satp): its trees become current, kept ones when the cache
 * has them (returns true), else the least recently used space, emptied. */
bool shadow_switch(struct shadow *s, const struct shadow_ops *ops, uint64_t key);
/* Empties the trees of every kept space whose key matches value under mask (a guest sfence.vma for
 * one ASID), or, with va_only, only the page at va in them. */
void shadow_drop_match(struct shadow *s, const struct shadow_ops *ops, uint64_t mask, uint64_t value,
                       bool va_only, uint64_t va);
/* Empties the lower half (root slots 0..255, Linux's user space) of the trees of every kept space
 * whose key matches value under mask, and keeps the upper half: what a guest's sfence.vma of
 * everything asks. Nothing the upper half holds can be stale: it was built from protected tables,
 * whose every store the hypervisor carried out and dropped what it changed. The lower half goes
 * nevertheless, so that the record of protected tables can forget those of dead address spaces
 * (shadow_vm_forget_lower), which would otherwise trap every store to their frames once reused. */
void shadow_drop_lower(struct shadow *s, const struct shadow_ops *ops, uint64_t mask, uint64_t value);
/* True when some kept space may hold a lower-half translation. */
bool shadow_has_lower(const struct shadow *s);
/* Forgets the protected tables below the root that translate only lower-half addresses: only once
 * no tree of the VM holds a lower-half translation (shadow_has_lower false for every vCPU). */
void shadow_vm_forget_lower(struct shadow_vm *vm);
/* The hardware ASID offset of the current trees: index of the current space. */
static inline unsigned shadow_space_index(const struct shadow *s)
{
    return s->cur;
}

/* Walks the guest's tables for an access at va by view. set_ad: set A (and D for a store) in the
 * guest's entry, as the hardware does on an access; the hypervisor's own reads leave them. On
 * SHADOW_OK, *gpa is the guest physical address and *pte the guest's leaf entry. */
struct shadow_path {
    unsigned n;            /* tables walked, root first */
    uint64_t table[3];     /* their guest physical addresses */
};
enum shadow_result shadow_translate(const struct shadow_ops *ops, const struct shadow_env *env,
                                    enum shadow_view view, uint64_t va, enum shadow_access acc,
                                    bool set_ad, uint64_t *gpa, uint64_t *pte, unsigned *level,
                                    struct shadow_path *path);

/* Handles a hardware page fault at va: walks the guest's tables and maps the page in view's tree.
 * *gpa is set for SHADOW_OK and SHADOW_DEVICE. */
enum shadow_result shadow_fill(struct shadow *s, const struct shadow_ops *ops,
                               const struct shadow_env *env, enum shadow_view view, uint64_t va,
                               enum shadow_access acc, uint64_t *gpa);

/* Where the current trees of view execute va from: the host physical address of the byte at va, or 0
 * when no executable leaf for it is there (the caller walks the guest's tables instead). The trees
 * follow the guest's tables (every store to those is seen), so the answer is what a walk would
 * give, without the walk. */
uint64_t shadow_exec_hpa(const struct shadow *s, const struct shadow_ops *ops, enum shadow_view view,
                         uint64_t va);
/* Where a store to va would go when view's tree maps va read-only over a protected table that the
 * guest's own entry lets it store to: the host physical address (a table write, as shadow_fill would
 * answer for that store), or 0 (the caller fills as usual). */
uint64_t shadow_table_store_hpa(const struct shadow *s, const struct shadow_ops *ops, enum shadow_view view,
                                uint64_t va);

/* Forgets every translation (satp write, sfence.vma of everything) / those of the page at va. The
 * caller fences the hardware TLB afterwards. */
void shadow_drop_all(struct shadow *s, const struct shadow_ops *ops);
void shadow_drop_va(struct shadow *s, const struct shadow_ops *ops, uint64_t va);
/* Forgets what one guest entry at level translated: the page at va (level 0), its 2 MiB (1) or its
 * 1 GiB (2), in every address space of s. */
void shadow_drop_span(struct shadow *s, const struct shadow_ops *ops, uint64_t va, unsigned level);
/* Forgets the translations of the pages of [lo, hi), which lie in one 2 MiB region (else nothing is
 * done), in the address spaces of s that translate with the guest root at root (or whose root is not
 * known): what a guest's entries for those pages made. */
void shadow_drop_pages(struct shadow *s, const struct shadow_ops *ops, uint64_t root, uint64_t lo, uint64_t hi);
/* Forgets what the entry of the guest root at root (guest physical) for va translated: its 1 GiB,
 * in the address spaces of s that translate with that root, the only ones built from it. */
void shadow_drop_root_entry(struct shadow *s, const struct shadow_ops *ops, uint64_t root, uint64_t va);

#endif
