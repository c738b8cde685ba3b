// SPDX-License-Identifier: MIT
// Probes of the S-level CSRs from S-mode: the value at entry, what all-ones and all-zeros writes
// leave (WARL behaviour), each sstatus field, stvec modes, sepc alignment, every satp MODE and the
// ASID width, and CSRs an S-mode kernel must not reach.
#include "census.h"

/* Writes all-ones then all-zeros and reads each back, then restores the old value. Nothing in
 * between may trap: an all-ones stvec or satp would be fatal then. */
#define WARL(name, csr)                                                                            \
    do {                                                                                           \
        uint64_t old_ = csr_read(csr);                                                             \
        csr_write(csr, ~0ull);                                                                     \
        uint64_t ones_ = csr_read(csr);                                                            \
        csr_write(csr, 0);                                                                         \
        uint64_t zeros_ = csr_read(csr);                                                           \
        csr_write(csr, old_);                                                                      \
        probe("csr-" name, "ones=0x%lx zeros=0x%lx", ones_, zeros_);                               \
    } while (0)

/* Reads a CSR that may not exist for S-mode: its value, or the trap. */
#define TRY_READ(name, csr)                                                                        \
    do {                                                                                           \
        uint64_t v_;                                                                               \
        char b_[64];                                                                               \
        trap_arm();                                                                                \
        __asm__ volatile("li %0, 0\n\tcsrr %0, " CSR_STR(csr) : "=&r"(v_) : : "memory");           \
        trap_disarm();                                                                             \
        if (last_trap.taken) {                                                                     \
            probe("s-csr-" name, "%s", trap_brief(b_, sizeof(b_)));                                \
        } else {                                                                                   \
            probe("s-csr-" name, "readable");                                                      \
        }                                                                                          \
    } while (0)

void probes_entry(uint64_t hartid)
{
    uint32_t tb = 0;
    const char *isa = fdt_string("/cpus/cpu@0", "riscv,isa");
    const char *mmu = fdt_string("/cpus/cpu@0", "mmu-type");

    probe("entry-hartid", "%lu", hartid);
    probe("entry-dtb", "%s", fdt_valid() ? "a flattened device tree" : "no device tree");
    probe("entry-sstatus", "0x%lx", csr_read(CSR_SSTATUS));
    probe("entry-sie", "0x%lx", csr_read(CSR_SIE));
    probe("entry-sip", "0x%lx", csr_read(CSR_SIP));
    probe("entry-satp", "0x%lx", csr_read(CSR_SATP));
    probe("entry-sscratch", "0x%lx", csr_read(CSR_SSCRATCH));
    probe("entry-scounteren", "0x%lx", csr_read(CSR_SCOUNTEREN));
    probe("entry-senvcfg", "0x%lx", csr_read(CSR_SENVCFG));
    /* What the entry value of sstatus.FS means to a kernel that uses FP without setting FS first
     * (read after the values above: it makes FS Dirty). */
    char b[64];
    trap_arm();
    __asm__ volatile(".word 0xf2000053" ::: "memory"); /* fmv.d.x f0, x0 */
    trap_disarm();
    probe("entry-fp", "%s", trap_brief(b, sizeof(b)));
    probe("dt-isa", "%s", isa ? isa : "(none)");
    probe("dt-mmu-type", "%s", mmu ? mmu : "(none)");
    if (!fdt_u32("/cpus", "timebase-frequency", &tb)) {
        fdt_u32("/cpus/cpu@0", "timebase-frequency", &tb);
    }
    probe("dt-timebase", "%u", tb);
}

struct field {
    const char *name;
    uint64_t mask;
};

static unsigned lsb(uint64_t m)
{
    unsigned n = 0;

    while (m && !(m & 1)) {
        m >>= 1;
        n++;
    }
    return n;
}

static void sstatus_fields(void)
{
    static const struct field f[] = {
        { "sstatus-SIE", SSTATUS_SIE }, { "sstatus-SPIE", SSTATUS_SPIE },
        { "sstatus-UBE", SSTATUS_UBE }, { "sstatus-SPP", SSTATUS_SPP },
        { "sstatus-VS", SSTATUS_VS },   { "sstatus-FS", SSTATUS_FS },
        { "sstatus-XS", SSTATUS_XS },   { "sstatus-SUM", SSTATUS_SUM },
        { "sstatus-MXR", SSTATUS_MXR }, { "sstatus-UXL", SSTATUS_UXL },
    };
    /* sie is 0 here, so setting SIE takes no interrupt. */
    for (unsigned i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
        uint64_t old = csr_read(CSR_SSTATUS);
        csr_set(CSR_SSTATUS, f[i].mask);
        uint64_t set = (csr_read(CSR_SSTATUS) & f[i].mask) >> lsb(f[i].mask);
        csr_clear(CSR_SSTATUS, f[i].mask);
        uint64_t clr = (csr_read(CSR_SSTATUS) & f[i].mask) >> lsb(f[i].mask);
        csr_write(CSR_SSTATUS, old);
        probe(f[i].name, "set=%lu clear=%lu", set, clr);
    }
    /* SD summarises FS (and VS, XS): Dirty sets it, Initial and Clean do not. */
    uint64_t old = csr_read(CSR_SSTATUS);
    char res[4];
    for (unsigned fs = 0; fs < 4; fs++) {
        csr_write(CSR_SSTATUS, (old & ~SSTATUS_FS) | ((uint64_t)fs << 13));
        res[fs] = (csr_read(CSR_SSTATUS) & SSTATUS_SD) ? '1' : '0';
    }
    csr_write(CSR_SSTATUS, old);
    probe("sstatus-SD-by-FS", "off=%c initial=%c clean=%c dirty=%c", res[0], res[1], res[2],
          res[3]);
    /* SD itself is read-only: setting it with FS Off leaves it clear. */
    csr_write(CSR_SSTATUS, old & ~SSTATUS_FS);
    csr_set(CSR_SSTATUS, SSTATUS_SD);
    uint64_t sd = csr_read(CSR_SSTATUS) >> 63;
    csr_write(CSR_SSTATUS, old);
    probe("sstatus-SD-write", "with FS off, set -> %lu", sd);
}

/* Every CSR instruction form on one CSR: register and immediate, write, set, clear, and rd = rs1.
 */
static void csr_forms(void)
{
    uint64_t old = csr_read(CSR_SSCRATCH), r[6], v = 0x30;

    csr_write(CSR_SSCRATCH, 0);
    __asm__ volatile("csrrwi %0, sscratch, 5" : "=r"(r[0]) : : "memory");
    __asm__ volatile("csrrsi %0, sscratch, 0x18" : "=r"(r[1]) : : "memory");
    __asm__ volatile("csrrci %0, sscratch, 1" : "=r"(r[2]) : : "memory");
    __asm__ volatile("csrrs %0, sscratch, %1" : "=r"(r[3]) : "r"(0x100ull) : "memory");
    __asm__ volatile("csrrc %0, sscratch, %1" : "=r"(r[4]) : "r"(0x10ull) : "memory");
    __asm__ volatile("csrrw %0, sscratch, %0" : "+r"(v) : : "memory"); /* rd = rs1: a swap */
    r[5] = csr_read(CSR_SSCRATCH);
    csr_write(CSR_SSCRATCH, old);
    probe("csr-instruction-forms", "0x%lx 0x%lx 0x%lx 0x%lx 0x%lx swap->0x%lx now 0x%lx", r[0],
          r[1], r[2], r[3], r[4], v, r[5]);
}

static void stvec_modes(void)
{
    uint64_t base = (uint64_t)(uintptr_t)trap_vectors;
    static const char *const names[] = { "stvec-mode0", "stvec-mode1", "stvec-mode2",
                                         "stvec-mode3" };

    for (unsigned m = 0; m < 4; m++) {
        csr_write(CSR_STVEC, (uint64_t)(uintptr_t)trap_entry);
        csr_write(CSR_STVEC, base | m);
        uint64_t v = csr_read(CSR_STVEC);
        csr_write(CSR_STVEC, (uint64_t)(uintptr_t)trap_entry);
        probe(names[m], "%s mode=%lu",
              v == (uint64_t)(uintptr_t)trap_entry ? "write ignored"
              : (v & ~3ull) == base                ? "base kept"
                                                   : "base changed",
              v & 3);
    }
    /* A vectored BASE that is only 4-byte aligned. */
    csr_write(CSR_STVEC, (base + 4) | 1);
    uint64_t v = csr_read(CSR_STVEC);
    csr_write(CSR_STVEC, (uint64_t)(uintptr_t)trap_entry);
    probe("stvec-vectored-base+4", "base%s mode=%lu",
          (v & ~3ull) == base + 4 ? "+4 kept" : " changed", v & 3);
}

static void sepc_alignment(void)
{
    uint64_t old = csr_read(CSR_SEPC);
    uint64_t r[4];

    for (unsigned low = 0; low < 4; low++) {
        csr_write(CSR_SEPC, 0x80201000ull | low);
        r[low] = csr_read(CSR_SEPC) & 3;
    }
    csr_write(CSR_SEPC, old);
    probe("sepc-alignment", "low bits 0->%lu 1->%lu 2->%lu 3->%lu", r[0], r[1], r[2], r[3]);
}

static void satp_modes(void)
{
    char name[24];

    mm_off();
    for (uint64_t mode = 0; mode < 16; mode++) {
        uint64_t ppn = mode == 9    ? mm_root48()
                       : mode == 10 ? mm_root57()
                                    : mm_satp() & ((1ull << 44) - 1);
        uint64_t v = mode == 0 ? 0 : (mode << SATP_MODE_SHIFT) | ppn;
        csr_write(CSR_SATP, v);
        __asm__ volatile("sfence.vma" ::: "memory");
        uint64_t got = csr_read(CSR_SATP);
        mm_off();
        fmt_sn(name, sizeof(name), "satp-mode%lu", mode);
        probe(name, "%s", got == v ? "accepted" : got == 0 ? "write ignored" : "changed");
    }
    /* ASIDLEN: write all ones to the ASID field and count what stays (supervisor chapter, "satp").
     */
    csr_write(CSR_SATP, mm_satp() | (0xffffull << SATP_ASID_SHIFT));
    uint64_t asid = (csr_read(CSR_SATP) >> SATP_ASID_SHIFT) & 0xffff;
    mm_off();
    unsigned bits = 0;
    while (asid & 1) {
        bits++;
        asid >>= 1;
    }
    probe("satp-asid-bits", "%u", bits);
}

void probes_csr(void)
{
    WARL("sstatus", CSR_SSTATUS);
    WARL("sie", CSR_SIE);
    WARL("sip", CSR_SIP);
    WARL("stvec", CSR_STVEC);
    WARL("sscratch", CSR_SSCRATCH);
    WARL("sepc", CSR_SEPC);
    WARL("scause", CSR_SCAUSE);
    WARL("stval", CSR_STVAL);
    WARL("satp", CSR_SATP);
    WARL("scounteren", CSR_SCOUNTEREN);
    WARL("senvcfg", CSR_SENVCFG);
    const char *isa = fdt_string("/cpus/cpu@0", "riscv,isa");
    if (str_has(isa, "sstc")) {
        /* Sstc: the all-zeros write makes STIP pending; sie is 0, and the old deadline goes back.
         */
        WARL("stimecmp", CSR_STIMECMP);
    } else {
        probe("csr-stimecmp", "not probed: Sstc not in riscv,isa");
    }
    sstatus_fields();
    csr_forms();
    stvec_modes();
    sepc_alignment();
    satp_modes();
    /* CSRs of extensions QEMU's virt hart lacks, of other privilege levels, and of H. */
    TRY_READ("scountinhibit", 0x120);
    TRY_READ("siselect", 0x150);
    TRY_READ("stopi", 0xdb0);
    TRY_READ("scountovf", 0xda0);
    TRY_READ("sstateen0", 0x10c);
    TRY_READ("mstatus", 0x300);
    TRY_READ("misa", 0x301);
    TRY_READ("mhartid", 0xf14);
    TRY_READ("hstatus", 0x600);
    TRY_READ("vsstatus", 0x200);
    TRY_READ("hgatp", 0x680);
}
