// SPDX-License-Identifier: MIT
// Steal-time accounting (SBI STA) as a guest sees it. Two vCPUs share one hart, each with a record
// of its own. While both are busy, each waits for the other's slices: its steal grows by about half
// the time. While vCPU 0 sleeps in WFI, its wait for the timer is idle time, not steal. With
// steal.harts=2 the vCPUs have a hart each, and nothing is stolen.
#include "guest.h"

#define SLEEP_MS 300
#define BUSY_MS 300

static struct sbi_sta_record rec[2] __attribute__((aligned(64)));
static volatile int hog_ready, stop_hog;
static uint8_t stack1[4096] __attribute__((aligned(16)));
static unsigned failures;
static uint64_t freq;
/* steal.harts=2 on the command line: the vCPUs are on harts of their own (the VM spans harts), so
 * neither waits for the other. */
static bool own_harts;

static void expect(const char *what, long got, long want)
{
    if (got == want) {
        kprintf("steal: %s: ok\n", what);
    } else {
        kprintf("steal: %s: FAIL (got %ld, want %ld)\n", what, got, want);
        failures++;
    }
}

static long set_shmem(unsigned long lo, unsigned long hi, unsigned long flags)
{
    return sbi_call(SBI_EXT_STA, SBI_STA_SET_SHMEM, lo, hi, flags, 0, 0, 0).error;
}

/* The reader's side of the sequence rule: steal read between two equal, even sequence values. */
static uint64_t read_steal(const volatile struct sbi_sta_record *r,
                           unsigned *preempted,
                           uint32_t *seq)
{
    for (;;) {
        uint32_t s = r->sequence;
        __asm__ volatile("fence r, r" ::: "memory");
        uint64_t steal = r->steal;
        unsigned p = r->preempted;
        __asm__ volatile("fence r, r" ::: "memory");
        if (!(s & 1) && r->sequence == s) {
            *preempted = p;
            *seq = s;
            return steal;
        }
    }
}

static uint64_t ms_ticks(uint64_t ms)
{
    return freq / 1000 * ms;
}

static uint64_t ticks_us(uint64_t ticks)
{
    return ticks / freq * 1000000 + ticks % freq * 1000000 / freq;
}

/* vCPU 1: busy until told to stop; only the hypervisor's timer takes the hart from it. */
static void hog(unsigned long hartid)
{
    expect("vCPU 1 registers its record", set_shmem((unsigned long)&rec[1], 0, 0), 0);
    hog_ready = 1;
    uint64_t x = hartid;
    while (!stop_hog) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
    }
    unsigned p;
    uint32_t seq;
    uint64_t ns = read_steal(&rec[1], &p, &seq);
    expect("vCPU 1 reads itself not preempted", p, 0);
    kprintf("steal: vCPU 1 stolen %lu us (%lx)\n", (unsigned long)(ns / 1000), (unsigned long)x);
}

/* Spins for ms, reading both records all along. vCPU 0 runs: its own record says not preempted, and
 * vCPU 1 (runnable, and the hart is vCPU 0's now) was last written preempted, once written at all.
 * Returns the steal of vCPU 0 over the spin, in ns. */
static uint64_t busy(uint64_t ms, unsigned *bad_own, unsigned *bad_other, unsigned *other_seen)
{
    unsigned p;
    uint32_t seq;
    uint64_t start = read_steal(&rec[0], &p, &seq), last = start, t0 = csr_time();

    while (csr_time() - t0 < ms_ticks(ms)) {
        uint64_t ns = read_steal(&rec[0], &p, &seq);
        *bad_own += p != 0 || ns < last;
        last = ns;
        read_steal(&rec[1], &p, &seq);
        if (seq != 0 && !own_harts) {
            *bad_other += p == 0;
            *other_seen += 1;
        }
    }
    return last - start;
}

void guest_main(unsigned long hartid, unsigned long dtb)
{
    (void)hartid;
    (void)dtb;
    const char *harts = bootarg("steal.harts");
    own_harts = harts && parse_ulong(harts) == 2;
    freq = guest_platform.timebase_freq;
    expect("a timebase", freq != 0, 1);
    if (!freq) {
        return;
    }
    expect("probe sta",
           sbi_call(SBI_EXT_BASE, SBI_BASE_PROBE_EXTENSION, SBI_EXT_STA, 0, 0, 0, 0, 0).value,
           1);
    expect("vCPU 0 registers its record", set_shmem((unsigned long)&rec[0], 0, 0), 0);
    expect("start vCPU 1", start_secondary(1, hog, stack1 + sizeof(stack1)), 0);
    while (!hog_ready) {
    }

    /* Both busy: vCPU 0 waits while vCPU 1 has its slices. */
    unsigned bad_own = 0, bad_other = 0, other_seen = 0;
    uint64_t stolen = busy(BUSY_MS, &bad_own, &bad_other, &other_seen);
    kprintf("steal: busy: %lu of %lu us stolen\n",
            (unsigned long)(stolen / 1000),
            (unsigned long)ticks_us(ms_ticks(BUSY_MS)));
    expect("own record: never preempted, never backwards", bad_own, 0);
    if (!own_harts) {
        expect("vCPU 1's record read while it waits: preempted", bad_other, 0);
        expect("vCPU 1's record was written", other_seen > 0, 1);
    }

    /* vCPU 0 sleeps: idle, not stolen, however long vCPU 1 keeps the hart. */
    unsigned p;
    uint32_t seq;
    uint64_t before = read_steal(&rec[0], &p, &seq), t0 = csr_time();
    irq_timer_enable(true);
    timer_set(t0 + ms_ticks(SLEEP_MS));
    while (csr_time() - t0 < ms_ticks(SLEEP_MS)) {
        wait_for_interrupt();
    }
    timer_set(~0ul);
    uint64_t after = read_steal(&rec[0], &p, &seq);
    kprintf("steal: idle: %lu of %lu us stolen\n",
            (unsigned long)((after - before) / 1000),
            (unsigned long)ticks_us(csr_time() - t0));

    /* Reporting stopped: the record stays as it was while vCPU 0 keeps waiting for its slices. */
    expect("stop reporting", set_shmem(~0ul, ~0ul, 0), 0);
    uint32_t frozen = rec[0].sequence;
    busy(BUSY_MS / 3, &bad_own, &bad_other, &other_seen);
    expect("a stopped record is not written", rec[0].sequence, frozen);
    expect("stop again", set_shmem(~0ul, ~0ul, 0), 0);

    stop_hog = 1;
    while (sbi_call(SBI_EXT_HSM, SBI_HSM_HART_GET_STATUS, 1, 0, 0, 0, 0, 0).value !=
           SBI_HSM_STATE_STOPPED) {
    }
    kprintf("steal: %u failures\n", failures);
}
