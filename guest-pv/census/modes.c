// SPDX-License-Identifier: MIT
// Probes of mode transitions and of what U-mode may do: sret into S and U with SPP/SPIE/SIE every
// way, the counters from S and U, traps from U-mode with the state they leave, and U-mode attempts
// at every S-level CSR and privileged instruction.
#include "census.h"

uint64_t sret_probe(void);

/* U-mode snippets (start.S). */
extern char u_ecall[], u_unimp[], u_cunimp[], u_ebreak[], u_cebreak[], u_sret[], u_mret[], u_wfi[],
    u_sfence_vma[], u_cbo_zero[], u_cbo_clean[], u_fmv_d_x[], u_nop[];
#define U_CSR(n) extern char u_csrr_##n[], u_csrw_##n[]
U_CSR(sstatus);
U_CSR(sie);
U_CSR(stvec);
U_CSR(scounteren);
U_CSR(senvcfg);
U_CSR(sscratch);
U_CSR(sepc);
U_CSR(scause);
U_CSR(stval);
U_CSR(sip);
U_CSR(stimecmp);
U_CSR(satp);
U_CSR(cycle);
U_CSR(time);
U_CSR(instret);
U_CSR(hpmcounter3);

/* A U-mode trap as a probe line: cause, tval, where it was taken, and the mode bits it left. */
static void report_user(const char *name, const void *snippet, const struct trap_rec *t)
{
    char b[64];

    if (!t->taken) {
        probe(name, "no trap (bug in the census)");
        return;
    }
    uint64_t off = t->epc - user_va(snippet);
    probe(name, "%s at=+%lu spp=%lu spie=%lu sie=%lu", trap_str(b, sizeof(b), t), off,
          (t->status >> 8) & 1, (t->status >> 5) & 1, (t->status >> 1) & 1);
}

static void user_probe(const char *name, const void *snippet)
{
    struct trap_rec t = run_user(snippet, 0, 0);
    report_user(name, snippet, &t);
}

/* sret from S to S: SIE takes SPIE, SPIE becomes 1, SPP becomes 0 (the least privileged mode). */
static void sret_to_s_probes(void)
{
    char name[32];

    for (unsigned spie = 0; spie < 2; spie++) {
        for (unsigned sie = 0; sie < 2; sie++) {
            uint64_t old = csr_read(CSR_SSTATUS);
            uint64_t s = (old & ~(SSTATUS_SIE | SSTATUS_SPIE)) | SSTATUS_SPP;
            s |= (spie ? SSTATUS_SPIE : 0) | (sie ? SSTATUS_SIE : 0);
            csr_write(CSR_SSTATUS, s); /* sie is 0: SIE = 1 takes nothing */
            uint64_t after = sret_probe();
            csr_write(CSR_SSTATUS, old);
            fmt_sn(name, sizeof(name), "sret-to-s-spie%u-sie%u", spie, sie);
            probe(name, "mode=S sie=%lu spie=%lu spp=%lu", (after >> 1) & 1, (after >> 5) & 1,
                  (after >> 8) & 1);
        }
    }
}

/* sret to U: the snippet's first instruction (csrr sstatus) must trap, which shows the mode; the
 * trap's SPIE shows the SIE that sret left. */
static void sret_to_u_probes(void)
{
    char name[32];

    for (unsigned spie = 0; spie < 2; spie++) {
        for (unsigned sie = 0; sie < 2; sie++) {
            uint64_t old = csr_read(CSR_SSTATUS);
            uint64_t s = old & ~(SSTATUS_SIE | SSTATUS_SPIE);
            s |= (spie ? SSTATUS_SPIE : 0) | (sie ? SSTATUS_SIE : 0);
            csr_write(CSR_SSTATUS, s);
            struct trap_rec t = run_user(u_csrr_sstatus, 0, 0);
            csr_write(CSR_SSTATUS, old);
            fmt_sn(name, sizeof(name), "sret-to-u-spie%u-sie%u", spie, sie);
            report_user(name, u_csrr_sstatus, &t);
        }
    }
}

static void counters(void)
{
    /* From S: readable, and advancing (time may stand still over a few instructions: read it across
     * a longer stretch). */
    uint64_t c0 = csr_read(CSR_CYCLE), i0 = csr_read(CSR_INSTRET), t0 = csr_read(CSR_TIME);
    for (volatile unsigned i = 0; i < 20000; i++) {
    }
    uint64_t c1 = csr_read(CSR_CYCLE), i1 = csr_read(CSR_INSTRET), t1 = csr_read(CSR_TIME);
    probe("counter-cycle-s", "%s", c1 > c0 ? "advances" : "stands still");
    probe("counter-instret-s", "%s", i1 > i0 ? "advances" : "stands still");
    probe("counter-time-s", "%s", t1 > t0 ? "advances" : "stands still");

    /* S-mode reads do not depend on scounteren (it gates U-mode only). */
    uint64_t old = csr_read(CSR_SCOUNTEREN);
    csr_write(CSR_SCOUNTEREN, 0);
    char b[48];
    uint64_t x;
    trap_arm();
    __asm__ volatile("csrr %0, cycle\n\tcsrr %0, time\n\tcsrr %0, instret" : "=r"(x) : : "memory");
    trap_disarm();
    csr_write(CSR_SCOUNTEREN, old);
    probe("counter-s-scounteren0", "%s", trap_brief(b, sizeof(b)));

    trap_arm();
    uint64_t hpm;
    __asm__ volatile("li %0, 0\n\tcsrr %0, 0xc03" : "=&r"(hpm) : : "memory");
    trap_disarm();
    probe("counter-hpmcounter3-s", "%s", trap_brief(b, sizeof(b)));
}

static void user_counters(void)
{
    static const struct {
        const char *name;
        const char *snippet;
        uint64_t bit;
    } c[] = {
        { "cycle", u_csrr_cycle, 1 },
        { "time", u_csrr_time, 2 },
        { "instret", u_csrr_instret, 4 },
        { "hpmcounter3", u_csrr_hpmcounter3, 8 },
    };
    uint64_t old = csr_read(CSR_SCOUNTEREN);
    char name[40];

    for (unsigned i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        for (unsigned en = 0; en < 2; en++) {
            csr_write(CSR_SCOUNTEREN, en ? c[i].bit : 0);
            struct trap_rec t = run_user(c[i].snippet, 0, 0);
            fmt_sn(name, sizeof(name), "u-%s-scounteren%u", c[i].name, en);
            if (t.taken && t.cause == EXC_U_ECALL) {
                probe(name, "readable");
            } else {
                report_user(name, c[i].snippet, &t);
            }
        }
    }
    csr_write(CSR_SCOUNTEREN, old);
}

void probes_counters(void)
{
    counters();
}

void probes_modes(void)
{
    sret_to_s_probes();
}

void probes_user(void)
{
    sret_to_u_probes();
    user_counters();
    user_probe("u-ecall", u_ecall);
    user_probe("u-illegal-unimp", u_unimp);
    user_probe("u-illegal-c.unimp", u_cunimp);
    user_probe("u-ebreak", u_ebreak);
    user_probe("u-c.ebreak", u_cebreak);
    user_probe("u-sret", u_sret);
    user_probe("u-mret", u_mret);
    user_probe("u-wfi", u_wfi);
    user_probe("u-sfence.vma", u_sfence_vma);
#define U_CSR_PROBES(n)                                                                            \
    user_probe("u-csrr-" #n, u_csrr_##n);                                                          \
    user_probe("u-csrw-" #n, u_csrw_##n);
    U_CSR_PROBES(sstatus)
    U_CSR_PROBES(sie)
    U_CSR_PROBES(stvec)
    U_CSR_PROBES(scounteren)
    U_CSR_PROBES(senvcfg)
    U_CSR_PROBES(sscratch)
    U_CSR_PROBES(sepc)
    U_CSR_PROBES(scause)
    U_CSR_PROBES(stval)
    U_CSR_PROBES(sip)
    U_CSR_PROBES(stimecmp)
    U_CSR_PROBES(satp)
#undef U_CSR_PROBES

    /* FP from U-mode follows sstatus.FS as S-mode sets it: Off traps, otherwise it runs. */
    uint64_t old = csr_read(CSR_SSTATUS);
    csr_clear(CSR_SSTATUS, SSTATUS_FS);
    user_probe("u-fp-fs-off", u_fmv_d_x);
    csr_set(CSR_SSTATUS, 1ull << 13);
    struct trap_rec t = run_user(u_fmv_d_x, 0, 0);
    uint64_t fs = (csr_read(CSR_SSTATUS) & SSTATUS_FS) >> 13;
    csr_write(CSR_SSTATUS, old);
    if (t.taken && t.cause == EXC_U_ECALL) {
        probe("u-fp-fs-initial", "runs, FS then %lu", fs);
    } else {
        report_user("u-fp-fs-initial", u_fmv_d_x, &t);
    }

    /* Cache-block operations in U-mode, as senvcfg is at entry (Zicbom, Zicboz). */
    t = run_user(u_cbo_zero, test_va(SLOT_U_RW), 0);
    if (t.taken && t.cause == EXC_U_ECALL) {
        probe("u-cbo.zero", "runs");
    } else {
        report_user("u-cbo.zero", u_cbo_zero, &t);
    }
    t = run_user(u_cbo_clean, test_va(SLOT_U_RW), 0);
    if (t.taken && t.cause == EXC_U_ECALL) {
        probe("u-cbo.clean", "runs");
    } else {
        report_user("u-cbo.clean", u_cbo_clean, &t);
    }
}
