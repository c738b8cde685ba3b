// SPDX-License-Identifier: MIT
// The attack pack: one hostile action per boot (bootarg attack=NAME), each of which the hypervisor
// must refuse or contain while a canary guest keeps running. The cases follow past hypervisor bugs
// (Xen's PV MMU advisories above all). The program says what it got back ("attack: NAME: result X"),
// or says nothing more when the hypervisor stops it; tests/e2e/test_attack.py holds the expectations.
#include <string.h>

#include "guest.h"
#include "virtio.h"
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
#define VPAGE (TABLES + 0x8000) /* a vCPU page (HV_FID_VCPU_PAGE) */
#define VA_PROBE 0xc0000000ul /* a free slot of its own native tables */
#define RWX (PTE_R | PTE_W | PTE_X | PTE_A | PTE_D)
#define RW (PTE_R | PTE_W | PTE_A | PTE_D)
#define RO (PTE_R | PTE_A)

static uint64_t mo, ubit;
static volatile uint64_t faults, fault_cause, fault_tval;
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

/* One call exactly as made, cut or not (the work-per-exit cases look at each). */
static struct sbiret hc_once(unsigned long fid, unsigned long a0, unsigned long a1)
{
    return sbi_call(HV_EXT, fid, a0, a1, 0, 0, 0, 0);
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

/* Faults the program provokes on purpose come here: note them and step over the instruction. */
static bool hook(struct trap_frame *f, uint64_t cause, uint64_t tval)
{
    (void)tval;
    if (cause & CAUSE_IRQ) {
        return false;
    }
    faults++;
    fault_cause = cause;
    fault_tval = tval;
    if (cause == 1 || cause == EXC_INSN_PF) {
        f->sepc = f->x[1]; /* a fetch fault: the call that jumped there returns */
        return true;
    }
    uint16_t lo = *(const uint16_t *)f->sepc;
    f->sepc += (lo & 3) == 3 ? 4 : 2;
    return true;
}

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

/* ---- work per exit: calls whose work a guest chooses, made again until done ---- */

/* A tree whose validation is long, in RAM the guest's own tree does not map writable: a root
 * (pinned empty) and a level-1 table naming 512 level-0 tables, each full of writable leaves (the
 * dearest entries to check and to drop). Linking the table into the root validates 513 tables
 * (262,656 entries), unlinking it drops them. */
#define BIG_ROOT (RAM + 12 * MB)
#define BIG_L1 (BIG_ROOT + 0x1000)
#define BIG_L0 (BIG_ROOT + 0x2000)
#define TOGGLES 8
/* Where block reads land: after the big tree. */
#define BLK_BUF (RAM + 15 * MB)

static uint64_t calls, longest_call, total_calls;

/* One hypercall, its cost as the guest sees it (instret around it: exact under -icount). */
static struct sbiret timed(unsigned long fid, unsigned long a0, unsigned long a1)
{
    uint64_t t0 = csr_instret();
    struct sbiret r = hc_once(fid, a0, a1);
    uint64_t t = csr_instret() - t0;
    longest_call = t > longest_call ? t : longest_call;
    total_calls += t;
    calls++;
    return r;
}

static void report_calls(const char *name)
{
    kprintf("attack: %s: %lu calls, %lu instructions each on average (the longest, %lu, may hold "
            "another guest's time slice)\n",
            name,
            (unsigned long)calls,
            (unsigned long)(total_calls / (calls ? calls : 1)),
            (unsigned long)longest_call);
}

static void big_tree(void)
{
    memset((void *)BIG_ROOT, 0, 2 * 4096);
    for (uint64_t i = 0; i < 512; i++) {
        ((uint64_t *)BIG_L1)[i] = PTE(BIG_L0 + i * 0x1000, 0);
        for (uint64_t j = 0; j < 512; j++) {
            ((uint64_t *)(BIG_L0 + i * 0x1000))[j] = PTE(BLK_BUF + (j % 16) * 0x1000, RW);
        }
    }
}

/* updates[] = the big table linked into slot 3 of the big root and unlinked, TOGGLES times. */
static struct hv_mmu_update *toggles(void)
{
    static struct hv_mmu_update u[2 * TOGGLES];
    for (unsigned k = 0; k < TOGGLES; k++) {
        u[2 * k] = (struct hv_mmu_update){ MA(BIG_ROOT) + 8 * 3, PTE(BIG_L1, 0) };
        u[2 * k + 1] = (struct hv_mmu_update){ MA(BIG_ROOT) + 8 * 3, 0 };
    }
    return u;
}

/* A batch made again with the rest until it is done (what hv_call does), counting the calls. */
static long batch_all(unsigned long fid, void *array, unsigned long n, unsigned long size,
                      uint64_t *done)
{
    *done = 0;
    while (*done < n) {
        struct sbiret r = timed(fid, (unsigned long)array + *done * size, n - *done);
        if (r.error) {
            return r.error;
        }
        *done += (uint64_t)r.value;
    }
    return 0;
}

/* A multicall made again from the call it stopped at, that call's batch advanced by what it did. */
static long multicall_all(struct hv_multicall *mc, unsigned n, uint64_t *done)
{
    *done = 0;
    while (*done < n) {
        struct sbiret r = timed(HV_FID_MULTICALL, (unsigned long)&mc[*done], n - *done);
        if (r.error) {
            return r.error;
        }
        *done += (uint64_t)r.value;
        if (*done < n) {
            struct hv_multicall *c = &mc[*done];
            unsigned long size = c->fid == HV_FID_MMU_UPDATE ? sizeof(struct hv_mmu_update)
                                                             : sizeof(struct hv_blk_req);
            c->args[0] += c->value * size;
            c->args[1] -= c->value;
        }
    }
    return 0;
}

/* The emulated virtio-blk device (VM_VBLK_BASE), driven here without the kernel's driver. */
#define VBLK ((volatile uint32_t *)0x10001000ul)
#define VQ 128
static struct virtq_desc vq_desc[VQ] __attribute__((aligned(16)));
static struct
{
    uint16_t flags, idx, ring[VQ], used_event;
} vq_avail __attribute__((aligned(2)));
static struct
{
    uint16_t flags, idx;
    struct virtq_used_elem ring[VQ];
    uint16_t avail_event;
} vq_used __attribute__((aligned(4)));
static struct virtio_blk_req_hdr vq_hdr;
static uint8_t vq_status[VQ];

static void vq_setup(void)
{
    VBLK[VIRTIO_MMIO_STATUS / 4] = 0;
    VBLK[VIRTIO_MMIO_STATUS / 4] = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;
    VBLK[VIRTIO_MMIO_DRIVER_FEATURES_SEL / 4] = 1;
    VBLK[VIRTIO_MMIO_DRIVER_FEATURES / 4] = 1; /* VIRTIO_F_VERSION_1 */
    VBLK[VIRTIO_MMIO_STATUS / 4] =
      VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK;
    VBLK[VIRTIO_MMIO_QUEUE_SEL / 4] = 0;
    VBLK[VIRTIO_MMIO_QUEUE_NUM / 4] = VQ;
    VBLK[VIRTIO_MMIO_QUEUE_DESC_LOW / 4] = (uint32_t)(uint64_t)vq_desc;
    VBLK[VIRTIO_MMIO_QUEUE_DRIVER_LOW / 4] = (uint32_t)(uint64_t)&vq_avail;
    VBLK[VIRTIO_MMIO_QUEUE_DEVICE_LOW / 4] = (uint32_t)(uint64_t)&vq_used;
    VBLK[VIRTIO_MMIO_QUEUE_READY / 4] = 1;
    VBLK[VIRTIO_MMIO_STATUS / 4] = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                                   VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK;
}

/* Makes heads[0..VQ) available with one notify, then waits (up to a second) for the device, which
 * may take several of our exits; returns how many it completed. */
static unsigned vq_kick_all(const uint16_t *heads)
{
    for (unsigned i = 0; i < VQ; i++) {
        vq_avail.ring[i] = heads[i];
    }
    __asm__ volatile("fence rw, rw" ::: "memory");
    vq_avail.idx = VQ;
    __asm__ volatile("fence rw, rw" ::: "memory");
    uint64_t t0 = csr_instret();
    VBLK[VIRTIO_MMIO_QUEUE_NOTIFY / 4] = 0;
    longest_call = csr_instret() - t0;
    uint64_t end = csr_time() + 10000000;
    while (*(volatile uint16_t *)&vq_used.idx != VQ && csr_time() < end) {
    }
    __asm__ volatile("fence rw, rw" ::: "memory");
    return *(volatile uint16_t *)&vq_used.idx;
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

static USER_TEXT void user_exit_stub(void)
{
    sys_call(SYS_EXIT, 0, 0);
}

static bool user_hook(struct trap_frame *f, uint64_t cause, uint64_t tval)
{
    if (cause & CAUSE_IRQ || (f->sstatus & (1ul << 8))) {
        return hook(f, cause, tval);
    }
    if (cause == EXC_U_ECALL && f->x[17] == HV_EXT) {
        /* A hypercall from user mode (vpage-return-from-user): it must arrive here, as a system call. */
        faults++;
        fault_cause = cause;
        f->sepc = (uint64_t)user_exit_stub;
        return true;
    }
    if (cause == EXC_U_ECALL) {
        return false; /* its system calls */
    }
    /* From user mode: the task's fault is the kernel's to handle; it ends the task. */
    faults++;
    fault_cause = cause;
    f->sepc = (uint64_t)user_exit_stub;
    return true;
}

/* User code asking for the kernel's return: a7/a6 name the return hypercall. */
static USER_TEXT void user_trap_return(long arg)
{
    (void)arg;
    register long a6 __asm__("a6") = HV_FID_TRAP_RETURN;
    register long a7 __asm__("a7") = HV_EXT;
    __asm__ volatile("ecall" : "+r"(a6), "+r"(a7) : : "a0", "a1", "memory");
    sys_call(SYS_EXIT, 0, 0);
}

/* vpage-concurrent-rewrite: the second vCPU rewrites the first one's page with noise while the first
 * takes traps and makes calls that read it. */
static volatile uint64_t rewrite_stop, rewrites;
static uint8_t rewriter_stack[4096] __attribute__((aligned(16)));

static void rewriter(unsigned long hartid)
{
    volatile struct hv_vcpu_page *vp = (volatile struct hv_vcpu_page *)VPAGE;
    uint64_t x = 0x9e3779b97f4a7c15ul ^ hartid;

    while (!rewrite_stop) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        vp->irq_on = x & 1;
        vp->irq_pending = x;
        vp->sepc = x;
        vp->sstatus = x;
        vp->kernel_sp = x;
        vp->kernel_tp = ~x;
        vp->ret_pc = x;
        vp->ret_status = x;
        rewrites++;
    }
}

/* The vCPU page cases (docs/hypercalls.md, "The vCPU page"); on hext every call is NOT_SUPPORTED. */
static void vpage_cases(const char *a)
{
    volatile struct hv_vcpu_page *vp = (volatile struct hv_vcpu_page *)VPAGE;
    struct sbiret r;

    if (strcmp(a, "vpage-bad-address") == 0) {
        result(a, "unaligned", hc(HV_FID_VCPU_PAGE, VPAGE + 8, 0, 0).error);
        result(a, "outside-ram", hc(HV_FID_VCPU_PAGE, 0x1000, 0, 0).error);
        result(a, "past-ram", hc(HV_FID_VCPU_PAGE, RAM + RAM_SIZE, 0, 0).error);
        result(a, "wrapping", hc(HV_FID_VCPU_PAGE, ~0ul & ~0xffful, 0, 0).error);
    } else if (strcmp(a, "vpage-in-table") == 0) {
        /* A validated table may not be registered; a page registered and then made a table is
         * dropped, not written: the next forwarded trap leaves the table as it was. */
        unsigned long sie;
        build_and_pin();
        result(a, "root", hc(HV_FID_VCPU_PAGE, ROOT, 0, 0).error);
        /* Interrupts masked and none enabled: what each exit writes to the page is then zeros, so
         * the zeroed frame passes validation as a table. */
        __asm__ volatile("csrrw %0, sie, zero\n csrci sstatus, 2" : "=r"(sie) : : "memory");
        result(a, "spare", hc(HV_FID_VCPU_PAGE, SPARE, 0, 0).error);
        memset((void *)SPARE, 0, 4096);
        result(a, "retype", update1(L1 + 8 * 9, PTE(SPARE, 0)));
        faults = 0;
        __asm__ volatile("ebreak");
        long written = 0;
        for (unsigned i = 0; i < 512; i++) {
            written += ((volatile uint64_t *)SPARE)[i] != 0;
        }
        result(a, "table-words-written", written);
        result(a, "trap-taken", (long)faults);
        __asm__ volatile("csrw sie, %0\n csrsi sstatus, 2" : : "r"(sie) : "memory");
    } else if (strcmp(a, "vpage-forged-pending") == 0) {
        /* Pending bits the guest writes itself deliver nothing, and are overwritten. */
        unsigned long sie;
        __asm__ volatile("csrrw %0, sie, zero" : "=r"(sie));
        memset((void *)VPAGE, 0, 4096);
        r = hc(HV_FID_VCPU_PAGE, VPAGE, 0, 0);
        result(a, "register", r.error);
        uint64_t ticks = timer_ticks;
        vp->irq_on = 1;
        vp->irq_pending = 0x222;
        hc(HV_FID_IRQ_CHECK, 0, 0, 0);
        result(a, "pending-after", r.error ? 0 : (long)vp->irq_pending);
        result(a, "irqs-taken", (long)(timer_ticks - ticks));
        hc(HV_FID_VCPU_PAGE, 0, 0, 0);
        __asm__ volatile("csrw sie, %0\n csrsi sstatus, 2" : : "r"(sie));
    } else if (strcmp(a, "vpage-return-bad-pc") == 0) {
        /* A return to a pc in the hypervisor's alias, odd: the guest faults there, on its own. */
        unsigned long st;
        memset((void *)VPAGE, 0, 4096);
        result(a, "register", hc(HV_FID_VCPU_PAGE, VPAGE, 0, 0).error);
        __asm__ volatile("csrr %0, sstatus" : "=r"(st));
        vp->ret_pc = 0xffffffffc0000001ul;
        vp->ret_status = st | HV_VP_SPP | HV_VP_SPIE;
        faults = 0;
        fault_tval = 0;
        __asm__ volatile("la ra, 1f\n li a7, %0\n li a6, %1\n ecall\n 1:"
                         : : "i"(HV_EXT), "i"(HV_FID_TRAP_RETURN) : "ra", "a0", "a1", "a6", "a7", "memory");
        result(a, "fault-cause", faults ? (long)fault_cause : -1);
        result(a, "fault-pc-odd", (long)(fault_tval & 1));
        hc(HV_FID_VCPU_PAGE, 0, 0, 0);
    } else if (strcmp(a, "vpage-concurrent-rewrite") == 0) {
        /* No interrupt enabled on this vCPU: the noise in irq_on then decides nothing, and what is
         * left to read is what every trap and call reads; the hypervisor must read each field once
         * and go on, whatever it finds. */
        unsigned long sie;
        __asm__ volatile("csrrw %0, sie, zero" : "=r"(sie));
        memset((void *)VPAGE, 0, 4096);
        result(a, "register", hc(HV_FID_VCPU_PAGE, VPAGE, 0, 0).error);
        result(a, "start", start_secondary(1, rewriter, rewriter_stack + sizeof(rewriter_stack)));
        while (rewrites == 0) {
        }
        faults = 0;
        for (unsigned i = 0; i < 2000; i++) {
            __asm__ volatile("ebreak");
            hc(HV_FID_IRQ_CHECK, 0, 0, 0);
        }
        rewrite_stop = 1;
        result(a, "traps", (long)faults);
        result(a, "rewrites-seen", rewrites > 0);
        hc(HV_FID_VCPU_PAGE, 0, 0, 0);
        __asm__ volatile("csrw sie, %0\n csrsi sstatus, 2" : : "r"(sie));
    } else if (strcmp(a, "vpage-return-from-user") == 0) {
        trap_set_hook(user_hook);
        faults = 0;
        task_create(user_trap_return, 0);
        task_run_all();
        result(a, "cause", faults ? (long)fault_cause : -1);
    }
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
    faults = 0;
    switch (which) {
    case 0: __asm__ volatile("csrr %0, 0x600" : "=r"(v)); break; /* hstatus */
    case 1: __asm__ volatile("csrr %0, 0x300" : "=r"(v)); break; /* mstatus */
    case 2: __asm__ volatile("csrw 0x15d, %0" : : "r"(v)); break; /* an S-level CSR that does not exist */
    case 3: __asm__ volatile(".word 0x30200073"); break; /* mret */
    case 4: __asm__ volatile(".word 0x6c004073"); break; /* hlv.d zero, (zero) */
    default: __asm__ volatile(".word 0x00000000"); break; /* the all-zero illegal instruction */
    }
    (void)v;
    return faults ? (long)fault_cause : -1;
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
        faults = 0;
        *alias = 2; /* through a stale translation this would land in the frame */
        __asm__ volatile("csrw satp, %0\n sfence.vma" : : "r"(native) : "memory");
        result(a, "stale-write-faulted", (long)faults);
        memset((void *)SPARE, 0, 4096);
        result(a, "pin-after-unmap", hv_call(HV_FID_PIN_TABLE, MA(SPARE), 0, 0).error);
    } else if (IS("shadow-writable-then-typed")) {
        /* A frame its shadow maps writable becomes a validated table: the mapping must go. */
        build_and_pin();
        volatile uint64_t *f = (volatile uint64_t *)SPARE;
        memset((void *)SPARE, 0, 4096);
        result(a, "typed", update1(L1 + 8 * 9, PTE(SPARE, 0)));
        faults = 0;
        f[0] = ((0x80200000ul >> 12) << 10) | PTE_V | PTE_R | PTE_W | PTE_A | PTE_D | ubit;
        result(a, "store-faulted", (long)faults);
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
        faults = 0;
        ((volatile uint64_t *)t)[1] = ((0x80200000ul >> 12) << 10) | PTE_V | PTE_R | PTE_W | PTE_A | PTE_D | ubit;
        result(a, "store-faulted", (long)faults);
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
        faults = 0;
        *(volatile uint8_t *)0xc0000000ul = 'Z';
        result(a, "access-fault", faults == 1 ? (long)fault_cause : -1);
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
        /* ---- work per exit (the hypervisor bounds each; the guest continues what it cut) ---- */
    } else if (IS("ptval-toggle")) {
        /* XSA-264/290 class: each link validates 513 tables, each unlink drops them. */
        big_tree();
        result(a, "pin", hv_call(HV_FID_PIN_TABLE, MA(BIG_ROOT), 0, 0).error);
        uint64_t done;
        result(a,
               "error",
               batch_all(
                 HV_FID_MMU_UPDATE, toggles(), 2 * TOGGLES, sizeof(struct hv_mmu_update), &done));
        result(a, "done", (long)done);
        result(a, "unlinked", ((volatile uint64_t *)BIG_ROOT)[3] == 0);
        result(a, "unpin", hv_call(HV_FID_UNPIN_TABLE, MA(BIG_ROOT), 0, 0).error);
        report_calls(a);
    } else if (IS("ptval-toggle-multicall")) {
        big_tree();
        result(a, "pin", hv_call(HV_FID_PIN_TABLE, MA(BIG_ROOT), 0, 0).error);
        static struct hv_multicall tm[HV_MULTICALL_MAX];
        struct hv_mmu_update *u = toggles();
        for (unsigned c = 0; c < HV_MULTICALL_MAX; c++) {
            tm[c] = (struct hv_multicall){ .fid = HV_FID_MMU_UPDATE,
                                           .args = { (unsigned long)(u + 2 * (c % TOGGLES)), 2 } };
        }
        uint64_t done;
        result(a, "error", multicall_all(tm, TOGGLES, &done));
        result(a, "calls", (long)done);
        result(a, "unlinked", ((volatile uint64_t *)BIG_ROOT)[3] == 0);
        report_calls(a);
    } else if (IS("ptval-never-continues")) {
        /* The link is cut and never made again: the guest ends with the walk in progress. */
        big_tree();
        result(a, "pin", hv_call(HV_FID_PIN_TABLE, MA(BIG_ROOT), 0, 0).error);
        r = timed(HV_FID_MMU_UPDATE, (unsigned long)toggles(), 1);
        result(a, "cut", r.error == 0 && r.value == 0);
        result(a, "linked", ((volatile uint64_t *)BIG_ROOT)[3] != 0);
        /* Another call waits for that walk: each exit does a share, none does it all. */
        r = timed(HV_FID_PIN_TABLE, MA(SPARE), 0);
        result(a, "next-call-waits", r.error == 0 && r.value == 0);
    } else if (IS("blk-multicall-flood")) {
        /* 64 block batches of 8 requests, each a 64 KiB read: 32 MiB for one trap as it was. */
        static struct hv_blk_req reqs[8];
        static struct hv_multicall bm[HV_MULTICALL_MAX];
        for (unsigned k = 0; k < 8; k++) {
            reqs[k] = (struct hv_blk_req){ HV_BLK_READ, 0x77, 0, BLK_BUF, HV_BLK_LEN_MAX };
        }
        for (unsigned c = 0; c < HV_MULTICALL_MAX; c++) {
            bm[c] =
              (struct hv_multicall){ .fid = HV_FID_BLK_SUBMIT, .args = { (unsigned long)reqs, 8 } };
        }
        uint64_t done;
        result(a, "error", multicall_all(bm, HV_MULTICALL_MAX, &done));
        result(a, "calls", (long)done);
        result(a, "statuses-ok", reqs[0].status == HV_BLK_OK && reqs[7].status == HV_BLK_OK);
        report_calls(a);
    } else if (IS("virtio-descriptor-flood")) {
        /* 128 requests, each a chain of the whole table: 128 descriptors, 126 of them as long as
         * RAM and device-writable. Once the validator's frame table exists (a plain write through
         * MMU_UPDATE makes it), each such descriptor was checked frame by frame: 64 million frames
         * for one notify. Each request has more segments than the device takes: an I/O error. */
        update1(DATA, 0);
        vq_setup();
        vq_hdr = (struct virtio_blk_req_hdr){ VIRTIO_BLK_T_IN, 0, 0 };
        vq_desc[0] = (struct virtq_desc){ (uint64_t)&vq_hdr, sizeof vq_hdr, VIRTQ_DESC_F_NEXT, 1 };
        for (uint16_t i = 1; i < VQ - 1; i++) {
            vq_desc[i] = (struct virtq_desc){
                RAM, RAM_SIZE, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, (uint16_t)(i + 1)
            };
        }
        vq_desc[VQ - 1] = (struct virtq_desc){ (uint64_t)vq_status, 1, VIRTQ_DESC_F_WRITE, 0 };
        static const uint16_t heads[VQ];
        vq_status[0] = 0x77;
        result(a, "completed", vq_kick_all(heads));
        result(a, "status-ioerr", vq_status[0] == VIRTIO_BLK_S_IOERR);
        kprintf("attack: %s: the notify took %lu instructions\n", a, (unsigned long)longest_call);
    } else if (IS("virtio-big-reads")) {
        /* 128 reads of the whole disk (128 KiB) in one notify: 16 MiB to copy for it as it was. */
        vq_setup();
        static uint16_t heads[VQ];
        vq_hdr = (struct virtio_blk_req_hdr){ VIRTIO_BLK_T_IN, 0, 0 };
        for (uint16_t k = 0; k < VQ / 3; k++) {
            uint16_t d = (uint16_t)(3 * k);
            vq_desc[d] = (struct virtq_desc){
                (uint64_t)&vq_hdr, sizeof vq_hdr, VIRTQ_DESC_F_NEXT, (uint16_t)(d + 1)
            };
            vq_desc[d + 1] = (struct virtq_desc){
                BLK_BUF, 256 * 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, (uint16_t)(d + 2)
            };
            vq_desc[d + 2] =
              (struct virtq_desc){ (uint64_t)&vq_status[k], 1, VIRTQ_DESC_F_WRITE, 0 };
        }
        for (unsigned i = 0; i < VQ; i++) {
            heads[i] = (uint16_t)(3 * (i % (VQ / 3)));
        }
        result(a, "completed", vq_kick_all(heads));
        bool ok = true;
        for (unsigned k = 0; k < VQ / 3; k++) {
            ok &= vq_status[k] == VIRTIO_BLK_S_OK;
        }
        result(a, "statuses-ok", ok);
        kprintf("attack: %s: the notify took %lu instructions\n", a, (unsigned long)longest_call);
        /* ---- memory that is not its own ---- */
    } else if (IS("load-past-ram")) {
        map_native(VA_PROBE, 0x9f000000ul, PTE_R);
        faults = 0;
        (void)*(volatile uint64_t *)VA_PROBE;
        result(a, "access-fault", faults == 1 ? (long)fault_cause : -1);
    } else if (IS("store-below-ram")) {
        map_native(VA_PROBE, 0x7fff0000ul, PTE_R | PTE_W);
        faults = 0;
        *(volatile uint64_t *)VA_PROBE = 1;
        result(a, "access-fault", faults == 1 ? (long)fault_cause : -1);
    } else if (IS("fetch-past-ram")) {
        map_native(VA_PROBE, 0x90000000ul, PTE_R | PTE_X);
        faults = 0;
        ((void (*)(void))VA_PROBE)();
        result(a, "access-fault", faults == 1 ? (long)fault_cause : -1);
    } else if (IS("load-address-zero")) {
        map_native(VA_PROBE, 0, PTE_R);
        faults = 0;
        (void)*(volatile uint64_t *)VA_PROBE;
        result(a, "access-fault", faults == 1 ? (long)fault_cause : -1);
    } else if (IS("load-unassigned-mmio")) {
        map_native(VA_PROBE, 0x10002000ul, PTE_R);
        faults = 0;
        (void)*(volatile uint32_t *)VA_PROBE;
        result(a, "access-fault", faults == 1 ? (long)fault_cause : -1);
    } else if (IS("plic-bad-width")) {
        faults = 0;
        *(volatile uint16_t *)0x0c000004ul = 1; /* the device slot of its native tables */
        result(a, "access-fault", faults == 1 ? (long)fault_cause : -1);
    } else if (IS("read-hypervisor-alias")) {
        faults = 0;
        p = (volatile uint64_t *)0xffffffffc0000000ul;
        (void)*p;
        result(a, "faulted-in-guest", (long)faults);
    } else if (IS("user-reads-kernel")) {
        trap_set_hook(user_hook);
        faults = 0;
        task_create(user_read, (long)&secret);
        task_run_all();
        result(a, "faulted-in-guest", (long)faults);
    } else if (strncmp(a, "vpage-", 6) == 0) {
        vpage_cases(a);
    } else if (IS("user-wfi")) {
        trap_set_hook(user_hook);
        faults = 0;
        task_create(user_wfi, 0);
        task_run_all();
        result(a, "cause", (long)fault_cause);
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
        faults = 0;
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
               !attack_vpage(a)) {
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
    trap_set_hook(hook);
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
