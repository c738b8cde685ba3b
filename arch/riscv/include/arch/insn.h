/* SPDX-License-Identifier: MIT */
/* Decoding of the loads and stores a guest uses on emulated MMIO (priv spec, hypervisor chapter,
 * "Transformed Instruction or Pseudoinstruction for mtinst or htinst"; unprivileged spec, RV64I and the
 * C extension). Pure logic, unit tested on the host. */
#ifndef ARCH_INSN_H
#define ARCH_INSN_H

#include <stdbool.h>
#include <stdint.h>

struct mmio_insn {
    uint8_t len;      /* bytes to step over: 2 (compressed) or 4 */
    bool store;
    uint8_t width;    /* access size in bytes: 1, 2, 4 or 8 */
    bool sign_extend; /* loads: LB, LH, LW sign-extend; LBU, LHU, LWU, LD do not */
    uint8_t reg;      /* x register: rd of a load, rs2 of a store */
};

#define INSN_OPCODE_LOAD 0x03
#define INSN_OPCODE_STORE 0x23

/* Decodes a 32-bit integer load or store; len is the length of the original (2 when insn is a
 * compressed one expanded). LOAD funct3 0-6 are LB LH LW LD LBU LHU LWU (7 is reserved); STORE
 * funct3 0-3 are SB SH SW SD (4-7 are reserved). In both, funct3 bits 1:0 are log2 of the width
 * and bit 2 means unsigned. out is written only on success, so a caller's struct never holds half
 * a decode. Inline: the device fast path decodes one on every UART access. */
static inline bool insn_decode32(uint32_t insn, uint8_t len, struct mmio_insn *out)
{
    uint32_t funct3 = (insn >> 12) & 7;
    struct mmio_insn r = { .len = len, .width = (uint8_t)(1u << (funct3 & 3)) };

    if ((insn & 0x7f) == INSN_OPCODE_LOAD && funct3 != 7) {
        r.reg = (uint8_t)((insn >> 7) & 0x1f);
        /* LD fills the whole register, so only the narrower signed loads extend. */
        r.sign_extend = funct3 < 3;
    } else if ((insn & 0x7f) == INSN_OPCODE_STORE && funct3 < 4) {
        r.store = true;
        r.reg = (uint8_t)((insn >> 20) & 0x1f);
    } else {
        return false;
    }
    *out = r;
    return true;
}

/* Decodes a raw integer load or store (32-bit, or 16-bit compressed in the low half). False for
 * anything else: FP loads/stores, atomics, other opcodes, reserved encodings. */
bool insn_decode_mmio(uint32_t insn, struct mmio_insn *out);

/* Decodes a transformed instruction as htinst reports it for a guest-page fault on a load or store.
 * False when htinst is 0 (not provided), a pseudoinstruction (implicit VS-stage table access) or not
 * an integer load/store; the caller then reads the instruction itself. Inline, as the device fast
 * path's decode is. */
static inline bool insn_decode_htinst(uint64_t htinst, struct mmio_insn *out)
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
    return insn_decode32((uint32_t)htinst | 2, (htinst & 2) ? 4 : 2, out);
}

#endif
