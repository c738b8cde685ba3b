// SPDX-License-Identifier: MIT
// The console's output ring against a UART that takes a byte only now and then: filling never
// waits while there is room, draining never waits at all, and every byte arrives once, in order.
#include <string.h>

#include "check.h"
#include "conout.h"

static char wire[3 * CONOUT_SIZE];
static size_t wired;
static unsigned busy_for; /* the transmitter refuses this many more offers */
static unsigned refused;

bool console_hw_try_putc(char c)
{
    if (busy_for > 0) {
        busy_for--;
        refused++;
        return false;
    }
    wire[wired++] = c;
    return true;
}

TEST(boot_output_goes_out_at_once)
{
    /* Before conout_background: the byte is on the wire when conout_putc returns. Checked first
     * (the tests run in order). */
    wired = 0;
    busy_for = 3;
    conout_putc('b');
    CHECK_EQ(wired, 1);
    CHECK(!conout_pending());
}

TEST(a_busy_uart_holds_nothing_up)
{
    conout_background(); /* as once the guests run (at boot every byte goes out at once) */
    conout_flush();
    wired = 0;
    busy_for = 1000000; /* a UART that takes nothing for now */
    for (unsigned i = 0; i < CONOUT_SIZE - 1; i++) {
        conout_putc((char)('a' + i % 26));
    }
    CHECK_EQ(conout_room(), 1);
    refused = 0;
    conout_drain(); /* one offer, refused: back at once */
    CHECK_EQ(refused, 1);
    CHECK_EQ(wired, 0);
    CHECK(conout_pending());
}

TEST(a_drain_is_bounded)
{
    conout_background(); /* each test may run alone */
    busy_for = 0;
    conout_flush();
    wired = 0;
    for (unsigned i = 0; i < 3 * CONOUT_DRAIN_MAX; i++) {
        conout_putc('x');
    }
    conout_drain(); /* a UART that is never busy: still one bounded share */
    CHECK_EQ(wired, CONOUT_DRAIN_MAX);
    conout_flush();
    CHECK_EQ(wired, 3 * CONOUT_DRAIN_MAX);
}

TEST(bytes_arrive_once_in_order)
{
    conout_background(); /* each test may run alone */
    busy_for = 0;
    conout_flush();
    wired = 0;
    for (unsigned i = 0; i < 2 * CONOUT_SIZE; i++) {
        busy_for = i % 3; /* sometimes busy */
        conout_putc((char)(i % 251));
        if (i % 7 == 0) {
            conout_drain();
        }
    }
    busy_for = 0;
    conout_flush();
    CHECK_EQ(wired, 2 * CONOUT_SIZE);
    for (unsigned i = 0; i < 2 * CONOUT_SIZE; i++) {
        CHECK_EQ((unsigned char)wire[i], i % 251);
    }
    CHECK(!conout_pending());
    CHECK_EQ(conout_room(), CONOUT_SIZE);
}
