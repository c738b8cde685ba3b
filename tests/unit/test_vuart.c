// SPDX-License-Identifier: MIT
// Unit tests for the emulated ns16550a: registers, Linux 8250 and U-Boot sequences, bad input.
#include "check.h"
#include "dev/vuart.h"

#include <stdint.h>

/* What the device told the outside world through its callbacks. */
struct rec {
    uint8_t tx[256];
    unsigned ntx;
    unsigned irq_calls;
    bool level;
    unsigned repeats; /* callbacks that reported the level already reported: must stay 0 */
};

static void rec_tx(void *ctx, uint8_t c)
{
    struct rec *r = ctx;
    r->tx[r->ntx % sizeof r->tx] = c; /* a ring: the random test checks the latest bytes */
    r->ntx++;
}

static void rec_irq(void *ctx, bool level)
{
    struct rec *r = ctx;
    if (level == r->level) {
        r->repeats++;
    }
    r->level = level;
    r->irq_calls++;
}

static void setup(struct vuart *u, struct rec *r)
{
    memset(r, 0, sizeof *r);
    struct vuart_ops ops = { .tx = rec_tx, .irq = rec_irq, .ctx = r };
    vuart_init(u, &ops);
}

static uint8_t rd(struct vuart *u, unsigned off)
{
    uint64_t v = 0xdeadbeef;
    CHECK(vuart_mmio(u, off, 1, false, &v));
    CHECK(v <= 0xff);
    return (uint8_t)v;
}

static void wr(struct vuart *u, unsigned off, uint8_t val)
{
    uint64_t v = val;
    CHECK(vuart_mmio(u, off, 1, true, &v));
}

enum { RBR = 0, IER = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };

TEST(vuart_reset_state)
{
    struct vuart u;
    struct rec r;
    setup(&u, &r);
    CHECK_EQ(rd(&u, IER), 0);
    CHECK_EQ(rd(&u, IIR), 0x01);
    CHECK_EQ(rd(&u, LCR), 0);
    CHECK_EQ(rd(&u, MCR), 0);
    CHECK_EQ(rd(&u, LSR), 0x60);
    CHECK_EQ(rd(&u, MSR), 0xb0);
    CHECK_EQ(rd(&u, SCR), 0);
    CHECK_EQ(rd(&u, RBR), 0); /* empty FIFO */
    CHECK(!vuart_rx_full(&u));
    CHECK_EQ(r.irq_calls, 0);
    CHECK_EQ(r.ntx, 0);
}

TEST(vuart_null_ops)
{
    struct vuart u;
    vuart_init(&u, NULL);
    uint64_t v = 'a';
    CHECK(vuart_mmio(&u, IER, 1, true, &(uint64_t){ 0x03 }));
    CHECK(vuart_mmio(&u, RBR, 1, true, &v));
    CHECK(vuart_rx(&u, 'b'));
    CHECK(u.irq_level);
}

TEST(vuart_thr_transmits_immediately)
{
    struct vuart u;
    struct rec r;
    setup(&u, &r);
    wr(&u, RBR, 'h');
    wr(&u, RBR, 'i');
    CHECK_EQ(r.ntx, 2);
    CHECK_EQ(r.tx[0], 'h');
    CHECK_EQ(r.tx[1], 'i');
    CHECK_EQ(rd(&u, LSR), 0x60); /* THRE and TEMT never drop */
    CHECK_EQ(rd(&u, RBR), 0);    /* transmitting does not receive */
}

TEST(vuart_rbr_pops_fifo)
{
    struct vuart u;
    struct rec r;
    setup(&u, &r);
    CHECK(vuart_rx(&u, 'x'));
    CHECK(vuart_rx(&u, 'y'));
    CHECK_EQ(rd(&u, LSR), 0x61);
    CHECK_EQ(rd(&u, RBR), 'x');
    CHECK_EQ(rd(&u, LSR), 0x61);
    CHECK_EQ(rd(&u, RBR), 'y');
    CHECK_EQ(rd(&u, LSR), 0x60);
    CHECK_EQ(rd(&u, RBR), 0);
}

TEST(vuart_fifo_full_and_wrap)
{
    struct vuart u;
    struct rec r;
    setup(&u, &r);
    for (unsigned i = 0; i < VUART_FIFO; i++) {
        CHECK(!vuart_rx_full(&u));
        CHECK(vuart_rx(&u, (uint8_t)i));
    }
    CHECK(vuart_rx_full(&u));
    CHECK(!vuart_rx(&u, 0xee));
    CHECK_EQ(rd(&u, LSR), 0x61); /* a refused host byte is not an overrun: the caller keeps it */
    CHECK_EQ(rd(&u, RBR), 0);
    CHECK_EQ(rd(&u, RBR), 1);
    CHECK(vuart_rx(&u, 100));
    CHECK(vuart_rx(&u, 101));
    CHECK(!vuart_rx(&u, 102));
    for (unsigned i = 2; i < VUART_FIFO; i++) {
        CHECK_EQ(rd(&u, RBR), i);
    }
    CHECK_EQ(rd(&u, RBR), 100);
    CHECK_EQ(rd(&u, RBR), 101);
    CHECK_EQ(rd(&u, LSR), 0x60);
}

TEST(vuart_dlab_switches_divisor_latch)
{
    struct vuart u;
    struct rec r;
    setup(&u, &r);
    wr(&u, IER, 0x05);
    CHECK(vuart_rx(&u, 'q'));
    wr(&u, LCR, 0x83); /* U-Boot: DLAB | 8N1 */
    CHECK_EQ(rd(&u, LCR), 0x83);
    wr(&u, RBR, 0x1b);
    wr(&u, IER, 0x02);
    CHECK_EQ(rd(&u, RBR), 0x1b);
    CHECK_EQ(rd(&u, IER), 0x02);
    CHECK_EQ(r.ntx, 0);          /* divisor writes do not transmit */
    CHECK_EQ(u.ier, 0x05);       /* nor touch IER */
    CHECK_EQ(rd(&u, LSR), 0x61); /* nor pop the FIFO */
    wr(&u, LCR, 0x03);
    CHECK_EQ(rd(&u, IER), 0x05);
    CHECK_EQ(rd(&u, RBR), 'q');
    CHECK_EQ(u.dll, 0x1b);
    CHECK_EQ(u.dlm, 0x02);
}

TEST(vuart_ier_low_bits_only)
{
    struct vuart u;
    struct rec r;
    setup(&u, &r);
    wr(&u, IER, 0xff);
    CHECK_EQ(rd(&u, IER), 0x0f);
    wr(&u, IER, 0xf0);
    CHECK_EQ(rd(&u, IER), 0);
}

TEST(vuart_iir_priority_and_ack)
{
    struct vuart u;
    struct rec r;
    setup(&u, &r);
    CHECK(vuart_rx(&u, 'z'));
    wr(&u, IER, 0x03);           /* ERBFI | ETBEI: THRE raised as well */
    CHECK_EQ(rd(&u, IIR), 0x04); /* received data outranks THRE */
    CHECK_EQ(rd(&u, IIR), 0x04); /* and reading IIR does not clear it */
    CHECK(u.thre_irq);           /* nor the THRE hidden behind it */
    CHECK_EQ(rd(&u, RBR), 'z');
    CHECK_EQ(rd(&u, IIR), 0x02);
    CHECK_EQ(rd(&u, IIR), 0x01); /* the read acknowledged THRE */
    CHECK(!u.irq_level);
}

TEST(vuart_fcr)
{
    struct vuart u;
    struct rec r;
    setup(&u, &r);
    wr(&u, FCR, 0x01);
    CHECK_EQ(rd(&u, IIR), 0xc1);
    CHECK(vuart_rx(&u, 1));
    CHECK(vuart_rx(&u, 2));
    wr(&u, FCR, 0x07); /* clear both FIFOs, keep enabled */
    CHECK_EQ(rd(&u, LSR), 0x60);
    CHECK_EQ(rd(&u, IIR), 0xc1);
    CHECK(vuart_rx(&u, 3));
    CHECK_EQ(rd(&u, RBR), 3); /* the FIFO works after a clear */
    wr(&u, FCR, 0x00);
    CHECK_EQ(rd(&u, IIR), 0x01);
    wr(&u, IER, 0x02);
    wr(&u, FCR, 0xc1);
    CHECK_EQ(rd(&u, IIR), 0xc2);
}

/* drivers/tty/serial/8250/8250_port.c, serial8250_do_startup then the tx/rx interrupt paths. */
TEST(vuart_linux_8250_startup)
{
    struct vuart u;
    struct rec r;
    setup(&u, &r);
    /* serial8250_clear_fifos */
    wr(&u, FCR, 0x01);
    wr(&u, FCR, 0x07);
    wr(&u, FCR, 0x00);
    /* clear the interrupt registers */
    rd(&u, LSR);
    rd(&u, RBR);
    rd(&u, IIR);
    rd(&u, MSR);
    CHECK(rd(&u, LSR) != 0xff); /* "LSR safety check" */
    wr(&u, LCR, 0x03);
    wr(&u, MCR, 0x0b); /* DTR | RTS | OUT2 */
    CHECK_EQ(r.irq_calls, 0);

    /* The THRE test: a UART that does not re-raise THRE would get UART_BUG_THRE. */
    CHECK(rd(&u, LSR) & 0x20);
    wr(&u, IER, 0x02);
    CHECK(r.level);
    CHECK_EQ(r.irq_calls, 1);
    uint8_t iir1 = rd(&u, IIR);
    CHECK_EQ(iir1, 0x02);
    CHECK(!r.level);
    wr(&u, IER, 0x00);
    wr(&u, IER, 0x02);
    CHECK(r.level);
    uint8_t iir = rd(&u, IIR);
    CHECK_EQ(iir & 0x01, 0);
    wr(&u, IER, 0x00);
    CHECK(!r.level);
    CHECK_EQ(r.irq_calls, 4);
    CHECK(rd(&u, LSR) & 0x40);

    /* Running: receive enabled; starting tx enables THRI and the interrupt comes at once. */
    wr(&u, IER, 0x05);
    CHECK(!r.level);
    wr(&u, IER, 0x07);
    CHECK(r.level);
    CHECK_EQ(rd(&u, IIR), 0x02); /* serial8250_handle_irq */
    CHECK_EQ(rd(&u, LSR), 0x60);
    wr(&u, RBR, 'o'); /* serial8250_tx_chars */
    wr(&u, RBR, 'k');
    CHECK(r.level);    /* THR empty again */
    wr(&u, IER, 0x05); /* __stop_tx when the buffer is empty */
    CHECK(!r.level);
    CHECK_EQ(r.ntx, 2);
    CHECK_EQ(r.tx[0], 'o');
    CHECK_EQ(r.tx[1], 'k');

    /* serial8250_rx_chars */
    CHECK(vuart_rx(&u, 'a'));
    CHECK(r.level);
    CHECK(vuart_rx(&u, 'b'));
    CHECK_EQ(rd(&u, IIR), 0x04);
    unsigned got = 0;
    while (rd(&u, LSR) & 0x01) {
        CHECK_EQ(rd(&u, RBR), got == 0 ? 'a' : 'b');
        got++;
    }
    CHECK_EQ(got, 2);
    CHECK(!r.level);
    CHECK_EQ(rd(&u, IIR), 0x01);
    CHECK_EQ(r.repeats, 0);
}

/* U-Boot drivers/serial/ns16550.c: NS16550_init, putc, getc, tstc. */
TEST(vuart_uboot_sequence)
{
    struct vuart u;
    struct rec r;
    setup(&u, &r);
    CHECK(rd(&u, LSR) & 0x40);
    wr(&u, IER, 0);
    wr(&u, MCR, 0x03);
    wr(&u, FCR, 0x07);
    wr(&u, LCR, 0x83);
    wr(&u, RBR, 1);
    wr(&u, IER, 0);
    wr(&u, LCR, 0x03);
    CHECK(rd(&u, LSR) & 0x20);
    wr(&u, RBR, '!');
    CHECK_EQ(r.ntx, 1);
    CHECK_EQ(r.tx[0], '!');
    CHECK(!(rd(&u, LSR) & 0x01));
    CHECK(vuart_rx(&u, '?'));
    CHECK(rd(&u, LSR) & 0x01);
    CHECK_EQ(rd(&u, RBR), '?');
    CHECK_EQ(r.irq_calls, 0); /* polled: IER stays 0 */
}

TEST(vuart_etbei_raises_only_on_enable)
{
    struct vuart u;
    struct rec r;
    setup(&u, &r);
    wr(&u, IER, 0x02);
    CHECK_EQ(rd(&u, IIR), 0x02);
    wr(&u, IER, 0x02); /* already enabled: no new THRE */
    CHECK_EQ(rd(&u, IIR), 0x01);
    wr(&u, IER, 0x03); /* ERBFI added, ETBEI unchanged */
    CHECK_EQ(rd(&u, IIR), 0x01);
    wr(&u, RBR, 'x'); /* but a THR write re-arms it */
    CHECK_EQ(rd(&u, IIR), 0x02);
    CHECK_EQ(r.repeats, 0);
}

TEST(vuart_loopback_echo_and_overrun)
{
    struct vuart u;
    struct rec r;
    setup(&u, &r);
    wr(&u, IER, 0x01);
    wr(&u, MCR, 0x10);
    wr(&u, RBR, 'e');
    CHECK_EQ(r.ntx, 0);
    CHECK(r.level);
    CHECK_EQ(rd(&u, IIR), 0x04);
    CHECK_EQ(rd(&u, LSR), 0x61);
    CHECK_EQ(rd(&u, RBR), 'e');
    CHECK(!r.level);
    for (unsigned i = 0; i < VUART_FIFO; i++) {
        wr(&u, RBR, (uint8_t)('A' + i));
    }
    CHECK_EQ(rd(&u, LSR), 0x61);
    wr(&u, RBR, '#'); /* dropped */
    CHECK_EQ(rd(&u, LSR), 0x63);
    CHECK_EQ(rd(&u, LSR), 0x61); /* overrun is cleared by reading LSR */
    for (unsigned i = 0; i < VUART_FIFO; i++) {
        CHECK_EQ(rd(&u, RBR), 'A' + i);
    }
    CHECK_EQ(rd(&u, LSR), 0x60);
    wr(&u, MCR, 0x00);
    wr(&u, RBR, 'o');
    CHECK_EQ(r.ntx, 1);
    CHECK_EQ(rd(&u, LSR), 0x60);
    CHECK_EQ(r.repeats, 0);
}

TEST(vuart_msr_mirrors_mcr_in_loopback)
{
    struct vuart u;
    struct rec r;
    setup(&u, &r);
    wr(&u, MCR, 0x1a); /* Linux autoconfig: LOOP | OUT2 | RTS, expects 0x90 */
    CHECK_EQ(rd(&u, MSR) & 0xf0, 0x90);
    wr(&u, MCR, 0x11);
    CHECK_EQ(rd(&u, MSR), 0x20);
    wr(&u, MCR, 0x12);
    CHECK_EQ(rd(&u, MSR), 0x10);
    wr(&u, MCR, 0x14);
    CHECK_EQ(rd(&u, MSR), 0x40);
    wr(&u, MCR, 0x18);
    CHECK_EQ(rd(&u, MSR), 0x80);
    wr(&u, MCR, 0x1f);
    CHECK_EQ(rd(&u, MSR), 0xf0);
    wr(&u, MCR, 0x10);
    CHECK_EQ(rd(&u, MSR), 0x00);
    wr(&u, MCR, 0xff);
    CHECK_EQ(rd(&u, MCR), 0x1f);
    wr(&u, MCR, 0x0f);
    CHECK_EQ(rd(&u, MSR), 0xb0);
    wr(&u, MSR, 0x00); /* read-only */
    CHECK_EQ(rd(&u, MSR), 0xb0);
}

TEST(vuart_lcr_scr_and_readonly_lsr)
{
    struct vuart u;
    struct rec r;
    setup(&u, &r);
    wr(&u, SCR, 0xa5);
    CHECK_EQ(rd(&u, SCR), 0xa5);
    wr(&u, SCR, 0x5a);
    CHECK_EQ(rd(&u, SCR), 0x5a);
    wr(&u, LCR, 0x1f);
    CHECK_EQ(rd(&u, LCR), 0x1f);
    wr(&u, LSR, 0x00);
    CHECK_EQ(rd(&u, LSR), 0x60);
}

TEST(vuart_access_widths)
{
    struct vuart u;
    struct rec r;
    setup(&u, &r);
    uint64_t v = 0x1234567803ull;
    CHECK(vuart_mmio(&u, MCR, 4, true, &v)); /* acts on the low byte only */
    CHECK_EQ(rd(&u, MCR), 0x03);
    v = 0xffffffffffff4142ull;
    CHECK(vuart_mmio(&u, RBR, 8, true, &v));
    CHECK_EQ(r.ntx, 1);
    CHECK_EQ(r.tx[0], 0x42);
    v = ~0ull;
    CHECK(vuart_mmio(&u, MSR, 2, false, &v));
    CHECK_EQ(v, 0xb0); /* zero-extended */
    CHECK(vuart_mmio(&u, 4, 4, false, &v));
    CHECK_EQ(v, 0x03);
    CHECK(vuart_mmio(&u, 0, 8, false, &v));
    CHECK_EQ(v, 0);

    v = 0;
    CHECK(!vuart_mmio(&u, 1, 2, false, &v));
    CHECK(!vuart_mmio(&u, 2, 4, false, &v));
    CHECK(!vuart_mmio(&u, 4, 8, false, &v));
    CHECK(!vuart_mmio(&u, 0, 3, false, &v));
    CHECK(!vuart_mmio(&u, 0, 0, false, &v));
    CHECK(!vuart_mmio(&u, 0, 16, false, &v));
    CHECK(!vuart_mmio(&u, 8, 1, false, &v));
    CHECK(!vuart_mmio(&u, 8, 8, true, &v));
    CHECK(!vuart_mmio(&u, VUART_SIZE - 1, 1, false, &v));
    CHECK(!vuart_mmio(&u, UINT64_MAX, 1, true, &v));
    CHECK(!vuart_mmio(&u, UINT64_MAX - 7, 8, false, &v));
    CHECK_EQ(r.ntx, 1); /* refused writes had no effect */
}

TEST(vuart_irq_line_transitions)
{
    struct vuart u;
    struct rec r;
    setup(&u, &r);
    CHECK(vuart_rx(&u, 1)); /* ERBFI off: no interrupt */
    CHECK_EQ(r.irq_calls, 0);
    wr(&u, IER, 0x01);
    CHECK_EQ(r.irq_calls, 1);
    CHECK(r.level);
    CHECK(vuart_rx(&u, 2)); /* still high: no call */
    CHECK_EQ(r.irq_calls, 1);
    rd(&u, RBR);
    CHECK_EQ(r.irq_calls, 1);
    rd(&u, RBR);
    CHECK_EQ(r.irq_calls, 2);
    CHECK(!r.level);
    CHECK(vuart_rx(&u, 3));
    CHECK_EQ(r.irq_calls, 3);
    wr(&u, FCR, 0x03); /* clearing the FIFO drops the line */
    CHECK_EQ(r.irq_calls, 4);
    CHECK(!r.level);
    CHECK(vuart_rx(&u, 4));
    wr(&u, IER, 0x00); /* as does disabling the source */
    CHECK_EQ(r.irq_calls, 6);
    CHECK(!r.level);
    CHECK_EQ(r.repeats, 0);
}

/* A small deterministic generator, so a failure reproduces. */
static uint64_t rng_state;
static uint32_t rng(void)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(rng_state >> 33);
}

TEST(vuart_random_sequence)
{
    static const unsigned widths[] = { 0, 1, 1, 1, 1, 2, 3, 4, 8, 16 };
    struct vuart u;
    struct rec r;
    setup(&u, &r);
    uint8_t model[VUART_FIFO];
    unsigned mhead = 0, mcount = 0, ntx = 0;
    rng_state = 12345;

    for (int step = 0; step < 200000; step++) {
        uint32_t op = rng();
        bool dlab = u.lcr & 0x80, loop = u.mcr & 0x10;
        if (op % 5 == 0) {
            uint8_t c = (uint8_t)rng();
            bool ok = vuart_rx(&u, c);
            CHECK_EQ(ok, mcount < VUART_FIFO);
            if (ok) {
                model[(mhead + mcount++) % VUART_FIFO] = c;
            }
        } else {
            uint64_t off = rng() % 12;
            unsigned width = widths[rng() % 10];
            bool write = rng() & 1;
            /* Keep loopback and DLAB rarer so both the FIFO and the transmitter see traffic. */
            uint64_t v = rng() & ((off == 3 || off == 4) ? 0x7f : 0xff);
            v |= (uint64_t)rng() << 32;
            bool width_ok = width == 1 || width == 2 || width == 4 || width == 8;
            bool valid = width_ok && off % width == 0 && off < 8;
            CHECK_EQ(vuart_mmio(&u, off, width, write, &v), valid);
            if (valid && off == 0 && !dlab) {
                if (write && loop) {
                    if (mcount < VUART_FIFO) {
                        model[(mhead + mcount++) % VUART_FIFO] = (uint8_t)v;
                    }
                } else if (write) {
                    CHECK_EQ(r.tx[ntx % sizeof r.tx], (uint8_t)v);
                    ntx++;
                } else {
                    CHECK_EQ(v, mcount ? model[mhead] : 0);
                    if (mcount) {
                        mhead = (mhead + 1) % VUART_FIFO;
                        mcount--;
                    }
                }
            }
            if (valid && off == 2 && write && (v & 2)) {
                mcount = 0;
            }
            if (valid && !write) {
                CHECK(v <= 0xff);
            }
        }
        /* Invariants. */
        bool want = ((u.ier & 1) && u.rx_count) || ((u.ier & 2) && u.thre_irq);
        CHECK_EQ(u.irq_level, want);
        CHECK_EQ(r.level, want);
        CHECK_EQ(u.rx_count, mcount);
        CHECK(u.rx_head < VUART_FIFO);
        CHECK_EQ(u.ier & ~0x0fu, 0);
        CHECK_EQ(u.mcr & ~0x1fu, 0);
        CHECK_EQ(r.ntx, ntx);
    }
    CHECK_EQ(r.repeats, 0);
    CHECK(r.irq_calls > 1000);
    CHECK(ntx > 1000);
}
