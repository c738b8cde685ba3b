// SPDX-License-Identifier: MIT
// Raw console test: prints bytes a tagged console rewrites (UTF-8, escape sequences, a tab), a
// prompt without a newline, then each byte typed at it in hex, as it comes, until it reads 'q'.
#include "guest.h"

void guest_main(unsigned long hartid, unsigned long dtb)
{
    (void)hartid;
    (void)dtb;
    kputs("rawcon: ready\n");
    kputs("rawcon: bytes caf\xc3\xa9 \x1b[1mbold\x1b[0m\tend\n");
    kputs("rawcon> ");
    irq_timer_enable(true);
    for (;;) {
        char c;
        struct sbiret r = sbi_call(SBI_EXT_DBCN, SBI_DBCN_READ, 1, (unsigned long)&c, 0, 0, 0, 0);
        if (r.error || r.value == 0) {
            /* Nothing typed: sleep a millisecond rather than spin. */
            timer_set(csr_time() + 10000);
            wait_for_interrupt();
            continue;
        }
        kprintf("[%02x]", (unsigned)(unsigned char)c);
        if (c == 'q') {
            kputs("\nrawcon: bye\n");
            return;
        }
    }
}
