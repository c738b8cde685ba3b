/* SPDX-License-Identifier: MIT */
/* A VM's emulated devices: where they sit in its physical address space and how they are wired. */
#ifndef HYP_DEVICES_H
#define HYP_DEVICES_H

#include <stdbool.h>
#include <stdint.h>

#include "console.h"
#include "vm.h"
#include "vplatform.h"


/* Resets the VM's devices to their power-on state (at creation and on reboot). */
void devices_reset(struct vm *vm);
/* True when one of the VM's devices decodes gpa. */
bool devices_present(const struct vm *vm, uint64_t gpa);
/* True when gpa is a register of a device whose accesses are short and leave no work for later
 * exits (the UART: no DMA, no notify), which the engine may emulate on its fast path. Inline: the
 * engine asks on every guest-page fault. */
static inline bool devices_fast(const struct vm *vm, uint64_t gpa)
{
    /* Only the registers: the rest of the UART's page is refused, which the full path words. */
    return gpa - VM_UART_BASE < VUART_NREGS && (vm->cfg->devices & VM_DEV_UART);
}
/* Moves waiting console input into the guest's UART FIFO, as room allows. */
void devices_console_input(struct vm *vm);

/* A register access to the VM's UART (off < VUART_NREGS, an access vuart_decodes accepts), with
 * its console bookkeeping: input moved into the FIFO, a polled prompt shown. Inline: the device
 * fast path (exit_dev.h) runs it on every UART access. */
static inline void devices_uart(struct vm *vm, unsigned off, bool write, uint64_t *val)
{
    vuart_reg(&vm->uart, off, write, val);
    if (write) {
        vm->uart_polls = 0;
        return;
    }
    /* Reads with no write in between: the guest polls for input, so show its prompt. (A
     * transmitter reads the line status once per byte, and its line is not cut there.) */
    if (++vm->uart_polls >= 2 && vm->console_len != 0) {
        console_guest_flush(vm);
    }
    /* Tested here too: every read of a polling guest comes by, and most find nothing. */
    if (vm->input_count != 0) {
        devices_console_input(vm);
    }
}
/* A guest access to gpa. Returns false when no device of the VM decodes it (the caller stops the
 * guest). *handled is false when a device is there but refused the access (width, alignment). */
bool devices_mmio(struct vm *vm, uint64_t gpa, unsigned width, bool write, uint64_t *val,
                  bool *handled);
/* Device work an earlier exit left (a virtio queue longer than one exit's budget): one exit's worth
 * of it now. True while some is still left. */
bool devices_work(struct vm *vm);
/* Whether some device of the VM has work left from an earlier exit. */
bool devices_busy(const struct vm *vm);
#endif
