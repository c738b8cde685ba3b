// SPDX-License-Identifier: MIT
// The canary: beside a hostile or crashing guest, prints a heartbeat every 2 ms of its time until it has
// printed canary.beats of them (default 40), then "canary: done". Every beat is a timer interrupt taken
// and a console line written: a hypervisor that hangs, panics or lets the other guest starve it shows.
#include "guest.h"

void guest_main(unsigned long hartid, unsigned long dtb)
{
    (void)hartid;
    (void)dtb;
    unsigned long beats = bootarg("canary.beats") ? parse_ulong(bootarg("canary.beats")) : 40;

    irq_timer_enable(true);
    for (unsigned long i = 0; i < beats; i++) {
        uint64_t t = timer_ticks;
        timer_set(csr_time() + 20000);
        while (timer_ticks == t) {
            wait_for_interrupt();
        }
        kprintf("canary: heartbeat %lu\n", i);
    }
    kprintf("canary: done\n");
}
