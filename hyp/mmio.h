/* SPDX-License-Identifier: MIT */
/* Emulation of guest loads and stores to device addresses. */
#ifndef HYP_MMIO_H
#define HYP_MMIO_H

#include <stdbool.h>

struct vcpu;

/* Handles a guest-page fault: emulates the access on the device at that address, or stops the
 * guest with a log line when there is none or the access cannot be emulated. */
void mmio_emulate(struct vcpu *v);
/* True when the guest-page fault v took is an access to a device whose emulation is short and
 * leaves no work behind (the UART), so that the engine may take it without the scheduler. */
bool mmio_fast_target(const struct vcpu *v);

#endif
