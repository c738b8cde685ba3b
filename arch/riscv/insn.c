// SPDX-License-Identifier: MIT
// Decodes the integer loads and stores a guest makes to emulated MMIO, from memory or from htinst.
#include <arch/insn.h>

/* Expands an RV64C integer load or store to its 32-bit equivalent (unprivileged spec, Zca), keeping
 * only what insn_decode32 reads: funct3, the data register and the opcode. Base and offset are dropped,
 * as the fault already reports the address. Anything else gives 0, which insn_decode32 refuses. */
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
        return reg << 20 | (funct3 & 3) << 12 | INSN_OPCODE_STORE;
    }
    return reg << 7 | (funct3 & 3) << 12 | INSN_OPCODE_LOAD;
}

bool insn_decode_mmio(uint32_t insn, struct mmio_insn *out)
{
    /* Bits 1:0 other than 11 mean a 16-bit instruction, which lives in the low half only. The
     * caller is meant to pass bits 31:16 as zero, but one that fetched a whole word finds the next
     * instruction there; that half says nothing about this one, so it is ignored, not refused. */
    if ((insn & 3) != 3) {
        return insn_decode32(expand16(insn & 0xffff), 2, out);
    }
    return insn_decode32(insn, 4, out);
}
