// SPDX-License-Identifier: MIT
// Probes of what may reveal a hypervisor: the SBI implementation, the physical address map around
// the kernel, what privileged work costs in instructions, and (as fatal probes, run last) the top
// GiB of the address space, where the trap engine keeps its own alias.
#include "census.h"

extern char u_ecall[];

#define SBI_EXT_BASE 0x10

static void sbi_probes(void)
{
    static const struct {
        const char *name;
        unsigned long eid;
    } ext[] = {
        { "sbi-probe-legacy-putchar", 0x01 }, { "sbi-probe-time", 0x54494d45 },
        { "sbi-probe-ipi", 0x735049 },        { "sbi-probe-rfence", 0x52464e43 },
        { "sbi-probe-hsm", 0x48534d },        { "sbi-probe-srst", 0x53525354 },
        { "sbi-probe-pmu", 0x504d55 },        { "sbi-probe-dbcn", 0x4442434e },
        { "sbi-probe-susp", 0x53555350 },     { "sbi-probe-cppc", 0x43505043 },
        { "sbi-probe-sta", 0x535441 },       { "sbi-probe-rvhyp", 0x08505648 },
    };
    struct sbiret r = sbi_call(SBI_EXT_BASE, 0, 0, 0, 0);
    probe("sbi-spec-version", "%ld.%ld", (r.value >> 24) & 0x7f, r.value & 0xffffff);
    r = sbi_call(SBI_EXT_BASE, 1, 0, 0, 0);
    probe("sbi-impl-id", "0x%lx", (unsigned long)r.value);
    r = sbi_call(SBI_EXT_BASE, 2, 0, 0, 0);
    probe("sbi-impl-version", "0x%lx", (unsigned long)r.value);
    r = sbi_call(SBI_EXT_BASE, 4, 0, 0, 0);
    probe("sbi-mvendorid", "0x%lx", (unsigned long)r.value);
    r = sbi_call(SBI_EXT_BASE, 5, 0, 0, 0);
    probe("sbi-marchid", "0x%lx", (unsigned long)r.value);
    r = sbi_call(SBI_EXT_BASE, 6, 0, 0, 0);
    probe("sbi-mimpid", "0x%lx", (unsigned long)r.value);
    for (unsigned i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
        r = sbi_call(SBI_EXT_BASE, 3, ext[i].eid, 0, 0);
        probe(ext[i].name, "%s", r.error ? "error" : r.value ? "present" : "absent");
    }
    r = sbi_call(0x0a000000, 0, 0, 0, 0);
    probe("sbi-unknown-extension", "error %ld", r.error);
}

/* Physical addresses around the kernel, read with translation off. */
static void phys_probe(const char *name, uint64_t pa, unsigned width)
{
    uint64_t v = 0;
    char b[64];

    trap_arm();
    if (width == 1) {
        __asm__ volatile("lbu %0, 0(%1)" : "+r"(v) : "r"(pa) : "memory");
    } else {
        __asm__ volatile("lwu %0, 0(%1)" : "+r"(v) : "r"(pa) : "memory");
    }
    trap_disarm();
    if (last_trap.taken) {
        probe(name, "%s", trap_brief(b, sizeof(b)));
    } else {
        probe(name, "readable, 0x%lx", v);
    }
}

static void phys_probes(void)
{
    mm_off();
    /* The value of RAM below the kernel is whatever is there: only whether it can be read counts.
     */
    uint64_t v = 0;
    char b[64];
    trap_arm();
    __asm__ volatile("ld %0, 0(%1)" : "+r"(v) : "r"(0x80000000ull) : "memory");
    trap_disarm();
    probe("phys-ram-below-kernel", "%s", last_trap.taken ? trap_brief(b, sizeof(b)) : "readable");
    phys_probe("phys-hole-0x10000", 0x10000, 4);
    phys_probe("phys-uart-lsr", 0x10000005, 1);
    phys_probe("phys-plic-priority1", 0x0c000004, 4);
    phys_probe("phys-clint-mtime", 0x0200bff8, 4);
    phys_probe("phys-virtio-mmio-magic", 0x10001000, 4);
    phys_probe("phys-sifive-test", 0x00100000, 4);
    mm_on();
}

/* Instructions retired (instret counts every mode's) over an operation, less the same stretch
 * without it: what a timing-aware kernel could see. */
static uint64_t instret_of(void (*op)(void))
{
    uint64_t a = csr_read(CSR_INSTRET);
    op();
    return csr_read(CSR_INSTRET) - a;
}

static void op_nops(void)
{
    __asm__ volatile(".rept 16\n\tnop\n\t.endr" ::: "memory");
}

static void op_csrs(void)
{
    __asm__ volatile(".rept 16\n\tcsrr t0, sscratch\n\t.endr" ::: "memory", "t0");
}

static void op_user_ecall(void)
{
    run_user(u_ecall, 0, 0);
}

static void op_sbi(void)
{
    sbi_call(SBI_EXT_BASE, 0, 0, 0, 0);
}

static void op_ebreak(void)
{
    trap_arm();
    __asm__ volatile(".word 0x00100073" ::: "memory");
    trap_disarm();
}

/* An illegal instruction: OpenSBI takes it in M-mode first and redirects it (medeleg leaves it
 * out). */
static void op_illegal(void)
{
    trap_arm();
    __asm__ volatile(".word 0xc0001073" ::: "memory");
    trap_disarm();
}

static void cost_probes(void)
{
    uint64_t base = instret_of(op_nops), csrs = instret_of(op_csrs);
    uint64_t per = csrs > base ? (csrs - base) / 16 + 1 : 1;
    probe("cost-csr-read", "%s",
          per <= 2    ? "an ordinary instruction"
          : per < 100 ? "slow"
                      : "trapped (>= 100 each)");
    /* The census's own trap handler runs a few hundred instructions; more is someone else's work.
     */
    uint64_t u = instret_of(op_user_ecall);
    probe("cost-user-ecall-roundtrip", "%s",
          u < 2000 ? "< 2000 instructions" : ">= 2000 instructions");
    uint64_t e = instret_of(op_ebreak);
    probe("cost-s-ebreak-roundtrip", "%s",
          e < 2000 ? "< 2000 instructions" : ">= 2000 instructions");
    uint64_t s = instret_of(op_sbi);
    probe("cost-sbi-call", "%s", s < 2000 ? "< 2000 instructions" : ">= 2000 instructions");
    uint64_t ill = instret_of(op_illegal);
    /* Exact counts for docs/virtualizability.md, not compared: they differ by design. */
    out_line("census: instret per operation: csr read %lu, s-ebreak trap %lu, s-illegal trap %lu, "
             "user ecall %lu, sbi call %lu",
             per, e, ill, u, s);
}

void probes_reveal(void)
{
    sbi_probes();
    phys_probes();
    cost_probes();
}

/* ---- Fatal probes: under the trap engine the top GiB is the hypervisor's, and a guest that maps
 * it is stopped; each runs in a guest of its own there, and last everywhere. ---- */

static volatile uint64_t top_marker = 0x70b0b0b0ull;

void probes_fatal(int which)
{
    char b[64];
    uint64_t v = 0;

    if (which == 0) {
        out_line("census: fatal probe top-gib-mapped next");
        mm_on();
        uint64_t *root = mm_root();
        root[511] = ((0x80000000ull >> 12) << 10) | PTE_V | PTE_R | PTE_W | PTE_A | PTE_D;
        __asm__ volatile("sfence.vma" ::: "memory");
        uint64_t alias = (uint64_t)(uintptr_t)&top_marker - 0x80000000ull + 0xffffffffc0000000ull;
        trap_arm();
        __asm__ volatile("sd %1, 0(%2)\n\tld %0, 0(%2)"
                         : "+r"(v)
                         : "r"(0x70b0b0b1ull), "r"(alias)
                         : "memory");
        trap_disarm();
        root[511] = 0;
        mm_off();
        probe("top-gib-mapped", "%s",
              last_trap.taken                                     ? trap_brief(b, sizeof(b))
              : v == 0x70b0b0b1ull && top_marker == 0x70b0b0b1ull ? "ok, aliases RAM"
                                                                  : "ok, but other data");
    } else {
        out_line("census: fatal probe top-gib-bare next");
        mm_off();
        trap_arm();
        __asm__ volatile("ld %0, 0(%1)" : "+r"(v) : "r"(0xffffffffc0000000ull) : "memory");
        trap_disarm();
        probe("top-gib-bare", "%s", trap_brief(b, sizeof(b)));
    }
}
