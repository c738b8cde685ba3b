/* SPDX-License-Identifier: MIT */
/* The operator console: Ctrl-] and a key on the host UART list, stop, restart and focus guests. */
#ifndef HYP_OPCON_H
#define HYP_OPCON_H

#include <stdbool.h>
#include <stdint.h>

/* Ctrl-]: the prefix key (QEMU keeps Ctrl-A for itself, telnet uses Ctrl-] the same way). */
#define OPCON_PREFIX 0x1d

struct vm;
struct opcon_cmd {
    char cmd; /* 's' or 'r' */
    struct vm *vm;
};
#define OPCON_PENDING_MAX 4

/* Offers the operator console a byte typed on the host UART: true when it took it. Listings are
 * printed at once; what changes a guest's life is only noted, for opcon_take_pending(). */
bool opcon_key(uint8_t c);
/* With the console lock held: takes the stops and restarts asked for guests of this hart (at most
 * OPCON_PENDING_MAX) into out; returns how many. */
unsigned opcon_take_pending(struct opcon_cmd *out);
/* Without the console lock (a stop takes VM locks, which come first): carries them out; called
 * where no exit is half done. */
void opcon_run(const struct opcon_cmd *cmds, unsigned n);

#endif
