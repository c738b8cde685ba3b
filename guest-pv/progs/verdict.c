// SPDX-License-Identifier: MIT
// Ends as its bootargs say, for the run's exit status: verdict=pass (shutdown), verdict=fail
// (shutdown with reason "system failure", as a test suite reports a failure) or verdict=fault (a
// store outside its RAM). With verdict.spin=N it first starts vCPUs 1..N-1 spinning, so that the
// VM is on several harts when it ends.
#include <string.h>

#include "guest.h"

static bool verdict_is(const char *v, const char *word)
{
    size_t n = strlen(word);

    return strncmp(v, word, n) == 0 && (v[n] == '\0' || v[n] == ' ');
}

#define SPIN_MAX 8

static volatile unsigned spinning;

static void spin(unsigned long hartid)
{
    (void)hartid;
    __atomic_add_fetch(&spinning, 1u, __ATOMIC_RELAXED);
    for (;;) {
    }
}

/* Starts vCPUs 1..n-1, each on a stack of its own, and waits until they all spin. */
static void start_spinners(unsigned long n)
{
    static uint8_t stacks[SPIN_MAX][4096] __attribute__((aligned(16)));
    unsigned started = 0;

    for (unsigned long h = 1; h < n && h < SPIN_MAX; h++) {
        if (start_secondary(h, spin, stacks[h] + sizeof stacks[h]) == 0) {
            started++;
        }
    }
    while (__atomic_load_n(&spinning, __ATOMIC_RELAXED) < started) {
    }
    kprintf("verdict: %u vCPUs spin\n", started);
}

void guest_main(unsigned long hartid, unsigned long dtb)
{
    const char *v = bootarg("verdict");
    const char *n = bootarg("verdict.spin");

    (void)hartid;
    (void)dtb;
    if (!v) {
        v = "pass";
    }
    if (n) {
        start_spinners(parse_ulong(n));
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
