// SPDX-License-Identifier: MIT
// A guest that never sleeps or yields: only the hypervisor's timer can take the hart from it.
#include "guest.h"

void guest_main(unsigned long hartid, unsigned long dtb)
{
    (void)hartid;
    (void)dtb;
    uint64_t x = 1;

    for (int round = 0; round < 6; round++) {
        /* A few milliseconds of pure computation per round, longer than one time slice. */
        for (uint64_t i = 0; i < 3000000; i++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
        }
        kprintf("hog: round %d (%016lx)\n", round, (unsigned long)x);
    }
}
