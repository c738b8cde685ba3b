// SPDX-License-Identifier: MIT
// The attack pack: one hostile action per boot (bootarg attack=NAME), each of which the hypervisor
// must refuse or contain while a canary guest keeps running. The cases follow past hypervisor bugs
// (Xen's PV MMU advisories above all). The program says what it got back ("attack: NAME: result X"),
// or says nothing more when the hypervisor stops it; tests/e2e/test_attack.py holds the expectations.
#include <string.h>

#include "guest.h"
#include "attack/attack.h"

#define MB (1ul << 20)
#define RAM 0x80000000ul
#define RAM_SIZE (16 * MB) /* configs/attack.c */
#define TABLES (RAM + 10 * MB) /* a tree of its own: root, L1, L0 */
#define ROOT (TABLES + 0x0000)
#define L1 (TABLES + 0x1000)
#define L0 (TABLES + 0x2000)
#define SPARE (TABLES + 0x3000)
#define DATA (TABLES + 0x10000)
#define VA_PROBE 0xc0000000ul /* a free slot of its own native tables */
#define RWX (PTE_R | PTE_W | PTE_X | PTE_A | PTE_D)
#define RW (PTE_R | PTE_W | PTE_A | PTE_D)
#define RO (PTE_R | PTE_A)

static uint64_t mo, ubit;
static volatile uint64_t secret = 0x5ec2e7;

#define MA(pa) ((uint64_t)(pa) + mo)
#define PTE(pa, flags) (((MA(pa) >> 12) << 10) | (flags) | PTE_V | (((flags) & 0xe) ? ubit : 0))

static void result(const char *name, const char *what, long v)
{
    kprintf("attack: %s: result %s %ld\n", name, what, v);
}

/* A hypercall, continued until done where the hypervisor may cut it (docs/hypercalls.md, "Work per
 * call": the first page-table call also readies the validator), as a guest's kernel does: what the
 * cases look at is the answer to the whole call. */
static struct sbiret hc(unsigned long fid, unsigned long a0, unsigned long a1, unsigned long a2)
{
    if (fid == HV_FID_PIN_TABLE || fid == HV_FID_UNPIN_TABLE || fid == HV_FID_MMU_UPDATE) {
        return hv_call(fid, a0, a1, a2);
    }
    return sbi_call(HV_EXT, fid, a0, a1, a2, 0, 0, 0);
}

static long update1(uint64_t ptr, uint64_t val)
{
    static struct hv_mmu_update u;
    u.ptr = MA(ptr);
    u.val = val;
    return hc(HV_FID_MMU_UPDATE, (unsigned long)&u, 1, 0).error;
}

/* Where reboot-storm keeps its count: past the page pools, below the device tree, in a 16 MiB guest. */
#define STORM_COUNT 0x80d00000ul
#define STORM_MAGIC 0x53544f524d21ul

/* A tree of its own (as hctest builds it): RAM by 2 MiB leaves, the tables' 2 MiB through L0. */
static long build_and_pin(void)
{
    for (uint64_t a = TABLES; a < TABLES + 0x4000; a += 0x1000) {
        memset((void *)a, 0, 4096);
    }
    ((uint64_t *)ROOT)[2] = PTE(L1, 0);
    for (uint64_t i = 0; i < 8; i++) {
        ((uint64_t *)L1)[i] = PTE(RAM + i * 2 * MB, RWX);
    }
    ((uint64_t *)L1)[5] = PTE(L0, 0);
    for (uint64_t i = 0; i < 4; i++) {
        ((uint64_t *)L0)[i] = PTE(TABLES + i * 0x1000, RO);
    }
    for (uint64_t i = 16; i < 32; i++) {
        ((uint64_t *)L0)[i] = PTE(TABLES + i * 0x1000, RW);
    }
    return hv_call(HV_FID_PIN_TABLE, MA(ROOT), 0, 0).error;
}

/* Maps va to guest physical gpa in its own native tables: what an unmodified kernel can always do. */
static void map_native(uint64_t va, uint64_t gpa, uint64_t flags)
{
    pt_map(kernel_root, va, gpa, flags);
    pt_sync();
}

static USER_TEXT void user_read(long addr)
{
    long v = (long)*(volatile uint64_t *)addr;
    sys_call(SYS_WRITE, (long)"attack: user read kernel memory!\n", 33 + 0 * v);
    sys_call(SYS_EXIT, 0, 0);
}

static USER_TEXT void user_wfi(long arg)
{
    (void)arg;
    __asm__ volatile("wfi");
    sys_call(SYS_EXIT, 0, 0);
}

static void spin_for(uint64_t ticks, bool irqs_off)
{
    uint64_t end = csr_time() + ticks;
    if (irqs_off) {
        __asm__ volatile("csrci sstatus, 2");
    }
    while (csr_time() < end) {
    }
}

static long csr_probe(unsigned which)
{
    unsigned long v = 0;
    at_faults = 0;
    switch (which) {
    case 0: __asm__ volatile("csrr %0, 0x600" : "=r"(v)); break; /* hstatus */
    case 1: __asm__ volatile("csrr %0, 0x300" : "=r"(v)); break; /* mstatus */
    case 2: __asm__ volatile("csrw 0x15d, %0" : : "r"(v)); break; /* an S-level CSR that does not exist */
    case 3: __asm__ volatile(".word 0x30200073"); break; /* mret */
    case 4: __asm__ volatile(".word 0x6c004073"); break; /* hlv.d zero, (zero) */
    default: __asm__ volatile(".word 0x00000000"); break; /* the all-zero illegal instruction */
    }
    (void)v;
    return at_faults ? (long)at_cause : -1;
}

static void run(const char *a)
{
    static struct hv_multicall mc[3];
    static struct hv_blk_req req;
    static char buf[16384];
    struct sbiret r;
    volatile uint64_t *p;

#define IS(n) (strcmp(a, n) == 0)
    /* ---- the paravirtual MMU (Xen PV MMU advisories) ---- */
    if (IS("xsa148-superpage-over-table")) {
        build_and_pin();
        result(a, "error", update1(L1 + 8 * 8, PTE(TABLES, RW)));
    } else if (IS("xsa182-flag-upgrade")) {
        build_and_pin();
        update1(L0 + 8 * 42, PTE(L1, RO));
        result(a, "error", update1(L0 + 8 * 42, PTE(L1, RW)));
    } else if (IS("xsa212-wrapping-batch")) {
        result(a, "error", hc(HV_FID_MMU_UPDATE, ~0ul - 15, 4, 0).error);
    } else if (IS("xsa213-root-switch-in-multicall")) {
        build_and_pin();
        mc[0] = (struct hv_multicall){ .fid = HV_FID_NULL };
        mc[1] = (struct hv_multicall){ .fid = HV_FID_SET_ROOT, .args = { MA(ROOT), 1 } };
        mc[2] = (struct hv_multicall){ .fid = HV_FID_NULL, .error = 0x77 };
        r = hc(HV_FID_MULTICALL, (unsigned long)mc, 3, 0);
        result(a, "error", r.error);
        result(a, "third-call-ran", mc[2].error != 0x77);
    } else if (IS("xsa217-unmap-then-reuse")) {
        build_and_pin();
        update1(L0 + 8 * 40, PTE(SPARE, RW));
        uint64_t native;
        __asm__ volatile("csrr %0, satp" : "=r"(native));
        hc(HV_FID_SET_ROOT, MA(ROOT), 1, 0);
        /* SPARE is visible at its own address through L0 entry 40 (TABLES + 40 pages). */
        volatile uint64_t *alias = (volatile uint64_t *)(TABLES + 40 * 0x1000);
        *alias = 1;
        update1(L0 + 8 * 40, 0);
        at_faults = 0;
        *alias = 2; /* through a stale translation this would land in the frame */
        __asm__ volatile("csrw satp, %0\n sfence.vma" : : "r"(native) : "memory");
        result(a, "stale-write-faulted", (long)at_faults);
        memset((void *)SPARE, 0, 4096);
        result(a, "pin-after-unmap", hv_call(HV_FID_PIN_TABLE, MA(SPARE), 0, 0).error);
    } else if (IS("shadow-writable-then-typed")) {
        /* A frame its shadow maps writable becomes a validated table: the mapping must go. */
        build_and_pin();
        volatile uint64_t *f = (volatile uint64_t *)SPARE;
        memset((void *)SPARE, 0, 4096);
        result(a, "typed", update1(L1 + 8 * 9, PTE(SPARE, 0)));
        at_faults = 0;
        f[0] = ((0x80200000ul >> 12) << 10) | PTE_V | PTE_R | PTE_W | PTE_A | PTE_D | ubit;
        result(a, "store-faulted", (long)at_faults);
        result(a, "entry-unchanged", f[0] == 0);
    } else if (IS("protected-table-then-typed")) {
        /* A frame the shadow protects as one of its own tables becomes a validated table: its stores
         * are no longer the engine's to carry out. */
        build_and_pin();
        uint64_t *t = (uint64_t *)(TABLES + 0x4000), *n1 = (uint64_t *)(TABLES + 0x5000);
        memset(t, 0, 4096);
        memset(n1, 0, 4096);
        t[0] = ((DATA >> 12) << 10) | PTE_R | PTE_A | PTE_V;
        n1[0] = (((uint64_t)t >> 12) << 10) | PTE_V;
        kernel_root[3] = (((uint64_t)n1 >> 12) << 10) | PTE_V;
        __asm__ volatile("sfence.vma" ::: "memory");
        (void)*(volatile uint64_t *)0xc0000000ul; /* a native walk through t */
        result(a, "typed", update1(L1 + 8 * 9, PTE(t, 0)));
        at_faults = 0;
        ((volatile uint64_t *)t)[1] = ((0x80200000ul >> 12) << 10) | PTE_V | PTE_R | PTE_W | PTE_A | PTE_D | ubit;
        result(a, "store-faulted", (long)at_faults);
        result(a, "entry-unchanged", ((volatile uint64_t *)t)[1] == 0);
    } else if (IS("fp-off-kept")) {
        /* FP state survives sstatus.FS = Off while another guest runs (lazy FPU switching). */
        uint64_t in = 0x1122334455667788ul, out = 0;
        __asm__ volatile("csrs sstatus, %1\n .option push\n .option arch, +d\n fmv.d.x f1, %0\n .option pop"
                         : : "r"(in), "r"(1ul << 13) : "memory");
        __asm__ volatile("csrc sstatus, %0" : : "r"(3ul << 13) : "memory");
        spin_for(500000, false);
        __asm__ volatile("csrs sstatus, %1\n .option push\n .option arch, +d\n fmv.x.d %0, f1\n .option pop"
                         : "=r"(out) : "r"(2ul << 13) : "memory");
        result(a, "fp-register-kept", out == in);
    } else if (IS("walk-through-device")) {
        /* A page-table walk that reaches a device register is no device access. */
        kernel_root[3] = ((0x10000000ul >> 12) << 10) | PTE_V;
        __asm__ volatile("sfence.vma" ::: "memory");
        at_faults = 0;
        *(volatile uint8_t *)0xc0000000ul = 'Z';
        result(a, "access-fault", at_faults == 1 ? (long)at_cause : -1);
        kernel_root[3] = 0;
        __asm__ volatile("sfence.vma" ::: "memory");
    } else if (IS("pte-past-ram")) {
        build_and_pin();
        result(a, "error", update1(L0 + 8 * 43, PTE(RAM + RAM_SIZE, RO)));
    } else if (IS("pte-below-ram")) {
        build_and_pin();
        result(a, "error", update1(L0 + 8 * 43, PTE(RAM - 0x1000, RO)));
    } else if (IS("pte-other-guest-ram")) {
        build_and_pin();
        result(a, "error", update1(L0 + 8 * 43, PTE(RAM + RAM_SIZE + 4 * MB, RW)));
    } else if (IS("pte-device")) {
        build_and_pin();
        result(a, "error", update1(L0 + 8 * 43, PTE(0x10000000ul - mo, RW)));
    } else if (IS("pin-outside-ram")) {
        result(a, "error", hc(HV_FID_PIN_TABLE, MA(RAM + RAM_SIZE), 0, 0).error);
    } else if (IS("update-outside-ram")) {
        result(a, "error", update1(RAM + RAM_SIZE + 8, 0));
    } else if (IS("nested-multicall")) {
        mc[0] = (struct hv_multicall){ .fid = HV_FID_MULTICALL, .args = { (unsigned long)mc, 1 } };
        result(a, "error", hc(HV_FID_MULTICALL, (unsigned long)mc, 1, 0).error);
    } else if (IS("set-root-unpinned")) {
        result(a, "error", hc(HV_FID_SET_ROOT, MA(SPARE), 1, 0).error);
    } else if (IS("unpin-root-in-use")) {
        build_and_pin();
        uint64_t native;
        __asm__ volatile("csrr %0, satp" : "=r"(native));
        hc(HV_FID_SET_ROOT, MA(ROOT), 1, 0);
        long e = hc(HV_FID_UNPIN_TABLE, MA(ROOT), 0, 0).error;
        __asm__ volatile("csrw satp, %0\n sfence.vma" : : "r"(native) : "memory");
        result(a, "error", e);
    } else if (IS("map-table-writable")) {
        build_and_pin();
        result(a, "error", update1(L0 + 8 * 41, PTE(L1, RW)));
    } else if (IS("huge-batch-count")) {
        result(a, "error", hc(HV_FID_MMU_UPDATE, (unsigned long)buf, 1ul << 60, 0).error);
        /* ---- memory that is not its own ---- */
    } else if (IS("load-past-ram")) {
        map_native(VA_PROBE, 0x9f000000ul, PTE_R);
        at_faults = 0;
        (void)*(volatile uint64_t *)VA_PROBE;
        result(a, "access-fault", at_faults == 1 ? (long)at_cause : -1);
    } else if (IS("store-below-ram")) {
        map_native(VA_PROBE, 0x7fff0000ul, PTE_R | PTE_W);
        at_faults = 0;
        *(volatile uint64_t *)VA_PROBE = 1;
        result(a, "access-fault", at_faults == 1 ? (long)at_cause : -1);
    } else if (IS("fetch-past-ram")) {
        map_native(VA_PROBE, 0x90000000ul, PTE_R | PTE_X);
        at_faults = 0;
        ((void (*)(void))VA_PROBE)();
        result(a, "access-fault", at_faults == 1 ? (long)at_cause : -1);
    } else if (IS("load-address-zero")) {
        map_native(VA_PROBE, 0, PTE_R);
        at_faults = 0;
        (void)*(volatile uint64_t *)VA_PROBE;
        result(a, "access-fault", at_faults == 1 ? (long)at_cause : -1);
    } else if (IS("load-unassigned-mmio")) {
        map_native(VA_PROBE, 0x10002000ul, PTE_R);
        at_faults = 0;
        (void)*(volatile uint32_t *)VA_PROBE;
        result(a, "access-fault", at_faults == 1 ? (long)at_cause : -1);
    } else if (IS("plic-bad-width")) {
        at_faults = 0;
        *(volatile uint16_t *)0x0c000004ul = 1; /* the device slot of its native tables */
        result(a, "access-fault", at_faults == 1 ? (long)at_cause : -1);
    } else if (IS("read-hypervisor-alias")) {
        at_faults = 0;
        p = (volatile uint64_t *)0xffffffffc0000000ul;
        (void)*p;
        result(a, "faulted-in-guest", (long)at_faults);
    } else if (IS("user-reads-kernel")) {
        trap_set_hook(at_user_hook);
        at_faults = 0;
        task_create(user_read, (long)&secret);
        task_run_all();
        result(a, "faulted-in-guest", (long)at_faults);
    } else if (IS("user-wfi")) {
        trap_set_hook(at_user_hook);
        at_faults = 0;
        task_create(user_wfi, 0);
        task_run_all();
        result(a, "cause", (long)at_cause);
    /* ---- buffers that cross the end of RAM or wrap ---- */
    } else if (IS("dbcn-write-past-ram")) {
        result(a, "error", sbi_call(SBI_EXT_DBCN, SBI_DBCN_WRITE, 64, RAM + RAM_SIZE - 16, 0, 0, 0, 0).error);
    } else if (IS("dbcn-write-wrapping")) {
        result(a, "error", sbi_call(SBI_EXT_DBCN, SBI_DBCN_WRITE, 100, ~0ul - 10, 0, 0, 0, 0).error);
    } else if (IS("dbcn-read-outside-ram")) {
        result(a, "error", sbi_call(SBI_EXT_DBCN, SBI_DBCN_READ, 16, 0x1000, 0, 0, 0, 0).error);
    } else if (IS("blk-buffer-past-ram")) {
        req = (struct hv_blk_req){ HV_BLK_READ, 0x77, 0, RAM + RAM_SIZE - 512, 4096 };
        r = hc(HV_FID_BLK_SUBMIT, (unsigned long)&req, 1, 0);
        result(a, "error", r.error);
        result(a, "status", req.status);
    } else if (IS("blk-array-wrapping")) {
        result(a, "error", hc(HV_FID_BLK_SUBMIT, ~0ul - 15, 2, 0).error);
    } else if (IS("blk-sector-past-disk")) {
        req = (struct hv_blk_req){ HV_BLK_WRITE, 0x77, ~0ul - 3, (unsigned long)buf, 4096 };
        r = hc(HV_FID_BLK_SUBMIT, (unsigned long)&req, 1, 0);
        result(a, "error", r.error);
        result(a, "status", req.status);
    /* ---- SBI calls with arguments out of range ---- */
    } else if (IS("hsm-start-bad-hart")) {
        result(a, "error", sbi_call(SBI_EXT_HSM, SBI_HSM_HART_START, 7, RAM, 0, 0, 0, 0).error);
    } else if (IS("hsm-start-hostile-entry")) {
        result(a, "error", sbi_call(SBI_EXT_HSM, SBI_HSM_HART_START, 1, 0xffffffffc0000000ul, 0, 0, 0, 0).error);
    } else if (IS("hsm-suspend-bad-type")) {
        result(a, "error", sbi_call(SBI_EXT_HSM, 3, 0x12345678, 0, 0, 0, 0, 0).error);
    } else if (IS("ipi-bad-mask")) {
        result(a, "error", sbi_call(SBI_EXT_IPI, 0, 1ul << 63, 0, 0, 0, 0, 0).error);
    } else if (IS("rfence-bad-base")) {
        result(a, "error", sbi_call(SBI_EXT_RFENCE, 1, 1, 1000, 0, 0, 0, 0).error);
    } else if (IS("legacy-ipi-bad-pointer")) {
        result(a, "error", sbi_call(SBI_EXT_LEGACY_SEND_IPI, 0, 0x1000, 0, 0, 0, 0, 0).error);
    } else if (IS("srst-reserved-type")) {
        result(a, "error", sbi_call(SBI_EXT_SRST, SBI_SRST_SYSTEM_RESET, 0x1234, 0, 0, 0, 0, 0).error);
    /* ---- CSRs and instructions a guest may not use ---- */
    } else if (IS("csr-hstatus")) {
        result(a, "cause", csr_probe(0));
    } else if (IS("csr-mstatus")) {
        result(a, "cause", csr_probe(1));
    } else if (IS("csr-unknown")) {
        result(a, "cause", csr_probe(2));
    } else if (IS("mret")) {
        result(a, "cause", csr_probe(3));
    } else if (IS("hlv")) {
        result(a, "cause", csr_probe(4));
    } else if (IS("illegal-zero")) {
        result(a, "cause", csr_probe(5));
    } else if (IS("satp-bad-mode")) {
        uint64_t before, after;
        __asm__ volatile("csrr %0, satp" : "=r"(before));
        __asm__ volatile("csrw satp, %0" : : "r"(15ul << 60));
        __asm__ volatile("csrr %0, satp" : "=r"(after));
        result(a, "unchanged", before == after);
    /* ---- guests that never yield, loop in their trap handler, sleep for ever, flood ---- */
    } else if (IS("spin-interrupts-off")) {
        spin_for(500000, true); /* 50 ms of its time with its interrupts off */
        __asm__ volatile("csrsi sstatus, 2");
        result(a, "spun", 1);
    } else if (IS("trap-loop")) {
        __asm__ volatile("csrw stvec, %0" : : "r"(0xc8000000ul)); /* mapped nowhere */
        __asm__ volatile("ebreak");
        result(a, "returned", 1);
    } else if (IS("wfi-forever")) {
        __asm__ volatile("csrci sstatus, 2\n csrw sie, zero\n wfi" ::: "memory");
        result(a, "woke", 1);
    } else if (IS("log-flood")) {
        /* Stores to a validated table, each refused with a page fault and, on the trap engine, a log
         * line: the hypervisor's log about it must stay within its rate, not one line per store. */
        build_and_pin();
        volatile uint64_t *f = (volatile uint64_t *)SPARE;
        memset((void *)SPARE, 0, 4096);
        update1(L1 + 8 * 9, PTE(SPARE, 0));
        at_faults = 0;
        for (unsigned i = 0; i < 2000; i++) {
            f[i % 512] = 0;
        }
        result(a, "stores-done", 1);
    } else if (IS("reboot-storm")) {
        /* Reboots itself 200 times (RAM keeps a count across reboots, as on a board), each a log
         * line the hypervisor must rate-limit. */
        volatile uint64_t *count = (volatile uint64_t *)STORM_COUNT;
        if (count[0] != STORM_MAGIC) {
            count[0] = STORM_MAGIC;
            count[1] = 0;
        }
        if (count[1] < 200) {
            count[1]++;
            sbi_call(SBI_EXT_SRST, SBI_SRST_SYSTEM_RESET, SBI_SRST_TYPE_WARM_REBOOT, 0, 0, 0, 0, 0);
        }
        result(a, "reboots", (long)count[1]);
    } else if (IS("hsm-suspend-forever")) {
        __asm__ volatile("csrci sstatus, 2\n csrw sie, zero" ::: "memory");
        sbi_call(SBI_EXT_HSM, 3, 0, 0, 0, 0, 0, 0); /* the default retentive suspend */
        result(a, "woke", 1);
    } else if (IS("console-flood")) {
        memset(buf, 'x', sizeof(buf));
        for (unsigned i = 63; i < sizeof(buf); i += 64) {
            buf[i] = '\n';
        }
        uint64_t end = csr_time() + 300000, bytes = 0;
        while (csr_time() < end) {
            bytes += (uint64_t)sbi_call(SBI_EXT_DBCN, SBI_DBCN_WRITE, sizeof(buf), (unsigned long)buf, 0, 0,
                                        0, 0).value;
        }
        kputs("\n"); /* its share may have ended in the middle of a line */
        result(a, "flooded", bytes > 0);
    } else if (!attack_virtio(a) && !attack_tables(a) && !attack_emul(a) && !attack_storms(a) &&
               !attack_vpage(a) && !attack_budget(a)) {
        /* The newer classes live in guest-pv/progs/attack/ */
        kprintf("attack: unknown case '%s'\n", a);
    }
}

void guest_main(unsigned long hartid, unsigned long dtb)
{
    (void)hartid;
    (void)dtb;
    const char *a = bootarg("attack");
    char name[48];
    size_t n = 0;

    struct sbiret f = hc(HV_FID_PROBE, 0, 0, 0);
    mo = (uint64_t)hc(HV_FID_MACHINE_OFFSET, 0, 0, 0).value;
    ubit = ((uint64_t)f.value & HV_FEAT_USER_ROOT) ? PTE_U : 0;
    trap_set_hook(at_fault_hook);
    at_init();
    while (a && a[n] && a[n] != ' ' && n + 1 < sizeof(name)) {
        name[n] = a[n];
        n++;
    }
    name[n] = '\0';
    /* Let the canary get going first, so that it is seen running before, during and after (once:
     * reboot-storm comes back here after each of its reboots). */
    if (*(volatile uint64_t *)STORM_COUNT != STORM_MAGIC) {
        spin_for(20000, false);
    }
    kprintf("attack: %s: start\n", name);
    run(name);
    kprintf("attack: %s: end\n", name);
}
