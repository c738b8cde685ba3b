// SPDX-License-Identifier: MIT
// Ends as its bootargs say, for the run's exit status: verdict=pass (shutdown), verdict=fail
// (shutdown with reason "system failure", as a test suite reports a failure) or verdict=fault (a
// store outside its RAM).
#include <string.h>

#include "guest.h"

static bool verdict_is(const char *v, const char *word)
{
    size_t n = strlen(word);

    return strncmp(v, word, n) == 0 && (v[n] == '\0' || v[n] == ' ');
}

void guest_main(unsigned long hartid, unsigned long dtb)
{
    const char *v = bootarg("verdict");

    (void)hartid;
    (void)dtb;
    if (!v) {
        v = "pass";
    }
    if (verdict_is(v, "fail")) {
        kprintf("verdict: fail\n");
        sbi_call(SBI_EXT_SRST, SBI_SRST_SYSTEM_RESET, SBI_SRST_TYPE_SHUTDOWN,
                 SBI_SRST_REASON_SYSFAIL, 0, 0, 0, 0);
        kprintf("verdict: FAIL the shutdown returned\n");
    } else if (verdict_is(v, "fault")) {
        kprintf("verdict: fault\n");
        /* Mapped in its tables, but no RAM of it: the hypervisor stops it, or (where guests are
         * given the access fault) its own panic handler shuts it down with "system failure". */
        pt_map(kernel_root, 0xc0000000ul, 0x9f000000ul, PTE_R | PTE_W);
        pt_sync();
        *(volatile uint64_t *)0xc0000000ul = 1;
        kprintf("verdict: FAIL still alive after the fault\n");
    } else {
        kprintf("verdict: pass\n");
    }
}
