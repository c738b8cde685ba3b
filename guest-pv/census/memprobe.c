// SPDX-License-Identifier: MIT
// Probes of memory semantics that depend on the mode: U bit, SUM and MXR on loads, stores and
// fetches from S and U; A/D updates; reserved PTE bits; superpages; misaligned accesses;
// sfence.vma; LR/SC; cache-block operations and FP state from S-mode.
#include "census.h"

extern char u_load[], u_store[], u_fetch[];

static void fence_va(uint64_t va)
{
    __asm__ volatile("sfence.vma %0, zero" : : "r"(va) : "memory");
}

static void set_pte(uint64_t *pte, uint64_t val, uint64_t va)
{
    *pte = val;
    fence_va(va);
}

/* One access from S-mode: 'l' load, 's' store, 'x' fetch (a call that returns 42). */
static const char *s_access(char kind, uint64_t va, char *b, size_t n)
{
    uint64_t v = 0;

    trap_arm();
    if (kind == 'l') {
        __asm__ volatile("ld %0, 0(%1)" : "+r"(v) : "r"(va) : "memory");
    } else if (kind == 's') {
        __asm__ volatile("sd %0, 0(%1)" : : "r"(v), "r"(va) : "memory");
    } else {
        v = s_call(va);
    }
    trap_disarm();
    if (!last_trap.taken && kind == 'x' && v != 42) {
        fmt_sn(b, n, "ran, but returned %lu", v);
        return b;
    }
    return trap_brief(b, n);
}

static const char *u_access(char kind, uint64_t va, char *b, size_t n)
{
    const char *snippet = kind == 'l' ? u_load : kind == 's' ? u_store : u_fetch;
    struct trap_rec t = run_user(snippet, va, 0);

    if (t.taken && t.cause == EXC_U_ECALL) {
        if (kind == 'x' && t.a0 != 42) {
            fmt_sn(b, n, "ran, but returned %lu", t.a0);
            return b;
        }
        fmt_sn(b, n, "ok");
        return b;
    }
    return trap_str(b, n, &t);
}

static void access_probe(const char *name, bool user, char kind, unsigned slot,
                         uint64_t status_bits)
{
    char b[64];

    csr_set(CSR_SSTATUS, status_bits);
    const char *r = user ? u_access(kind, test_va(slot), b, sizeof(b))
                         : s_access(kind, test_va(slot), b, sizeof(b));
    csr_clear(CSR_SSTATUS, status_bits);
    probe(name, "%s", r);
}

static void permission_probes(void)
{
    access_probe("mem-s-load-kernel", false, 'l', SLOT_K_RW, 0);
    access_probe("mem-s-store-kernel", false, 's', SLOT_K_RW, 0);
    access_probe("mem-s-fetch-kernel", false, 'x', SLOT_K_RX, 0);
    access_probe("mem-s-load-user-sum0", false, 'l', SLOT_U_RW, 0);
    access_probe("mem-s-load-user-sum1", false, 'l', SLOT_U_RW, SSTATUS_SUM);
    access_probe("mem-s-store-user-sum0", false, 's', SLOT_U_RW, 0);
    access_probe("mem-s-store-user-sum1", false, 's', SLOT_U_RW, SSTATUS_SUM);
    access_probe("mem-s-fetch-user-sum0", false, 'x', SLOT_U_RX, 0);
    access_probe("mem-s-fetch-user-sum1", false, 'x', SLOT_U_RX, SSTATUS_SUM);
    access_probe("mem-s-load-xonly-mxr0", false, 'l', SLOT_K_X, 0);
    access_probe("mem-s-load-xonly-mxr1", false, 'l', SLOT_K_X, SSTATUS_MXR);
    access_probe("mem-s-fetch-xonly", false, 'x', SLOT_K_X, 0);
    access_probe("mem-s-load-user-xonly-sum1-mxr1", false, 'l', SLOT_U_X,
                 SSTATUS_SUM | SSTATUS_MXR);
    access_probe("mem-s-store-readonly", false, 's', SLOT_K_R, 0);
    access_probe("mem-s-load-wonly", false, 'l', SLOT_W_ONLY, 0);
    access_probe("mem-s-load-invalid", false, 'l', SLOT_INVALID, 0);
    access_probe("mem-s-store-invalid", false, 's', SLOT_INVALID, 0);
    access_probe("mem-s-fetch-invalid", false, 'x', SLOT_INVALID, 0);
    access_probe("mem-u-load-kernel", true, 'l', SLOT_K_RW, 0);
    access_probe("mem-u-store-kernel", true, 's', SLOT_K_RW, 0);
    access_probe("mem-u-fetch-kernel", true, 'x', SLOT_K_RX, 0);
    access_probe("mem-u-load-kernel-sum1", true, 'l', SLOT_K_RW, SSTATUS_SUM);
    access_probe("mem-u-load-user", true, 'l', SLOT_U_RW, 0);
    access_probe("mem-u-store-user", true, 's', SLOT_U_RW, 0);
    access_probe("mem-u-fetch-user-nox", true, 'x', SLOT_U_RW, 0);
    access_probe("mem-u-fetch-user", true, 'x', SLOT_U_RX, 0);
    access_probe("mem-u-store-user-readonly", true, 's', SLOT_U_R, 0);
    access_probe("mem-u-load-user-xonly-mxr0", true, 'l', SLOT_U_X, 0);
    access_probe("mem-u-load-user-xonly-mxr1", true, 'l', SLOT_U_X, SSTATUS_MXR);
    access_probe("mem-u-load-invalid", true, 'l', SLOT_INVALID, 0);

    /* Sv39 addresses must sign-extend bit 38: this one does not (supervisor chapter, "Sv39"). */
    char b[64];
    probe("mem-s-load-noncanonical", "%s", s_access('l', 0x0000004000000000ull, b, sizeof(b)));
}

/* The A and D bits of a leaf after an access, with the hardware (or the hypervisor) updating them.
 */
static void ad_probe(const char *name, unsigned slot, uint64_t flags, bool user, char kind1,
                     char kind2)
{
    uint64_t *pte = test_pte(slot), va = test_va(slot);
    char b[64], r1[40], r2[40];

    set_pte(pte, test_leaf(slot, flags), va);
    const char *a = user ? u_access(kind1, va, b, sizeof(b)) : s_access(kind1, va, b, sizeof(b));
    fmt_sn(r1, sizeof(r1), "%s A=%lu D=%lu", a, (*pte >> 6) & 1, (*pte >> 7) & 1);
    r2[0] = '\0';
    if (kind2) {
        a = user ? u_access(kind2, va, b, sizeof(b)) : s_access(kind2, va, b, sizeof(b));
        fmt_sn(r2, sizeof(r2), ", then %c: %s A=%lu D=%lu", kind2, a, (*pte >> 6) & 1,
               (*pte >> 7) & 1);
    }
    set_pte(pte, 0, va);
    probe(name, "%c: %s%s", kind1, r1, r2);
}

static void ad_probes(void)
{
    ad_probe("mem-ad-s-load-store", SLOT_AD, PTE_R | PTE_W, false, 'l', 's');
    ad_probe("mem-ad-s-store-dirty", SLOT_D, PTE_R | PTE_W | PTE_A, false, 's', 0);
    ad_probe("mem-ad-s-fetch", SLOT_A_FETCH, PTE_R | PTE_X, false, 'x', 0);
    ad_probe("mem-ad-u-store", SLOT_U_AD, PTE_U | PTE_R | PTE_W, true, 's', 0);
}

/* Bits the spec reserves (or gives to extensions this hart lacks) in leaves and pointers. */
static void reserved_probes(void)
{
    static const struct {
        const char *name;
        uint64_t bits;
    } leaf[] = {
        { "mem-pte-reserved-bit54", 1ull << 54 },
        { "mem-pte-pbmt-bit61", 1ull << 61 },
        { "mem-pte-napot-bit63", 1ull << 63 },
        { "mem-pte-rsw-bits8-9", 3ull << 8 },
    };
    uint64_t *pte = test_pte(SLOT_RSV), va = test_va(SLOT_RSV);
    char b[64];

    for (unsigned i = 0; i < sizeof(leaf) / sizeof(leaf[0]); i++) {
        set_pte(pte, test_leaf(SLOT_RSV, PTE_R | PTE_W | PTE_A | PTE_D) | leaf[i].bits, va);
        probe(leaf[i].name, "%s", s_access('l', va, b, sizeof(b)));
        set_pte(pte, 0, va);
    }
    /* Pointers (non-leaf entries) with A, D or U set: reserved for future use (supervisor chapter).
     */
    static const struct {
        const char *name;
        uint64_t bits;
    } ptr[] = {
        { "mem-nonleaf-A", PTE_A },
        { "mem-nonleaf-D", PTE_D },
        { "mem-nonleaf-U", PTE_U },
    };
    uint64_t *l1 = mm_l1_test();
    for (unsigned i = 0; i < sizeof(ptr) / sizeof(ptr[0]); i++) {
        uint64_t *l0 = test_page(24 + i);
        unsigned idx = 3 + i;
        uint64_t pva = 0x40000000ull + ((uint64_t)idx << 21);
        l0[0] = test_leaf(SLOT_K_RW, PTE_R | PTE_W | PTE_A | PTE_D);
        l1[idx] = (((uint64_t)(uintptr_t)l0 >> 12) << 10) | PTE_V | ptr[i].bits;
        __asm__ volatile("sfence.vma" ::: "memory");
        probe(ptr[i].name, "%s", s_access('l', pva, b, sizeof(b)));
        l1[idx] = 0;
        __asm__ volatile("sfence.vma" ::: "memory");
    }
}

static void superpage_probes(void)
{
    uint64_t *l1 = mm_l1_test(), *root = mm_root();
    volatile uint64_t *target = (volatile uint64_t *)(uintptr_t)0x80601230ull;
    static volatile uint64_t marker = 0x5a5a1234abcdull;
    char b[64];
    uint64_t v = 0;

    /* A 2 MiB leaf over 0x80600000 (RAM the census does not otherwise use). */
    *target = 0x1122334455667788ull;
    l1[1] = ((0x80600000ull >> 12) << 10) | PTE_V | PTE_R | PTE_W | PTE_A | PTE_D;
    __asm__ volatile("sfence.vma" ::: "memory");
    trap_arm();
    __asm__ volatile("ld %0, 0(%1)" : "+r"(v) : "r"(0x40201230ull) : "memory");
    trap_disarm();
    probe("mem-superpage-2m", "%s",
          last_trap.taken              ? trap_brief(b, sizeof(b))
          : v == 0x1122334455667788ull ? "ok, reads the same RAM"
                                       : "ok, but other data");
    /* Its physical address one page off a 2 MiB boundary: a misaligned superpage. */
    l1[2] = ((0x80601000ull >> 12) << 10) | PTE_V | PTE_R | PTE_W | PTE_A | PTE_D;
    __asm__ volatile("sfence.vma" ::: "memory");
    probe("mem-superpage-2m-misaligned", "%s", s_access('l', 0x40400000ull, b, sizeof(b)));
    l1[1] = l1[2] = 0;

    /* A second 1 GiB leaf over RAM at 0xc0000000, and one misaligned by 2 MiB. */
    root[3] = ((0x80000000ull >> 12) << 10) | PTE_V | PTE_R | PTE_W | PTE_A | PTE_D;
    root[4] = ((0x80200000ull >> 12) << 10) | PTE_V | PTE_R | PTE_W | PTE_A | PTE_D;
    __asm__ volatile("sfence.vma" ::: "memory");
    uint64_t alias = (uint64_t)(uintptr_t)&marker - 0x80000000ull + 0xc0000000ull;
    v = 0;
    trap_arm();
    __asm__ volatile("ld %0, 0(%1)" : "+r"(v) : "r"(alias) : "memory");
    trap_disarm();
    probe("mem-superpage-1g", "%s",
          last_trap.taken ? trap_brief(b, sizeof(b))
          : v == marker   ? "ok, reads the same RAM"
                          : "ok, but other data");
    probe("mem-superpage-1g-misaligned", "%s", s_access('l', 0x100000000ull, b, sizeof(b)));
    root[3] = root[4] = 0;
    __asm__ volatile("sfence.vma" ::: "memory");
}

static void misaligned_probes(void)
{
    uint64_t va = test_va(SLOT_K_RW), v = 0;
    char b[64];

    trap_arm();
    __asm__ volatile("ld %0, 1(%1)" : "+r"(v) : "r"(va) : "memory");
    trap_disarm();
    probe("mem-misaligned-ld", "%s", trap_brief(b, sizeof(b)));
    trap_arm();
    __asm__ volatile("sd %0, 3(%1)" : : "r"(v), "r"(va) : "memory");
    trap_disarm();
    probe("mem-misaligned-sd", "%s", trap_brief(b, sizeof(b)));
    trap_arm();
    __asm__ volatile("amoadd.w %0, %0, (%1)" : "+r"(v) : "r"(va + 2) : "memory");
    trap_disarm();
    probe("mem-misaligned-amoadd.w", "%s", trap_brief(b, sizeof(b)));
    trap_arm();
    __asm__ volatile("lr.w %0, (%1)" : "=r"(v) : "r"(va + 2) : "memory");
    trap_disarm();
    probe("mem-misaligned-lr.w", "%s", trap_brief(b, sizeof(b)));

    /* Across a page boundary: into a mapped page, then into an unmapped one. */
    uint64_t cross = test_va(SLOT_CROSS) + 4092;
    uint64_t *next = test_pte(SLOT_CROSS + 1);
    set_pte(next, test_leaf(SLOT_CROSS + 1, PTE_R | PTE_W | PTE_A | PTE_D), cross + 4);
    trap_arm();
    __asm__ volatile("ld %0, 0(%1)" : "+r"(v) : "r"(cross) : "memory");
    trap_disarm();
    probe("mem-misaligned-cross-mapped", "%s", trap_brief(b, sizeof(b)));
    set_pte(next, 0, cross + 4);
    trap_arm();
    __asm__ volatile("ld %0, 0(%1)" : "+r"(v) : "r"(cross) : "memory");
    trap_disarm();
    probe("mem-misaligned-cross-unmapped", "%s", trap_brief(b, sizeof(b)));
    struct trap_rec t = run_user(u_load, test_va(SLOT_U_RW) + 1, 0);
    probe("mem-misaligned-u-ld", "%s", t.cause == EXC_U_ECALL ? "ok" : trap_str(b, sizeof(b), &t));
}

/* A changed leaf is used once sfence.vma names its address. */
static void sfence_probe(void)
{
    uint64_t *pte = test_pte(SLOT_REMAP), va = test_va(SLOT_REMAP);
    uint64_t *a = test_page(SLOT_PAGE_A), *bpg = test_page(SLOT_PAGE_B);
    uint64_t flags = PTE_V | PTE_R | PTE_W | PTE_A | PTE_D;

    a[0] = 0xaaaa;
    bpg[0] = 0xbbbb;
    set_pte(pte, (((uint64_t)(uintptr_t)a >> 12) << 10) | flags, va);
    uint64_t before = *(volatile uint64_t *)(uintptr_t)va;
    set_pte(pte, (((uint64_t)(uintptr_t)bpg >> 12) << 10) | flags, va);
    uint64_t after = *(volatile uint64_t *)(uintptr_t)va;
    set_pte(pte, 0, va);
    probe("mem-sfence-remap", "before=0x%lx after=0x%lx", before, after);
}

/* LR/SC: a plain pair, and one with a CSR access (a privileged instruction) between them. */
static void lrsc_probes(void)
{
    uint64_t *w = test_page(SLOT_K_RW);
    uint64_t rc = 9, tmp;

    __asm__ volatile("lr.d %1, (%2)\n\tsc.d %0, %1, (%2)"
                     : "=&r"(rc), "=&r"(tmp)
                     : "r"(w)
                     : "memory");
    probe("lrsc-plain", "sc %s", rc == 0 ? "succeeds" : "fails");
    __asm__ volatile("lr.d %1, (%2)\n\tcsrr zero, sscratch\n\tsc.d %0, %1, (%2)"
                     : "=&r"(rc), "=&r"(tmp)
                     : "r"(w)
                     : "memory");
    probe("lrsc-across-csr", "sc %s", rc == 0 ? "succeeds" : "fails");
}

/* Cache-block operations from S-mode (Zicbom, Zicboz) on a page of the test window. */
static void cbo_probes(void)
{
    volatile uint64_t *p = test_page(SLOT_K_RW);
    uint64_t va = test_va(SLOT_K_RW);
    char b[64];

    for (unsigned i = 0; i < 8; i++) {
        p[i] = 0x1111;
    }
    trap_arm();
    __asm__ volatile("mv a0, %0\n\t.word 0x0045200f"
                     :
                     : "r"(va)
                     : "memory", "a0"); /* cbo.zero (a0) */
    trap_disarm();
    probe("s-cbo.zero", "%s",
          last_trap.taken ? trap_brief(b, sizeof(b))
          : p[0] == 0     ? "zeroes"
                          : "no effect");
    static const char *const names[] = { "s-cbo.clean", "s-cbo.flush", "s-cbo.inval" };
    /* The encodings name a0 as rs1, so the address goes there inside each asm. */
    for (unsigned i = 0; i < 3; i++) {
        trap_arm();
        switch (i) {
        case 0:
            __asm__ volatile("mv a0, %0\n\t.word 0x0015200f" : : "r"(va) : "memory", "a0");
            break;
        case 1:
            __asm__ volatile("mv a0, %0\n\t.word 0x0025200f" : : "r"(va) : "memory", "a0");
            break;
        default:
            __asm__ volatile("mv a0, %0\n\t.word 0x0005200f" : : "r"(va) : "memory", "a0");
            break;
        }
        trap_disarm();
        probe(names[i], "%s", trap_brief(b, sizeof(b)));
    }
}

static void fp_probes(void)
{
    uint64_t old = csr_read(CSR_SSTATUS);
    char b[64];

    csr_clear(CSR_SSTATUS, SSTATUS_FS);
    trap_arm();
    __asm__ volatile(".word 0xf2000053" ::: "memory"); /* fmv.d.x f0, x0 */
    trap_disarm();
    probe("s-fp-fs-off", "%s", trap_brief(b, sizeof(b)));
    csr_set(CSR_SSTATUS, 1ull << 13);
    trap_arm();
    __asm__ volatile(".word 0xf2000053" ::: "memory");
    trap_disarm();
    uint64_t fs = (csr_read(CSR_SSTATUS) & SSTATUS_FS) >> 13;
    probe("s-fp-fs-initial", "%s, FS then %lu", trap_brief(b, sizeof(b)), fs);
    csr_write(CSR_SSTATUS, old);
}

/* Traps S-mode takes itself, with what they leave in stval. */
static void s_trap_probes(void)
{
    char b[64];

    trap_arm();
    __asm__ volatile(".word 0xc0001073" ::: "memory"); /* unimp: csrrw x0, cycle, x0 */
    trap_disarm();
    probe("s-illegal-unimp", "%s", trap_brief(b, sizeof(b)));
    trap_arm();
    __asm__ volatile(".word 0x00100073" ::: "memory"); /* ebreak */
    trap_disarm();
    probe("s-ebreak", "%s", trap_brief(b, sizeof(b)));
    trap_arm();
    __asm__ volatile(".word 0x30200073" ::: "memory"); /* mret */
    trap_disarm();
    probe("s-mret", "%s", trap_brief(b, sizeof(b)));
    trap_arm();
    __asm__ volatile(".word 0x16000073" ::: "memory"); /* sinval.vma x0, x0 (Svinval) */
    trap_disarm();
    probe("s-sinval.vma", "%s", trap_brief(b, sizeof(b)));
    trap_arm();
    __asm__ volatile(".word 0x22000073" ::: "memory"); /* hfence.vvma x0, x0 */
    trap_disarm();
    probe("s-hfence.vvma", "%s", trap_brief(b, sizeof(b)));
    trap_arm();
    __asm__ volatile(".word 0x6c004073" ::: "memory"); /* hlv.d x0, (x0) */
    trap_disarm();
    probe("s-hlv.d", "%s", trap_brief(b, sizeof(b)));
}

void probes_mem(void)
{
    permission_probes();
    ad_probes();
    reserved_probes();
    superpage_probes();
    misaligned_probes();
    sfence_probe();
    lrsc_probes();
    cbo_probes();
    fp_probes();
    s_trap_probes();
}
