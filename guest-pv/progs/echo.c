// SPDX-License-Identifier: MIT
// Console input test: echoes each line typed at it (read through SBI DBCN) until it reads "quit".
#include "guest.h"

void guest_main(unsigned long hartid, unsigned long dtb)
{
    char line[80];
    unsigned n = 0;

    (void)hartid;
    (void)dtb;
    kprintf("echo: ready\n");
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
        if (c == '\r' || c == '\n') {
            line[n] = '\0';
            kprintf("echo: got '%s'\n", line);
            if (n == 4 && line[0] == 'q' && line[1] == 'u' && line[2] == 'i' && line[3] == 't') {
                return;
            }
            n = 0;
        } else if (n + 1 < sizeof(line)) {
            line[n++] = c;
        }
    }
}
