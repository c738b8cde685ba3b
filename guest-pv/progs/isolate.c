// SPDX-License-Identifier: MIT
// Isolation test: a store outside the guest's RAM must stop this guest, and only this guest.
#include "guest.h"

#define OUTSIDE_RAM 0x88000000ul /* inside the kernel's 1 GiB window, past any configured RAM */

void guest_main(unsigned long hartid, unsigned long dtb)
{
    (void)hartid;
    (void)dtb;
    /* Our own tables map it (a page past our RAM): only the hypervisor's G-stage stands in the way. */
    pt_map(kernel_root, OUTSIDE_RAM, OUTSIDE_RAM, PTE_R | PTE_W);
    pt_sync();
    kprintf("isolate: storing to 0x%lx\n", OUTSIDE_RAM);
    *(volatile uint64_t *)OUTSIDE_RAM = 0xbad;
    kprintf("isolate: FAIL: the store went through\n");
}
