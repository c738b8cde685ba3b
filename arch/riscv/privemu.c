// SPDX-License-Identifier: MIT
// Privileged-instruction emulation for the trap engine (arch/privemu.h). Encodings: priv spec,
// "Instruction listing"; CSR numbers and fields: csrs.adoc and supervisor.adoc.
#include <arch/csr.h>
#include <arch/privemu.h>

#define OP_SYSTEM 0x73u
#define INSN_SRET 0x10200073u
#define SFENCE_VMA_MASK 0xfe007fffu
#define SFENCE_VMA_BITS 0x12000073u

#define FS_DIRTY (3ull << 13)
/* stvec: MODE 0 (direct) and 1 (vectored) exist; the other values are reserved, so bit 1 reads 0. */
#define STVEC_WRITABLE (~2ull)
/* scounteren: CY, TM, IR (what the hypervisor can give: the hardware counters it may read). */
#define SCOUNTEREN_WRITABLE 0x7ull
/* senvcfg: FIOM only; the cache-block and pointer-masking fields are not offered. */
#define SENVCFG_WRITABLE 0x1ull

static uint64_t sstatus_read(const struct vcpu_arch *a)
{
    uint64_t s = a->vs.vsstatus | SSTATUS_UXL_64;

    return (s & SSTATUS_FS) == FS_DIRTY ? s | SSTATUS_SD : s;
}

bool priv_csr_read(const struct vcpu_arch *a, unsigned csr, uint64_t *val)
{
    switch (csr) {
    case CSR_SSTATUS:
        *val = sstatus_read(a);
        return true;
    case CSR_SIE:
        *val = a->vs.vsie;
        return true;
    case CSR_STVEC:
        *val = a->vs.vstvec;
        return true;
    case CSR_SCOUNTEREN:
        *val = a->vs.scounteren;
        return true;
    case CSR_SENVCFG:
        *val = a->vs.senvcfg;
        return true;
    case CSR_SSCRATCH:
        *val = a->vs.vsscratch;
        return true;
    case CSR_SEPC:
        *val = a->vs.vsepc;
        return true;
    case CSR_SCAUSE:
        *val = a->vs.vscause;
        return true;
    case CSR_STVAL:
        *val = a->vs.vstval;
        return true;
    case CSR_SIP:
        *val = (a->vs.hvip >> 1) & PRIV_SIE_MASK;
        return true;
    case CSR_SATP:
        *val = a->vs.vsatp;
        return true;
    default:
        return false;
    }
}

static void csr_write_virtual(struct vcpu_arch *a, unsigned csr, uint64_t v, struct priv_fx *fx)
{
    switch (csr) {
    case CSR_SSTATUS: {
        uint64_t old = a->vs.vsstatus;
        a->vs.vsstatus = (old & ~PRIV_SSTATUS_WRITABLE) | (v & PRIV_SSTATUS_WRITABLE);
        uint64_t changed = old ^ a->vs.vsstatus;
        if (changed & SSTATUS_SUM) {
            fx->flags |= PRIV_FX_VIEW;
        }
        if (changed & SSTATUS_MXR) {
            fx->flags |= PRIV_FX_SATP; /* read permissions of the shadow entries change */
        }
        if (changed & SSTATUS_SIE) {
            fx->flags |= PRIV_FX_IRQ;
        }
        break;
    }
    case CSR_SIE:
        a->vs.vsie = v & PRIV_SIE_MASK;
        fx->flags |= PRIV_FX_IRQ;
        break;
    case CSR_STVEC:
        a->vs.vstvec = v & STVEC_WRITABLE;
        break;
    case CSR_SCOUNTEREN:
        a->vs.scounteren = v & SCOUNTEREN_WRITABLE;
        break;
    case CSR_SENVCFG:
        a->vs.senvcfg = v & SENVCFG_WRITABLE;
        break;
    case CSR_SSCRATCH:
        a->vs.vsscratch = v;
        break;
    case CSR_SEPC:
        a->vs.vsepc = v & ~1ull; /* IALIGN 16: bit 0 is always zero */
        break;
    case CSR_SCAUSE:
        a->vs.vscause = v;
        break;
    case CSR_STVAL:
        a->vs.vstval = v;
        break;
    case CSR_SIP: {
        /* Only SSIP is the guest's to write; STIP and SEIP come from the timer and the PLIC. */
        uint64_t ssip = 1ull << IRQ_VS_SOFT;
        a->vs.hvip = (a->vs.hvip & ~ssip) | ((v << 1) & ssip);
        fx->flags |= PRIV_FX_IRQ;
        break;
    }
    case CSR_SATP: {
        uint64_t mode = v >> SATP_MODE_SHIFT;
        /* WARL: a mode that is not supported makes the whole write have no effect. */
        if (mode != SATP_MODE_BARE && mode != SATP_MODE_SV39) {
            break;
        }
        a->vs.vsatp = v;
        fx->flags |= PRIV_FX_SATP;
        break;
    }
    default:
        break;
    }
}

static unsigned emulate_csr(struct vcpu_arch *a, uint32_t insn, struct priv_fx *fx)
{
    unsigned funct3 = (insn >> 12) & 7;
    unsigned rd = (insn >> 7) & 31;
    unsigned rs1 = (insn >> 15) & 31;
    unsigned csr = insn >> 20;
    uint64_t src = funct3 >= 5 ? rs1 : vcpu_arch_get_reg(a, rs1); /* the I forms take rs1 as uimm */
    uint64_t old;

    /* csr[9:8] is the lowest privilege that may access it: U and S only for a guest kernel. */
    if (((csr >> 8) & 3) > 1 || !priv_csr_read(a, csr, &old)) {
        fx->flags |= PRIV_FX_ILLEGAL;
        return fx->flags;
    }
    /* CSRRS/CSRRC with x0 (or uimm 0) do not write at all, so read-only CSRs allow them. */
    bool write = (funct3 & 3) == 1 || rs1 != 0;
    if (write && (csr >> 10) == 3) {
        fx->flags |= PRIV_FX_ILLEGAL;
        return fx->flags;
    }
    if (write) {
        uint64_t v = (funct3 & 3) == 1 ? src : (funct3 & 3) == 2 ? old | src : old & ~src;
        csr_write_virtual(a, csr, v, fx);
    }
    vcpu_arch_set_reg(a, rd, old);
    return fx->flags;
}

static void do_sret(struct vcpu_arch *a, struct priv_fx *fx)
{
    uint64_t s = a->vs.vsstatus;

    a->regs.sepc = a->vs.vsepc;
    a->tv.vmode = (s & SSTATUS_SPP) ? 1 : 0;
    s = (s & ~SSTATUS_SIE) | ((s & SSTATUS_SPIE) ? SSTATUS_SIE : 0);
    s |= SSTATUS_SPIE;
    s &= ~SSTATUS_SPP;
    a->vs.vsstatus = s;
    fx->flags |= PRIV_FX_VIEW | PRIV_FX_IRQ;
}

unsigned priv_emulate(struct vcpu_arch *a, uint32_t insn, struct priv_fx *fx)
{
    fx->flags = 0;
    fx->fence_all = true;
    fx->fence_va = 0;
    fx->fence_one_asid = false;
    fx->fence_asid = 0;

    if ((insn & 0x7f) != OP_SYSTEM || a->tv.vmode != 1) {
        fx->flags = PRIV_FX_ILLEGAL;
        return fx->flags;
    }
    unsigned funct3 = (insn >> 12) & 7;
    if (funct3 != 0) {
        if (funct3 == 4) {
            fx->flags = PRIV_FX_ILLEGAL; /* HLV/HSV: no H extension for guests */
            return fx->flags;
        }
        if (emulate_csr(a, insn, fx) & PRIV_FX_ILLEGAL) {
            return fx->flags;
        }
    } else if (insn == INSN_SRET) {
        do_sret(a, fx);
        return fx->flags; /* pc is sepc now */
    } else if (insn == INSN_WFI) {
        fx->flags = PRIV_FX_WFI;
        return fx->flags;
    } else if ((insn & SFENCE_VMA_MASK) == SFENCE_VMA_BITS) {
        unsigned rs1 = (insn >> 15) & 31;
        fx->flags = PRIV_FX_FENCE;
        fx->fence_all = rs1 == 0;
        fx->fence_va = vcpu_arch_get_reg(a, rs1);
        unsigned rs2 = (insn >> 20) & 31;
        fx->fence_one_asid = rs2 != 0;
        fx->fence_asid = vcpu_arch_get_reg(a, rs2) & SATP_ASID_MASK;
    } else {
        fx->flags = PRIV_FX_ILLEGAL; /* mret, sinval.vma, hfence, ...: not for a guest kernel */
        return fx->flags;
    }
    a->regs.sepc += 4;
    return fx->flags;
}

void priv_enter_trap(struct vcpu_arch *a, uint64_t cause, uint64_t tval)
{
    uint64_t s = a->vs.vsstatus & ~(SSTATUS_SPP | SSTATUS_SPIE | SSTATUS_SIE);
    uint64_t base = a->vs.vstvec & ~3ull;

    s |= a->tv.vmode ? SSTATUS_SPP : 0;
    s |= (a->vs.vsstatus & SSTATUS_SIE) ? SSTATUS_SPIE : 0;
    a->vs.vsstatus = s;
    a->vs.vsepc = a->regs.sepc;
    a->vs.vscause = cause;
    a->vs.vstval = tval;
    a->tv.vmode = 1;
    if ((cause & SCAUSE_IRQ) && (a->vs.vstvec & 3) == 1) {
        base += 4 * (cause & ~SCAUSE_IRQ);
    }
    a->regs.sepc = base;
}

int priv_pending_irq(const struct vcpu_arch *a)
{
    uint64_t pending = (a->vs.hvip >> 1) & a->vs.vsie & PRIV_SIE_MASK;

    /* In user mode S-level interrupts are always enabled; in the kernel, when sstatus.SIE is set. */
    if (!pending || (a->tv.vmode == 1 && !(a->vs.vsstatus & SSTATUS_SIE))) {
        return -1;
    }
    static const int order[] = { IRQ_S_EXT, IRQ_S_SOFT, IRQ_S_TIMER };
    for (unsigned i = 0; i < 3; i++) {
        if (pending & (1ull << order[i])) {
            return order[i];
        }
    }
    return -1;
}
