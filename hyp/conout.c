// SPDX-License-Identifier: MIT
// The host console's output ring: filled by the console, emptied by the UART as fast as it goes.
#include "conout.h"

#include <arch/spinlock.h>

/* One producer at a time (the console's lock is held around every conout_putc), one consumer at a
 * time (drain_lock: any hart may drain, at its exits, but only one does at once). */
static char ring[CONOUT_SIZE];
unsigned conout_head, conout_tail; /* free-running: conout_head - conout_tail bytes wait */
static struct spinlock drain_lock;
/* Until the guests start, every byte goes out at once: a hang at boot must still show what was
 * printed before it (nothing waits on a guest then, so the waiting harms no one). */
static bool boot_sync = true;

void conout_background(void)
{
    boot_sync = false;
}

size_t conout_room(void)
{
    return CONOUT_SIZE - (__atomic_load_n(&conout_head, __ATOMIC_RELAXED) -
                          __atomic_load_n(&conout_tail, __ATOMIC_ACQUIRE));
}

void conout_drain(void)
{
    if (!spin_trylock(&drain_lock)) {
        return; /* another hart is at it */
    }
    unsigned h = __atomic_load_n(&conout_head, __ATOMIC_ACQUIRE), t = conout_tail;
    /* At most CONOUT_DRAIN_MAX a call: a UART that is never busy (QEMU's) would otherwise take the
     * whole ring in one exit. */
    if (h - t > CONOUT_DRAIN_MAX) {
        h = t + CONOUT_DRAIN_MAX;
    }
    while (t != h && console_hw_try_putc(ring[t % CONOUT_SIZE])) {
        t++;
        __atomic_store_n(&conout_tail, t, __ATOMIC_RELEASE); /* the producer may reuse the slot */
    }
    spin_unlock(&drain_lock);
}

void conout_putc(char c)
{
    /* Full: only the hypervisor's own output gets here (guests are held to the room there is), and
     * waits for one byte's room. */
    while (conout_head - __atomic_load_n(&conout_tail, __ATOMIC_ACQUIRE) == CONOUT_SIZE) {
        conout_drain();
    }
    ring[conout_head % CONOUT_SIZE] = c;
    /* the byte before the count that shows it */
    __atomic_store_n(&conout_head, conout_head + 1, __ATOMIC_RELEASE);
    if (boot_sync) {
        conout_flush();
    }
}

void conout_flush(void)
{
    while (conout_pending()) {
        conout_drain();
    }
}
