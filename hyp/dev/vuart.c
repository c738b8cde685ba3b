// SPDX-License-Identifier: MIT
// An emulated ns16550a: the registers and interrupt behaviour Linux 8250 and U-Boot rely on.
#include "vuart.h"

#include <stddef.h>
#include <string.h>

/* Register offsets with reg-shift 0; DLAB (LCR bit 7) turns 0 and 1 into the divisor latch. */
enum {
    UART_RBR = 0, /* read; THR on write; DLL with DLAB */
    UART_IER = 1, /* DLM with DLAB */
    UART_IIR = 2, /* read; FCR on write */
    UART_LCR = 3,
    UART_MCR = 4,
    UART_LSR = 5,
    UART_MSR = 6,
    UART_SCR = 7,
};

#define IER_ERBFI 0x01 /* received data available */
#define IER_ETBEI 0x02 /* transmitter holding register empty */
#define IER_MASK 0x0f
#define IIR_NO_INT 0x01
#define IIR_THRE 0x02
#define IIR_RDA 0x04
#define IIR_FIFO 0xc0
#define FCR_ENABLE 0x01
#define FCR_CLEAR_RX 0x02
#define FCR_CLEAR_TX 0x04
#define LCR_DLAB 0x80
#define MCR_MASK 0x1f
#define MCR_LOOP 0x10
#define LSR_DR 0x01
#define LSR_OE 0x02
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define MSR_IDLE 0xb0 /* DCD, DSR and CTS asserted: a peer is present and ready */

static bool irq_wanted(const struct vuart *u)
{
    return ((u->ier & IER_ERBFI) && u->rx_count) || ((u->ier & IER_ETBEI) && u->thre_irq);
}

/* The line is level-triggered, so the callback only hears about edges: the PLIC sees every level
 * change without being flooded by repeated identical reports. */
static void update_irq(struct vuart *u)
{
    bool level = irq_wanted(u);
    if (level != u->irq_level) {
        u->irq_level = level;
        if (u->ops.irq) {
            u->ops.irq(u->ops.ctx, level);
        }
    }
}

static bool fifo_push(struct vuart *u, uint8_t c)
{
    if (u->rx_count >= VUART_FIFO) {
        return false;
    }
    u->rx[(u->rx_head + u->rx_count) % VUART_FIFO] = c;
    u->rx_count++;
    return true;
}

static uint8_t fifo_pop(struct vuart *u)
{
    if (u->rx_count == 0) {
        return 0;
    }
    uint8_t c = u->rx[u->rx_head % VUART_FIFO];
    u->rx_head = (u->rx_head + 1) % VUART_FIFO;
    u->rx_count--;
    return c;
}

/* Interrupt identification in 16550 priority order; line status interrupts are never raised. */
static uint8_t iir_value(const struct vuart *u)
{
    uint8_t fifo = (u->fcr & FCR_ENABLE) ? IIR_FIFO : 0;
    if ((u->ier & IER_ERBFI) && u->rx_count) {
        return fifo | IIR_RDA;
    }
    if ((u->ier & IER_ETBEI) && u->thre_irq) {
        return fifo | IIR_THRE;
    }
    return fifo | IIR_NO_INT;
}

/* Transmission is instantaneous, so THR and the shift register are always empty. */
static uint8_t lsr_value(const struct vuart *u)
{
    return (uint8_t)((u->rx_count ? LSR_DR : 0) | u->lsr_extra | LSR_THRE | LSR_TEMT);
}

/* In loopback the modem outputs feed the inputs (16550 datasheet): CTS=RTS, DSR=DTR, RI=OUT1,
 * DCD=OUT2. Linux's autoconfig checks exactly this mapping. Delta bits are never set. */
static uint8_t msr_value(const struct vuart *u)
{
    if (!(u->mcr & MCR_LOOP)) {
        return MSR_IDLE;
    }
    uint8_t m = u->mcr;
    return (uint8_t)(((m & 0x02) << 3) | ((m & 0x01) << 5) | ((m & 0x04) << 4) | ((m & 0x08) << 4));
}

static uint8_t lsr_read(struct vuart *u)
{
    uint8_t lsr = lsr_value(u);

    u->lsr_extra = 0; /* error bits are cleared by reading LSR */
    return lsr;
}

static uint8_t reg_read(struct vuart *u, unsigned reg)
{
    bool dlab = u->lcr & LCR_DLAB;
    switch (reg) {
    case UART_RBR:
        return dlab ? u->dll : fifo_pop(u);
    case UART_IER:
        return dlab ? u->dlm : u->ier;
    case UART_IIR: {
        uint8_t iir = iir_value(u);
        /* Reading IIR while it reports THRE acknowledges that interrupt (16550 datasheet). */
        if ((iir & 0x0f) == IIR_THRE) {
            u->thre_irq = false;
        }
        return iir;
    }
    case UART_LCR:
        return u->lcr;
    case UART_MCR:
        return u->mcr;
    case UART_LSR:
        return lsr_read(u);
    case UART_MSR:
        return msr_value(u);
    default:
        return u->scr;
    }
}

static void thr_write(struct vuart *u, uint8_t c)
{
    if (u->mcr & MCR_LOOP) {
        /* The transmitter feeds the receiver; a byte that finds the FIFO full is an overrun. */
        if (!fifo_push(u, c)) {
            u->lsr_extra |= LSR_OE;
        }
    } else if (u->ops.tx) {
        u->ops.tx(u->ops.ctx, c);
    }
    /* Writing THR acknowledges THRE, and the instant transmission empties THR again at once. */
    u->thre_irq = true;
}

static void reg_write(struct vuart *u, unsigned reg, uint8_t v)
{
    bool dlab = u->lcr & LCR_DLAB;
    switch (reg) {
    case UART_RBR:
        if (dlab) {
            u->dll = v;
        } else {
            thr_write(u, v);
        }
        break;
    case UART_IER:
        if (dlab) {
            u->dlm = v;
            break;
        }
        /* Enabling ETBEI with an empty transmitter raises THRE at once; Linux's startup test
         * treats a UART that does not as buggy (UART_BUG_THRE). */
        if ((v & IER_ETBEI) && !(u->ier & IER_ETBEI)) {
            u->thre_irq = true;
        }
        u->ier = v & IER_MASK;
        break;
    case UART_IIR: /* FCR */
        if (v & FCR_CLEAR_RX) {
            u->rx_head = 0;
            u->rx_count = 0;
        }
        /* The clear bits self-clear and there is no TX FIFO to clear; keep the rest for IIR. */
        u->fcr = v & (uint8_t)~(FCR_CLEAR_RX | FCR_CLEAR_TX);
        break;
    case UART_LCR:
        u->lcr = v;
        break;
    case UART_MCR:
        u->mcr = v & MCR_MASK;
        break;
    case UART_SCR:
        u->scr = v;
        break;
    default: /* LSR and MSR are read-only */
        break;
    }
}

void vuart_init(struct vuart *u, const struct vuart_ops *ops)
{
    memset(u, 0, sizeof *u);
    if (ops) {
        u->ops = *ops;
    }
}

void vuart_reg(struct vuart *u, unsigned off, bool write, uint64_t *val)
{
    if (write) {
        reg_write(u, off, (uint8_t)*val);
    } else if (off == UART_LSR) {
        /* Ahead of the others: every transmitted byte and every poll for input reads it. It does
         * not depend on DLAB and changes nothing the interrupt line follows. */
        *val = lsr_read(u);
        return;
    } else {
        *val = reg_read(u, off);
        /* The line follows IER, the FIFO's count and thre_irq, which of the reads only RBR (a byte
         * taken) and IIR (THRE acknowledged) change: the other reads cost no irq test. */
        if (off != UART_RBR && off != UART_IIR) {
            return;
        }
    }
    update_irq(u);
}

bool vuart_mmio(struct vuart *u, uint64_t off, unsigned width, bool write, uint64_t *val)
{
    if (!vuart_decodes(off, width)) {
        return false;
    }
    vuart_reg(u, (unsigned)off, write, val);
    return true;
}

bool vuart_rx(struct vuart *u, uint8_t c)
{
    bool ok = fifo_push(u, c);
    update_irq(u);
    return ok;
}

bool vuart_rx_full(const struct vuart *u)
{
    return u->rx_count >= VUART_FIFO;
}
