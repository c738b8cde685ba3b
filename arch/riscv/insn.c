// SPDX-License-Identifier: MIT
// Decodes the integer loads and stores a guest makes to emulated MMIO, from memory or from htinst.
#include <arch/insn.h>

#define OPCODE_LOAD 0x03
#define OPCODE_STORE 0x23

/* LOAD funct3 0-6 are LB LH LW LD LBU LHU LWU (7 is reserved); STORE funct3 0-3 are SB SH SW SD
 * (4-7 are reserved). In both, funct3 bits 1:0 are log2 of the width and bit 2 means unsigned.
 * out is written only on success, so a caller's struct never holds half a decode. */
static bool decode32(uint32_t insn, uint8_t len, struct mmio_insn *out)
{
    uint32_t funct3 = (insn >> 12) & 7;
    struct mmio_insn r = { .len = len, .width = (uint8_t)(1u << (funct3 & 3)) };

    if ((insn & 0x7f) == OPCODE_LOAD && funct3 != 7) {
        r.reg = (uint8_t)((insn >> 7) & 0x1f);
        /* LD fills the whole register, so only the narrower signed loads extend. */
        r.sign_extend = funct3 < 3;
    } else if ((insn & 0x7f) == OPCODE_STORE && funct3 < 4) {
        r.store = true;
        r.reg = (uint8_t)((insn >> 20) & 0x1f);
    } else {
        return false;
    }
    *out = r;
    return true;
}

/* Expands an RV64C integer load or store to its 32-bit equivalent (unprivileged spec, Zca), keeping
 * only what decode32 reads: funct3, the data register and the opcode. Base and offset are dropped,
 * as the fault already reports the address. Anything else gives 0, which decode32 refuses. */
static uint32_t expand16(uint32_t c)
{
    uint32_t funct3 = (c >> 13) & 7;
    bool store = funct3 & 4;
    uint32_t reg;

    /* In quadrants 0 and 2, funct3 2/3/6/7 are LW/LD/SW/SD on RV64 (RV32 puts FLW/FSW at 3/7).
     * The rest are not integer loads/stores: quadrant 0 has ADDI4SPN, FLD, a reserved slot (Zcb)
     * and FSD, quadrant 2 has SLLI, FLDSP, JR/MV/ADD and FSDSP. */
    if ((funct3 & 3) < 2) {
        return 0;
    }
    if ((c & 3) == 0) {
        /* CL rd' and CS rs2' share bits 4:2 and name x8-x15. */
        reg = 8 + ((c >> 2) & 7);
    } else if ((c & 3) == 2) {
        /* CI puts rd in bits 11:7, CSS puts rs2 in bits 6:2; both address all 32 registers. */
        reg = store ? (c >> 2) & 0x1f : (c >> 7) & 0x1f;
        if (!store && reg == 0) {
            return 0; /* C.LWSP and C.LDSP with rd = x0 are reserved */
        }
    } else {
        return 0; /* quadrant 1 holds no loads or stores */
    }
    if (store) {
        return reg << 20 | (funct3 & 3) << 12 | OPCODE_STORE;
    }
    return reg << 7 | (funct3 & 3) << 12 | OPCODE_LOAD;
}

bool insn_decode_mmio(uint32_t insn, struct mmio_insn *out)
{
    /* Bits 1:0 other than 11 mean a 16-bit instruction, which lives in the low half only. The
     * caller is meant to pass bits 31:16 as zero, but one that fetched a whole word finds the next
     * instruction there; that half says nothing about this one, so it is ignored, not refused. */
    if ((insn & 3) != 3) {
        return decode32(expand16(insn & 0xffff), 2, out);
    }
    return decode32(insn, 4, out);
}

bool insn_decode_htinst(uint64_t htinst, struct mmio_insn *out)
{
    /* Priv spec, hypervisor chapter, "Transformed Instruction or Pseudoinstruction for mtinst or
     * htinst": a transformed standard instruction has bit 0 set, so this refuses zero (no
     * information) and the pseudoinstructions 0x2000/0x3000/0x2020/0x3020 (bits 1:0 = 00, an
     * implicit VS-stage page-table access: there is no guest instruction to emulate). Bits 63:32
     * must be zero, as a future value may match a standard instruction only in its low word. */
    if ((htinst >> 32) != 0 || (htinst & 1) == 0) {
        return false;
    }
    /* Bit 1 clear marks a compressed original transformed to its 32-bit equivalent; restoring it
     * gives that equivalent. The offset fields are zero and rs1 holds the misalignment offset: none
     * of them is read, as the spec allows future information there that is safe to ignore. */
    return decode32((uint32_t)htinst | 2, (htinst & 2) ? 4 : 2, out);
}
