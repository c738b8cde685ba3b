/* SPDX-License-Identifier: MIT */
/* The page-table layer under mm.c: native PTE writes, or batched validated hypercalls. */
#ifndef GUEST_PT_H
#define GUEST_PT_H

#include <stdbool.h>
#include <stdint.h>

/* Root slot of the 1 GiB at 0x40000000: the only part of a task's root that is its own (mm.c). */
#define PT_USER_SLOT 1

/* Chooses the mode from the flavour and what the hypervisor offers (HV_FID_PROBE). */
void pt_mode_init(void);
/* True when the hypervisor validates our tables (then they change only through hypercalls). */
bool pt_validated(void);
/* A PTE naming guest physical address pa (a machine address when tables are validated), and back. */
uint64_t pte_make(uint64_t pa, uint64_t flags);
uint64_t pte_pa(uint64_t pte);
/* Sets a PTE. Under validation, writes to table frames are queued; pt_commit sends the queue. pt_get
 * reads an entry as it will be once the queue is sent; pt_zero clears a fresh table frame. */
void pt_set(uint64_t *ptep, uint64_t val);
uint64_t pt_get(const uint64_t *ptep);
void pt_zero(uint64_t *t);
void pt_commit(void);
/* Makes a tree live (validated and pinned) / ends it; switches the vCPU to a tree. A deprivileged
 * kernel (HV_FEAT_USER_ROOT) pins with it a user root holding the tree's user slot alone. */
void pt_pin(uint64_t *root);
void pt_unpin(uint64_t *root);
void pt_switch(uint64_t *root, unsigned asid);
/* Makes the PTE changes so far visible to this vCPU's translations (sfence.vma or its hypercall). */
void pt_sync(void);
uint64_t *pt_alloc(void);
void pt_release(uint64_t *t);
bool pt_is_table_frame(const void *p);

#endif
