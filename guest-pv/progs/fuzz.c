// SPDX-License-Identifier: MIT
// Guest fuzzer in the spirit of HYPER-CUBE: a seeded stream of random SBI calls, hypercalls, CSR
// accesses, instructions and device accesses, each shaped so that the guest itself survives
// whatever the hypervisor answers. What is under test is the hypervisor: it must never panic, hang,
// or stop another guest. Bootargs: fuzz.seed= fuzz.n= (operations), fuzz.every= (progress line
// period), fuzz.trace= (print every operation from that iteration on), fuzz.fatal=1 (device
// accesses may go anywhere, which stops this guest: a contained guest fault), fuzz.misaligned=1
// (misaligned stores into shadowed page tables too, which the trap engine refuses by stopping the
// guest).
//
// Memory this program may let the hypervisor write into ("junk"): its own buffers below, the table
// frames it takes from the kernel's pool, and the top of RAM above the pool (mm.c's layout), which
// nothing else uses once the device tree has been read. Every address it hands out for writing is
// junk or lies wholly outside RAM; everything else in RAM is only ever read.
#include <string.h>

#include "../kernel/pt.h"
#include "guest.h"
#include "virtio.h"

#define MB (1ul << 20)
#define UART 0x10000000ul
#define PLIC 0x0c000000ul
#define VBLK 0x10001000ul
#define SATP_CSR 0x180
#define NT 24 /* table frames of our own trees */
#define SSIP (1ul << 1)

/* The instruction slot (in .text, which the kernel maps writable): up to four words, then a jump
 * back to fz_back. fz_exec loads x1..x31 from fz_regs and jumps to the slot; any trap taken in the
 * slot resumes at fz_back (fuzz_hook). Linker relaxation is off: gp holds a fuzzed value until
 * fz_back has restored it. */
__asm__(".option push\n"
        ".option norelax\n"
        ".pushsection .text.fuzzslot, \"ax\"\n"
        ".balign 16\n"
        ".globl fz_slot\n"
        "fz_slot:\n"
        ".word 0x13, 0x13, 0x13, 0x13\n"
        "j fz_back\n"
        ".popsection\n"
        ".pushsection .text.fuzzexec, \"ax\"\n"
        ".globl fz_exec, fz_back, fz_park\n"
        "fz_exec:\n"
        "la t0, fz_save\n"
        "sd ra, 0(t0)\n sd sp, 8(t0)\n sd gp, 16(t0)\n sd tp, 24(t0)\n"
        "sd s0, 32(t0)\n sd s1, 40(t0)\n sd s2, 48(t0)\n sd s3, 56(t0)\n"
        "sd s4, 64(t0)\n sd s5, 72(t0)\n sd s6, 80(t0)\n sd s7, 88(t0)\n"
        "sd s8, 96(t0)\n sd s9, 104(t0)\n sd s10, 112(t0)\n sd s11, 120(t0)\n"
        "la x31, fz_regs\n"
        "ld x1, 8(x31)\n ld x2, 16(x31)\n ld x3, 24(x31)\n ld x4, 32(x31)\n"
        "ld x5, 40(x31)\n ld x6, 48(x31)\n ld x7, 56(x31)\n ld x8, 64(x31)\n"
        "ld x9, 72(x31)\n ld x10, 80(x31)\n ld x11, 88(x31)\n ld x12, 96(x31)\n"
        "ld x13, 104(x31)\n ld x14, 112(x31)\n ld x15, 120(x31)\n ld x16, 128(x31)\n"
        "ld x17, 136(x31)\n ld x18, 144(x31)\n ld x19, 152(x31)\n ld x20, 160(x31)\n"
        "ld x21, 168(x31)\n ld x22, 176(x31)\n ld x23, 184(x31)\n ld x24, 192(x31)\n"
        "ld x25, 200(x31)\n ld x26, 208(x31)\n ld x27, 216(x31)\n ld x28, 224(x31)\n"
        "ld x29, 232(x31)\n ld x30, 240(x31)\n ld x31, 248(x31)\n"
        "j fz_slot\n"
        "fz_back:\n"
        /* Every register as the slot left it, into fz_out: sscratch lends a register for the
         * address (nothing can trap in between, and it is zero again before anything can). */
        "csrw sscratch, t0\n"
        "la t0, fz_out\n"
        "sd x1, 8(t0)\n sd x2, 16(t0)\n sd x3, 24(t0)\n sd x4, 32(t0)\n"
        "sd x6, 48(t0)\n sd x7, 56(t0)\n sd x8, 64(t0)\n"
        "sd x9, 72(t0)\n sd x10, 80(t0)\n sd x11, 88(t0)\n sd x12, 96(t0)\n"
        "sd x13, 104(t0)\n sd x14, 112(t0)\n sd x15, 120(t0)\n sd x16, 128(t0)\n"
        "sd x17, 136(t0)\n sd x18, 144(t0)\n sd x19, 152(t0)\n sd x20, 160(t0)\n"
        "sd x21, 168(t0)\n sd x22, 176(t0)\n sd x23, 184(t0)\n sd x24, 192(t0)\n"
        "sd x25, 200(t0)\n sd x26, 208(t0)\n sd x27, 216(t0)\n sd x28, 224(t0)\n"
        "sd x29, 232(t0)\n sd x30, 240(t0)\n sd x31, 248(t0)\n"
        "csrrw t1, sscratch, zero\n"
        "sd t1, 40(t0)\n"
        "la t0, fz_save\n"
        "ld ra, 0(t0)\n ld sp, 8(t0)\n ld gp, 16(t0)\n ld tp, 24(t0)\n"
        "ld s0, 32(t0)\n ld s1, 40(t0)\n ld s2, 48(t0)\n ld s3, 56(t0)\n"
        "ld s4, 64(t0)\n ld s5, 72(t0)\n ld s6, 80(t0)\n ld s7, 88(t0)\n"
        "ld s8, 96(t0)\n ld s9, 104(t0)\n ld s10, 112(t0)\n ld s11, 120(t0)\n"
        "ret\n"
        /* A secondary vCPU started through HSM stops itself at once (a0 = hart id, a1 = opaque). */
        "fz_park:\n"
        "li a7, 0x48534d\n li a6, 1\n ecall\n"
        "1: wfi\n j 1b\n"
        ".popsection\n"
        ".option pop\n");

extern uint32_t fz_slot[5];
extern char fz_back[], fz_park[];
void fz_exec(void);
uint64_t fz_regs[32], fz_out[32], fz_save[16];

/* Where the slot's loads and stores land: every register points into fz_data, sp into fz_stack,
 * whatever 12-bit offset the instruction adds. */
static uint8_t fz_data[8192] __attribute__((aligned(4096)));
static uint8_t fz_stack[16384] __attribute__((aligned(4096)));

static uint64_t rng, seed, iter, nops, unexpected, slot_traps, trace_from = ~0ul;
static uint64_t ram_base = 0x80000000ul, ram_size = 16 * MB, ram_end, mo, feat;
static uint64_t junk, junk_end; /* [junk, junk_end): the top of RAM, ours to spoil */
static uint64_t *T[NT]; /* T[0] = R0 (root), T[1] = K1 (its kernel L1): a tree we may run on */
static bool has_hv, validated, fv, devices, has_plic, has_vblk, fatal, misaligned, r0_ok;
static unsigned opcount[8];

/* Sub-areas of the junk region: argument arrays the hypervisor reads (and writes results into) stay
 * apart from the data area that random writes, block reads and DMA may hit. */
#define J_MC (junk + 0x0000)  /* multicall arrays */
#define J_MMU (junk + 0x4000) /* MMU_UPDATE arrays: 64 slices of 16 entries, or one long batch */
#define J_BLK (junk + 0xa000) /* block request arrays */
#define J_VQ                                                                                       \
    (junk + 0xc000) /* virtqueue: descriptor tables at +0/+0x1000, avail +0x2000, used +0x3000 */
#define J_DATA (junk + 0x10000)

static uint64_t rnd(void)
{
    /* splitmix64 */
    uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t below(uint64_t n)
{
    return n ? rnd() % n : 0;
}

static bool chance(unsigned one_in)
{
    return below(one_in) == 0;
}

static void uart_sane(void)
{
    /* Undo what the fuzzer did to the UART the fv console uses: divisor latch off, no loopback. */
    if (fv && devices) {
        *(volatile uint8_t *)(UART + 3) = 0x03;
        *(volatile uint8_t *)(UART + 4) = 0x08;
        *(volatile uint8_t *)(UART + 1) = 0x00;
    }
}

#define say(...)                                                                                   \
    do {                                                                                           \
        uart_sane();                                                                               \
        kprintf(__VA_ARGS__);                                                                      \
    } while (0)

static void unexpected_result(const char *what, long got)
{
    unexpected++;
    say("\nfuzz: UNEXPECTED seed %lu iteration %lu: %s (got %ld)\n",
        (unsigned long)seed,
        (unsigned long)iter,
        what,
        got);
}

/* ---- values ---- */

/* Anything: edges of RAM and of the address space, powers of two, plain random. For arguments the
 * hypervisor only reads or checks. */
static uint64_t rval(void)
{
    switch (below(12)) {
        case 0:
            return 0;
        case 1:
            return below(16);
        case 2:
            return ~0ul - below(16);
        case 3:
            return 1ul << below(64);
        case 4:
            return ram_base + below(ram_size);
        case 5:
            return ram_base - below(64);
        case 6:
            return ram_end - below(64);
        case 7:
            return ram_end + below(64);
        case 8:
            return (uint64_t)(uint32_t)rnd();
        case 9:
            return 0x80000000ul + below(0x1000);
        case 10:
            return (1ul << below(64)) - 1;
        default:
            return rnd();
    }
}

/* An address wholly outside RAM (or wrapping), for arguments the hypervisor must refuse. */
static uint64_t bad_addr(uint64_t len)
{
    for (;;) {
        uint64_t a;
        switch (below(8)) {
            case 0:
                a = below(0x2000);
                break;
            case 1:
                a = ram_base - len - below(0x1000);
                break;
            case 2:
                a = ram_end + below(0x10000);
                break;
            case 3:
                a = ~0ul - below(0x1000);
                break;
            case 4:
                a = UART + below(0x2000);
                break;
            case 5:
                a = (1ul << 63) | ram_base;
                break;
            case 6:
                a = ram_base + (1ul << (32 + below(31)));
                break;
            default:
                a = rnd();
                break;
        }
        if (a + len < a || a + len <= ram_base || a >= ram_end) {
            return a;
        }
    }
}

/* An address of len bytes in the junk data area (len <= 1 MiB), aligned to align. */
static uint64_t junk_addr(uint64_t len, uint64_t align)
{
    return (J_DATA + below(junk_end - J_DATA - len)) & ~(align - 1);
}

/* Somewhere the hypervisor may write len bytes: junk, across the end of RAM, or outside RAM. */
static uint64_t wr_addr(uint64_t len, uint64_t align)
{
    if (len > MB) {
        return bad_addr(len);
    }
    switch (below(6)) {
        case 0:
            return bad_addr(len);
        case 1:
            return (ram_end - below(len + 16)) & ~(align - 1);
        default:
            return junk_addr(len, align);
    }
}

static uint64_t rcount(unsigned small)
{
    switch (below(10)) {
        case 0:
            return 0;
        case 1:
            return 1ul << below(64);
        case 2:
            return ~0ul - below(4);
        case 3:
            return 511 + below(3);
        case 4:
            return 63 + below(3);
        default:
            return 1 + below(small);
    }
}

static uint64_t hart_mask(void)
{
    return chance(3) ? below(4) : rval();
}

static uint64_t hart_base(void)
{
    switch (below(4)) {
        case 0:
            return ~0ul;
        case 1:
            return below(3);
        default:
            return chance(2) ? 0 : rval();
    }
}

/* ---- page-table entries and targets ---- */

static uint64_t pte_of(uint64_t pa, uint64_t flags)
{
    return (((pa + mo) >> 12) << 10) | flags;
}

static uint64_t rpte(void)
{
    static const uint64_t kinds[] = {
        0, PTE_R, PTE_R | PTE_W, PTE_R | PTE_X, PTE_R | PTE_W | PTE_X, PTE_W, PTE_X, PTE_W | PTE_X
    };
    uint64_t pa, flags = kinds[below(8)] | PTE_V;

    switch (below(9)) {
        case 0:
        case 1:
            pa = (uint64_t)T[below(NT)];
            break;
        case 2:
            pa = junk_addr(PAGE_SIZE, PAGE_SIZE);
            break;
        case 3:
            pa = ram_base + (below(2 * MB) & ~0xffful);
            break; /* the kernel: read-only mappings only */
        case 4:
            pa = ram_base + ram_size / 2 + below(8) * PAGE_SIZE;
            break; /* the kernel's tables */
        case 5:
            pa = ram_base + below(ram_size / (2 * MB)) * 2 * MB;
            break; /* superpage candidates */
        case 6:
            pa = bad_addr(PAGE_SIZE) & ~0xffful;
            break;
        case 7:
            return rnd();
        default:
            pa = (uint64_t)kernel_root;
            break;
    }
    if (!validated && !(flags & (PTE_R | PTE_W | PTE_X)) && pa >= ram_base && pa < J_DATA &&
        (pa < (uint64_t)T[0] || pa > (uint64_t)T[NT - 1])) {
        /* Our own tables are unchecked: a frame this kernel writes must never become a table (the
         * trap engine would then keep it read-only to us, and its next store would fault). */
        pa = (uint64_t)T[2 + below(NT - 2)];
    }
    if (pa >= ram_base && pa < junk && (flags & PTE_W) && chance(2)) {
        flags &= ~PTE_W; /* often, ask for what a sane guest would */
    }
    flags |= below(16) << 4; /* U G A D */
    if (chance(8)) {
        flags |= 1ul << (54 + below(10)); /* reserved, PBMT, N */
    }
    if (chance(16)) {
        flags &= ~PTE_V;
    }
    return pte_of(pa, flags);
}

/* A target for HV_MMU_PTE or HV_MMU_ZERO: our own table frames (never R0's kernel slot, never K1),
 * the junk data area, or somewhere the hypervisor must refuse. */
static uint64_t rptr(void)
{
    uint64_t cmd = chance(10) ? HV_MMU_ZERO : chance(20) ? below(8) : HV_MMU_PTE;

    switch (below(6)) {
        case 0:
            return (junk_addr(PAGE_SIZE, 8) + mo) | cmd;
        case 1:
            return bad_addr(8) | cmd;
        default: {
            unsigned t = (unsigned)below(NT);
            unsigned idx = (unsigned)below(512);
            if (t == 1 || (t == 0 && (idx == 2 || cmd != HV_MMU_PTE))) {
                t = 2 + (unsigned)below(NT - 2);
            }
            return ((uint64_t)T[t] + mo + idx * 8) | cmd;
        }
    }
}

static uint64_t rframe(void)
{
    switch (below(5)) {
        case 0:
            return bad_addr(PAGE_SIZE) & ~(chance(2) ? 0xffful : 0);
        case 1:
            return junk_addr(PAGE_SIZE, PAGE_SIZE) + mo;
        default:
            return (uint64_t)T[below(NT)] + mo + (chance(10) ? 8 * below(512) : 0);
    }
}

/* ---- hypercall argument generation, shared by direct calls and multicall entries ---- */

static unsigned mmu_slice;

static void fill_mmu(uint64_t at, unsigned n)
{
    struct hv_mmu_update *u = (struct hv_mmu_update *)at;
    for (unsigned i = 0; i < n; i++) {
        u[i].ptr = rptr();
        u[i].val = rpte();
    }
}

static uint64_t blk_cap;

static uint64_t blk_len(void)
{
    switch (below(8)) {
        case 0:
            return rval();
        case 1:
            return HV_BLK_LEN_MAX + (chance(2) ? 0 : HV_BLK_SECTOR);
        case 2:
            return below(HV_BLK_SECTOR * 2);
        default:
            return HV_BLK_SECTOR * (1 + below(8));
    }
}

static void fill_blk(struct hv_blk_req *r, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        uint64_t len = blk_len();
        r[i].op = chance(8) ? (uint32_t)rnd() : (uint32_t)below(3);
        r[i].status = (uint32_t)rnd();
        r[i].len = len;
        switch (below(5)) {
            case 0:
                r[i].sector = rval();
                break;
            case 1:
                r[i].sector = blk_cap - below(16);
                break;
            default:
                r[i].sector = below(blk_cap + 1);
                break;
        }
        /* The disk may read anything of ours into a write; what it writes goes to junk. */
        r[i].buf =
          r[i].op == HV_BLK_WRITE && chance(3) ? ram_base + below(ram_size) : wr_addr(len, 1);
        if (validated && chance(16)) {
            r[i].op = HV_BLK_READ;
            r[i].buf = (uint64_t)kernel_root;
            r[i].len = HV_BLK_SECTOR;
        }
    }
}

/* Arguments for hypercall fid; `inner` for an entry of a multicall (arrays in their own slices). */
static void gen_hc(unsigned long fid, uint64_t *a, bool inner)
{
    for (int i = 0; i < 6; i++) {
        a[i] = chance(4) ? rval() : 0;
    }
    switch (fid) {
        case HV_FID_MMU_UPDATE: {
            unsigned n = chance(8) ? 16 : 1 + (unsigned)below(4);
            uint64_t at = inner ? J_MMU + (mmu_slice++ % 64) * 16 * 16 : J_MMU;
            if (!inner && chance(20)) {
                n = 513 + (unsigned)below(80); /* a batch the hypervisor cuts at HV_MMU_BATCH_MAX */
            }
            fill_mmu(at, n);
            a[0] = chance(10) ? wr_addr(16 * n, 8) : at;
            a[1] = chance(10) ? rcount(16) : n;
            break;
        }
        case HV_FID_PIN_TABLE:
        case HV_FID_UNPIN_TABLE:
            a[0] = rframe();
            break;
        case HV_FID_SET_ROOT:
            /* Direct calls go through op_set_root; this is only ever refused inside a multicall. */
            a[0] = rframe();
            a[1] = rval();
            a[2] = rframe();
            break;
        case HV_FID_TLB_FLUSH:
            a[0] = chance(6) ? rval() : below(3);
            a[1] = rval();
            a[2] = chance(3) ? below(0x10000) : rval();
            a[3] = chance(3) ? ~0ul : chance(2) ? below(0x10000) : rval();
            a[4] = hart_mask();
            a[5] = hart_base();
            break;
        case HV_FID_BLK_SUBMIT: {
            unsigned n = 1 + (unsigned)below(inner ? 2 : 4);
            uint64_t at = J_BLK + (inner ? 0x400 + below(4) * 0x100 : 0);
            fill_blk((struct hv_blk_req *)at, n);
            a[0] = chance(10) ? wr_addr(32 * n, 8) : at;
            a[1] = chance(10) ? rcount(4) : n;
            break;
        }
        case HV_FID_BLK_CTL:
            a[0] = chance(4) ? rval() : below(2);
            break;
        default:
            break;
    }
}

static unsigned long rfid(unsigned span)
{
    return chance(10) ? rval() : below(span);
}

/* ---- operations ---- */

static struct sbiret hc(unsigned long fid, const uint64_t *a)
{
    return sbi_call(HV_EXT, fid, a[0], a[1], a[2], a[3], a[4], a[5]);
}

static void hypercall(unsigned long fid)
{
    uint64_t a[6];

    if (fid == HV_FID_MULTICALL) {
        struct hv_multicall *mc = (struct hv_multicall *)J_MC;
        unsigned n = chance(10) ? HV_MULTICALL_MAX + (unsigned)below(3) : 1 + (unsigned)below(8);
        for (unsigned i = 0; i < n; i++) {
            mc[i].fid = rfid(12);
            gen_hc(mc[i].fid, mc[i].args, true);
            mc[i].error = (int64_t)rnd();
            mc[i].value = rnd();
        }
        a[0] = chance(10) ? wr_addr(sizeof(*mc) * n, 8) : J_MC;
        a[1] = chance(10) ? rcount(8) : n;
        a[2] = a[3] = a[4] = a[5] = 0;
    } else if (fid == HV_FID_SET_ROOT) {
        fid = HV_FID_NULL; /* op_set_root does it with care */
        gen_hc(fid, a, false);
    } else {
        gen_hc(fid, a, false);
    }
    if (fid == HV_FID_UNPIN_TABLE && a[0] == (uint64_t)kernel_root + mo) {
        return; /* in use: refused, but there is no need to ask */
    }
    struct sbiret r = hc(fid, a);
    if (fid == HV_FID_PIN_TABLE && validated && r.error == 0 && a[0] >= junk + mo &&
        a[0] < junk_end + mo) {
        unexpected_result("pin of a frame the kernel maps writable", r.error);
    }
    if (fid == HV_FID_BLK_SUBMIT && a[1] >= 1 && a[0] == J_BLK && r.error == 0) {
        const struct hv_blk_req *q = (const struct hv_blk_req *)J_BLK;
        if (q->buf == (uint64_t)kernel_root && q->op == HV_BLK_READ && q->len == HV_BLK_SECTOR &&
            blk_cap > 0) {
            unexpected_result("block read into a validated table", (long)q->status);
        }
    }
}

/* A multicall array that runs from a data frame into the kernel's root, so that the results of its
 * first call would land in root entries 0 and 1 (both empty, and a NULL call writes zeros): results
 * are hypervisor writes, and no hypervisor write may reach a validated table. (Before the fix the
 * value of an MMU_UPDATE of 31 entries, 0x1f, became a user RWX gigapage at machine address 0.) */
static void op_multicall_into_table(void)
{
    struct hv_multicall *mc = (struct hv_multicall *)((uint64_t)kernel_root - 56);

    mc->fid = HV_FID_NULL;
    struct sbiret r = sbi_call(HV_EXT, HV_FID_MULTICALL, (uint64_t)mc, 1, 0, 0, 0, 0);
    if (r.error == 0) {
        unexpected_result("multicall results written into a validated page table", r.error);
    }
    /* The same for console input (none arrives here, but the buffer must be refused). */
    r = sbi_call(
      SBI_EXT_DBCN, SBI_DBCN_READ, 8 + below(64), (uint64_t)kernel_root + 8 * below(8), 0, 0, 0, 0);
    if (r.error == 0) {
        unexpected_result("DBCN read into a validated page table accepted", r.error);
    }
}

static void op_hypercall(void)
{
    if (validated && chance(64)) {
        op_multicall_into_table();
        return;
    }
    hypercall(rfid(12));
}

static void op_blk(void)
{
    hypercall(chance(4) ? HV_FID_BLK_CTL : HV_FID_BLK_SUBMIT);
}

/* Rebuilds the tree R0 -> K1 (every 2 MiB of RAM, the table pool read-only) through MMU_UPDATE and
 * pins it; returns whether R0 is pinned and intact, so that running on it is safe. */
static bool r0_intact(void)
{
    uint64_t *r0 = T[0], *k1 = T[1];
    const uint64_t perm = PTE_V | PTE_R | PTE_W | PTE_X | (~0ul << 54) | (((1ul << 44) - 1) << 10);

    if ((r0[2] & ~(PTE_A | PTE_D | PTE_G | PTE_U)) != pte_of((uint64_t)k1, PTE_V)) {
        return false;
    }
    for (uint64_t off = 0; off < ram_size && off < (1ul << 30); off += 2 * MB) {
        uint64_t want = (ram_base + off == ram_base + ram_size / 2) ? PTE_R : PTE_R | PTE_W | PTE_X;
        if ((k1[((ram_base + off) >> 21) & 511] & perm) != pte_of(ram_base + off, want | PTE_V)) {
            return false;
        }
    }
    return true;
}

static void r0_build(void)
{
    static struct hv_mmu_update u[520];
    unsigned n = 0;

    for (uint64_t off = 0; off < ram_size && off < (1ul << 30); off += 2 * MB) {
        uint64_t f =
          (ram_base + off == ram_base + ram_size / 2) ? PTE_R : PTE_R | PTE_W | PTE_X | PTE_D;
        u[n++] = (struct hv_mmu_update){ (uint64_t)&T[1][((ram_base + off) >> 21) & 511] + mo,
                                         pte_of(ram_base + off, f | PTE_V | PTE_A | PTE_G) };
    }
    u[n++] = (struct hv_mmu_update){ (uint64_t)&T[0][2] + mo, pte_of((uint64_t)T[1], PTE_V) };
    sbi_call(HV_EXT, HV_FID_MMU_UPDATE, (unsigned long)u, n, 0, 0, 0, 0);
    sbi_call(HV_EXT, HV_FID_PIN_TABLE, (uint64_t)T[0] + mo, 0, 0, 0, 0, 0);
}

static void op_set_root(void)
{
    uint64_t user = chance(2) ? 0 : rframe();
    uint64_t asid = chance(8) ? rval() : below(0x10000);

    if (!chance(4)) {
        /* Refused: a frame outside RAM, a misaligned root, a bad ASID. Frames of RAM that a
         * random PIN may have made roots are left alone: they do not map this kernel. */
        uint64_t root = bad_addr(PAGE_SIZE);
        if (chance(2)) {
            root = (uint64_t)T[0] + mo + (chance(2) ? 8 * (1 + below(511)) : 0);
            if (root == (uint64_t)T[0] + mo) {
                asid |= 0x10000;
            }
        }
        struct sbiret r = sbi_call(HV_EXT, HV_FID_SET_ROOT, root, asid, user, 0, 0, 0);
        if (r.error == 0) {
            unexpected_result("SET_ROOT to a misaligned root, a bad ASID or outside RAM succeeded",
                              0);
            pt_switch(kernel_root, 0);
        }
        return;
    }
    if (!r0_intact()) {
        sbi_call(HV_EXT, HV_FID_UNPIN_TABLE, (uint64_t)T[0] + mo, 0, 0, 0, 0, 0);
        r0_build();
        if (!r0_intact()) {
            return;
        }
    }
    sbi_call(HV_EXT, HV_FID_PIN_TABLE, (uint64_t)T[0] + mo, 0, 0, 0, 0, 0);
    struct sbiret r = sbi_call(HV_EXT, HV_FID_SET_ROOT, (uint64_t)T[0] + mo, asid, user, 0, 0, 0);
    if (r.error == 0) {
        r0_ok = true;
        fz_data[below(sizeof(fz_data))]++; /* run a little on it */
        sbi_call(HV_EXT, HV_FID_NULL, 0, 0, 0, 0, 0, 0);
        if (chance(4)) {
            sbi_call(HV_EXT, HV_FID_UNPIN_TABLE, (uint64_t)T[0] + mo, 0, 0, 0, 0, 0); /* in use */
        }
        pt_switch(kernel_root, 0);
        sbi_call(HV_EXT, HV_FID_TLB_FLUSH, HV_FLUSH_ALL, 0, 0, ~0ul, 0, ~0ul);
    }
}

static const unsigned long sbi_eids[] = { SBI_EXT_BASE, SBI_EXT_TIME, SBI_EXT_IPI,  SBI_EXT_RFENCE,
                                          SBI_EXT_HSM,  SBI_EXT_SRST, SBI_EXT_DBCN, HV_EXT };

static bool eid_known(unsigned long eid)
{
    for (unsigned i = 0; i < sizeof(sbi_eids) / sizeof(sbi_eids[0]); i++) {
        if (eid == sbi_eids[i]) {
            return true;
        }
    }
    return eid <= 0x0f;
}

static void op_sbi(void)
{
    static const char text[] = "fuzz-dbcn ";
    unsigned long eid, fid = rfid(8);
    uint64_t a[6];

    for (int i = 0; i < 6; i++) {
        a[i] = rval();
    }
    switch (below(10)) {
        case 0:             /* legacy: a1 comes back untouched */
            eid = below(8); /* never 0x08, legacy shutdown */
            if (eid == SBI_EXT_LEGACY_CONSOLE_PUTCHAR && !chance(16)) {
                eid = SBI_EXT_LEGACY_CONSOLE_GETCHAR;
            }
            {
                struct sbiret r = sbi_call(eid, fid, a[0], a[1], a[2], a[3], a[4], a[5]);
                if ((uint64_t)r.value != a[1]) {
                    unexpected_result("legacy call changed a1", r.value);
                }
            }
            return;
        case 1: { /* an extension that does not exist */
            eid =
              chance(2) ? rnd() : (0x08000000ul | below(0x1000000)) ^ (chance(2) ? 0x01000000 : 0);
            if (eid_known(eid)) {
                return;
            }
            struct sbiret r = sbi_call(eid, fid, a[0], a[1], a[2], a[3], a[4], a[5]);
            if (r.error != SBI_ERR_NOT_SUPPORTED) {
                unexpected_result("unknown extension answered", r.error);
            }
            return;
        }
        case 2: /* SRST: never a valid type with a valid reason */
            eid = SBI_EXT_SRST;
            if (fid == SBI_SRST_SYSTEM_RESET && a[0] <= SBI_SRST_TYPE_WARM_REBOOT && a[1] <= 1) {
                a[1] = 2 + below(0xfffffffd);
            }
            break;
        case 3: /* HSM: never stop ourselves, never start a vCPU anywhere but the park stub */
            eid = SBI_EXT_HSM;
            fid = chance(10) ? rval() : below(5);
            if (fid == SBI_HSM_HART_STOP) {
                fid = SBI_HSM_HART_GET_STATUS;
            }
            a[0] = chance(2) ? below(3) : a[0];
            if (fid == SBI_HSM_HART_START) {
                bool good = chance(2);
                a[1] = good ? (uint64_t)fz_park : bad_addr(4) | below(2);
                struct sbiret r = sbi_call(eid, fid, a[0], a[1], a[2], 0, 0, 0);
                if (!good && r.error == 0) {
                    unexpected_result("HSM start at an address outside RAM", 0);
                }
                return;
            }
            if (fid == 3) {
                /* Suspend: with a software interrupt pending and enabled (SIE off) any sleep ends
                 * at once; a non-retentive one is only ever asked with a resume address outside
                 * RAM. */
                if (a[0] == 0x80000000ul || chance(2)) {
                    a[1] = bad_addr(4);
                }
                __asm__ volatile("csrs sie, %0" : : "r"(SSIP));
                sbi_call(SBI_EXT_IPI, 0, 1, 0, 0, 0, 0, 0);
                struct sbiret r = sbi_call(eid, fid, a[0], a[1], a[2], 0, 0, 0);
                __asm__ volatile("csrc sie, %0\n csrc sip, %0" : : "r"(SSIP));
                if (a[0] == 0x80000000ul && r.error == 0) {
                    unexpected_result("non-retentive suspend to an address outside RAM", 0);
                }
                return;
            }
            break;
        case 4: { /* DBCN */
            eid = SBI_EXT_DBCN;
            fid = rfid(4);
            bool bad = chance(2);
            if (fid == SBI_DBCN_WRITE || fid == SBI_DBCN_READ) {
                a[0] = bad ? (chance(2) ? rval() : 1 + below(64))
                           : 1 + below(fid ? 64 : sizeof(text) - 1);
                if (bad) {
                    a[1] = bad_addr(a[0]);
                    a[2] = chance(2) ? a[2] : 0;
                } else {
                    a[1] = fid == SBI_DBCN_WRITE ? (uint64_t)text : junk_addr(64, 1);
                    a[2] = 0;
                }
                struct sbiret r = sbi_call(eid, fid, a[0], a[1], a[2], 0, 0, 0);
                if (bad && a[0] > 0 && a[0] < (1ul << 32) && r.error == 0) {
                    unexpected_result("DBCN buffer outside RAM accepted", (long)a[1]);
                }
                return;
            }
            if (fid == SBI_DBCN_WRITE_BYTE && !chance(8)) {
                a[0] = 'a' + below(26);
            }
            break;
        }
        case 5: /* IPI and RFENCE: hart masks */
            eid = chance(2) ? SBI_EXT_IPI : SBI_EXT_RFENCE;
            a[0] = hart_mask();
            a[1] = hart_base();
            break;
        case 6:
            eid = SBI_EXT_TIME;
            break;
        default:
            eid =
              chance(2) ? SBI_EXT_BASE : sbi_eids[below(sizeof(sbi_eids) / sizeof(sbi_eids[0]))];
            if (eid == SBI_EXT_SRST || eid == SBI_EXT_HSM || eid == SBI_EXT_DBCN) {
                eid = SBI_EXT_BASE;
            }
            if (eid == HV_EXT) {
                op_hypercall();
                return;
            }
            break;
    }
    sbi_call(eid, fid, a[0], a[1], a[2], a[3], a[4], a[5]);
}

/* ---- the instruction slot ---- */

static void slot_run(uint32_t w0, uint32_t w1, uint32_t w2)
{
    fz_slot[0] = w0;
    fz_slot[1] = w1;
    fz_slot[2] = w2;
    fz_slot[3] = 0x00000013;
    fz_regs[2] = (uint64_t)fz_stack + sizeof(fz_stack) / 2;
    if (iter >= trace_from) {
        say("fuzz: slot %08x %08x %08x x5 0x%lx x6 0x%lx\n",
            w0,
            w1,
            w2,
            (unsigned long)fz_regs[5],
            (unsigned long)fz_regs[6]);
    }
    __asm__ volatile("fence.i" ::: "memory");
    fz_exec();
}

static void regs_fill(bool random)
{
    for (int i = 1; i < 32; i++) {
        fz_regs[i] = random ? rval() : (uint64_t)fz_data + sizeof(fz_data) / 2;
    }
}

/* Registers the slot may change are in `may` (bit n: xn); any other that differs from what fz_exec
 * loaded was changed behind the guest's back (an emulation path, a trap, the SBI). */
static void regs_check(uint32_t may)
{
    for (unsigned i = 1; i < 32; i++) {
        if (!(may & (1u << i)) && fz_out[i] != fz_regs[i]) {
            char what[96];
            fmt_snprintf(what,
                         sizeof(what),
                         "x%u changed by slot %08x %08x (was 0x%lx)",
                         i,
                         fz_slot[0],
                         fz_slot[1],
                         (unsigned long)fz_regs[i]);
            unexpected_result(what, (long)fz_out[i]);
        }
    }
}

static bool fuzz_hook(struct trap_frame *f, uint64_t cause, uint64_t tval)
{
    (void)tval;
    if (f->sepc >= (uint64_t)fz_slot && f->sepc < (uint64_t)&fz_slot[4]) {
        if (cause & CAUSE_IRQ) {
            __asm__ volatile("csrw sie, zero");
        }
        slot_traps++;
        f->sepc = (uint64_t)fz_back;
        return true;
    }
    return false;
}

static uint32_t csr_insn(unsigned csr, unsigned f3, unsigned rd, unsigned rs1)
{
    return (csr << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | 0x73;
}

static unsigned rcsr(void)
{
    static const uint16_t known[] = {
        0x001, 0x002, 0x003, 0x008, 0x015, 0x017, 0x100, 0x104, 0x105, 0x106, 0x10a, 0x10c, 0x140,
        0x141, 0x142, 0x143, 0x144, 0x14d, 0x150, 0x151, 0x15c, 0x180, 0x5a8, 0x200, 0x204, 0x205,
        0x240, 0x241, 0x242, 0x243, 0x244, 0x24d, 0x280, 0x300, 0x301, 0x302, 0x303, 0x304, 0x305,
        0x30a, 0x340, 0x341, 0x342, 0x343, 0x344, 0x3a0, 0x3b0, 0x600, 0x602, 0x603, 0x604, 0x605,
        0x606, 0x607, 0x60a, 0x643, 0x644, 0x645, 0x64a, 0x680, 0x6c0, 0x7a0, 0x7a1, 0x7a2, 0x7b0,
        0xc00, 0xc01, 0xc02, 0xc03, 0xc80, 0xda0, 0xdb0, 0xe12, 0xf11, 0xf12, 0xf13, 0xf14, 0xf15,
    };
    return chance(3) ? (unsigned)below(4096) : known[below(sizeof(known) / sizeof(known[0]))];
}

static void op_csr(void)
{
    unsigned csr = rcsr();
    unsigned f3 = (unsigned)(chance(3) ? 2 : 1 + below(7)) | (chance(8) ? 4 : 0);

    if (f3 == 4) {
        f3 = 5;
    }
    regs_fill(true);
    if (csr == SATP_CSR) {
        /* Only values under which this code still runs: Bare, an unsupported mode (the write is
         * ignored), or the current root with another ASID. */
        uint64_t satp;
        __asm__ volatile("csrr %0, satp" : "=r"(satp));
        switch (below(validated ? 2 : 3)) {
            case 0:
                fz_regs[6] = 0;
                break;
            case 1:
                fz_regs[6] = ((1 + below(7)) << 60) | (rnd() & ((1ul << 60) - 1));
                break;
            default:
                fz_regs[6] = (satp & ~(0xfffful << 44)) | (below(0x10000) << 44);
                break;
        }
        if (validated) {
            /* No write back of the old value: a native satp write naming a validated root has it
             * shadowed as guest-physical tables, but it holds machine addresses (a contained trap
             * loop on the trap engine). Back through SET_ROOT instead. */
            slot_run(csr_insn(csr, 1, 5, 6), 0x13, 0x13);
            regs_check(1u << 5);
            pt_switch(kernel_root, 0);
        } else {
            slot_run(csr_insn(csr, 1, 5, 6), csr_insn(csr, 1, 0, 5), 0x13);
            regs_check(1u << 5);
        }
        sbi_call(HV_EXT, HV_FID_TLB_FLUSH, HV_FLUSH_ALL, 0, 0, ~0ul, 0, ~0ul);
        __asm__ volatile("sfence.vma" ::: "memory");
        return;
    }
    /* A CSR of ours (supervisor range) gets its old value back at once: nothing runs in between. */
    bool ours = (csr & 0x300) == 0x100 || chance(2);
    unsigned rd = ours ? 5 : (unsigned)below(32);
    if (rd == 2) {
        rd = 0; /* sp stays usable for the trap a following instruction may take */
    }
    unsigned rs1 = (f3 & 4) ? (unsigned)below(32) : ours ? 6 : (unsigned)below(32);
    slot_run(csr_insn(csr, f3, rd, rs1), ours ? csr_insn(csr, 1, 0, 5) : 0x13, 0x13);
    regs_check(1u << rd);
}

static bool insn_ok(uint32_t w)
{
    unsigned op = w & 0x7f, rs1 = (w >> 15) & 31, f3 = (w >> 12) & 7;

    if ((w & 3) != 3) {
        unsigned q = w & 3, f = (w >> 13) & 7;
        /* c.j, c.beqz, c.bnez; c.jr, c.jalr */
        if (q == 1 && f >= 5) {
            return false;
        }
        return !(q == 2 && f == 4 && ((w >> 2) & 31) == 0 && ((w >> 7) & 31) != 0);
    }
    switch (op) {
        case 0x63:
        case 0x67:
        case 0x6f: /* branches and jumps */
            return false;
        case 0x03:
        case 0x07:
        case 0x23:
        case 0x27:
        case 0x2f:
        case 0x0f:
            return rs1 !=
                   0; /* address 0 + imm: neither RAM nor a device, the guest would be stopped */
        case 0x73:
            if (f3 != 0 && f3 != 4) {
                unsigned csr = w >> 20;
                return (csr & 0x300) != 0x100 && csr != SATP_CSR; /* op_csr does those */
            }
            /* sret, wfi, wrs.nto, wrs.sto: leaving, or sleeping with nothing to wake us */
            return w != 0x10200073 && w != 0x10500073 && w != 0x00d00073 && w != 0x01d00073;
        default:
            return true;
    }
}

static void op_insn(void)
{
    static const uint8_t ops[] = { 0x03, 0x07, 0x0f, 0x13, 0x17, 0x1b, 0x23, 0x27, 0x2f, 0x33,
                                   0x37, 0x3b, 0x43, 0x53, 0x57, 0x73, 0x73, 0x73, 0x0b, 0x2b };
    uint32_t w;

    do {
        w = (uint32_t)rnd();
        if (!chance(4)) {
            w = (w & ~0x7fu) | ops[below(sizeof(ops))];
        }
    } while (!insn_ok(w));
    regs_fill(false);
    if ((w & 3) != 3) {
        slot_run((w & 0xffff) | (0x0001u << 16), 0x13, 0x13); /* then c.nop */
    } else {
        slot_run(w, 0x13, 0x13);
    }
}

/* An SBI call from the slot with every register random: only a0 and a1 may come back changed (a0
 * alone for the legacy extensions). Calls with lasting effects are left to op_sbi. */
static void op_ecall(void)
{
    static const struct
    {
        uint32_t eid;
        uint8_t nfid;
    } calls[] = {
        { SBI_EXT_BASE, 8 },
        { SBI_EXT_TIME, 2 },
        { SBI_EXT_IPI, 2 },
        { SBI_EXT_RFENCE, 8 },
        { HV_EXT, 3 },
        { HV_EXT, 2 },
        { SBI_EXT_LEGACY_SET_TIMER, 1 },
        { SBI_EXT_LEGACY_CONSOLE_GETCHAR, 1 },
        { SBI_EXT_LEGACY_CLEAR_IPI, 1 },
        { SBI_EXT_LEGACY_SEND_IPI, 1 },
        { SBI_EXT_LEGACY_REMOTE_FENCE_I, 1 },
        { SBI_EXT_LEGACY_REMOTE_SFENCE_VMA, 1 },
        { SBI_EXT_LEGACY_REMOTE_SFENCE_VMA_ASID, 1 },
        { 0x0a0b0c0d, 4 },
    };
    unsigned k = (unsigned)below(sizeof(calls) / sizeof(calls[0]));

    regs_fill(true);
    fz_regs[17] = calls[k].eid;
    fz_regs[16] = below(calls[k].nfid);
    if (calls[k].eid == HV_EXT) {
        fz_regs[16] = chance(4) ? HV_FID_TLB_FLUSH : chance(2) ? HV_FID_NULL : below(3);
        if (chance(16)) {
            fz_regs[16] = 11 + below(100); /* no such function */
        }
    }
    if (calls[k].eid == SBI_EXT_HSM) {
        fz_regs[16] = SBI_HSM_HART_GET_STATUS;
    }
    if (chance(4)) {
        fz_regs[10] = below(4); /* hart masks that name vCPUs */
        fz_regs[11] = chance(2) ? 0 : ~0ul;
    }
    slot_run(0x00000073, 0x13, 0x13); /* ecall */
    regs_check(calls[k].eid <= SBI_EXT_LEGACY_SHUTDOWN ? 1u << 10 : 3u << 10);
}

/* A store of every kind (plain, compressed, misaligned, AMO, LR/SC) into the kernel's own page
 * tables. Written natively (fv), the bytes stored are the ones already there, and AMOs leave them
 * unchanged too: on the trap engine each such store to a shadowed table is carried out by the
 * hypervisor, which must neither change the entry nor get the old value wrong. Validated (pv), the
 * tables are read-only and only empty root entries are aimed at: the store must fault and leave
 * them. */
static void op_table_store(void)
{
    static const uint8_t amo_same[] = { 0x00, 0x01, 0x04, 0x08, 0x0c, 0x10, 0x14, 0x18, 0x1c };
    uint64_t l1 = (((kernel_root[2] >> 10) & ((1ul << 44) - 1)) << 12) - (validated ? mo : 0);
    uint64_t *t = chance(2) || validated ? kernel_root : (uint64_t *)l1;
    unsigned idx = (unsigned)below(validated ? 500 : 512), width = 1u << below(4);
    uint64_t a, old, cur;
    uint32_t w;
    bool amo = chance(3), lrsc = !amo && chance(6);

    if (validated) {
        idx += 3 + 8; /* past the device, user and kernel slots; empty in a validated root */
    }
    a = (uint64_t)&t[idx];
    if (amo || lrsc) {
        width = chance(2) ? 8 : 4;
        a &= ~(uint64_t)(width - 1);
        if (amo && chance(16)) {
            a += 1 + below(width - 1); /* misaligned AMO: an exception, never a torn update */
        }
    } else {
        a += chance(4) ? below(8) : 0;
        if (a + width > (uint64_t)t + PAGE_SIZE) {
            a = (uint64_t)t + PAGE_SIZE - width;
        }
        /* The trap engine stops a guest whose misaligned store reaches a shadowed table (it cannot
         * emulate it): only with fuzz.misaligned=1 there. */
        if (!chance(4) || (!validated && !(feat & HV_FEAT_STAGE2) && !misaligned)) {
            a &= ~(uint64_t)(width - 1);
        }
    }
    memcpy(&old, (const void *)a, sizeof(old));
    regs_fill(false);
    fz_regs[5] = fz_regs[8] = a;
    cur = width == 8   ? old
          : width == 4 ? (uint64_t)(int64_t)(int32_t)old
                       : old & ((1ul << (8 * width)) - 1);
    fz_regs[6] = fz_regs[9] = validated ? rnd() | 1 : cur;
    unsigned rd = (unsigned)below(32);
    rd = rd == 2 ? 0 : rd;
    if (amo) {
        unsigned f5 = amo_same[below(sizeof(amo_same))];
        if (!validated) {
            fz_regs[6] = f5 == 0x00 || f5 == 0x04 || f5 == 0x08 ? 0 : f5 == 0x0c ? ~0ul : cur;
        }
        w = (f5 << 27) | ((uint32_t)below(4) << 25) | (6u << 20) | (5u << 15) |
            ((width == 8 ? 3u : 2u) << 12) | (rd << 7) | 0x2f;
        slot_run(w, 0x13, 0x13);
    } else if (lrsc) {
        uint32_t f3 = (width == 8 ? 3u : 2u) << 12;
        slot_run((0x02u << 27) | (5u << 15) | f3 | (7u << 7) | 0x2f,
                 (0x03u << 27) | (6u << 20) | (5u << 15) | f3 | (rd << 7) | 0x2f,
                 0x13);
    } else if (chance(4) && (width == 4 || width == 8) && !(a & (width - 1))) {
        w =
          (width == 4 ? 0xc000u : 0xe000u) | (1u << 2) | (0x0001u << 16); /* c.sw/c.sd x9, 0(x8) */
        slot_run(w, 0x13, 0x13);
        rd = 0;
    } else {
        w = (6u << 20) | (5u << 15) |
            ((width == 1   ? 0u
              : width == 2 ? 1u
              : width == 4 ? 2u
                           : 3u)
             << 12) |
            0x23;
        slot_run(w, 0x13, 0x13);
        rd = 0;
    }
    memcpy(&cur, (const void *)a, sizeof(cur));
    if (cur != old) {
        unexpected_result(validated ? "a store into a validated table went through"
                                    : "a store of the same bytes changed a page-table entry",
                          (long)cur);
    }
    if (amo && rd != 0 && fz_out[rd] != fz_regs[rd] && !validated &&
        fz_out[rd] != (width == 8 ? old : (uint64_t)(int64_t)(int32_t)old)) {
        unexpected_result("an AMO on a page table returned a wrong old value", (long)fz_out[rd]);
    }
    if (lrsc && rd != 0 && !validated && fz_out[rd] > 1) {
        unexpected_result("SC on a page table returned neither 0 nor 1", (long)fz_out[rd]);
    }
    regs_check((1u << rd) | (lrsc ? 1u << 7 : 0));
}

/* A native store into one of our table frames (never R0's kernel slot, never K1): on stage-2
 * hardware a plain write, on the trap engine one the hypervisor must trap when the frame is a
 * table. */
static void op_native_pte(void)
{
    uint64_t p = rptr() & ~HV_MMU_CMD_MASK;

    if (p < (uint64_t)T[0] + mo || p >= (uint64_t)T[0] + mo + 2 * MB) {
        return;
    }
    regs_fill(false);
    fz_regs[5] = p - mo;
    fz_regs[6] = rpte();
    slot_run(0x0062b023, 0x13, 0x13); /* sd x6, 0(x5) */
    regs_check(0);
}

/* ---- devices ---- */

/* A value for a 32-bit queue address register: the queue area, or (with the high half zero) an
 * address below or above RAM. Never a truncated 64-bit one: its low half may well be RAM. */
static uint64_t vq_addr(uint64_t base)
{
    if (!chance(8)) {
        return base + (chance(16) ? 8 * below(2) : 0);
    }
    switch (below(4)) {
        case 0:
            return below(0x2000);
        case 1:
            return ram_base - 0x1000 - (below(0x10000) & ~0xful);
        case 2:
            return ram_end + (below(0x100000) & ~0xful);
        default:
            return 0xfffff000ul + (below(0x1000) & ~0xful);
    }
}

static void vq_sanitize(void)
{
    /* Whatever the device was told, what it finds at the queue addresses only names junk. */
    uint64_t *d = (uint64_t *)J_VQ;
    for (unsigned i = 0; i < 2 * 4096 / 16; i++) {
        uint64_t len = chance(4) ? below(0x2000) : 16;
        d[2 * i] = chance(8) ? bad_addr(len) : junk_addr(len, 1);
        d[2 * i + 1] = len | (below(8) << 32) | (below(160) << 48);
    }
    for (unsigned i = 0; i < 4096 / 8; i++) {
        ((uint64_t *)(J_VQ + 0x2000))[i] = chance(2) ? rnd() & 0x007f007f007f007full : rnd();
    }
}

static uint32_t vblk_value(unsigned off)
{
    switch (off) {
        case VIRTIO_MMIO_QUEUE_DESC_LOW:
            return (uint32_t)vq_addr(J_VQ + 0x1000 * below(2));
        case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
            return (uint32_t)vq_addr(J_VQ + 0x2000);
        case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
            return (uint32_t)vq_addr(J_VQ + 0x3000);
        case VIRTIO_MMIO_QUEUE_DESC_HIGH:
        case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
        case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
            return chance(8) ? (uint32_t)rnd() : 0;
        case VIRTIO_MMIO_QUEUE_NUM:
            return chance(4) ? (uint32_t)rnd() : 1u << below(9);
        default:
            return chance(2) ? (uint32_t)rnd() : (uint32_t)below(256);
    }
}

static void mmio(uint64_t addr, unsigned width, bool store, uint64_t val)
{
    static const uint32_t ld[] = {
        0x0002c003, 0x0002d003, 0x0002e003, 0x0002b003
    }; /* lbu lhu lwu ld */
    static const uint32_t st[] = {
        0x00628023, 0x00629023, 0x0062a023, 0x0062b023
    }; /* sb sh sw sd */
    unsigned k = width == 1 ? 0 : width == 2 ? 1 : width == 4 ? 2 : 3;
    uint32_t w;

    regs_fill(false);
    fz_regs[5] = fz_regs[8] = addr;
    fz_regs[6] = fz_regs[9] = val;
    if (store) {
        w = st[k];
    } else {
        w = ld[k] | ((uint32_t)below(32) << 7); /* any destination, x0 and sp included */
        if (chance(4) && width < 8) {
            w &= ~0x4000u; /* the sign-extending form */
        }
    }
    if (chance(4) && (width == 4 || width == 8)) {
        /* c.lw/c.ld/c.sw/c.sd with x8 as base, x9 as data */
        uint32_t c = (width == 4 ? 0x4000u : 0x6000u) | (store ? 0x8000u : 0) | (1u << 2);
        if (!store) {
            c = (c & ~(7u << 2)) | ((uint32_t)below(8) << 2);
        }
        w = c | (0x0001u << 16);
    }
    slot_run(w, 0x13, 0x13);
    if (store) {
        regs_check(0);
    } else {
        regs_check((w & 3) == 3 ? 1u << ((w >> 7) & 31) : 1u << (8 + ((w >> 2) & 7)));
    }
}

static void op_mmio(void)
{
    bool store = chance(2);
    uint64_t val = rval();

    if (fatal && chance(64)) {
        mmio(rnd() & 0x7ffffff8ul, 1u << below(4), store, val);
        return;
    }
    switch (below(3)) {
        case 1:
            if (has_plic) {
                static const uint64_t regions[][2] = { { 0, 0x1000 },
                                                       { 0x1000, 0x80 },
                                                       { 0x2000, 0x200 },
                                                       { 0x200000, 0x3000 },
                                                       { 0, 0x600000 } };
                unsigned r = (unsigned)below(5);
                mmio(PLIC + ((regions[r][0] + below(regions[r][1])) & ~3ul), 4, store, val);
                break;
            }
            /* fall through */
        case 0: {
            unsigned width = 1u << below(4);
            mmio(UART + (below(8) & ~(uint64_t)(width - 1)), width, store, val);
            break;
        }
        default: {
            if (!has_vblk) {
                break;
            }
            unsigned off = (unsigned)below(0x100) & ~3u;
            unsigned width = 4;
            if (chance(4)) {
                width = 1u << below(4);
                off = (0x100 + (unsigned)below(0xf00)) & ~(width - 1);
            }
            if (store && off == VIRTIO_MMIO_QUEUE_NOTIFY) {
                vq_sanitize();
            }
            mmio(VBLK + off, width, store, off < 0x100 ? vblk_value(off) : val);
            break;
        }
    }
}

/* A whole virtio-blk bring-up with a random step skipped or spoiled, then requests. */
static void op_vblk_session(void)
{
    static const uint16_t steps[][2] = {
        { VIRTIO_MMIO_STATUS, 0 },
        { VIRTIO_MMIO_STATUS, 3 },
        { VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1 },
        { VIRTIO_MMIO_DRIVER_FEATURES, 1 },
        { VIRTIO_MMIO_STATUS, 11 },
        { VIRTIO_MMIO_QUEUE_SEL, 0 },
        { VIRTIO_MMIO_QUEUE_NUM, 0 },
        { VIRTIO_MMIO_QUEUE_DESC_LOW, 0 },
        { VIRTIO_MMIO_QUEUE_DESC_HIGH, 0 },
        { VIRTIO_MMIO_QUEUE_DRIVER_LOW, 0 },
        { VIRTIO_MMIO_QUEUE_DRIVER_HIGH, 0 },
        { VIRTIO_MMIO_QUEUE_DEVICE_LOW, 0 },
        { VIRTIO_MMIO_QUEUE_DEVICE_HIGH, 0 },
        { VIRTIO_MMIO_QUEUE_READY, 1 },
        { VIRTIO_MMIO_STATUS, 15 },
    };
    uint64_t spoil = chance(2) ? below(sizeof(steps) / sizeof(steps[0])) : ~0ul;

    for (unsigned i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        unsigned off = steps[i][0];
        uint32_t v = steps[i][1];
        if (i == spoil && chance(2)) {
            continue;
        }
        if (off == VIRTIO_MMIO_QUEUE_NUM || off == VIRTIO_MMIO_QUEUE_DESC_LOW ||
            off == VIRTIO_MMIO_QUEUE_DRIVER_LOW || off == VIRTIO_MMIO_QUEUE_DEVICE_LOW ||
            i == spoil) {
            v = vblk_value(off);
        }
        mmio(VBLK + off, 4, true, v);
    }
    for (unsigned k = 1 + (unsigned)below(3); k > 0; k--) {
        vq_sanitize();
        mmio(VBLK + VIRTIO_MMIO_QUEUE_NOTIFY, 4, true, chance(8) ? rnd() : 0);
        mmio(VBLK + VIRTIO_MMIO_INTERRUPT_ACK, 4, true, below(4));
    }
}

/* ---- main loop ---- */

static void setup(void)
{
    if (guest_platform.nmem > 0) {
        ram_base = guest_platform.mem[0].base;
        ram_size = guest_platform.mem[0].size;
    }
    ram_end = ram_base + ram_size;
    junk = ram_base + ram_size / 2 + 2 * MB;
    junk_end = ram_end;
    has_hv = sbi_call(SBI_EXT_BASE, SBI_BASE_PROBE_EXTENSION, HV_EXT, 0, 0, 0, 0, 0).value > 0;
    if (has_hv) {
        feat = (uint64_t)sbi_call(HV_EXT, HV_FID_PROBE, 0, 0, 0, 0, 0, 0).value & 0xffffffffu;
        mo = (uint64_t)sbi_call(HV_EXT, HV_FID_MACHINE_OFFSET, 0, 0, 0, 0, 0, 0).value;
    }
    validated = pt_validated();
#ifdef GUEST_FLAVOUR_fv
    fv = true;
#endif
    /* Our device accesses need native tables (validated ones map no device) and the devices. */
    devices = !validated && guest_platform.uart.dev.present && guest_platform.uart.dev.base == UART;
    has_plic = devices && guest_platform.plic.dev.present && guest_platform.plic.dev.base == PLIC;
    for (unsigned i = 0; i < guest_platform.nvirtio; i++) {
        has_vblk |= devices && guest_platform.virtio[i].base == VBLK;
    }
    for (int i = 0; i < NT; i++) {
        T[i] = pt_alloc();
    }
    pt_commit();
    if (feat & HV_FEAT_BLK) {
        blk_cap =
          (uint64_t)sbi_call(HV_EXT, HV_FID_BLK_CTL, HV_BLK_CTL_CAPACITY, 0, 0, 0, 0, 0).value;
    }
    if (feat & HV_FEAT_MMU) {
        r0_build();
    }
    trap_set_hook(fuzz_hook);
}

void guest_main(unsigned long hartid, unsigned long dtb)
{
    (void)hartid;
    (void)dtb;
    const char *s = bootarg("fuzz.seed"), *n = bootarg("fuzz.n"), *e = bootarg("fuzz.every");
    const char *t = bootarg("fuzz.trace"), *f = bootarg("fuzz.fatal");
    uint64_t every;

    seed = s ? parse_ulong(s) : 1;
    nops = n ? parse_ulong(n) : 10000;
    every = e ? parse_ulong(e) : 10000;
    trace_from = t ? parse_ulong(t) : ~0ul;
    fatal = f && parse_ulong(f) != 0;
    misaligned = bootarg("fuzz.misaligned") && parse_ulong(bootarg("fuzz.misaligned")) != 0;
    rng = seed;
    setup();
    say("fuzz: seed %lu, %lu operations (%s flavour, tables %s, devices %s, disk %lu sectors, "
        "features 0x%lx)\n",
        (unsigned long)seed,
        (unsigned long)nops,
        GUEST_FLAVOUR,
        validated ? "validated" : "native",
        devices ? "yes" : "no",
        (unsigned long)blk_cap,
        (unsigned long)feat);

    for (iter = 0; iter < nops; iter++) {
        if (every && iter % every == 0) {
            say("\nfuzz: seed %lu iteration %lu\n", (unsigned long)seed, (unsigned long)iter);
        }
        /* Each operation starts from a state that depends on the seed only. */
        rng = seed ^ (iter * 0xd1342543de82ef95ull);
        rnd();
        unsigned kind = (unsigned)below(devices ? 17 : 14);
        if (iter >= trace_from) {
            say("fuzz: iteration %lu kind %u\n", (unsigned long)iter, kind);
        }
        switch (kind) {
            case 0:
            case 1:
            case 2:
                op_sbi();
                opcount[0]++;
                break;
            case 3:
            case 4:
            case 5:
                if (has_hv) {
                    op_hypercall();
                }
                opcount[1]++;
                break;
            case 6:
                if (has_hv) {
                    op_set_root();
                }
                opcount[2]++;
                break;
            case 7:
            case 8:
                op_csr();
                opcount[3]++;
                break;
            case 9:
            case 10:
                op_insn();
                opcount[4]++;
                break;
            case 11:
                if (chance(2)) {
                    op_table_store();
                } else if (has_hv) {
                    op_native_pte();
                }
                opcount[5]++;
                break;
            case 12:
                if (has_hv && blk_cap) {
                    op_blk();
                }
                opcount[1]++;
                break;
            case 13:
                op_ecall();
                opcount[7]++;
                break;
            case 14:
            case 15:
                op_mmio();
                opcount[6]++;
                break;
            default:
                if (has_vblk && chance(8)) {
                    op_vblk_session();
                } else {
                    op_mmio();
                }
                opcount[6]++;
                break;
        }
    }
    say("\nfuzz: sbi %u hypercall %u set-root %u csr %u insn %u native-pte %u mmio %u ecall %u; "
        "%lu traps in the slot, root switches %s\n",
        opcount[0],
        opcount[1],
        opcount[2],
        opcount[3],
        opcount[4],
        opcount[5],
        opcount[6],
        opcount[7],
        (unsigned long)slot_traps,
        r0_ok ? "done" : "never succeeded");
    say("fuzz: %lu unexpected results\n", (unsigned long)unexpected);
    say("fuzz: done seed %lu, %lu operations\n", (unsigned long)seed, (unsigned long)nops);
}
