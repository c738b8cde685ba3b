/* SPDX-License-Identifier: MIT */
/* What the privileged-emulation tests share (test_privemu.c, test_privemu_traps.c): instruction
 * encoders, a fresh vCPU in the guest's kernel mode, and run(), which emulates one instruction. */
#ifndef TESTS_PRIVEMU_ENV_H
#define TESTS_PRIVEMU_ENV_H

#include <stdint.h>
#include <string.h>

#include "check.h"
#include <arch/csr.h>
#include <arch/privemu.h>

/* Encodings checked against riscv64-linux-gnu-as -march=rv64gc_h_svinval, objdump -M no-aliases. */
#define SRET 0x10200073u
#define WFI 0x10500073u

enum { CSRRW = 1, CSRRS = 2, CSRRC = 3, CSRRWI = 5, CSRRSI = 6, CSRRCI = 7 };

#define RS1 6 /* t1 */
#define PC 0x80001000ull

#define FS_INIT (1ull << 13)
#define FS_DIRTY (3ull << 13)

/* CSR instruction (unprivileged spec, "Zicsr"): csr[31:20] rs1/uimm[19:15] funct3 rd[11:7]
 * SYSTEM. */
static inline uint32_t csr_insn(unsigned f3, unsigned rd, unsigned csr, unsigned rs1)
{
    return (uint32_t)csr << 20 | rs1 << 15 | f3 << 12 | rd << 7 | 0x73u;
}

static inline uint32_t sfence_vma(unsigned rs1, unsigned rs2)
{
    return 0x12000073u | rs2 << 20 | rs1 << 15;
}

static inline void fresh(struct vcpu_arch *a)
{
    memset(a, 0, sizeof(*a));
    a->tv.vmode = 1;
    a->regs.sepc = PC;
}

/* Runs one instruction; checks the return value is fx.flags. fx is poisoned first. */
static inline unsigned run(struct vcpu_arch *a, uint32_t insn, struct priv_fx *fx)
{
    memset(fx, 0xa5, sizeof(*fx));
    unsigned r = priv_emulate(a, insn, fx);
    CHECK_EQ(r, fx->flags);
    return r;
}

#endif
