// SPDX-License-Identifier: MIT
// A guest that crashes as soon as it is up: a store outside its RAM, which the hypervisor contains by
// stopping it (and, with restarts in its configuration, building it again).
#include "guest.h"

void guest_main(unsigned long hartid, unsigned long dtb)
{
    (void)hartid;
    (void)dtb;
    pt_map(kernel_root, 0xc0000000ul, 0x9f000000ul, PTE_R | PTE_W);
    pt_sync();
    *(volatile uint64_t *)0xc0000000ul = 1;
    kprintf("crash: still alive\n");
}
