// SPDX-License-Identifier: MIT
// The host console's output ring: filled by the console, emptied by the UART as fast as it goes.
#include "conout.h"

static char ring[CONOUT_SIZE];
static unsigned head, tail; /* free-running: head - tail bytes wait */

size_t conout_room(void)
{
    return CONOUT_SIZE - (head - tail);
}

bool conout_pending(void)
{
    return head != tail;
}

void conout_drain(void)
{
    while (head != tail && console_hw_try_putc(ring[tail % CONOUT_SIZE])) {
        tail++;
    }
}

void conout_putc(char c)
{
    /* Full: only the hypervisor's own output gets here (guests are held to the room there is), and
     * waits for one byte's room. */
    while (head - tail == CONOUT_SIZE) {
        conout_drain();
    }
    ring[head % CONOUT_SIZE] = c;
    head++;
}

void conout_flush(void)
{
    while (head != tail) {
        conout_drain();
    }
}
