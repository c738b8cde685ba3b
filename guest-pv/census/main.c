// SPDX-License-Identifier: MIT
// The census kernel's entry point: reads its options, runs the probe groups in a fixed order (so
// every run prints the same lines in the same order), then powers off.
#include "census.h"

void census_main(uint64_t hartid, const void *dtb);

int opt_fatal = -1;
bool opt_safe = true;

/* Finds "census.fatal=N" and "census.safe" among space-separated bootargs. */
static void parse_bootargs(const char *args)
{
    if (!args) {
        return;
    }
    const char *key = "census.fatal=";
    for (const char *p = args; *p; p++) {
        if (p != args && p[-1] != ' ') {
            continue;
        }
        unsigned i = 0;
        while (key[i] && p[i] == key[i]) {
            i++;
        }
        if (!key[i] && p[i] >= '0' && p[i] <= '9') {
            opt_fatal = p[i] - '0';
            opt_safe = false;
        }
    }
    if (str_has(args, "census.safe")) {
        opt_safe = true;
    }
}

void census_main(uint64_t hartid, const void *dtb)
{
    /* The first thing read: how long the machine ran before this kernel's first instruction (under
     * QEMU -icount, instructions / 100): the hypervisor's and firmware's boot, for the share
     * measure. */
    uint64_t time0 = csr_read(CSR_TIME);

    fdt_init(dtb);
    parse_bootargs(fdt_string("/chosen", "bootargs"));
    out_line("census: start, entry time %lu", time0);
    mm_build();
    if (opt_safe) {
        probes_entry(hartid);
        probes_csr();
        probes_counters();
        probes_modes();
        mm_on();
        probes_user();
        probes_mem();
        probes_irq();
        probes_reveal();
        mm_off();
        probe("unexpected-traps", "%u", unexpected_traps);
    }
    /* Probes that may end the guest come last; the hypervisor runs give each a guest of its own. */
    for (int i = 0; i < FATAL_PROBES; i++) {
        if (opt_fatal < 0 || opt_fatal == i) {
            probes_fatal(i);
        }
    }
    out_line("census: done, %u probes", probe_count);
    sbi_shutdown();
}
