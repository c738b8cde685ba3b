/* SPDX-License-Identifier: MIT */
/* Access to guest-physical memory on the guest's behalf, with every range checked against its RAM.
 *
 * No stale data: a guest's RAM comes from frames that may hold anything, and a page of it is cleared
 * the first time it is used (hyp/ramclean.h): by the guest through a translation fault (the G-stage
 * on hext, a shadow fill on the trap engine), or by the hypervisor when it forms a pointer to read or
 * write it for the guest (guest_ram_ptr, guest_ram_dma_ptr). The checks alone (guest_ram_range,
 * guest_ram_dma_ok) clear nothing, so a range may be as long as RAM; a pointer's range is what is
 * about to be accessed, and clearing it costs no more than the access. */
#ifndef HYP_GUEST_MEM_H
#define HYP_GUEST_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vm;

/* True when [gpa, gpa + len) lies wholly in the guest's RAM (len 0 is a valid, empty range inside it);
 * *hpa is the host address of gpa. No arithmetic here can wrap. */
bool guest_ram_range(const struct vm *vm, uint64_t gpa, uint64_t len, uint64_t *hpa);
/* guest_ram_range, and no frame of the range is one the page-table validator typed as a table (only
 * validated updates may change those). */
bool guest_ram_dma_ok(const struct vm *vm, uint64_t gpa, uint64_t len);
/* Host pointer for a checked range about to be read or written, its pages cleared first where the
 * guest never used them; NULL when not in RAM. */
void *guest_ram_ptr(struct vm *vm, uint64_t gpa, uint64_t len);
/* The same for a range a device of the hypervisor stores into on the guest's behalf (a disk read):
 * NULL as well unless guest_ram_dma_ok. */
void *guest_ram_dma_ptr(struct vm *vm, uint64_t gpa, uint64_t len);
/* True when [gpa, gpa + len) is RAM whose every page is cleared already (a superpage may map it). */
bool guest_ram_is_clean(const struct vm *vm, uint64_t gpa, uint64_t len);
/* Clears n pages from page `first` of the guest's RAM (a ram_zero_fn; ctx is the VM). */
void guest_ram_zero_pages(void *ctx, uint64_t first, uint64_t n);
/* Pages of a range in RAM (the caller checked it) that its first use would clear. */
uint64_t guest_ram_unused_pages(const struct vm *vm, uint64_t gpa, uint64_t len);
/* Clears the unused pages of a range in RAM (the caller checked it); returns how many it cleared. */
uint64_t guest_ram_touch(struct vm *vm, uint64_t gpa, uint64_t len);

/* Trap engine (guest_ram_demand.c): a shadow fill asks whether a guest superpage over [gpa, gpa +
 * len) of RAM may become one shadow leaf. Clears a bounded step of it, as a hext demand fault does,
 * and answers true once all of it is cleared: without it every superpage of a guest whose RAM was
 * never all used would be mapped a page at a time (Linux's linear map), with a fill per page. */
bool guest_ram_clean_step(struct vm *vm, uint64_t gpa, uint64_t len);
/* hext (guest_ram_demand.c): a guest-page fault at gpa in RAM not mapped yet. Clears a bounded part
 * of its 2 MiB region and maps the region once all of it is cleared (the guest then faults again
 * until it is). False when gpa is not RAM waiting for this (a device, or outside RAM): the caller
 * goes on. */
bool guest_ram_demand(struct vm *vm, uint64_t gpa);
/* Clears the whole RAM, a bounded step per call from *units (budget.h): for engines where guest
 * tables map RAM directly, with no fault to clear a page on. True when all of it is cleared. */
bool guest_ram_clear_all(struct vm *vm, uint64_t *units);
/* guest_ram_dma_ptr for a range the hypervisor is about to store into: the engine's own changes
 * to that memory (the trap engine's patched instructions) are undone first. */
void *guest_ram_write_ptr(struct vm *vm, uint64_t gpa, uint64_t len);

#endif
