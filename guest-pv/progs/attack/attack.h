// SPDX-License-Identifier: MIT
// The attack pack's parts beyond guest-pv/progs/attack.c: each attack_*() runs case a if it is one
// of its own and says so; the helpers are the ones every part needs (common.c).
#ifndef ATTACK_PARTS_H
#define ATTACK_PARTS_H

#include <stdbool.h>
#include <stdint.h>

#include "guest.h"
#include "virtio.h"

#define AT_MB (1ul << 20)
#define AT_RAM 0x80000000ul
#define AT_RAM_SIZE (16 * AT_MB) /* configs/attack.dts */
/* The same places as attack.c's tree (one case per boot, so they never meet): root, L1, L0, spare.
 */
#define AT_TABLES (AT_RAM + 10 * AT_MB)
#define AT_ROOT (AT_TABLES + 0x0000)
#define AT_L1 (AT_TABLES + 0x1000)
#define AT_L0 (AT_TABLES + 0x2000)
#define AT_SPARE (AT_TABLES + 0x3000)
#define AT_SPARE2 (AT_TABLES + 0x4000)
#define AT_BUF (AT_RAM + 15 * AT_MB) /* data buffers: mapped writable, never a table */

extern uint64_t at_mo, at_ubit;
extern volatile uint64_t at_faults, at_cause, at_tval;

#define AT_MA(pa) ((uint64_t)(pa) + at_mo)
/* A non-leaf entry (flags 0) or a leaf, as attack.c writes them. */
#define AT_PTE(pa, flags)                                                                          \
    (((AT_MA(pa) >> 12) << 10) | (flags) | PTE_V | (((flags)&0xe) ? at_ubit : 0))

void at_init(void);
void at_result(const char *name, const char *what, long v);
long at_update1(uint64_t ptr_gpa, uint64_t val);
/* attack.c's tree, pinned: ROOT[2] -> L1 (RAM by 2 MiB leaves) and L1[5] -> L0 (the tables' 2 MiB).
 */
long at_build_and_pin(void);
/* A snapshot of a 4 KiB frame, and whether it still holds it. */
void at_snap(uint64_t gpa);
bool at_same(uint64_t gpa);
/* Faults the program provokes on purpose: counted (at_faults, at_cause, at_tval) and the instruction
 * stepped over (a fetch fault returns to the caller). at_hook_faults installs it, counts from 0. */
bool at_fault_hook(struct trap_frame *f, uint64_t cause, uint64_t tval);
void at_hook_faults(void);
/* For cases with a user task: its faults and hypercalls end the task (counted as above), its system
 * calls go to the kernel; the kernel's own faults go to at_fault_hook. */
bool at_user_hook(struct trap_frame *f, uint64_t cause, uint64_t tval);
/* A virtio split queue of AT_VQ entries: the available and used rings (virtio 1.x, 2.7). */
#define AT_VQ 128
struct at_vq_avail {
    uint16_t flags, idx, ring[AT_VQ], used_event;
};
struct at_vq_used {
    uint16_t flags, idx;
    struct virtq_used_elem ring[AT_VQ];
    uint16_t avail_event;
};
/* Resets the virtio-blk device and sets its queue up with num entries at the given rings (0: the
 * rings of virtio.c). */
void at_virtio_setup(uint32_t num, uint64_t desc, uint64_t avail, uint64_t used);
/* A good one-sector read through the virtio-blk device (its own rings): 1 if it completed OK. */
long at_virtio_good_read(void);

bool attack_virtio(const char *a);
bool attack_tables(const char *a);
bool attack_emul(const char *a);
bool attack_storms(const char *a);
bool attack_vpage(const char *a);
bool attack_budget(const char *a);

#endif
