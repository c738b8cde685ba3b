/* SPDX-License-Identifier: MIT */
/* Emulation of guest loads and stores to device addresses. */
#ifndef HYP_MMIO_H
#define HYP_MMIO_H

struct vcpu;

/* Handles a guest-page fault: emulates the access on the device at that address, or stops the
 * guest with a log line when there is none or the access cannot be emulated. */
void mmio_emulate(struct vcpu *v);

#endif
