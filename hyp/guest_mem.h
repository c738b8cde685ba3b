/* SPDX-License-Identifier: MIT */
/* Access to guest-physical memory on the guest's behalf, with every range checked against its RAM. */
#ifndef HYP_GUEST_MEM_H
#define HYP_GUEST_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vm;

/* True when [gpa, gpa + len) lies wholly in the guest's RAM (len 0 is a valid, empty range inside it);
 * *hpa is the host address of gpa. No arithmetic here can wrap. */
bool guest_ram_range(const struct vm *vm, uint64_t gpa, uint64_t len, uint64_t *hpa);
/* Host pointer for a checked range, or NULL. */
void *guest_ram_ptr(const struct vm *vm, uint64_t gpa, uint64_t len);
/* Host pointer for a range a device of the hypervisor stores into on the guest's behalf (a disk
 * read): checked as guest_ram_ptr, and NULL as well when a frame of it is one the page-table
 * validator has typed as a table, which only validated updates may change. */
void *guest_ram_dma_ptr(const struct vm *vm, uint64_t gpa, uint64_t len);
/* guest_ram_dma_ptr for a range the hypervisor is about to store into: the engine's own changes
 * to that memory (the trap engine's patched instructions) are undone first. */
void *guest_ram_write_ptr(struct vm *vm, uint64_t gpa, uint64_t len);

#endif
