// SPDX-License-Identifier: MIT
// Host console UART drivers. Until uart_init() succeeds, output goes through the firmware's SBI console.
#include "uart.h"

#include <string.h>

#include <arch/arch.h>

#include "console.h"

enum uart_kind {
    UART_NONE,
    UART_NS16550,
    UART_SIFIVE,
};

static enum uart_kind kind;
static uintptr_t base;
static unsigned shift, width;

/* ns16550 registers (in units of 1 << reg-shift) and line-status bits. */
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

static uint32_t ns_read(unsigned reg)
{
    uintptr_t a = base + ((uintptr_t)reg << shift);
    return width == 4 ? *(volatile uint32_t *)a : *(volatile uint8_t *)a;
}

static void ns_write(unsigned reg, uint32_t v)
{
    uintptr_t a = base + ((uintptr_t)reg << shift);
    if (width == 4) {
        *(volatile uint32_t *)a = v;
    } else {
        *(volatile uint8_t *)a = (uint8_t)v;
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
    if (!u->dev.present) {
        return false;
    }
    base = (uintptr_t)u->dev.base;
    shift = u->reg_shift;
    width = u->reg_io_width;
    if (strncmp(u->dev.compatible, "ns16550", 7) == 0) {
        /* The firmware has programmed baud rate and framing already; we only poll. */
        kind = UART_NS16550;
    } else if (strcmp(u->dev.compatible, "sifive,uart0") == 0) {
        sf_write(SF_TXCTRL, sf_read(SF_TXCTRL) | 1);
        sf_write(SF_RXCTRL, sf_read(SF_RXCTRL) | 1);
        kind = UART_SIFIVE;
    } else {
        return false;
    }
    return true;
}

void console_hw_putc(char c)
{
    switch (kind) {
    case UART_NS16550:
        while (!(ns_read(NS_LSR) & NS_LSR_THRE)) {
        }
        ns_write(NS_THR, (uint8_t)c);
        break;
    case UART_SIFIVE:
        while (sf_read(SF_TXDATA) & SF_FULL) {
        }
        sf_write(SF_TXDATA, (uint8_t)c);
        break;
    case UART_NONE:
        arch_fw_putchar(c);
        break;
    }
}

int console_hw_getc(void)
{
    switch (kind) {
    case UART_NS16550:
        return (ns_read(NS_LSR) & NS_LSR_DR) ? (int)(ns_read(NS_RBR) & 0xff) : -1;
    case UART_SIFIVE: {
        uint32_t v = sf_read(SF_RXDATA);
        return (v & SF_EMPTY) ? -1 : (int)(v & 0xff);
    }
    case UART_NONE:
        break;
    }
    return -1;
}
