// SPDX-License-Identifier: MIT
// Guest stores the trap engine carries out: decoding of plain and compressed stores, AMOs and SC
// (everything else refused), and their effect on memory and registers.
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "check.h"
#include <arch/memop.h>

/* Unprivileged spec, RV32I "Load and Store Instructions": S-type, opcode STORE (0x23). */
static uint32_t s_type(unsigned opcode, unsigned funct3, unsigned rs1, unsigned rs2, int imm)
{
    uint32_t i = (uint32_t)imm & 0xfff;
    return (i >> 5) << 25 | rs2 << 20 | rs1 << 15 | funct3 << 12 | (i & 31) << 7 | opcode;
}

static uint32_t store32(unsigned funct3, unsigned rs2, unsigned rs1, int imm)
{
    return s_type(0x23, funct3, rs1, rs2, imm);
}

/* I-type, opcode LOAD (0x03). */
static uint32_t load32(unsigned funct3, unsigned rd, unsigned rs1, int imm)
{
    return ((uint32_t)imm & 0xfff) << 20 | rs1 << 15 | funct3 << 12 | rd << 7 | 0x03;
}

/* "A" extension: funct5 | aq | rl | rs2 | rs1 | funct3 (2: .W, 3: .D) | rd | AMO (0x2f). */
static uint32_t amo32(unsigned funct5, unsigned aqrl, unsigned funct3, unsigned rd, unsigned rs1,
                      unsigned rs2)
{
    return funct5 << 27 | aqrl << 25 | rs2 << 20 | rs1 << 15 | funct3 << 12 | rd << 7 | 0x2f;
}

enum {
    F5_ADD = 0x00,
    F5_SWAP = 0x01,
    F5_LR = 0x02,
    F5_SC = 0x03,
    F5_XOR = 0x04,
    F5_OR = 0x08,
    F5_AND = 0x0c,
    F5_MIN = 0x10,
    F5_MAX = 0x14,
    F5_MINU = 0x18,
    F5_MAXU = 0x1c,
};
#define AQ 2u
#define RL 1u

/* Zca, "Load and Store Instructions": CS and CSS formats. rd'/rs1'/rs2' are x8-x15. */
static uint16_t c_sw(unsigned rs2, unsigned rs1, unsigned uimm)
{
    return (uint16_t)(6u << 13 | ((uimm >> 3) & 7) << 10 | (rs1 - 8) << 7 | ((uimm >> 2) & 1) << 6 |
                      ((uimm >> 6) & 1) << 5 | (rs2 - 8) << 2);
}

static uint16_t c_sd(unsigned rs2, unsigned rs1, unsigned uimm)
{
    return (uint16_t)(7u << 13 | ((uimm >> 3) & 7) << 10 | (rs1 - 8) << 7 | ((uimm >> 6) & 3) << 5 |
                      (rs2 - 8) << 2);
}

static uint16_t c_swsp(unsigned rs2, unsigned uimm)
{
    return (uint16_t)(6u << 13 | ((uimm >> 2) & 15) << 9 | ((uimm >> 6) & 3) << 7 | rs2 << 2 | 2);
}

static uint16_t c_sdsp(unsigned rs2, unsigned uimm)
{
    return (uint16_t)(7u << 13 | ((uimm >> 3) & 7) << 10 | ((uimm >> 6) & 7) << 7 | rs2 << 2 | 2);
}

/* CL: C.LW (funct3 2) and C.LD (funct3 3), quadrant 0. */
static uint16_t c_l(unsigned funct3, unsigned rd, unsigned rs1, unsigned uimm)
{
    unsigned mid = funct3 == 2 ? ((uimm >> 2) & 1) << 1 | ((uimm >> 6) & 1) : (uimm >> 6) & 3;
    return (uint16_t)(funct3 << 13 | ((uimm >> 3) & 7) << 10 | (rs1 - 8) << 7 | mid << 5 |
                      (rd - 8) << 2);
}

/* CI: C.LWSP and C.LDSP, quadrant 2 (only offsets below 32 here). */
static uint16_t c_lsp(unsigned funct3, unsigned rd, unsigned uimm)
{
    return (uint16_t)(funct3 << 13 | rd << 7 | (uimm & 31) << 2 | 2);
}

/* Checked against binutils 2.40, `riscv64-linux-gnu-as -march=rv64gc` then `objdump -d` (and the
 * same from riscv64-unknown-elf-as): the assembler's word and its source, in the order ours() makes
 * them. */
static const struct {
    uint32_t as;
    const char *src;
} encodings[] = {
    { 0x00550023, "sb x5,0(x10)" },
    { 0xfe659f23, "sh x6,-2(x11)" },
    { 0x7e762e23, "sw x7,2044(x12)" },
    { 0x81f0b023, "sd x31,-2048(x1)" },
    { 0x00013423, "sd x0,8(x2)" },
    { 0x08b6252f, "amoswap.w x10,x11,(x12)" },
    { 0x0063a2af, "amoadd.w x5,x6,(x7)" },
    { 0x213a292f, "amoxor.w x18,x19,(x20)" },
    { 0x6021a0af, "amoand.w x1,x2,(x3)" },
    { 0x4053222f, "amoor.w x4,x5,(x6)" },
    { 0x8084a3af, "amomin.w x7,x8,(x9)" },
    { 0xa0b6252f, "amomax.w x10,x11,(x12)" },
    { 0xc0e7a6af, "amominu.w x13,x14,(x15)" },
    { 0xe119282f, "amomaxu.w x16,x17,(x18)" },
    { 0x08b6352f, "amoswap.d x10,x11,(x12)" },
    { 0x0063b2af, "amoadd.d x5,x6,(x7)" },
    { 0x213a392f, "amoxor.d x18,x19,(x20)" },
    { 0x6021b0af, "amoand.d x1,x2,(x3)" },
    { 0x4053322f, "amoor.d x4,x5,(x6)" },
    { 0x8084b3af, "amomin.d x7,x8,(x9)" },
    { 0xa0b6352f, "amomax.d x10,x11,(x12)" },
    { 0xc0e7b6af, "amominu.d x13,x14,(x15)" },
    { 0xe119382f, "amomaxu.d x16,x17,(x18)" },
    { 0x4653302f, "amoor.d.aqrl x0,x5,(x6)" },
    { 0x05eeafaf, "amoadd.w.aq x31,x30,(x29)" },
    { 0x18b6252f, "sc.w x10,x11,(x12)" },
    { 0x1863b2af, "sc.d x5,x6,(x7)" },
    { 0x1a53302f, "sc.d.rl x0,x5,(x6)" },
    { 0x180332af, "sc.d x5,x0,(x6)" },
    { 0x1006252f, "lr.w x10,(x12)" },
    { 0x1403b2af, "lr.d.aq x5,(x7)" },
    { 0x00050283, "lb x5,0(x10)" },
    { 0x00452283, "lw x5,4(x10)" },
    { 0x00853283, "ld x5,8(x10)" },
    { 0x00152027, "fsw f1,0(x10)" },
    { 0x00153427, "fsd f1,8(x10)" },
    { 0x28b6252f, ".insn r 0x2f,2,0x14,x10,x12,x11 (amocas.w, Zacas)" },
    { 0x307332af, ".insn r 0x2f,3,0x18,x5,x6,x7 (funct5 6, reserved)" },
    { 0xf87322af, ".insn r 0x2f,2,0x7c,x5,x6,x7 (funct5 31, reserved)" },
    { 0x087302af, ".insn r 0x2f,0,0x04,x5,x6,x7 (amoswap.b, Zabha)" },
    { 0x007312af, ".insn r 0x2f,1,0x00,x5,x6,x7 (amoadd.h, Zabha)" },
    { 0x087342af, ".insn r 0x2f,4,0x04,x5,x6,x7 (funct3 4)" },
    { 0x007372af, ".insn r 0x2f,7,0x00,x5,x6,x7 (funct3 7)" },
    { 0xc144, "c.sw x9,4(x10)" },
    { 0xdc7c, "c.sw x15,124(x8)" },
    { 0xe780, "c.sd x8,8(x15)" },
    { 0xfef0, "c.sd x12,248(x13)" },
    { 0xc006, "c.swsp x1,0(x2)" },
    { 0xdffe, "c.swsp x31,252(x2)" },
    { 0xe402, "c.sdsp x0,8(x2)" },
    { 0xffc6, "c.sdsp x17,504(x2)" },
    { 0x4144, "c.lw x9,4(x10)" },
    { 0x6780, "c.ld x8,8(x15)" },
    { 0x4292, "c.lwsp x5,4(x2)" },
    { 0x6322, "c.ldsp x6,8(x2)" },
};

/* Our helpers for the same list, in order. */
static uint32_t ours(size_t i)
{
    static uint32_t w[sizeof(encodings) / sizeof(encodings[0])];
    if (!w[0]) {
        size_t n = 0;
        w[n++] = store32(0, 5, 10, 0);
        w[n++] = store32(1, 6, 11, -2);
        w[n++] = store32(2, 7, 12, 2044);
        w[n++] = store32(3, 31, 1, -2048);
        w[n++] = store32(3, 0, 2, 8);
        static const unsigned f5[] = { F5_SWAP, F5_ADD, F5_XOR, F5_AND, F5_OR,
                                       F5_MIN,  F5_MAX, F5_MINU, F5_MAXU };
        static const unsigned regs[][3] = { { 10, 12, 11 }, { 5, 7, 6 },    { 18, 20, 19 },
                                            { 1, 3, 2 },    { 4, 6, 5 },    { 7, 9, 8 },
                                            { 10, 12, 11 }, { 13, 15, 14 }, { 16, 18, 17 } };
        for (unsigned f3 = 2; f3 <= 3; f3++) {
            for (unsigned k = 0; k < 9; k++) {
                w[n++] = amo32(f5[k], 0, f3, regs[k][0], regs[k][1], regs[k][2]);
            }
        }
        w[n++] = amo32(F5_OR, AQ | RL, 3, 0, 6, 5);
        w[n++] = amo32(F5_ADD, AQ, 2, 31, 29, 30);
        w[n++] = amo32(F5_SC, 0, 2, 10, 12, 11);
        w[n++] = amo32(F5_SC, 0, 3, 5, 7, 6);
        w[n++] = amo32(F5_SC, RL, 3, 0, 6, 5);
        w[n++] = amo32(F5_SC, 0, 3, 5, 6, 0);
        w[n++] = amo32(F5_LR, 0, 2, 10, 12, 0);
        w[n++] = amo32(F5_LR, AQ, 3, 5, 7, 0);
        w[n++] = load32(0, 5, 10, 0);
        w[n++] = load32(2, 5, 10, 4);
        w[n++] = load32(3, 5, 10, 8);
        w[n++] = s_type(0x27, 2, 10, 1, 0); /* FP store opcode */
        w[n++] = s_type(0x27, 3, 10, 1, 8);
        w[n++] = amo32(0x05, 0, 2, 10, 12, 11);
        w[n++] = amo32(0x06, 0, 3, 5, 6, 7);
        w[n++] = amo32(0x1f, 0, 2, 5, 6, 7);
        w[n++] = amo32(F5_SWAP, 0, 0, 5, 6, 7);
        w[n++] = amo32(F5_ADD, 0, 1, 5, 6, 7);
        w[n++] = amo32(F5_SWAP, 0, 4, 5, 6, 7);
        w[n++] = amo32(F5_ADD, 0, 7, 5, 6, 7);
        w[n++] = c_sw(9, 10, 4);
        w[n++] = c_sw(15, 8, 124);
        w[n++] = c_sd(8, 15, 8);
        w[n++] = c_sd(12, 13, 248);
        w[n++] = c_swsp(1, 0);
        w[n++] = c_swsp(31, 252);
        w[n++] = c_sdsp(0, 8);
        w[n++] = c_sdsp(17, 504);
        w[n++] = c_l(2, 9, 10, 4);
        w[n++] = c_l(3, 8, 15, 8);
        w[n++] = c_lsp(2, 5, 4);
        w[n++] = c_lsp(3, 6, 8);
        CHECK_EQ(n, sizeof(w) / sizeof(w[0]));
    }
    return w[i];
}

TEST(encodings_match_the_assembler)
{
    for (size_t i = 0; i < sizeof(encodings) / sizeof(encodings[0]); i++) {
        if (ours(i) != encodings[i].as) {
            fprintf(stderr, "%s: as 0x%08x, ours 0x%08x\n", encodings[i].src, encodings[i].as,
                    ours(i));
        }
        CHECK_EQ(ours(i), encodings[i].as);
    }
}

static void expect_decode(uint32_t insn, enum mem_op_kind kind, unsigned len, unsigned width,
                          unsigned rd, unsigned rs2, unsigned funct5)
{
    struct mem_op op;
    memset(&op, 0xee, sizeof(op));
    CHECK(mem_op_decode(insn, &op));
    CHECK_EQ(op.kind, kind);
    CHECK_EQ(op.len, len);
    CHECK_EQ(op.width, width);
    CHECK_EQ(op.rd, rd);
    CHECK_EQ(op.rs2, rs2);
    CHECK_EQ(op.funct5, funct5);
}

TEST(decodes_plain_and_compressed_stores)
{
    for (unsigned f3 = 0; f3 < 4; f3++) {
        expect_decode(store32(f3, 7, 12, -4), MEM_STORE, 4, 1u << f3, 0, 7, 0);
        expect_decode(store32(f3, 0, 1, 2047), MEM_STORE, 4, 1u << f3, 0, 0, 0);
    }
    expect_decode(store32(3, 31, 2, 0), MEM_STORE, 4, 8, 0, 31, 0);
    expect_decode(c_sw(9, 10, 4), MEM_STORE, 2, 4, 0, 9, 0);
    expect_decode(c_sw(15, 8, 124), MEM_STORE, 2, 4, 0, 15, 0);
    expect_decode(c_sd(8, 15, 8), MEM_STORE, 2, 8, 0, 8, 0);
    expect_decode(c_sd(12, 13, 248), MEM_STORE, 2, 8, 0, 12, 0);
    expect_decode(c_swsp(1, 0), MEM_STORE, 2, 4, 0, 1, 0);
    expect_decode(c_swsp(31, 252), MEM_STORE, 2, 4, 0, 31, 0);
    expect_decode(c_sdsp(0, 8), MEM_STORE, 2, 8, 0, 0, 0);
    expect_decode(c_sdsp(17, 504), MEM_STORE, 2, 8, 0, 17, 0);
    /* A compressed store fetched along with the next instruction in its high half: ignored. */
    expect_decode(0x0063a2afu << 16 | c_sdsp(17, 504), MEM_STORE, 2, 8, 0, 17, 0);
    expect_decode(0xffff0000u | c_sw(9, 10, 4), MEM_STORE, 2, 4, 0, 9, 0);
}

TEST(decodes_every_amo_and_sc)
{
    static const unsigned f5[] = { F5_SWAP, F5_ADD, F5_XOR, F5_AND, F5_OR,
                                   F5_MIN,  F5_MAX, F5_MINU, F5_MAXU };
    for (unsigned f3 = 2; f3 <= 3; f3++) {
        unsigned width = f3 == 2 ? 4 : 8;
        for (unsigned k = 0; k < sizeof(f5) / sizeof(f5[0]); k++) {
            for (unsigned aqrl = 0; aqrl < 4; aqrl++) { /* ordering bits change nothing here */
                expect_decode(amo32(f5[k], aqrl, f3, 10, 12, 11), MEM_AMO, 4, width, 10, 11, f5[k]);
            }
            expect_decode(amo32(f5[k], 0, f3, 0, 1, 31), MEM_AMO, 4, width, 0, 31, f5[k]);
            expect_decode(amo32(f5[k], 0, f3, 31, 31, 31), MEM_AMO, 4, width, 31, 31, f5[k]);
        }
        expect_decode(amo32(F5_SC, 0, f3, 5, 7, 6), MEM_SC, 4, width, 5, 6, F5_SC);
        expect_decode(amo32(F5_SC, AQ | RL, f3, 0, 6, 0), MEM_SC, 4, width, 0, 0, F5_SC);
    }
}

static bool decodes(uint32_t insn)
{
    struct mem_op op;
    return mem_op_decode(insn, &op);
}

TEST(rejects_loads_lr_and_everything_else)
{
    /* LR, loads of every width, compressed loads. */
    CHECK(!decodes(amo32(F5_LR, 0, 2, 10, 12, 0)));
    CHECK(!decodes(amo32(F5_LR, AQ, 3, 5, 7, 0)));
    for (unsigned f3 = 0; f3 < 7; f3++) {
        CHECK(!decodes(load32(f3, 5, 10, 8)));
    }
    CHECK(!decodes(c_l(2, 9, 10, 4)));
    CHECK(!decodes(c_l(3, 8, 15, 8)));
    CHECK(!decodes(c_lsp(2, 5, 4)));
    CHECK(!decodes(c_lsp(3, 6, 8)));
    /* FP stores (FSW, FSD, C.FSD, C.FSDSP), the reserved STORE funct3s, ALU and other opcodes. */
    CHECK(!decodes(s_type(0x27, 2, 10, 1, 0)));
    CHECK(!decodes(s_type(0x27, 3, 10, 1, 8)));
    CHECK(!decodes(0xa480)); /* c.fsd f8,8(x9) */
    CHECK(!decodes(0xa806)); /* c.fsdsp f1,16(x2) */
    for (unsigned f3 = 4; f3 < 8; f3++) {
        CHECK(!decodes(store32(f3, 7, 12, 0)));
    }
    CHECK(!decodes(0x00310093)); /* addi x1,x2,3 */
    CHECK(!decodes(0x0285));     /* c.addi x5,1 */
    CHECK(!decodes(0));
    CHECK(!decodes(0xffffffff));
    /* Every funct5 the A extension leaves unassigned (Zacas's AMOCAS among them), both widths. */
    for (unsigned f5 = 0; f5 < 32; f5++) {
        bool assigned = f5 == F5_ADD || f5 == F5_SWAP || f5 == F5_SC || f5 == F5_XOR ||
                        f5 == F5_OR || f5 == F5_AND || f5 == F5_MIN || f5 == F5_MAX ||
                        f5 == F5_MINU || f5 == F5_MAXU;
        for (unsigned f3 = 2; f3 <= 3; f3++) {
            if (decodes(amo32(f5, 0, f3, 5, 6, 7)) != assigned) {
                fprintf(stderr, "funct5 0x%x funct3 %u\n", f5, f3);
            }
            CHECK_EQ(decodes(amo32(f5, 0, f3, 5, 6, 7)), assigned);
        }
        /* Byte and halfword AMOs (Zabha), and funct3 4-7: none is offered. */
        for (unsigned f3 = 0; f3 < 8; f3++) {
            if (f3 != 2 && f3 != 3) {
                CHECK(!decodes(amo32(f5, 0, f3, 5, 6, 7)));
            }
        }
    }
}

static struct vcpu_arch cpu;

static void fresh(void)
{
    memset(&cpu, 0, sizeof(cpu));
    for (unsigned r = 1; r < 32; r++) {
        cpu.regs.x[r] = 0x1000000000000000ull * (r % 16) + r; /* each distinct */
    }
}

/* Registers outside the mask (bit k: xk) kept their values from fresh(). */
static bool untouched_but(uint32_t mask)
{
    for (unsigned k = 0; k < 32; k++) {
        uint64_t want = k == 0 ? 0 : 0x1000000000000000ull * (k % 16) + k;
        if (!(mask >> k & 1) && cpu.regs.x[k] != want) {
            return false;
        }
    }
    return true;
}

static struct mem_op decoded(uint32_t insn)
{
    struct mem_op op;
    memset(&op, 0, sizeof(op));
    CHECK(mem_op_decode(insn, &op));
    return op;
}

#define MEM0 0x8877665544332211ull

TEST(stores_write_each_width_at_each_offset)
{
    for (unsigned f3 = 0; f3 < 4; f3++) {
        unsigned width = 1u << f3;
        struct mem_op op = decoded(store32(f3, 9, 2, 0));
        for (unsigned offset = 0; offset < 8; offset++) {
            fresh();
            cpu.regs.x[9] = 0xa8a7a6a5a4a3a2a1ull;
            uint64_t word = MEM0;
            bool ok = mem_op_apply(&op, &cpu, &word, offset);
            CHECK_EQ(ok, offset % width == 0);
            uint64_t mask = width == 8 ? ~0ull : ((1ull << (8 * width)) - 1) << (8 * offset);
            uint64_t put = (0xa8a7a6a5a4a3a2a1ull << (8 * offset)) & mask;
            uint64_t want = ok ? (MEM0 & ~mask) | put : MEM0;
            CHECK_EQ(word, want);
            CHECK(untouched_but(1u << 9) && cpu.regs.x[9] == 0xa8a7a6a5a4a3a2a1ull);
        }
        uint64_t word = MEM0;
        CHECK(!mem_op_apply(&op, &cpu, &word, 8)); /* past the doubleword */
        CHECK(!mem_op_apply(&op, &cpu, NULL, 0));
        CHECK_EQ(word, MEM0);
    }
    /* Bytes land in little-endian order, the compressed forms too, and x0 stores zero. */
    fresh();
    cpu.regs.x[17] = 0x0102030405060708ull;
    uint64_t word = MEM0;
    struct mem_op op = decoded(c_sdsp(17, 504));
    CHECK(mem_op_apply(&op, &cpu, &word, 0));
    CHECK_EQ(((uint8_t *)&word)[0], 0x08);
    CHECK_EQ(((uint8_t *)&word)[7], 0x01);
    op = decoded(c_sw(9, 10, 4));
    cpu.regs.x[9] = 0xffffffffdeadbeefull;
    CHECK(mem_op_apply(&op, &cpu, &word, 4));
    CHECK_EQ(word, 0xdeadbeef05060708ull);
    op = decoded(store32(1, 0, 2, 0));
    CHECK(mem_op_apply(&op, &cpu, &word, 6));
    CHECK_EQ(word, 0x0000beef05060708ull);
    op = decoded(c_sdsp(0, 8));
    CHECK(mem_op_apply(&op, &cpu, &word, 0));
    CHECK_EQ(word, 0);
    CHECK(untouched_but(1u << 9 | 1u << 17)); /* set above */
}

struct amo_case {
    unsigned funct5;
    uint64_t old, src; /* memory before, rs2 */
    uint64_t want;     /* memory after */
};

/* Words: "ignore the upper 32 bits of the original value of rs2" and compare as 32-bit values
 * (A extension, "Atomic Memory Operations"). */
static const struct amo_case word_cases[] = {
    { F5_SWAP, 0x80000000, 0xdeadbeef00000001ull, 0x00000001 },
    { F5_ADD, 0x80000000, 0xdeadbeef00000001ull, 0x80000001 },
    { F5_ADD, 0xffffffff, 0x0000000100000001ull, 0x00000000 }, /* the carry goes nowhere */
    { F5_XOR, 0x80000000, 0xdeadbeef00000001ull, 0x80000001 },
    { F5_AND, 0x80000000, 0xdeadbeef00000001ull, 0x00000000 },
    { F5_OR, 0x80000000, 0xdeadbeef00000001ull, 0x80000001 },
    { F5_MIN, 0x80000000, 0xdeadbeef00000001ull, 0x80000000 }, /* -2^31 < 1 */
    { F5_MAX, 0x80000000, 0xdeadbeef00000001ull, 0x00000001 },
    { F5_MINU, 0x80000000, 0xdeadbeef00000001ull, 0x00000001 },
    { F5_MAXU, 0x80000000, 0xdeadbeef00000001ull, 0x80000000 },
    /* rs2's word is negative though the register is a positive doubleword. */
    { F5_MIN, 0x00000001, 0x0000000080000000ull, 0x80000000 },
    { F5_MAX, 0x00000001, 0x0000000080000000ull, 0x00000001 },
    { F5_MINU, 0x00000001, 0x0000000080000000ull, 0x00000001 },
    { F5_MAXU, 0x00000001, 0x0000000080000000ull, 0x80000000 },
    /* Both negative; rs2's upper half set differently from its sign. */
    { F5_MIN, 0xfffffffe, 0x00000000ffffffffull, 0xfffffffe },
    { F5_MAX, 0xfffffffe, 0x00000000ffffffffull, 0xffffffff },
    { F5_MINU, 0xfffffffe, 0x00000000ffffffffull, 0xfffffffe },
    { F5_MAXU, 0xfffffffe, 0x00000000ffffffffull, 0xffffffff },
    { F5_MAXU, 0x7fffffff, 0xffffffff00000000ull, 0x7fffffff },
};

static const struct amo_case dword_cases[] = {
    { F5_SWAP, 0x8000000000000000ull, 1, 1 },
    { F5_ADD, 0x8000000000000000ull, 0xffffffffffffffffull, 0x7fffffffffffffffull },
    { F5_XOR, 0xff00ff00ff00ff00ull, 0x0ff00ff00ff00ff0ull, 0xf0f0f0f0f0f0f0f0ull },
    { F5_AND, 0xff00ff00ff00ff00ull, 0x0ff00ff00ff00ff0ull, 0x0f000f000f000f00ull },
    { F5_OR, 0xff00ff00ff00ff00ull, 0x0ff00ff00ff00ff0ull, 0xfff0fff0fff0fff0ull },
    { F5_MIN, 0x8000000000000000ull, 1, 0x8000000000000000ull },
    { F5_MAX, 0x8000000000000000ull, 1, 1 },
    { F5_MINU, 0x8000000000000000ull, 1, 1 },
    { F5_MAXU, 0x8000000000000000ull, 1, 0x8000000000000000ull },
    { F5_MIN, 0x0000000080000000ull, 1, 1 }, /* bit 31 means nothing in a doubleword */
    { F5_MAX, 0xfffffffffffffffeull, 0xffffffffffffffffull, 0xffffffffffffffffull },
};

TEST(amo_words_at_either_half)
{
    for (size_t i = 0; i < sizeof(word_cases) / sizeof(word_cases[0]); i++) {
        const struct amo_case *c = &word_cases[i];
        struct mem_op op = decoded(amo32(c->funct5, AQ, 2, 10, 12, 11));
        for (unsigned offset = 0; offset < 8; offset += 4) {
            fresh();
            cpu.regs.x[11] = c->src;
            uint64_t other = 0x5555aaaa5555aaaaull, word;
            word = offset ? c->old << 32 | (other & 0xffffffff) : (other & ~0xffffffffull) | c->old;
            CHECK(mem_op_apply(&op, &cpu, &word, offset));
            uint32_t got = (uint32_t)(word >> (8 * offset));
            uint32_t rest = (uint32_t)(word >> (32 - 8 * offset));
            if (got != c->want) {
                fprintf(stderr, "word case %zu offset %u: 0x%x\n", i, offset, got);
            }
            CHECK_EQ(got, c->want);
            CHECK_EQ(rest, (uint32_t)other);
            /* rd: the old word, sign-extended. */
            CHECK_EQ(cpu.regs.x[10], (uint64_t)(int64_t)(int32_t)(uint32_t)c->old);
            CHECK_EQ(cpu.regs.x[11], c->src);
            CHECK(untouched_but(1u << 10 | 1u << 11));
        }
        uint64_t word = 0;
        CHECK(!mem_op_apply(&op, &cpu, &word, 2)); /* misaligned: the hardware faults */
        CHECK(!mem_op_apply(&op, &cpu, NULL, 0));
    }
}

TEST(amo_doublewords)
{
    for (size_t i = 0; i < sizeof(dword_cases) / sizeof(dword_cases[0]); i++) {
        const struct amo_case *c = &dword_cases[i];
        struct mem_op op = decoded(amo32(c->funct5, 0, 3, 5, 7, 6));
        fresh();
        cpu.regs.x[6] = c->src;
        uint64_t word = c->old;
        CHECK(mem_op_apply(&op, &cpu, &word, 0));
        if (word != c->want) {
            fprintf(stderr, "doubleword case %zu: 0x%llx\n", i, (unsigned long long)word);
        }
        CHECK_EQ(word, c->want);
        CHECK_EQ(cpu.regs.x[5], c->old);
        CHECK_EQ(cpu.regs.x[6], c->src);
        for (unsigned offset = 1; offset < 8; offset++) {
            word = c->old;
            CHECK(!mem_op_apply(&op, &cpu, &word, offset));
            CHECK_EQ(word, c->old);
        }
        CHECK_EQ(cpu.regs.x[5], c->old);
    }
}

TEST(amo_register_corner_cases)
{
    /* rd = x0: memory changes, no register does. */
    fresh();
    uint64_t word = 0x100000005ull;
    struct mem_op op = decoded(amo32(F5_OR, AQ | RL, 3, 0, 6, 5));
    CHECK(mem_op_apply(&op, &cpu, &word, 0));
    CHECK_EQ(word, 0x100000005ull | cpu.regs.x[5]);
    CHECK(untouched_but(0));
    CHECK_EQ(cpu.regs.x[0], 0);
    op = decoded(amo32(F5_ADD, 0, 2, 0, 6, 5));
    CHECK(mem_op_apply(&op, &cpu, &word, 4));
    CHECK(untouched_but(0));
    /* rd = rs2: the old value goes to rd, memory gets the operation on rs2's value before it. */
    fresh();
    cpu.regs.x[10] = 7;
    word = 0xffffffff00000003ull;
    op = decoded(amo32(F5_SWAP, 0, 2, 10, 12, 10));
    CHECK(mem_op_apply(&op, &cpu, &word, 4));
    CHECK_EQ(word, 0x0000000700000003ull);
    CHECK_EQ(cpu.regs.x[10], ~0ull);
    op = decoded(amo32(F5_ADD, 0, 3, 10, 12, 10));
    cpu.regs.x[10] = 2;
    CHECK(mem_op_apply(&op, &cpu, &word, 0));
    CHECK_EQ(word, 0x0000000700000005ull);
    CHECK_EQ(cpu.regs.x[10], 0x0000000700000003ull);
    CHECK(untouched_but(1u << 10));
}

TEST(sc_stores_and_reports_success)
{
    fresh();
    uint64_t word = MEM0;
    struct mem_op op = decoded(amo32(F5_SC, 0, 2, 10, 12, 11));
    cpu.regs.x[11] = 0xdeadbeefcafef00dull;
    CHECK(mem_op_apply(&op, &cpu, &word, 4));
    CHECK_EQ(word, 0xcafef00d44332211ull);
    CHECK_EQ(cpu.regs.x[10], 0); /* success */
    CHECK(!mem_op_apply(&op, &cpu, &word, 2));
    op = decoded(amo32(F5_SC, 0, 3, 5, 7, 6));
    cpu.regs.x[5] = 1;
    CHECK(mem_op_apply(&op, &cpu, &word, 0));
    CHECK_EQ(word, cpu.regs.x[6]);
    CHECK_EQ(cpu.regs.x[5], 0);
    CHECK(!mem_op_apply(&op, &cpu, &word, 4));
    CHECK(!mem_op_apply(&op, &cpu, NULL, 0));
    /* SC.D of x0 stores zero; rd = x0 writes no register. */
    op = decoded(amo32(F5_SC, 0, 3, 5, 6, 0));
    cpu.regs.x[5] = 9;
    CHECK(mem_op_apply(&op, &cpu, &word, 0));
    CHECK_EQ(word, 0);
    CHECK_EQ(cpu.regs.x[5], 0);
    fresh();
    op = decoded(amo32(F5_SC, RL, 3, 0, 6, 5));
    CHECK(mem_op_apply(&op, &cpu, &word, 0));
    CHECK_EQ(word, cpu.regs.x[5]);
    CHECK(untouched_but(0));
}
