/* SPDX-License-Identifier: MIT */
/* Output to the host UART through a ring that drains in the background: a real UART at 115200 baud
 * takes 87 microseconds a byte, so no exit may wait for it. Bytes go into the ring at once and leave
 * it as the UART has room (console_hw_try_putc), at every exit and tick; guests are allowed only
 * what fits (console_guest_allow), and only the hypervisor's own lines (rate-limited, vm_log) may
 * wait for room. */
#ifndef HYP_CONOUT_H
#define HYP_CONOUT_H

#include <stdbool.h>
#include <stddef.h>

#define CONOUT_SIZE 32768u  /* a power of two */
/* Room kept for the hypervisor's own lines: guests may fill the rest. */
#define CONOUT_RESERVE 4096u
/* Bytes one conout_drain moves at most (about 6,000 instructions where the UART is never busy). */
#define CONOUT_DRAIN_MAX 256u

/* Provided by the UART driver: puts c in the transmitter unless it is full (false then). */
bool console_hw_try_putc(char c);

void conout_putc(char c);          /* waits for room only when the ring is full */
size_t conout_room(void);          /* bytes that fit now */
/* Free-running counts of bytes put in the ring and taken out: head - tail bytes wait. Written only
 * by conout.c; read by conout_pending. */
extern unsigned conout_head, conout_tail;
/* Bytes wait for the UART. Inline: the device fast path asks at every UART access. */
static inline bool conout_pending(void)
{
    return __atomic_load_n(&conout_head, __ATOMIC_RELAXED) !=
           __atomic_load_n(&conout_tail, __ATOMIC_RELAXED);
}
void conout_drain(void);           /* moves what the UART takes now (CONOUT_DRAIN_MAX), no waiting */
void conout_flush(void);           /* waits until the ring is empty (panic, power off) */
/* The guests start: from now on the ring drains in the background (before, every byte waits). */
void conout_background(void);

#endif
