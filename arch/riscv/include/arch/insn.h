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

/* Decodes a raw integer load or store (32-bit, or 16-bit compressed in the low half). False for
 * anything else: FP loads/stores, atomics, other opcodes, reserved encodings. */
bool insn_decode_mmio(uint32_t insn, struct mmio_insn *out);

/* Decodes a transformed instruction as htinst reports it for a guest-page fault on a load or store.
 * False when htinst is 0 (not provided), a pseudoinstruction (implicit VS-stage table access) or not
 * an integer load/store; the caller then reads the instruction itself. */
bool insn_decode_htinst(uint64_t htinst, struct mmio_insn *out);

#endif
