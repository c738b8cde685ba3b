/* SPDX-License-Identifier: MIT */
/* Drivers for the host console UART the device tree names: ns16550(a) and SiFive's UART. */
#ifndef HYP_DRV_UART_H
#define HYP_DRV_UART_H

#include "fdt.h"

/* Takes the console over from the firmware; returns false when the UART is of no known kind. */
bool uart_init(const struct fdt_uart *u);

#endif
