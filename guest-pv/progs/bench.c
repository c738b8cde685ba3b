// SPDX-License-Identifier: MIT
// The bench guest: runs one workload (bootarg bench=NAME, n=COUNT) between two reads of instret, so
// that under QEMU's -icount the cost of each operation is an exact instruction count. make bench runs it
// once per workload, flavour and engine, and reads the hypervisor's exit table beside it.
#include <string.h>

#include "guest.h"

#define UART_LSR 0x10000005ul

static void report(const char *name, unsigned long ops, uint64_t i0, uint64_t c0, uint64_t extra)
{
    uint64_t i1 = csr_instret(), c1 = csr_cycle();
    /* Fixed-width numbers: the report costs the same exits whatever it says, so a run with n=0 is an
     * exact baseline. */
    kprintf("bench: %-8s ops=%012lu instret=%016lu cycles=%016lu result=%016lx\n", name, ops,
            (unsigned long)(i1 - i0), (unsigned long)(c1 - c0), (unsigned long)extra);
}

void guest_main(unsigned long hartid, unsigned long dtb)
{
    (void)hartid;
    (void)dtb;
    const char *w = bootarg("bench");
    unsigned long n = bootarg("n") ? parse_ulong(bootarg("n")) : 1000;
    uint64_t i0, c0, extra = 0;

    if (!w) {
        kprintf("bench: no workload (bootarg bench=null|mmio|console|ptchurn|compute|blk|timer|none)\n");
        return;
    }
    i0 = csr_instret();
    c0 = csr_cycle();
    if (strncmp(w, "null", 4) == 0) {
        extra = wl_nullcalls((unsigned)n);
        report("null", n, i0, c0, extra);
    } else if (strncmp(w, "mmio", 4) == 0) {
        for (unsigned long i = 0; i < n; i++) {
            extra += *(volatile uint8_t *)UART_LSR;
        }
        report("mmio", n, i0, c0, extra);
    } else if (strncmp(w, "console", 7) == 0) {
        /* ops = bytes printed: the bytes per exit are what matters. */
        uint64_t bytes;
        extra = wl_console((unsigned)n, &bytes);
        report("console", bytes, i0, c0, extra);
    } else if (strncmp(w, "ptchurn", 7) == 0) {
        uint64_t updates;
        extra = wl_ptchurn((unsigned)n, 64, &updates);
        report("ptchurn", updates, i0, c0, extra);
    } else if (strncmp(w, "compute", 7) == 0) {
        extra = wl_compute((unsigned)n);
        report("compute", n, i0, c0, extra);
    } else if (strncmp(w, "blk", 3) == 0) {
        /* n blocks of 4 KiB written, flushed and read back; ops = bytes moved, so exits per MiB are
         * exits per op times 2^20. The driver is set up before the count starts. */
        unsigned bad;
        if (blk_init() != 0) {
            kprintf("bench: no disk\n");
            return;
        }
        i0 = csr_instret();
        c0 = csr_cycle();
        extra = wl_blk((unsigned)n, &bad);
        report("blk", n * 2 * 4096, i0, c0, extra);
    } else if (strncmp(w, "timer", 5) == 0) {
        /* n ticks, waited for without WFI: what each tick itself costs in exits. */
        irq_timer_enable(true);
        __asm__ volatile("csrsi sstatus, 2");
        for (unsigned long i = 0; i < n; i++) {
            uint64_t t = timer_ticks;
            timer_set(csr_time() + 1000);
            while (timer_ticks == t) {
            }
        }
        __asm__ volatile("csrci sstatus, 2");
        report("timer", n, i0, c0, timer_ticks);
    } else {
        report("none", 0, i0, c0, 0);
    }
}
