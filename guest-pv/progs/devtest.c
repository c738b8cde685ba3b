// SPDX-License-Identifier: MIT
// Device test: the emulated ns16550a and PLIC seen from a guest, registers and interrupts.
#include "guest.h"

#define UART 0x10000000ul
#define PLIC 0x0c000000ul
#define UART_IRQ 10
#define IRQ_EXT 9

static unsigned failures;
static volatile unsigned ext_irqs, claimed_src;

static void expect(const char *what, long got, long want)
{
    if (got == want) {
        kprintf("devtest: %s: ok\n", what);
    } else {
        kprintf("devtest: %s: FAIL (got 0x%lx, want 0x%lx)\n", what, got, want);
        failures++;
    }
}

static uint8_t ur(unsigned r)
{
    return *(volatile uint8_t *)(UART + r);
}

static void uw(unsigned r, uint8_t v)
{
    *(volatile uint8_t *)(UART + r) = v;
}

static volatile uint32_t *plic(uint64_t off)
{
    return (volatile uint32_t *)(PLIC + off);
}

static bool ext_hook(struct trap_frame *f, uint64_t cause, uint64_t tval)
{
    (void)f;
    (void)tval;
    if (cause != (CAUSE_IRQ | IRQ_EXT)) {
        return false;
    }
    uint32_t src = *plic(0x200004); /* claim, context 0 */
    claimed_src = src;
    if (src == UART_IRQ) {
        while (ur(5) & 1) {
            (void)ur(0); /* drain: the line drops when the FIFO is empty */
        }
    }
    *plic(0x200004) = src; /* complete */
    ext_irqs++;
    return true;
}

static void test_uart_registers(void)
{
    expect("uart LSR idle (THRE|TEMT)", ur(5), 0x60);
    expect("uart IIR no interrupt", ur(2) & 0x0f, 0x01);
    uw(2, 0x07); /* FIFO on, clear both */
    expect("uart IIR FIFO bits", ur(2) & 0xc0, 0xc0);
    uw(7, 0x5a);
    expect("uart scratch", ur(7), 0x5a);
    uw(3, 0x80); /* DLAB */
    uw(0, 0x12);
    uw(1, 0x34);
    expect("uart DLL", ur(0), 0x12);
    expect("uart DLM", ur(1), 0x34);
    uw(3, 0x03); /* 8N1, DLAB off */
    expect("uart LCR", ur(3), 0x03);
    expect("uart IER after DLAB", ur(1), 0x00);
    uw(1, 0x02); /* THRE interrupt on: raised at once */
    expect("uart IIR THRE", ur(2) & 0x0f, 0x02);
    expect("uart IIR THRE cleared by reading", ur(2) & 0x0f, 0x01);
    uw(1, 0x00);
    uw(4, 0x10 | 0x0b); /* loopback, OUT2, RTS, DTR */
    expect("uart MSR mirrors MCR in loopback", ur(6) & 0xf0, 0xb0);
    uw(0, 'Z');
    expect("uart loopback LSR data ready", ur(5) & 1, 1);
    expect("uart loopback byte", ur(0), 'Z');
    expect("uart LSR empty again", ur(5) & 1, 0);
    expect("uart 32-bit read of MCR", *(volatile uint32_t *)(UART + 4) & 0xff, 0x1b);
    uw(4, 0x08);
    const char *msg = "devtest: written through THR\n";
    for (const char *p = msg; *p; p++) {
        while (!(ur(5) & 0x20)) {
        }
        uw(0, (uint8_t)*p);
    }
}

static void test_plic(void)
{
    expect("plic priority reads back", (*plic(4 * UART_IRQ) = 3, *plic(4 * UART_IRQ)), 3);
    expect("plic priority is 3 bits", (*plic(4 * UART_IRQ) = 0xff, *plic(4 * UART_IRQ)), 7);
    *plic(4 * UART_IRQ) = 1;
    expect("plic source 0 priority", *plic(0), 0);
    expect("plic claim with nothing pending", *plic(0x200004), 0);
    *plic(0x2000) = 1u << UART_IRQ;
    expect("plic enable reads back", *plic(0x2000), 1u << UART_IRQ);
    *plic(0x200000) = 1; /* threshold 1: priority 1 is masked */

    __asm__ volatile("csrs sie, %0" : : "r"(1ul << IRQ_EXT));
    __asm__ volatile("csrsi sstatus, 2");
    uw(4, 0x18); /* loopback */
    uw(1, 0x01); /* receive interrupt */
    uw(0, 'q');
    expect("plic pending bit", (*plic(0x1000) >> UART_IRQ) & 1, 1);
    expect("masked by threshold: no interrupt", ext_irqs, 0);
    *plic(0x200000) = 0;
    for (int i = 0; i < 1000 && ext_irqs == 0; i++) {
    }
    expect("uart interrupt through the plic", ext_irqs, 1);
    expect("claimed source", claimed_src, UART_IRQ);
    expect("pending cleared after the claim", (*plic(0x1000) >> UART_IRQ) & 1, 0);
    uw(0, 'r');
    for (int i = 0; i < 1000 && ext_irqs == 1; i++) {
    }
    expect("second interrupt after complete", ext_irqs, 2);
    *plic(0x2000) = 0;
    uw(0, 's');
    expect("disabled source: no interrupt", ext_irqs, 2);
    expect("disabled source still pending", (*plic(0x1000) >> UART_IRQ) & 1, 1);
    (void)ur(0);
    expect("line dropped: pending withdrawn", (*plic(0x1000) >> UART_IRQ) & 1, 0);
    __asm__ volatile("csrci sstatus, 2");
    uw(1, 0);
    uw(4, 0x08);
}

void guest_main(unsigned long hartid, unsigned long dtb)
{
    (void)hartid;
    (void)dtb;
    trap_set_hook(ext_hook);
    test_uart_registers();
    test_plic();
    kprintf("devtest: %u failures\n", failures);
}
