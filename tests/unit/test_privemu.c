// SPDX-License-Identifier: MIT
// Trap-engine privileged emulation, CSR side: every S CSR in all six CSR forms with its WARL rules,
// and the illegal cases, over tables of encodings and CSR states.
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "check.h"
#include "privemu_env.h"
#include <arch/csr.h>
#include <arch/privemu.h>

bool arch_engine_trap = true;

/* Encoding checked against riscv64-linux-gnu-as -march=rv64gc_h_svinval, objdump -M no-aliases. */
#define MRET 0x30200073u

#define RD 5 /* t0 */

TEST(encoders_match_the_assembler)
{
    CHECK_EQ(csr_insn(CSRRW, 5, CSR_SSTATUS, 6), 0x100312f3);
    CHECK_EQ(csr_insn(CSRRS, 5, CSR_SIP, 0), 0x144022f3);
    CHECK_EQ(csr_insn(CSRRSI, 5, CSR_SIE, 31), 0x104fe2f3);
    CHECK_EQ(csr_insn(CSRRCI, 5, CSR_SATP, 1), 0x1800f2f3);
    CHECK_EQ(csr_insn(CSRRWI, 0, CSR_STVEC, 5), 0x1052d073);
    CHECK_EQ(csr_insn(CSRRC, 5, CSR_STVAL, 6), 0x143332f3);
    CHECK_EQ(sfence_vma(0, 0), 0x12000073);
    CHECK_EQ(sfence_vma(10, 0), 0x12050073);
    CHECK_EQ(sfence_vma(10, 11), 0x12b50073);
    /* CSR numbers: priv spec csrs.adoc, "Supervisor-level CSRs". */
    CHECK_EQ(CSR_SSTATUS, 0x100);
    CHECK_EQ(CSR_SIE, 0x104);
    CHECK_EQ(CSR_STVEC, 0x105);
    CHECK_EQ(CSR_SCOUNTEREN, 0x106);
    CHECK_EQ(CSR_SENVCFG, 0x10a);
    CHECK_EQ(CSR_SSCRATCH, 0x140);
    CHECK_EQ(CSR_SEPC, 0x141);
    CHECK_EQ(CSR_SCAUSE, 0x142);
    CHECK_EQ(CSR_STVAL, 0x143);
    CHECK_EQ(CSR_SIP, 0x144);
    CHECK_EQ(CSR_STIMECMP, 0x14d);
    CHECK_EQ(CSR_SATP, 0x180);
    /* sstatus: SIE 1, SPIE 5, SPP 8, FS 14:13, SUM 18, MXR 19. */
    CHECK_EQ(PRIV_SSTATUS_WRITABLE, (1ull << 1) | (1ull << 5) | (1ull << 8) | (3ull << 13) |
                                        (1ull << 18) | (1ull << 19));
}

/* Where each virtual CSR lives (sip: in hvip, VS numbering). */
static uint64_t *field(struct vcpu_arch *a, unsigned csr)
{
    switch (csr) {
    case CSR_SSTATUS:
        return &a->vs.vsstatus;
    case CSR_SIE:
        return &a->vs.vsie;
    case CSR_STVEC:
        return &a->vs.vstvec;
    case CSR_SCOUNTEREN:
        return &a->vs.scounteren;
    case CSR_SENVCFG:
        return &a->vs.senvcfg;
    case CSR_SSCRATCH:
        return &a->vs.vsscratch;
    case CSR_SEPC:
        return &a->vs.vsepc;
    case CSR_SCAUSE:
        return &a->vs.vscause;
    case CSR_STVAL:
        return &a->vs.vstval;
    case CSR_SIP:
        return &a->vs.hvip;
    default:
        return &a->vs.vsatp;
    }
}

#define ONES (~0ull)
#define UXL SSTATUS_UXL_64
#define SV39 (SATP_MODE_SV39 << SATP_MODE_SHIFT)
#define SATP_A (SV39 | 5ull << SATP_ASID_SHIFT | 0x80123ull)

struct csr_case {
    unsigned f3, csr;
    uint64_t before; /* the field before */
    uint64_t src;    /* x[rs1], or the uimm of the I forms */
    uint64_t old;    /* what rd reads */
    uint64_t after;  /* the field after */
    unsigned fx;
};

static const struct csr_case csr_cases[] = {
    /* sstatus: only SIE, SPIE, SPP, FS, SUM, MXR stick; UXL reads 2, SD follows FS = Dirty. */
    { CSRRW, CSR_SSTATUS, 0, ONES, UXL, PRIV_SSTATUS_WRITABLE,
      PRIV_FX_VIEW | PRIV_FX_SATP | PRIV_FX_IRQ },
    { CSRRW, CSR_SSTATUS, PRIV_SSTATUS_WRITABLE, 0, PRIV_SSTATUS_WRITABLE | UXL | SSTATUS_SD, 0,
      PRIV_FX_VIEW | PRIV_FX_SATP | PRIV_FX_IRQ },
    { CSRRS, CSR_SSTATUS, 0, SSTATUS_SUM, UXL, SSTATUS_SUM, PRIV_FX_VIEW },
    { CSRRC, CSR_SSTATUS, SSTATUS_MXR | SSTATUS_SIE, SSTATUS_MXR, UXL | SSTATUS_MXR | SSTATUS_SIE,
      SSTATUS_SIE, PRIV_FX_SATP },
    { CSRRSI, CSR_SSTATUS, FS_INIT, 2, UXL | FS_INIT, FS_INIT | SSTATUS_SIE, PRIV_FX_IRQ },
    { CSRRCI, CSR_SSTATUS, SSTATUS_SIE | SSTATUS_SPIE, 2, UXL | SSTATUS_SIE | SSTATUS_SPIE,
      SSTATUS_SPIE, PRIV_FX_IRQ },
    { CSRRW, CSR_SSTATUS, 0, SSTATUS_SPP | SSTATUS_SPIE | FS_DIRTY, UXL,
      SSTATUS_SPP | SSTATUS_SPIE | FS_DIRTY, 0 },
    /* UBE, VS, XS, UXL, SD and the reserved bits are not the guest's to write. */
    { CSRRW, CSR_SSTATUS, 0, ~PRIV_SSTATUS_WRITABLE, UXL, 0, 0 },
    { CSRRWI, CSR_SSTATUS, SSTATUS_SUM, 0, UXL | SSTATUS_SUM, 0, PRIV_FX_VIEW },
    /* sie: SSIE, STIE, SEIE. */
    { CSRRW, CSR_SIE, 0, ONES, 0, 0x222, PRIV_FX_IRQ },
    { CSRRS, CSR_SIE, 0x2, 0x20, 0x2, 0x22, PRIV_FX_IRQ },
    { CSRRC, CSR_SIE, 0x222, 0x200, 0x222, 0x22, PRIV_FX_IRQ },
    { CSRRWI, CSR_SIE, 0x200, 31, 0x200, 0x2, PRIV_FX_IRQ },
    { CSRRSI, CSR_SIE, 0x20, 0x10, 0x20, 0x20, PRIV_FX_IRQ },
    /* sip: reads hvip >> 1; only SSIP is writable (hvip bit 2). */
    { CSRRW, CSR_SIP, 0, ONES, 0, 0x4, PRIV_FX_IRQ },
    { CSRRW, CSR_SIP, 0x444, 0, 0x222, 0x440, PRIV_FX_IRQ },
    { CSRRS, CSR_SIP, 0, 0x220, 0, 0, PRIV_FX_IRQ },
    { CSRRC, CSR_SIP, 0x444, 0x222, 0x222, 0x440, PRIV_FX_IRQ },
    { CSRRSI, CSR_SIP, 0x40, 2, 0x20, 0x44, PRIV_FX_IRQ },
    { CSRRCI, CSR_SIP, 0x4, 2, 0x2, 0, PRIV_FX_IRQ },
    /* stvec: MODE 2 and 3 are reserved, bit 1 reads 0. */
    { CSRRW, CSR_STVEC, 0, 0x80200003, 0, 0x80200001, 0 },
    { CSRRW, CSR_STVEC, 0, 0x80200002, 0, 0x80200000, 0 },
    { CSRRW, CSR_STVEC, 0x80200000, 0x80300001, 0x80200000, 0x80300001, 0 },
    { CSRRSI, CSR_STVEC, 0x80200000, 3, 0x80200000, 0x80200001, 0 },
    /* sepc: bit 0 always zero (IALIGN 16). */
    { CSRRW, CSR_SEPC, 0, 0x80001235, 0, 0x80001234, 0 },
    { CSRRW, CSR_SEPC, 0, ONES, 0, ~1ull, 0 },
    { CSRRSI, CSR_SEPC, 0x1000, 1, 0x1000, 0x1000, 0 },
    /* scounteren: CY, TM, IR; senvcfg: FIOM. */
    { CSRRW, CSR_SCOUNTEREN, 0, ONES, 0, 7, 0 },
    { CSRRSI, CSR_SCOUNTEREN, 1, 0x1e, 1, 7, 0 },
    { CSRRC, CSR_SCOUNTEREN, 7, 2, 7, 5, 0 },
    { CSRRW, CSR_SENVCFG, 0, ONES, 0, 1, 0 },
    { CSRRCI, CSR_SENVCFG, 1, 1, 1, 0, 0 },
    /* sscratch, scause, stval: every bit. */
    { CSRRW, CSR_SSCRATCH, 0x1234, ONES, 0x1234, ONES, 0 },
    { CSRRC, CSR_SSCRATCH, ONES, 0xff00, ONES, ~0xff00ull, 0 },
    { CSRRW, CSR_SCAUSE, 0, SCAUSE_IRQ | 5, 0, SCAUSE_IRQ | 5, 0 },
    { CSRRS, CSR_STVAL, 0x10, 0xffffffc000000000ull, 0x10, 0xffffffc000000010ull, 0 },
    /* satp: Bare and Sv39 only; any other MODE makes the whole write have no effect. */
    { CSRRW, CSR_SATP, 0, SATP_A, 0, SATP_A, PRIV_FX_SATP },
    { CSRRW, CSR_SATP, SATP_A, 0, SATP_A, 0, PRIV_FX_SATP },
    { CSRRW, CSR_SATP, SATP_A, 9ull << 60 | 0x1, SATP_A, SATP_A, 0 },  /* Sv48 */
    { CSRRW, CSR_SATP, SATP_A, 10ull << 60 | 0x1, SATP_A, SATP_A, 0 }, /* Sv57 */
    { CSRRW, CSR_SATP, 0, 1ull << 60 | 0x1, 0, 0, 0 },                 /* reserved */
    { CSRRW, CSR_SATP, 0, 15ull << 60, 0, 0, 0 },
    { CSRRS, CSR_SATP, SATP_A, 1ull << 60, SATP_A, SATP_A, 0 },        /* 8 | 1 = 9 */
    { CSRRC, CSR_SATP, SATP_A, 0x3, SATP_A, SATP_A & ~3ull, PRIV_FX_SATP },
    { CSRRCI, CSR_SATP, SATP_A, 1, SATP_A, SATP_A & ~1ull, PRIV_FX_SATP },
};

TEST(csr_writes_follow_warl_masks)
{
    for (size_t i = 0; i < sizeof(csr_cases) / sizeof(csr_cases[0]); i++) {
        const struct csr_case *c = &csr_cases[i];
        struct vcpu_arch a;
        struct priv_fx fx;
        fresh(&a);
        *field(&a, c->csr) = c->before;
        unsigned rs1 = c->f3 >= CSRRWI ? (unsigned)c->src : RS1;
        a.regs.x[RS1] = c->src;
        a.regs.x[RD] = 0xdead;
        unsigned r = run(&a, csr_insn(c->f3, RD, c->csr, rs1), &fx);
        if (r != c->fx || a.regs.x[RD] != c->old || *field(&a, c->csr) != c->after) {
            fprintf(stderr, "csr case %zu (csr 0x%x funct3 %u):\n", i, c->csr, c->f3);
        }
        CHECK_EQ(r, c->fx);
        CHECK_EQ(a.regs.x[RD], c->old);
        CHECK_EQ(*field(&a, c->csr), c->after);
        CHECK_EQ(a.regs.sepc, PC + 4);
        CHECK_EQ(a.regs.x[RS1], c->src); /* a source register is never clobbered */
        /* What priv_csr_read reports matches what the next instruction reads. */
        uint64_t v;
        CHECK(priv_csr_read(&a, c->csr, &v));
        run(&a, csr_insn(CSRRS, RD, c->csr, 0), &fx);
        CHECK_EQ(a.regs.x[RD], v);
    }
}

static const unsigned s_csrs[] = { CSR_SSTATUS, CSR_SIE, CSR_STVEC, CSR_SCOUNTEREN, CSR_SENVCFG,
                                   CSR_SSCRATCH, CSR_SEPC, CSR_SCAUSE, CSR_STVAL, CSR_SIP,
                                   CSR_SATP };
#define N_S_CSRS (sizeof(s_csrs) / sizeof(s_csrs[0]))

TEST(csr_read_reports_each_s_csr)
{
    struct vcpu_arch a;
    fresh(&a);
    a.vs.vsstatus = SSTATUS_SUM | FS_INIT;
    a.vs.vsie = 0x20;
    a.vs.vstvec = 0x80200001;
    a.vs.scounteren = 5;
    a.vs.senvcfg = 1;
    a.vs.vsscratch = 0x1111;
    a.vs.vsepc = 0x2222;
    a.vs.vscause = 0xd;
    a.vs.vstval = 0x3333;
    a.vs.hvip = 0x444 | 0x1000; /* VSSIP, VSTIP, VSEIP and SGEIP, which sip does not show */
    a.vs.vsatp = SATP_A;
    const uint64_t want[N_S_CSRS] = { SSTATUS_SUM | FS_INIT | UXL, 0x20, 0x80200001, 5, 1, 0x1111,
                                      0x2222, 0xd, 0x3333, 0x222, SATP_A };
    for (size_t i = 0; i < N_S_CSRS; i++) {
        uint64_t v = 0xdead;
        CHECK(priv_csr_read(&a, s_csrs[i], &v));
        CHECK_EQ(v, want[i]);
    }
    a.vs.vsstatus = FS_DIRTY;
    uint64_t v;
    CHECK(priv_csr_read(&a, CSR_SSTATUS, &v));
    CHECK_EQ(v, FS_DIRTY | UXL | SSTATUS_SD);
    static const unsigned absent[] = { CSR_STIMECMP, 0x5a8, 0x101, 0x10c, 0x14e, 0x181, 0x200,
                                       0x244, 0x300, 0x600, 0x645, 0xc00, 0xc01, 0xda0 };
    for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++) {
        CHECK(!priv_csr_read(&a, absent[i], &v));
    }
}

/* CSRRS/CSRRC with x0 and CSRRSI/CSRRCI with uimm 0 read only: no write, so no effects either. */
TEST(set_and_clear_with_zero_do_not_write)
{
    static const unsigned forms[] = { CSRRS, CSRRC, CSRRSI, CSRRCI };
    for (size_t i = 0; i < N_S_CSRS; i++) {
        for (size_t f = 0; f < 4; f++) {
            struct vcpu_arch a, before;
            struct priv_fx fx;
            fresh(&a);
            memset(&a.vs, 0xff, sizeof(a.vs));
            a.vs.vsatp = SATP_A;
            a.regs.x[RD] = 0xdead;
            uint64_t want;
            CHECK(priv_csr_read(&a, s_csrs[i], &want));
            memcpy(&before, &a, sizeof(a));
            CHECK_EQ(run(&a, csr_insn(forms[f], RD, s_csrs[i], 0), &fx), 0);
            CHECK_EQ(a.regs.x[RD], want);
            CHECK_EQ(a.regs.sepc, PC + 4);
            a.regs.x[RD] = before.regs.x[RD];
            a.regs.sepc = PC;
            CHECK(memcmp(&a, &before, sizeof(a)) == 0);
        }
    }
}

/* CSRRW/CSRRWI with x0 or uimm 0 do write: zero. */
TEST(write_forms_with_zero_write_zero)
{
    struct vcpu_arch a;
    struct priv_fx fx;
    fresh(&a);
    a.vs.vsscratch = 0x55;
    a.vs.vsie = 0x222;
    CHECK_EQ(run(&a, csr_insn(CSRRW, RD, CSR_SSCRATCH, 0), &fx), 0);
    CHECK_EQ(a.vs.vsscratch, 0);
    CHECK_EQ(a.regs.x[RD], 0x55);
    CHECK_EQ(run(&a, csr_insn(CSRRWI, RD, CSR_SIE, 0), &fx), PRIV_FX_IRQ);
    CHECK_EQ(a.vs.vsie, 0);
    CHECK_EQ(a.regs.x[RD], 0x222);
}

TEST(rd_x0_and_rd_equal_rs1)
{
    struct vcpu_arch a;
    struct priv_fx fx;
    fresh(&a);
    a.vs.vsscratch = 0x55;
    a.regs.x[RS1] = 0x77;
    CHECK_EQ(run(&a, csr_insn(CSRRW, 0, CSR_SSCRATCH, RS1), &fx), 0);
    CHECK_EQ(a.vs.vsscratch, 0x77);
    CHECK_EQ(a.regs.x[0], 0); /* x0 stays zero */
    CHECK_EQ(a.regs.sepc, PC + 4);
    /* csrrw t1, sscratch, t1: a swap (the source is read before rd is written). */
    a.regs.x[RS1] = 0x99;
    run(&a, csr_insn(CSRRW, RS1, CSR_SSCRATCH, RS1), &fx);
    CHECK_EQ(a.regs.x[RS1], 0x77);
    CHECK_EQ(a.vs.vsscratch, 0x99);
    /* csrrs t1, sstatus, t1 sets the bits t1 held and returns the old value in t1. */
    a.regs.x[RS1] = SSTATUS_SUM;
    CHECK_EQ(run(&a, csr_insn(CSRRS, RS1, CSR_SSTATUS, RS1), &fx), PRIV_FX_VIEW);
    CHECK_EQ(a.regs.x[RS1], UXL);
    CHECK_EQ(a.vs.vsstatus, SSTATUS_SUM);
}

/* Everything the engine refuses: the guest takes an illegal-instruction exception, nothing
 * changes. */
static void expect_illegal(struct vcpu_arch *a, uint32_t insn)
{
    struct vcpu_arch before;
    memcpy(&before, a, sizeof(before));
    struct priv_fx fx;
    unsigned r = run(a, insn, &fx);
    if (r != PRIV_FX_ILLEGAL) {
        fprintf(stderr, "insn 0x%08x (vmode %llu) not refused\n", insn,
                (unsigned long long)a->tv.vmode);
    }
    CHECK_EQ(r, PRIV_FX_ILLEGAL);
    CHECK(memcmp(a, &before, sizeof(*a)) == 0); /* pc, rd, CSRs all untouched */
}

TEST(csrs_beyond_s_level_or_unknown_are_illegal)
{
    static const unsigned csrs[] = {
        0x600, /* hstatus */  0x645, /* hvip */      0x680, /* hgatp */  0x300, /* mstatus */
        0x305, /* mtvec */    0x341, /* mepc */      0x200, /* vsstatus */ 0x280, /* vsatp */
        CSR_STIMECMP,         0x5a8, /* scontext */  0x101,              0x10c, /* sstateen0 */
        0x14e,                0x181,                 0xda0, /* scountovf */ 0xc00, /* cycle */
        0xc01, /* time */     0xc02, /* instret */   0x001, /* fflags */ 0x003, /* fcsr */
        0x7b0, /* dcsr */     0xf14, /* mhartid */
    };
    static const unsigned forms[] = { CSRRW, CSRRS, CSRRC, CSRRWI, CSRRSI, CSRRCI };
    for (size_t i = 0; i < sizeof(csrs) / sizeof(csrs[0]); i++) {
        for (size_t f = 0; f < 6; f++) {
            struct vcpu_arch a;
            fresh(&a);
            a.regs.x[RS1] = 1;
            a.regs.x[RD] = 0xdead;
            /* Source x0 / uimm 0 (CSRRS and CSRRC then only read; CSRRW and CSRRWI still write,
             * zero) and a nonzero source: illegal either way. */
            expect_illegal(&a, csr_insn(forms[f], RD, csrs[i], 0));
            expect_illegal(&a, csr_insn(forms[f], RD, csrs[i], forms[f] >= CSRRWI ? 1 : RS1));
        }
    }
}

TEST(other_system_instructions_are_illegal)
{
    static const uint32_t insns[] = {
        MRET,
        0x7b200073,          /* dret */
        0x16b50073,          /* sinval.vma a0, a1 */
        0x18000073,          /* sfence.w.inval */
        0x18100073,          /* sfence.inval.ir */
        0x22000073,          /* hfence.vvma */
        0x62000073,          /* hfence.gvma */
        0x6005c573,          /* hlv.b a0, (a1) */
        0x6aa5c073,          /* hsv.w a0, (a1) */
        0x6c05c573,          /* hlv.d a0, (a1) */
        SRET | 1u << 7,      /* sret with rd != 0: reserved */
        SRET | 1u << 15,     /* sret with rs1 != 0 */
        WFI | 1u << 15,
        0x12000073 | 1u << 7, /* sfence.vma with rd != 0 */
        0x00000013,          /* addi x0, x0, 0 */
        0x0002a283,          /* lw t0, 0(t0) */
        0x00000000,
        0xffffffff,
        0x10031277,          /* csrrw's fields with opcode 0x77 */
        0x100312f2,          /* and with opcode 0x72 */
        0x100342f3,          /* funct3 4 (HLV/HSV space) naming sstatus */
    };
    for (size_t i = 0; i < sizeof(insns) / sizeof(insns[0]); i++) {
        struct vcpu_arch a;
        fresh(&a);
        a.regs.x[10] = 0x80000000;
        a.regs.x[11] = 0x80001000;
        a.vs.vsstatus = SSTATUS_SPP | SSTATUS_SPIE;
        a.vs.vsepc = 0x80004000;
        expect_illegal(&a, insns[i]);
    }
}

/* The guest's user mode (vmode 0) never reaches privileged state. */
TEST(user_mode_is_always_illegal)
{
    const uint32_t insns[] = { SRET, WFI, sfence_vma(0, 0), sfence_vma(10, 0),
                               csr_insn(CSRRS, RD, CSR_SSTATUS, 0),
                               csr_insn(CSRRW, RD, CSR_SSCRATCH, RS1),
                               csr_insn(CSRRWI, RD, CSR_SATP, 0) };
    for (size_t i = 0; i < sizeof(insns) / sizeof(insns[0]); i++) {
        struct vcpu_arch a;
        fresh(&a);
        a.tv.vmode = 0;
        a.vs.vsstatus = SSTATUS_SPP | SSTATUS_SPIE;
        a.vs.vsepc = 0x80004000;
        a.regs.x[RS1] = 0x42;
        expect_illegal(&a, insns[i]);
    }
}
