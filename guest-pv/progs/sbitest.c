// SPDX-License-Identifier: MIT
// SBI conformance guest: every function the hypervisor offers, well-formed and malformed.
#include "guest.h"

#define RAM_BASE 0x80000000ul

static unsigned failures;
/* Survives the guest's reboots (RAM is kept, only the image is reloaded). */
static volatile uint64_t boot_count __attribute__((section(".persist")));

static void expect(const char *what, long got, long want)
{
    if (got == want) {
        kprintf("sbitest: %s: ok\n", what);
    } else {
        kprintf("sbitest: %s: FAIL (got %ld, want %ld)\n", what, got, want);
        failures++;
    }
}

static struct sbiret call(unsigned long eid, unsigned long fid, unsigned long a0, unsigned long a1,
                          unsigned long a2)
{
    return sbi_call(eid, fid, a0, a1, a2, 0, 0, 0);
}

static void test_base(void)
{
    struct sbiret r = call(SBI_EXT_BASE, SBI_BASE_GET_SPEC_VERSION, 0, 0, 0);
    expect("base spec version is 2.0", r.value, (2l << 24));
    expect("base spec version error", r.error, 0);
    expect("base impl id", call(SBI_EXT_BASE, SBI_BASE_GET_IMPL_ID, 0, 0, 0).value, HV_SBI_IMPL_ID);
    expect("base impl version", call(SBI_EXT_BASE, SBI_BASE_GET_IMPL_VERSION, 0, 0, 0).value,
           HV_SBI_IMPL_VERSION);
    expect("probe base", call(SBI_EXT_BASE, SBI_BASE_PROBE_EXTENSION, SBI_EXT_BASE, 0, 0).value, 1);
    expect("probe time", call(SBI_EXT_BASE, SBI_BASE_PROBE_EXTENSION, SBI_EXT_TIME, 0, 0).value, 1);
    expect("probe dbcn", call(SBI_EXT_BASE, SBI_BASE_PROBE_EXTENSION, SBI_EXT_DBCN, 0, 0).value, 1);
    expect("probe srst", call(SBI_EXT_BASE, SBI_BASE_PROBE_EXTENSION, SBI_EXT_SRST, 0, 0).value, 1);
    expect("probe legacy putchar",
           call(SBI_EXT_BASE, SBI_BASE_PROBE_EXTENSION, SBI_EXT_LEGACY_CONSOLE_PUTCHAR, 0, 0).value, 1);
    expect("probe unknown", call(SBI_EXT_BASE, SBI_BASE_PROBE_EXTENSION, 0x0a0b0c0d, 0, 0).value, 0);
    r = call(SBI_EXT_BASE, SBI_BASE_GET_MVENDORID, 0, 0, 0);
    expect("mvendorid error", r.error, 0);
    kprintf("sbitest: mvendorid 0x%lx marchid 0x%lx mimpid 0x%lx\n", (unsigned long)r.value,
            (unsigned long)call(SBI_EXT_BASE, SBI_BASE_GET_MARCHID, 0, 0, 0).value,
            (unsigned long)call(SBI_EXT_BASE, SBI_BASE_GET_MIMPID, 0, 0, 0).value);
    expect("base unknown fid", call(SBI_EXT_BASE, 7, 0, 0, 0).error, SBI_ERR_NOT_SUPPORTED);
}

static void test_time(void)
{
    irq_timer_enable(true);
    uint64_t before = timer_ticks;
    expect("set_timer", call(SBI_EXT_TIME, SBI_TIME_SET_TIMER, csr_time() + 10000, 0, 0).error, 0);
    while (timer_ticks == before) {
        wait_for_interrupt();
    }
    expect("timer interrupt taken", (long)(timer_ticks - before), 1);
    /* A deadline in the past fires at once. */
    before = timer_ticks;
    call(SBI_EXT_TIME, SBI_TIME_SET_TIMER, 0, 0, 0);
    while (timer_ticks == before) {
        wait_for_interrupt();
    }
    expect("past deadline fires", (long)(timer_ticks - before), 1);
    /* The legacy call sets the same timer. */
    before = timer_ticks;
    sbi_call(SBI_EXT_LEGACY_SET_TIMER, 0, csr_time() + 10000, 0, 0, 0, 0, 0);
    while (timer_ticks == before) {
        wait_for_interrupt();
    }
    expect("legacy set_timer fires", (long)(timer_ticks - before), 1);
    irq_timer_enable(false);
    expect("time unknown fid", call(SBI_EXT_TIME, 1, 0, 0, 0).error, SBI_ERR_NOT_SUPPORTED);
}

static char dbcn_buf[64] = "sbitest: dbcn write reached the console\n";

static void test_dbcn(void)
{
    unsigned long len = 40;
    struct sbiret r = call(SBI_EXT_DBCN, SBI_DBCN_WRITE, len, (unsigned long)dbcn_buf, 0);
    expect("dbcn write", r.error, 0);
    expect("dbcn write count", r.value, (long)len);
    expect("dbcn write_byte", call(SBI_EXT_DBCN, SBI_DBCN_WRITE_BYTE, '\n', 0, 0).error, 0);
    expect("dbcn write outside RAM", call(SBI_EXT_DBCN, SBI_DBCN_WRITE, 16, 0x1000, 0).error,
           SBI_ERR_INVALID_PARAM);
    expect("dbcn write with high address bits",
           call(SBI_EXT_DBCN, SBI_DBCN_WRITE, 16, (unsigned long)dbcn_buf, 1).error, SBI_ERR_INVALID_PARAM);
    expect("dbcn write wrapping", call(SBI_EXT_DBCN, SBI_DBCN_WRITE, 64, ~0ul - 15, 0).error,
           SBI_ERR_INVALID_PARAM);
    expect("dbcn write huge length",
           call(SBI_EXT_DBCN, SBI_DBCN_WRITE, ~0ul, (unsigned long)dbcn_buf, 0).error, SBI_ERR_INVALID_PARAM);
    expect("dbcn write across end of RAM",
           call(SBI_EXT_DBCN, SBI_DBCN_WRITE, 0x2000, RAM_BASE + (16ul << 20) - 0x1000, 0).error,
           SBI_ERR_INVALID_PARAM);
    r = call(SBI_EXT_DBCN, SBI_DBCN_READ, sizeof(dbcn_buf), (unsigned long)dbcn_buf, 0);
    expect("dbcn read with no input", r.error, 0);
    expect("dbcn read count", r.value, 0);
    expect("dbcn read outside RAM", call(SBI_EXT_DBCN, SBI_DBCN_READ, 8, 0x1000, 0).error,
           SBI_ERR_INVALID_PARAM);
    expect("dbcn unknown fid", call(SBI_EXT_DBCN, 3, 0, 0, 0).error, SBI_ERR_NOT_SUPPORTED);
}

static void test_legacy_and_unknown(void)
{
    expect("legacy putchar", sbi_call(SBI_EXT_LEGACY_CONSOLE_PUTCHAR, 0, '+', 0, 0, 0, 0, 0).error, 0);
    sbi_call(SBI_EXT_LEGACY_CONSOLE_PUTCHAR, 0, '\n', 0, 0, 0, 0, 0);
    expect("legacy getchar with no input",
           sbi_call(SBI_EXT_LEGACY_CONSOLE_GETCHAR, 0, 0, 0, 0, 0, 0, 0).error, -1);
    /* Legacy calls return only a0: a1 must come back untouched. */
    expect("legacy call preserves a1",
           sbi_call(SBI_EXT_LEGACY_CONSOLE_PUTCHAR, 0, '\n', 0x5a5a, 0, 0, 0, 0).value, 0x5a5a);
    expect("unknown extension", call(0x0a0b0c0d, 0, 0, 0, 0).error, SBI_ERR_NOT_SUPPORTED);
    expect("experimental range without our extension", call(0x08000000, 0, 0, 0, 0).error,
           SBI_ERR_NOT_SUPPORTED);
}

static void test_srst_errors(void)
{
    expect("srst reserved type", call(SBI_EXT_SRST, SBI_SRST_SYSTEM_RESET, 3, 0, 0).error,
           SBI_ERR_INVALID_PARAM);
    expect("srst vendor type", call(SBI_EXT_SRST, SBI_SRST_SYSTEM_RESET, 0xf0000000ul, 0, 0).error,
           SBI_ERR_INVALID_PARAM);
    expect("srst reserved reason", call(SBI_EXT_SRST, SBI_SRST_SYSTEM_RESET, 0, 2, 0).error,
           SBI_ERR_INVALID_PARAM);
    expect("srst implementation reason", call(SBI_EXT_SRST, SBI_SRST_SYSTEM_RESET, 0, 0xe0000000ul, 0).error,
           SBI_ERR_INVALID_PARAM);
    expect("srst unknown fid", call(SBI_EXT_SRST, 1, 0, 0, 0).error, SBI_ERR_NOT_SUPPORTED);
}

/* A steal-time record that survives the reboots, in the persistent area: registered on the first
 * boot, it must not be written after a reboot (a new life registers its own). */
static volatile struct sbi_sta_record sta_rec[2] __attribute__((section(".persist"), aligned(64)));

static long sta(unsigned long lo, unsigned long hi, unsigned long flags)
{
    return call(SBI_EXT_STA, SBI_STA_SET_SHMEM, lo, hi, flags).error;
}

static void test_sta(void)
{
    unsigned long at = (unsigned long)&sta_rec[0];
    volatile uint8_t *bytes = (volatile uint8_t *)sta_rec;

    expect("probe sta", call(SBI_EXT_BASE, SBI_BASE_PROBE_EXTENSION, SBI_EXT_STA, 0, 0).value, 1);
    expect("sta flags", sta(at, 0, 1), SBI_ERR_INVALID_PARAM);
    expect("sta misaligned", sta(at + 8, 0, 0), SBI_ERR_INVALID_PARAM);
    expect("sta high address bits", sta(at, 1, 0), SBI_ERR_INVALID_ADDRESS);
    expect("sta outside RAM", sta(0x1000, 0, 0), SBI_ERR_INVALID_ADDRESS);
    expect("sta just past RAM", sta(RAM_BASE + (16ul << 20), 0, 0), SBI_ERR_INVALID_ADDRESS);
    expect("sta wrapping", sta(~0ul - 63, 0, 0), SBI_ERR_INVALID_ADDRESS);
    for (unsigned i = 0; i < sizeof(sta_rec); i++) {
        bytes[i] = 0xa5;
    }
    expect("sta register", sta(at, 0, 0), 0);
    /* Zeroed by the call; by now it may have been written again (a slice of the other guest since):
     * flags, preempted (this vCPU runs) and the padding still read zero, the sequence even. */
    unsigned nonzero = 0;
    for (unsigned i = 4; i < 64; i++) {
        nonzero += (i < 8 || i >= 16) && bytes[i] != 0;
    }
    expect("sta record zeroed", nonzero + (sta_rec[0].sequence & 1), 0);
    expect("sta past the record untouched", bytes[64], 0xa5);
    expect("sta unknown fid", call(SBI_EXT_STA, 1, 0, 0, 0).error, SBI_ERR_NOT_SUPPORTED);
    /* Left registered: the reboot below must end it. */
}

/* After a reboot: the first life's record is not written, even across a sleep and a wake-up (the
 * moments a registered record is). */
static void test_sta_after_reboot(void)
{
    for (unsigned i = 0; i < 64; i++) {
        ((volatile uint8_t *)sta_rec)[i] = 0x5a;
    }
    irq_timer_enable(true);
    uint64_t before = timer_ticks;
    timer_set(csr_time() + 100000);
    while (timer_ticks == before) {
        wait_for_interrupt();
    }
    irq_timer_enable(false);
    unsigned changed = 0;
    for (unsigned i = 0; i < 64; i++) {
        changed += ((volatile uint8_t *)sta_rec)[i] != 0x5a;
    }
    expect("sta record of the last life left alone", changed, 0);
    expect("sta stop", sta(~0ul, ~0ul, 0), 0);
    expect("sta stop when stopped", sta(~0ul, ~0ul, 0), 0);
}

void guest_main(unsigned long hartid, unsigned long dtb)
{
    (void)hartid;
    (void)dtb;
    uint64_t boot = boot_count++;

    kprintf("sbitest: boot %lu\n", (unsigned long)boot);
    if (boot == 0) {
        test_base();
        test_time();
        test_dbcn();
        test_legacy_and_unknown();
        test_srst_errors();
        test_sta();
        kprintf("sbitest: %u failures\n", failures);
        kprintf("sbitest: cold reboot\n");
        call(SBI_EXT_SRST, SBI_SRST_SYSTEM_RESET, SBI_SRST_TYPE_COLD_REBOOT, SBI_SRST_REASON_NONE, 0);
    } else if (boot == 1) {
        test_sta_after_reboot();
        kprintf("sbitest: after reboot: %u failures\n", failures);
        kprintf("sbitest: warm reboot\n");
        call(SBI_EXT_SRST, SBI_SRST_SYSTEM_RESET, SBI_SRST_TYPE_WARM_REBOOT, SBI_SRST_REASON_NONE, 0);
    } else {
        kprintf("sbitest: shutting down after %lu reboots\n", (unsigned long)boot);
        call(SBI_EXT_SRST, SBI_SRST_SYSTEM_RESET, SBI_SRST_TYPE_SHUTDOWN, SBI_SRST_REASON_NONE, 0);
    }
    kprintf("sbitest: FAIL: system reset returned\n");
}
