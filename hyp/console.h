/* SPDX-License-Identifier: MIT */
/* The hypervisor's console: its own log lines, guest output prefixed with the guest's name (or raw
 * for one guest), and input for the guest with the focus. */
#ifndef HYP_CONSOLE_H
#define HYP_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vm;

/* Raw output device: the UART the device tree names, or the firmware before there is one. */
void console_hw_putc(char c);
int console_hw_getc(void); /* -1 when nothing is waiting */

void hyp_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A log line: "hyp: " + text + newline. */
void hyp_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void hyp_panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Guest output, buffered per guest and emitted a line at a time as "[name] line". */
void console_guest_putc(struct vm *vm, char c);
void console_guest_write(struct vm *vm, const char *buf, size_t len);
/* How many of the len bytes at buf the guest may write now: what fits in the host console's output
 * ring (hyp/conout.h: no exit waits for the UART) and, while another guest runs, a fair share of
 * CONSOLE_SLICE_BYTES per time slice. Short of len, its slice ends at its next exit; a DBCN write
 * returns the count taken, a one-byte call is made again by the guest (blocking, as the SBI says). */
#define CONSOLE_SLICE_BYTES 16384u /* one whole DBCN batch (HV_DBCN_MAX) */
size_t console_guest_allow(struct vm *vm, const char *buf, size_t len);

/* One console byte of vm, when it only joins the VM's line buffer and console_guest_allow would let
 * it through at once (a printable byte, room in the output ring, its fair share not used up): what
 * console_guest_allow and console_guest_putc would do for it. It reads and writes vm's own fields and
 * reads the output ring's indices, nothing else: no lock, no pointer stored anywhere is followed, so
 * the trap engine's short path may call it with vm seen through the hypervisor's alias. False:
 * nothing changed, the whole way takes the byte. */
bool console_guest_putc_quick(struct vm *vm, char c);
/* Only what fits in the ring (for the emulated UART, whose bytes are taken one at a time). */
size_t console_guest_fits(struct vm *vm, const char *buf, size_t len);
/* Shows an unfinished line now (a prompt), without ending it. */
void console_guest_flush(struct vm *vm);
/* Ends the guest's line on the terminal (when it stops). */
void console_guest_end(struct vm *vm);
/* The raw guest (hyp.raw): its output passes unchanged, untagged and unbuffered. */
bool console_is_raw(const struct vm *vm);

/* Input goes to one guest at a time, the one with the focus: a byte for vm, or -1. */
int console_guest_getc(struct vm *vm);
/* Reads what the host console has: operator keys (hyp/opcon.c) are carried out, the rest goes to
 * the guest with the focus. Called by the scheduler only, where no exit is half done. */
void console_poll(void);
/* Once the guests are built: chooses the raw guest (hyp.raw) and gives the focus. */
void console_start(void);
/* Moves the focus to the next running guest (called when the focused one stops). */
void console_focus_next(void);
/* Moves the focus to the running guest after the focused one. */
void console_focus_step(void);
/* Gives the focus to vm, running or stopped (a stopped one can be restarted from there). */
void console_focus(struct vm *vm);
/* The guest with the focus, or NULL before there is one. */
struct vm *console_focused(void);
/* A byte of input for the guest with the focus (dropped when it is stopped). */
void console_input(uint8_t c);

#endif
