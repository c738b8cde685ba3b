/* SPDX-License-Identifier: MIT */
/* An emulated ns16550a UART: the registers and interrupt behaviour Linux's 8250 driver and U-Boot use. */
#ifndef HYP_DEV_VUART_H
#define HYP_DEV_VUART_H

#include <stdbool.h>
#include <stdint.h>

#define VUART_FIFO 16
#define VUART_SIZE 0x100 /* bytes of guest-physical space the device occupies (registers at 0..7) */
#define VUART_NREGS 8    /* its registers: byte offsets 0..7 (reg-shift 0) */

struct vuart_ops {
    void (*tx)(void *ctx, uint8_t c);        /* a byte the guest transmitted */
    void (*irq)(void *ctx, bool level);      /* the interrupt line, level-triggered */
    void *ctx;
};

struct vuart {
    struct vuart_ops ops;
    uint8_t ier, lcr, mcr, lsr_extra, msr, scr, dll, dlm, fcr;
    bool thre_irq;          /* THR-empty interrupt pending (cleared by reading IIR or writing THR) */
    uint8_t rx[VUART_FIFO];
    unsigned rx_head, rx_count;
    bool irq_level;         /* last level reported through ops.irq */
};

void vuart_init(struct vuart *u, const struct vuart_ops *ops);
/* A register access at byte offset off (0..7; width 1, or 4 for reg-io-width 4 users reading the low
 * byte). Returns false for an access the device does not decode (off >= 8, width not 1/2/4/8 or
 * misaligned); the caller turns that into a guest fault. */
bool vuart_mmio(struct vuart *u, uint64_t off, unsigned width, bool write, uint64_t *val);
/* Whether the UART decodes an access: a register, width 1, 2, 4 or 8, aligned to it. Wider
 * accesses act on the low byte, for drivers that use reg-io-width 4 or plain loads. */
static inline bool vuart_decodes(uint64_t off, unsigned width)
{
    return off < VUART_NREGS && (width == 1 || width == 2 || width == 4 || width == 8) &&
           (off & (width - 1)) == 0;
}
/* vuart_mmio for an access vuart_decodes accepts (the device fast path checked it already). */
void vuart_reg(struct vuart *u, unsigned off, bool write, uint64_t *val);
/* Host input for this guest; returns false when the receive FIFO is full (the byte stays with the
 * caller). */
bool vuart_rx(struct vuart *u, uint8_t c);
bool vuart_rx_full(const struct vuart *u);

#endif
