// SPDX-License-Identifier: MIT
// Host console UART drivers. Until uart_init() succeeds, output goes through the firmware's SBI
// console.
#include "uart.h"

#include <arch/arch.h>

#include "conout.h"
#include "console.h"
#include "platform.h"

/* Chosen once by uart_init, with the same decision the unit tests check (platform_uart_choose). */
static enum platform_uart_kind kind;
static uintptr_t base;
static uint32_t stride, width;

/* ns16550 registers (in units of the stride) and line-status bits. */
#define NS_RBR 0
#define NS_THR 0
#define NS_LSR 5
#define NS_LSR_DR 0x01
#define NS_LSR_THRE 0x20

/* SiFive UART (FU540 manual, chapter UART): 32-bit registers. */
#define SF_TXDATA 0x00
#define SF_RXDATA 0x04
#define SF_TXCTRL 0x08
#define SF_RXCTRL 0x0c
#define SF_FULL (1u << 31)
#define SF_EMPTY (1u << 31)

/* reg-io-width is the access width the board wires the UART for (4 on the JH7110, K1 and
 * EIC7700): an access of another width is not guaranteed to reach the register. */
static uint32_t ns_read(unsigned reg)
{
    uintptr_t a = base + (uintptr_t)reg * stride;
    switch (width) {
    case 4:
        return *(volatile uint32_t *)a;
    case 2:
        return *(volatile uint16_t *)a;
    default:
        return *(volatile uint8_t *)a;
    }
}

static void ns_write(unsigned reg, uint32_t v)
{
    uintptr_t a = base + (uintptr_t)reg * stride;
    switch (width) {
    case 4:
        *(volatile uint32_t *)a = v;
        break;
    case 2:
        *(volatile uint16_t *)a = (uint16_t)v;
        break;
    default:
        *(volatile uint8_t *)a = (uint8_t)v;
        break;
    }
}

static uint32_t sf_read(unsigned off)
{
    return *(volatile uint32_t *)(base + off);
}

static void sf_write(unsigned off, uint32_t v)
{
    *(volatile uint32_t *)(base + off) = v;
}

bool uart_init(const struct fdt_uart *u)
{
    struct platform_uart pu;

    platform_uart_choose(u, &pu);
    base = (uintptr_t)pu.base;
    stride = pu.stride;
    width = pu.width;
    switch (pu.kind) {
    case PLATFORM_UART_NS16550:
        /* The firmware has programmed baud rate and framing already; we only poll LSR, read RBR and
         * write THR. Leaving LCR alone matters on the DesignWare UART, which can ignore LCR writes
         * while busy. Leaving IER alone matters on the K1 (intel,xscale-uart): its bit 6 (UUE, unit
         * enable) must stay set, and the K1's firmware set it. */
        break;
    case PLATFORM_UART_SIFIVE:
        sf_write(SF_TXCTRL, sf_read(SF_TXCTRL) | 1);
        sf_write(SF_RXCTRL, sf_read(SF_RXCTRL) | 1);
        break;
    case PLATFORM_UART_NONE:
        return false;
    }
    kind = pu.kind;
    return true;
}

void console_hw_putc(char c)
{
    switch (kind) {
    case PLATFORM_UART_NS16550:
        while (!(ns_read(NS_LSR) & NS_LSR_THRE)) {
        }
        ns_write(NS_THR, (uint8_t)c);
        break;
    case PLATFORM_UART_SIFIVE:
        while (sf_read(SF_TXDATA) & SF_FULL) {
        }
        sf_write(SF_TXDATA, (uint8_t)c);
        break;
    case PLATFORM_UART_NONE:
        arch_fw_putchar(c);
        break;
    }
}

bool console_hw_try_putc(char c)
{
    switch (kind) {
    case PLATFORM_UART_NS16550:
        if (!(ns_read(NS_LSR) & NS_LSR_THRE)) {
            return false;
        }
        ns_write(NS_THR, (uint8_t)c);
        return true;
    case PLATFORM_UART_SIFIVE:
        if (sf_read(SF_TXDATA) & SF_FULL) {
            return false;
        }
        sf_write(SF_TXDATA, (uint8_t)c);
        return true;
    case PLATFORM_UART_NONE:
        break;
    }
    arch_fw_putchar(c); /* the firmware's console: it waits itself */
    return true;
}

int console_hw_getc(void)
{
    switch (kind) {
    case PLATFORM_UART_NS16550:
        return (ns_read(NS_LSR) & NS_LSR_DR) ? (int)(ns_read(NS_RBR) & 0xff) : -1;
    case PLATFORM_UART_SIFIVE: {
        uint32_t v = sf_read(SF_RXDATA);
        return (v & SF_EMPTY) ? -1 : (int)(v & 0xff);
    }
    case PLATFORM_UART_NONE:
        break;
    }
    return -1;
}
