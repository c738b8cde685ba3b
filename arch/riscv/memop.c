// SPDX-License-Identifier: MIT
// Guest stores carried out by the trap engine (arch/memop.h).
#include <arch/insn.h>
#include <arch/memop.h>

#define OP_AMO 0x2fu
#define AMO_LR 0x02u
#define AMO_SC 0x03u

bool mem_op_decode(uint32_t insn, struct mem_op *op)
{
    struct mmio_insn m;

    if ((insn & 0x7f) == OP_AMO) {
        unsigned funct3 = (insn >> 12) & 7;
        unsigned funct5 = insn >> 27;
        if ((funct3 != 2 && funct3 != 3) || funct5 == AMO_LR) {
            return false;
        }
        static const uint8_t known[] = { 0x00, 0x01, 0x04, 0x08, 0x0c, 0x10, 0x14, 0x18, 0x1c, AMO_SC };
        bool ok = false;
        for (unsigned i = 0; i < sizeof(known); i++) {
            ok |= known[i] == funct5;
        }
        if (!ok) {
            return false;
        }
        op->kind = funct5 == AMO_SC ? MEM_SC : MEM_AMO;
        op->len = 4;
        op->width = funct3 == 2 ? 4 : 8;
        op->rd = (insn >> 7) & 31;
        op->rs2 = (insn >> 20) & 31;
        op->funct5 = (uint8_t)funct5;
        return true;
    }
    if (!insn_decode_mmio(insn, &m) || !m.store) {
        return false;
    }
    op->kind = MEM_STORE;
    op->len = m.len;
    op->width = m.width;
    op->rd = 0;
    op->rs2 = m.reg;
    op->funct5 = 0;
    return true;
}

static uint64_t load(const uint8_t *p, unsigned width)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < width; i++) {
        v |= (uint64_t)p[i] << (8 * i);
    }
    return v;
}

static void store(uint8_t *p, unsigned width, uint64_t v)
{
    for (unsigned i = 0; i < width; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

/* Values as the AMO sees them: a word is sign-extended to 64 bits (A extension, "AMO"). */
static int64_t sext(uint64_t v, unsigned width)
{
    return width == 4 ? (int64_t)(int32_t)(uint32_t)v : (int64_t)v;
}

static uint64_t amo(unsigned funct5, uint64_t old, uint64_t src, unsigned width)
{
    int64_t so = sext(old, width), ss = sext(src, width);
    uint64_t uo = width == 4 ? (uint32_t)old : old, us = width == 4 ? (uint32_t)src : src;

    switch (funct5) {
    case 0x01: return src;              /* AMOSWAP */
    case 0x00: return old + src;        /* AMOADD */
    case 0x04: return old ^ src;        /* AMOXOR */
    case 0x0c: return old & src;        /* AMOAND */
    case 0x08: return old | src;        /* AMOOR */
    case 0x10: return so < ss ? old : src; /* AMOMIN */
    case 0x14: return so > ss ? old : src; /* AMOMAX */
    case 0x18: return uo < us ? old : src; /* AMOMINU */
    default: return uo > us ? old : src;   /* AMOMAXU */
    }
}

bool mem_op_apply(const struct mem_op *op, struct vcpu_arch *a, uint64_t *word, unsigned off)
{
    if (!word || off >= 8 || off % op->width != 0) {
        return false;
    }
    uint8_t *p = (uint8_t *)word + off;
    uint64_t src = vcpu_arch_get_reg(a, op->rs2);

    switch (op->kind) {
    case MEM_STORE:
        store(p, op->width, src);
        return true;
    case MEM_SC:
        store(p, op->width, src);
        vcpu_arch_set_reg(a, op->rd, 0); /* success */
        return true;
    default: {
        uint64_t old = load(p, op->width);
        store(p, op->width, amo(op->funct5, old, src, op->width));
        vcpu_arch_set_reg(a, op->rd, (uint64_t)sext(old, op->width));
        return true;
    }
    }
}
