// SPDX-License-Identifier: MIT
// Fuzzes the trap engine's privileged-instruction emulator (arch/riscv/privemu.c). The input builds
// a vCPU in a state the engine can reach (the virtual CSRs hold only what their WARL rules let in),
// then runs a program of events on it, as tengine.c does: trapped instructions (CSR forms on every
// CSR number, sret, wfi, sfence.vma, raw words), register writes, interrupts raised and delivered,
// and exceptions entered. Each step is compared with a reference model written here from the priv
// spec's supervisor chapter, whole vcpu_arch against whole vcpu_arch, and the invariants the engine
// relies on are checked on their own: pc moves by 4, stays, or becomes sepc for sret; sie holds
// only 0x222; sstatus only its writable bits; hvip only the VS interrupt bits.
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include <arch/csr.h>
#include <arch/privemu.h>

bool arch_engine_trap = true;

#define SRET 0x10200073u
#define WFI 0x10500073u
#define VS_BITS 0x444ull /* VSSIP, VSTIP, VSEIP: what the timer, PLIC, IPIs and sip put in hvip */
#define PC_STEP 4

/* ---- the reference model ---- */

struct csr_ref {
    unsigned num;
    uint64_t mask; /* bits a write may set */
};

static const struct csr_ref csrs[] = {
    { CSR_SSTATUS, PRIV_SSTATUS_WRITABLE }, { CSR_SIE, 0x222 }, { CSR_STVEC, ~2ull },
    { CSR_SCOUNTEREN, 7 }, { CSR_SENVCFG, 1 }, { CSR_SSCRATCH, ~0ull }, { CSR_SEPC, ~1ull },
    { CSR_SCAUSE, ~0ull }, { CSR_STVAL, ~0ull }, { CSR_SIP, 0x2 }, { CSR_SATP, ~0ull },
};
#define NCSRS (sizeof csrs / sizeof csrs[0])

static uint64_t *csr_field(struct vcpu_arch *a, unsigned num)
{
    switch (num) {
    case CSR_SSTATUS: return &a->vs.vsstatus;
    case CSR_SIE: return &a->vs.vsie;
    case CSR_STVEC: return &a->vs.vstvec;
    case CSR_SCOUNTEREN: return &a->vs.scounteren;
    case CSR_SENVCFG: return &a->vs.senvcfg;
    case CSR_SSCRATCH: return &a->vs.vsscratch;
    case CSR_SEPC: return &a->vs.vsepc;
    case CSR_SCAUSE: return &a->vs.vscause;
    case CSR_STVAL: return &a->vs.vstval;
    case CSR_SIP: return &a->vs.hvip;
    default: return &a->vs.vsatp;
    }
}

static const struct csr_ref *csr_find(unsigned num)
{
    for (unsigned i = 0; i < NCSRS; i++) {
        if (csrs[i].num == num) {
            return &csrs[i];
        }
    }
    return NULL;
}

/* What a CSR reads: sstatus with UXL = 64 and SD summarising FS = Dirty; sip in S numbering. */
static uint64_t ref_read(const struct vcpu_arch *a, unsigned num)
{
    uint64_t *f = csr_field((struct vcpu_arch *)a, num);
    if (num == CSR_SSTATUS) {
        uint64_t s = *f | SSTATUS_UXL_64;
        return (s & SSTATUS_FS) == SSTATUS_FS ? s | SSTATUS_SD : s;
    }
    return num == CSR_SIP ? (*f >> 1) & 0x222 : *f;
}

static unsigned ref_write(struct vcpu_arch *a, unsigned num, uint64_t v)
{
    const struct csr_ref *c = csr_find(num);
    uint64_t *f = csr_field(a, num), old = *f;
    unsigned fx = 0;
    switch (num) {
    case CSR_SSTATUS:
        *f = (old & ~c->mask) | (v & c->mask);
        fx |= ((old ^ *f) & SSTATUS_SUM) ? PRIV_FX_VIEW : 0;
        fx |= ((old ^ *f) & SSTATUS_MXR) ? PRIV_FX_SATP : 0;
        fx |= ((old ^ *f) & SSTATUS_SIE) ? PRIV_FX_IRQ : 0;
        return fx;
    case CSR_SIP:
        /* Of sip only SSIP is the guest's; it lives at VSSIP in hvip. */
        *f = (old & ~(1ull << IRQ_VS_SOFT)) | ((v & 2) << 1);
        return PRIV_FX_IRQ;
    case CSR_SATP:
        /* WARL: a MODE the engine does not offer leaves satp as it was. */
        if ((v >> 60) != SATP_MODE_BARE && (v >> 60) != SATP_MODE_SV39) {
            return 0;
        }
        *f = v;
        return PRIV_FX_SATP;
    default:
        *f = v & c->mask;
        return num == CSR_SIE ? PRIV_FX_IRQ : 0;
    }
}

struct ref_fx {
    unsigned flags;
    bool fence_all;
    uint64_t fence_va;
};

static struct ref_fx ref_emulate(struct vcpu_arch *a, uint32_t insn)
{
    struct ref_fx fx = { .flags = PRIV_FX_ILLEGAL, .fence_all = true };
    unsigned f3 = (insn >> 12) & 7, rd = (insn >> 7) & 31, rs1 = (insn >> 15) & 31;
    unsigned num = insn >> 20;

    /* Only the guest kernel (virtual S) executes privileged instructions; in U they are illegal. */
    if ((insn & 0x7f) != 0x73 || a->tv.vmode != 1) {
        return fx;
    }
    if (f3 == 4) {
        return fx; /* HLV/HSV/HLVX: guests have no H extension */
    }
    if (f3 != 0) {
        /* Zicsr: CSRRW(I) always writes; CSRRS(I)/CSRRC(I) write only with rs1/uimm != 0. A CSR
         * number above S level, one the engine does not have, or a write to a read-only number
         * (bits 11:10 = 3) is illegal. */
        const struct csr_ref *c = csr_find(num);
        bool writes = (f3 & 3) == 1 || rs1 != 0;
        if (((num >> 8) & 3) > 1 || !c || (writes && (num >> 10) == 3)) {
            return fx;
        }
        uint64_t old = ref_read(a, num);
        uint64_t src = f3 >= 5 ? rs1 : (rs1 ? a->regs.x[rs1] : 0);
        fx.flags = 0;
        if (writes) {
            uint64_t v = (f3 & 3) == 1 ? src : (f3 & 3) == 2 ? old | src : old & ~src;
            fx.flags = ref_write(a, num, v);
        }
        if (rd) {
            a->regs.x[rd] = old;
        }
        a->regs.sepc += PC_STEP;
        return fx;
    }
    if (insn == SRET) {
        /* Supervisor chapter, "sret": pc = sepc, privilege = SPP, SIE = SPIE, SPIE = 1, SPP = U. */
        uint64_t s = a->vs.vsstatus;
        a->regs.sepc = a->vs.vsepc;
        a->tv.vmode = (s & SSTATUS_SPP) ? 1 : 0;
        s = (s & ~(SSTATUS_SIE | SSTATUS_SPP)) | SSTATUS_SPIE |
            ((s & SSTATUS_SPIE) ? SSTATUS_SIE : 0);
        a->vs.vsstatus = s;
        fx.flags = PRIV_FX_VIEW | PRIV_FX_IRQ;
        return fx;
    }
    if (insn == WFI) {
        fx.flags = PRIV_FX_WFI;
        return fx;
    }
    /* sfence.vma rs1, rs2: funct7 0001001, rd = 0; rs1 = x0 means every address. */
    if ((insn >> 25) == 0x09 && rd == 0) {
        fx.flags = PRIV_FX_FENCE;
        fx.fence_all = rs1 == 0;
        fx.fence_va = rs1 ? a->regs.x[rs1] : 0;
        a->regs.sepc += PC_STEP;
        return fx;
    }
    return fx; /* ecall, ebreak, mret, sinval.vma, hfence, wrs, ...: not the guest kernel's */
}

static int ref_pending(const struct vcpu_arch *a)
{
    uint64_t p = (a->vs.hvip >> 1) & a->vs.vsie & 0x222;
    if (!p || (a->tv.vmode == 1 && !(a->vs.vsstatus & SSTATUS_SIE))) {
        return -1;
    }
    /* Priority among S-level interrupts: SEI, SSI, STI. */
    return (p & (1u << IRQ_S_EXT))    ? IRQ_S_EXT
           : (p & (1u << IRQ_S_SOFT)) ? IRQ_S_SOFT
                                      : IRQ_S_TIMER;
}

static void ref_enter(struct vcpu_arch *a, uint64_t cause, uint64_t tval)
{
    uint64_t s = a->vs.vsstatus;
    s &= ~(SSTATUS_SPP | SSTATUS_SPIE | SSTATUS_SIE);
    s |= a->tv.vmode ? SSTATUS_SPP : 0;
    s |= (a->vs.vsstatus & SSTATUS_SIE) ? SSTATUS_SPIE : 0;
    a->vs.vsstatus = s;
    a->vs.vsepc = a->regs.sepc;
    a->vs.vscause = cause;
    a->vs.vstval = tval;
    a->tv.vmode = 1;
    uint64_t base = a->vs.vstvec & ~3ull;
    bool vectored = (a->vs.vstvec & 3) == 1 && (cause & SCAUSE_IRQ);
    a->regs.sepc = base + (vectored ? 4 * (cause & ~SCAUSE_IRQ) : 0);
}

/* ---- invariants of any reachable state ---- */

static void check_state(const struct vcpu_arch *a)
{
    FUZZ_CHECK((a->vs.vsie & ~0x222ull) == 0, "sie 0x%llx", (unsigned long long)a->vs.vsie);
    FUZZ_CHECK((a->vs.vsstatus & ~PRIV_SSTATUS_WRITABLE) == 0, "sstatus 0x%llx",
               (unsigned long long)a->vs.vsstatus);
    FUZZ_CHECK((a->vs.hvip & ~VS_BITS) == 0, "hvip 0x%llx", (unsigned long long)a->vs.hvip);
    FUZZ_CHECK((a->vs.vstvec & 2) == 0 && (a->vs.vsepc & 1) == 0, "stvec/sepc alignment");
    FUZZ_CHECK((a->vs.scounteren & ~7ull) == 0 && (a->vs.senvcfg & ~1ull) == 0,
               "scounteren/senvcfg");
    FUZZ_CHECK((a->vs.vsatp >> 60) == SATP_MODE_BARE || (a->vs.vsatp >> 60) == SATP_MODE_SV39,
               "satp mode %llu", (unsigned long long)(a->vs.vsatp >> 60));
    FUZZ_CHECK(a->tv.vmode <= 1, "vmode %llu", (unsigned long long)a->tv.vmode);
    uint64_t v;
    FUZZ_CHECK(priv_csr_read(a, CSR_SSTATUS, &v) && ((v >> 32) & 3) == 2, "UXL");
}

static void same_state(const struct vcpu_arch *got, const struct vcpu_arch *want, const char *what,
                       uint32_t insn)
{
    if (memcmp(got, want, sizeof *got) == 0) {
        return;
    }
    fprintf(stderr, "%s 0x%08x: state differs from the model\n", what, insn);
    fprintf(stderr, "  pc %llx/%llx vmode %llu/%llu sstatus %llx/%llx sie %llx/%llx hvip %llx/%llx"
                    " satp %llx/%llx sepc %llx/%llx\n",
            (unsigned long long)got->regs.sepc, (unsigned long long)want->regs.sepc,
            (unsigned long long)got->tv.vmode, (unsigned long long)want->tv.vmode,
            (unsigned long long)got->vs.vsstatus, (unsigned long long)want->vs.vsstatus,
            (unsigned long long)got->vs.vsie, (unsigned long long)want->vs.vsie,
            (unsigned long long)got->vs.hvip, (unsigned long long)want->vs.hvip,
            (unsigned long long)got->vs.vsatp, (unsigned long long)want->vs.vsatp,
            (unsigned long long)got->vs.vsepc, (unsigned long long)want->vs.vsepc);
    abort();
}

/* ---- building instructions ---- */

/* CSR numbers: the S CSRs, their neighbours, and others a guest kernel may try (stimecmp, counters,
 * hypervisor, VS and machine CSRs). */
static const unsigned csr_nums[] = {
    CSR_SSTATUS, CSR_SIE, CSR_STVEC, CSR_SCOUNTEREN, CSR_SENVCFG, CSR_SSCRATCH, CSR_SEPC,
    CSR_SCAUSE, CSR_STVAL, CSR_SIP, CSR_SATP, CSR_STIMECMP, 0x101, 0x107, 0x10c, 0x145, 0x181,
    0x5a8, 0xda0, CSR_CYCLE, CSR_TIME, CSR_INSTRET, CSR_HSTATUS, CSR_HVIP, CSR_VSSTATUS,
    CSR_VSATP, 0x300, 0x305, 0x341, 0x7b0, 0xfff, 0x001, 0x003, 0x015,
};
#define NCSR_NUMS (sizeof csr_nums / sizeof csr_nums[0])

static const uint32_t system_insns[] = {
    SRET, WFI, 0x30200073u /* mret */, 0x00000073u /* ecall */, 0x00100073u /* ebreak */,
    0x7b200073u /* dret */, 0x16000073u /* sinval.vma */, 0x18000073u /* sfence.w.inval */,
    0x22000073u /* hfence.vvma */, 0x62000073u /* hfence.gvma */, 0x00d00073u /* wrs.nto */,
    0x10200073u | (1u << 7) /* sret with rd != 0 */, 0x10500073u | (1u << 15), /* wfi, rs1 */
};
#define NSYS (sizeof system_insns / sizeof system_insns[0])

static uint32_t take_insn(struct fuzz_in *in, uint8_t kind)
{
    switch (kind % 4) {
    case 0: { /* a CSR instruction */
        uint8_t b = fz_u8(in);
        unsigned num = b < 0xf0 ? csr_nums[b % NCSR_NUMS] : fz_u16(in) & 0xfff;
        unsigned f3 = fz_u8(in) & 7, regs = fz_u16(in);
        return (uint32_t)num << 20 | (regs & 31) << 15 | f3 << 12 | ((regs >> 5) & 31) << 7 | 0x73;
    }
    case 1: { /* sfence.vma rs1, rs2 (rd and funct7 sometimes off) */
        unsigned regs = fz_u16(in);
        uint32_t w = 0x12000073u | (regs & 31) << 15 | ((regs >> 5) & 31) << 20;
        return (regs & 0x8000) ? w | ((regs >> 10) & 31) << 7 : w;
    }
    case 2:
        return system_insns[fz_u8(in) % NSYS];
    default:
        return fz_u32(in);
    }
}

/* ---- the driver ---- */

static void emulate(struct vcpu_arch *a, uint32_t insn)
{
    struct vcpu_arch want;
    memcpy(&want, a, sizeof want);
    struct ref_fx rfx = ref_emulate(&want, insn);
    uint64_t pc = a->regs.sepc, sepc = a->vs.vsepc;
    struct priv_fx fx;
    memset(&fx, 0xa5, sizeof fx);

    unsigned r = priv_emulate(a, insn, &fx);
    FUZZ_CHECK(r == fx.flags, "0x%08x: returned %u, flags %u", insn, r, fx.flags);
    FUZZ_CHECK(fx.flags == rfx.flags, "0x%08x: flags 0x%x, model 0x%x", insn, fx.flags, rfx.flags);
    if (fx.flags & PRIV_FX_FENCE) {
        FUZZ_CHECK(fx.fence_all == rfx.fence_all && (fx.fence_all || fx.fence_va == rfx.fence_va),
                   "0x%08x: fence", insn);
    }
    /* pc: stays for an illegal instruction (the engine reflects it) and WFI, becomes sepc for sret,
     * else steps over the 4-byte instruction. */
    if (fx.flags & (PRIV_FX_ILLEGAL | PRIV_FX_WFI)) {
        FUZZ_CHECK(a->regs.sepc == pc, "0x%08x: pc moved", insn);
        FUZZ_CHECK(memcmp(a, &want, sizeof want) == 0, "0x%08x: state changed", insn);
    } else if (insn == SRET) {
        FUZZ_CHECK(a->regs.sepc == sepc, "sret: pc 0x%llx, sepc 0x%llx",
                   (unsigned long long)a->regs.sepc, (unsigned long long)sepc);
    } else {
        FUZZ_CHECK(a->regs.sepc == pc + 4, "0x%08x: pc 0x%llx from 0x%llx", insn,
                   (unsigned long long)a->regs.sepc, (unsigned long long)pc);
    }
    same_state(a, &want, "emulate", insn);
    check_state(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = { data, size };
    struct vcpu_arch a;

    /* Fields the emulator has no business with hold a pattern, so a stray write shows. */
    memset(&a, 0x3c, sizeof a);
    uint64_t seed[4] = { fz_u64(&in), fz_u64(&in), fz_u64(&in), fz_u64(&in) };
    for (unsigned r = 0; r < 32; r++) {
        a.regs.x[r] = r & 4 ? seed[r & 3] : seed[r & 3] >> (r & 31) ^ r;
    }
    a.regs.sepc = fz_u64(&in) & ~1ull;
    a.tv.vmode = fz_u8(&in) & 1;
    a.vs.vsstatus = fz_u64(&in) & PRIV_SSTATUS_WRITABLE;
    a.vs.vsie = fz_u16(&in) & 0x222;
    a.vs.hvip = fz_u16(&in) & VS_BITS;
    a.vs.vstvec = fz_u64(&in) & ~2ull;
    a.vs.vsepc = fz_u64(&in) & ~1ull;
    a.vs.vscause = fz_u64(&in);
    a.vs.vstval = fz_u64(&in);
    a.vs.vsscratch = fz_u64(&in);
    a.vs.vsatp = fz_u64(&in) & ~(7ull << 60); /* mode 0 or 8 */
    a.vs.scounteren = fz_u8(&in) & 7;
    a.vs.senvcfg = fz_u8(&in) & 1;
    check_state(&a);

    for (unsigned step = 0; step < 256 && in.n > 0; step++) {
        uint8_t op = fz_u8(&in);
        switch (op >> 5) {
        case 0:
        case 1:
        case 2:
        case 3:
            emulate(&a, take_insn(&in, op));
            break;
        case 4: /* the guest sets a register (it runs code between traps) */
            a.regs.x[1 + op % 31] = fz_u64(&in);
            break;
        case 5: { /* a device, the timer or an IPI changes a pending VS interrupt, then entry */
            static const uint64_t bit[3] = { 1ull << IRQ_VS_SOFT, 1ull << IRQ_VS_TIMER,
                                             1ull << IRQ_VS_EXT };
            if (op & 8) {
                a.vs.hvip |= bit[op % 3];
            } else {
                a.vs.hvip &= ~bit[op % 3];
            }
            int irq = priv_pending_irq(&a);
            FUZZ_CHECK(irq == ref_pending(&a), "pending irq %d, model %d", irq, ref_pending(&a));
            if (irq >= 0) {
                /* What tv_run does: enter the guest's handler for it. */
                struct vcpu_arch want;
                memcpy(&want, &a, sizeof want);
                ref_enter(&want, SCAUSE_IRQ | (uint64_t)irq, 0);
                priv_enter_trap(&a, SCAUSE_IRQ | (uint64_t)irq, 0);
                same_state(&a, &want, "interrupt", (uint32_t)irq);
                FUZZ_CHECK(priv_pending_irq(&a) == -1, "interrupt still deliverable in handler");
            }
            break;
        }
        default: { /* an exception the guest takes (a reflected trap) */
            uint64_t cause = fz_u8(&in) % 24, tval = fz_u64(&in);
            struct vcpu_arch want;
            memcpy(&want, &a, sizeof want);
            ref_enter(&want, cause, tval);
            priv_enter_trap(&a, cause, tval);
            same_state(&a, &want, "exception", (uint32_t)cause);
            break;
        }
        }
        check_state(&a);
    }
    return 0;
}
