// SPDX-License-Identifier: MIT
// guest-pv start: paging on, then the program's own main.
#include "guest.h"

void kmain(unsigned long hartid, unsigned long dtb);

void kmain(unsigned long hartid, unsigned long dtb)
{
    mm_init();
    guest_main(hartid, dtb);
    sbi_shutdown();
}
