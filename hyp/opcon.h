/* SPDX-License-Identifier: MIT */
/* The operator console: Ctrl-] and a key on the host UART list, stop, restart and focus guests. */
#ifndef HYP_OPCON_H
#define HYP_OPCON_H

#include <stdbool.h>
#include <stdint.h>

/* Ctrl-]: the prefix key (QEMU keeps Ctrl-A for itself, telnet uses Ctrl-] the same way). */
#define OPCON_PREFIX 0x1d

/* Offers the operator console a byte typed on the host UART: true when it took it. Listings are
 * printed at once; what changes a guest's life is only noted, for opcon_run_pending(). */
bool opcon_key(uint8_t c);
/* Carries out the stops and restarts the operator asked for; called where no exit is half done. */
void opcon_run_pending(void);

#endif
