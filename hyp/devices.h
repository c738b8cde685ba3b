/* SPDX-License-Identifier: MIT */
/* A VM's emulated devices: where they sit in its physical address space and how they are wired. */
#ifndef HYP_DEVICES_H
#define HYP_DEVICES_H

#include <stdbool.h>
#include <stdint.h>

struct vm;

/* Resets the VM's devices to their power-on state (at creation and on reboot). */
void devices_reset(struct vm *vm);
/* True when one of the VM's devices decodes gpa. */
bool devices_present(const struct vm *vm, uint64_t gpa);
/* True when gpa is in a device whose register accesses are short and leave no work for later
 * exits (the UART: no DMA, no notify): mmio_fast_target. */
bool devices_fast(const struct vm *vm, uint64_t gpa);
/* A guest access to gpa. Returns false when no device of the VM decodes it (the caller stops the
 * guest). *handled is false when a device is there but refused the access (width, alignment). */
bool devices_mmio(struct vm *vm, uint64_t gpa, unsigned width, bool write, uint64_t *val,
                  bool *handled);
/* Device work an earlier exit left (a virtio queue longer than one exit's budget): one exit's worth
 * of it now. True while some is still left. */
bool devices_work(struct vm *vm);
/* Whether some device of the VM has work left from an earlier exit. */
bool devices_busy(const struct vm *vm);
/* Moves waiting console input into the guest's UART FIFO, as room allows. */
void devices_console_input(struct vm *vm);

#endif
