// SPDX-License-Identifier: MIT
// MMIO load/store decoder: every RV64I and RV64C form, refusals, htinst transforms, random words.
#include <stdbool.h>
#include <stdint.h>

#include "check.h"
#include <arch/insn.h>

/* Encodings below were assembled with riscv64-unknown-elf-gcc -march=rv64imafdc (".option
 * norvc" for the 32-bit forms) and read back with objdump -M no-aliases; the assembly is in the
 * comment next to each. */

#define LD false
#define ST true
#define SX true
#define ZX false

/* The result is poisoned first (every field wrong), so a field the decoder forgets shows up. */
#define EXPECT(decode, val, len_, store_, width_, sext_, reg_)                                     \
    do {                                                                                           \
        struct mmio_insn m_;                                                                       \
        memset(&m_, 0xa5, sizeof(m_));                                                             \
        m_.store = !(store_);                                                                      \
        m_.sign_extend = !(sext_);                                                                 \
        CHECK(decode((val), &m_));                                                                 \
        CHECK_EQ(m_.len, len_);                                                                    \
        CHECK_EQ(m_.store, store_);                                                                \
        CHECK_EQ(m_.width, width_);                                                                \
        CHECK_EQ(m_.sign_extend, sext_);                                                           \
        CHECK_EQ(m_.reg, reg_);                                                                    \
    } while (0)

#define EXPECT_MMIO(...) EXPECT(insn_decode_mmio, __VA_ARGS__)
#define EXPECT_HTINST(...) EXPECT(insn_decode_htinst, __VA_ARGS__)

static bool mmio(uint32_t insn)
{
    struct mmio_insn m;
    return insn_decode_mmio(insn, &m);
}

static bool htinst(uint64_t v)
{
    struct mmio_insn m;
    return insn_decode_htinst(v, &m);
}

/* The htinst transformation of a 32-bit load or store (priv spec, hypervisor chapter): immediate
 * fields zeroed, rs1 (bits 19:15) replaced by the address offset. Loads keep funct3, rd and
 * opcode (bits 14:0); stores keep rs2, funct3 and opcode. */
static uint32_t transform(uint32_t insn, uint32_t offset)
{
    uint32_t keep = (insn & 0x7f) == 0x23 ? 0x01f0707f : 0x00007fff;
    return (insn & keep) | (offset & 0x1f) << 15;
}

/* A compressed original is transformed as its 32-bit equivalent, then bit 1 is cleared. */
static uint32_t transform_c(uint32_t insn32, uint32_t offset)
{
    return transform(insn32, offset) & ~2u;
}

static uint64_t xorshift64(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

TEST(loads_each_funct3)
{
    EXPECT_MMIO(0x00858503, 4, LD, 1, SX, 10); /* lb a0,8(a1) */
    EXPECT_MMIO(0xffff9003, 4, LD, 2, SX, 0);  /* lh zero,-1(t6) */
    EXPECT_MMIO(0x7ff02f83, 4, LD, 4, SX, 31); /* lw t6,2047(zero) */
    EXPECT_MMIO(0x80013283, 4, LD, 8, ZX, 5);  /* ld t0,-2048(sp) */
    EXPECT_MMIO(0x00054483, 4, LD, 1, ZX, 9);  /* lbu s1,0(a0) */
    EXPECT_MMIO(0x00c45783, 4, LD, 2, ZX, 15); /* lhu a5,12(s0) */
    EXPECT_MMIO(0x0041e083, 4, LD, 4, ZX, 1);  /* lwu ra,4(gp) */
    EXPECT_MMIO(0x00000003, 4, LD, 1, SX, 0);  /* lb zero,0(zero) */
    EXPECT_MMIO(0x00001f83, 4, LD, 2, SX, 31); /* lh t6,0(zero) */
    EXPECT_MMIO(0xffffbf83, 4, LD, 8, ZX, 31); /* ld t6,-1(t6) */
    EXPECT_MMIO(0x7fffef83, 4, LD, 4, ZX, 31); /* lwu t6,2047(t6) */
    EXPECT_MMIO(0x00003003, 4, LD, 8, ZX, 0);  /* ld zero,0(zero) */
}

TEST(stores_each_funct3)
{
    EXPECT_MMIO(0x00a58423, 4, ST, 1, ZX, 10); /* sb a0,8(a1) */
    EXPECT_MMIO(0xfff09fa3, 4, ST, 2, ZX, 31); /* sh t6,-1(ra) */
    EXPECT_MMIO(0x7e0fafa3, 4, ST, 4, ZX, 0);  /* sw zero,2047(t6) */
    EXPECT_MMIO(0x81b13023, 4, ST, 8, ZX, 27); /* sd s11,-2048(sp) */
    EXPECT_MMIO(0x01f00023, 4, ST, 1, ZX, 31); /* sb t6,0(zero) */
    EXPECT_MMIO(0x00002023, 4, ST, 4, ZX, 0);  /* sw zero,0(zero) */
    EXPECT_MMIO(0x00a5b423, 4, ST, 8, ZX, 10); /* sd a0,8(a1) */
}

/* Every register in every slot, with the other fields (base, offset) all ones so they cannot leak
 * into reg. */
TEST(all_registers)
{
    static const uint8_t width[7] = { 1, 2, 4, 8, 1, 2, 4 };
    for (uint32_t f = 0; f < 7; f++) {
        for (uint32_t r = 0; r < 32; r++) {
            EXPECT_MMIO(0xffff8000u | f << 12 | r << 7 | 0x03, 4, LD, width[f], f < 3, r);
            if (f < 4) {
                EXPECT_MMIO(0xfe0f8f80u | r << 20 | f << 12 | 0x23, 4, ST, width[f], ZX, r);
            }
        }
    }
}

TEST(reserved_32bit)
{
    CHECK(!mmio(0x0085f503)); /* lw a0,8(a1) with funct3 = 7 (LDU, RV128 only) */
    CHECK(!mmio(0x00007003));
    CHECK(!mmio(0xfffff003));
    for (uint32_t f = 4; f < 8; f++) {
        CHECK(!mmio((0x81b13023 & ~0x7000u) | f << 12)); /* sd s11,-2048(sp), funct3 = f */
        CHECK(!mmio((0x00002023 & ~0x7000u) | f << 12)); /* sw zero,0(zero), funct3 = f */
    }
}

TEST(fp_loads_stores)
{
    CHECK(!mmio(0x00052507)); /* flw fa0,0(a0) */
    CHECK(!mmio(0x0085b507)); /* fld fa0,8(a1) */
    CHECK(!mmio(0x00002007)); /* flw ft0,0(zero) */
    CHECK(!mmio(0x00a52027)); /* fsw fa0,0(a0) */
    CHECK(!mmio(0x00a5b427)); /* fsd fa0,8(a1) */
    CHECK(!mmio(0x00003027)); /* fsd ft0,0(zero) */
    CHECK(!mmio(0x2588));     /* c.fld fa0,8(a1) */
    CHECK(!mmio(0xa588));     /* c.fsd fa0,8(a1) */
    CHECK(!mmio(0x2522));     /* c.fldsp fa0,8(sp) */
    CHECK(!mmio(0xa42a));     /* c.fsdsp fa0,8(sp) */
}

TEST(atomics)
{
    CHECK(!mmio(0x00b6252f)); /* amoadd.w a0,a1,(a2) */
    CHECK(!mmio(0x1005b52f)); /* lr.d a0,(a1) */
    CHECK(!mmio(0x18b6252f)); /* sc.w a0,a1,(a2) */
    CHECK(!mmio(0x09ffbfaf)); /* amoswap.d t6,t6,(t6) */
}

TEST(other_opcodes)
{
    CHECK(!mmio(0x00158513)); /* addi a0,a1,1 */
    CHECK(!mmio(0x0015051b)); /* addiw a0,a0,1 */
    CHECK(!mmio(0x12345537)); /* lui a0,0x12345 */
    CHECK(!mmio(0x0000006f)); /* jal zero,. */
    CHECK(!mmio(0x00000073)); /* ecall */
    CHECK(!mmio(0x10500073)); /* wfi */
    CHECK(!mmio(0x6805c573)); /* hlv.w a0,(a1), via .insn r 0x73,4,0x34 */
    CHECK(!mmio(0xffffffff)); /* all ones: longest-instruction prefix, illegal */
    CHECK(!mmio(0x0000001f)); /* 48-bit prefix */
    CHECK(!mmio(0x0000003f)); /* 64-bit prefix */
    CHECK(!mmio(0x00000000)); /* defined illegal instruction */
    CHECK(!mmio(0x0001));     /* c.nop */
    CHECK(!mmio(0x0048));     /* c.addi4spn a0,sp,4 */
}

TEST(compressed_register_based)
{
    EXPECT_MMIO(0x4000, 2, LD, 4, SX, 8);  /* c.lw s0,0(s0) */
    EXPECT_MMIO(0x5ffc, 2, LD, 4, SX, 15); /* c.lw a5,124(a5) */
    EXPECT_MMIO(0x6380, 2, LD, 8, ZX, 8);  /* c.ld s0,0(a5) */
    EXPECT_MMIO(0x7c7c, 2, LD, 8, ZX, 15); /* c.ld a5,248(s0) */
    EXPECT_MMIO(0xc380, 2, ST, 4, ZX, 8);  /* c.sw s0,0(a5) */
    EXPECT_MMIO(0xdc7c, 2, ST, 4, ZX, 15); /* c.sw a5,124(s0) */
    EXPECT_MMIO(0xe104, 2, ST, 8, ZX, 9);  /* c.sd s1,0(a0) */
    EXPECT_MMIO(0xfffc, 2, ST, 8, ZX, 15); /* c.sd a5,248(a5) */
}

TEST(compressed_sp_based)
{
    EXPECT_MMIO(0x4082, 2, LD, 4, SX, 1);  /* c.lwsp ra,0(sp) */
    EXPECT_MMIO(0x5ffe, 2, LD, 4, SX, 31); /* c.lwsp t6,252(sp) */
    EXPECT_MMIO(0x6082, 2, LD, 8, ZX, 1);  /* c.ldsp ra,0(sp) */
    EXPECT_MMIO(0x7ffe, 2, LD, 8, ZX, 31); /* c.ldsp t6,504(sp) */
    EXPECT_MMIO(0xc002, 2, ST, 4, ZX, 0);  /* c.swsp zero,0(sp) */
    EXPECT_MMIO(0xdffe, 2, ST, 4, ZX, 31); /* c.swsp t6,252(sp) */
    EXPECT_MMIO(0xe002, 2, ST, 8, ZX, 0);  /* c.sdsp zero,0(sp) */
    EXPECT_MMIO(0xfffe, 2, ST, 8, ZX, 31); /* c.sdsp t6,504(sp) */
}

TEST(compressed_reserved)
{
    CHECK(!mmio(0x4002)); /* c.lwsp with rd = x0, offset 0 */
    CHECK(!mmio(0x507e)); /* c.lwsp with rd = x0, offset 252 (0x5ffe without rd) */
    CHECK(!mmio(0x6002)); /* c.ldsp with rd = x0, offset 0 */
    CHECK(!mmio(0x707e)); /* c.ldsp with rd = x0, offset 504 (0x7ffe without rd) */
    /* Quadrant 0, funct3 = 100 is reserved in Zca (Zcb's c.lbu a0,0(a1) is 0x8188). */
    CHECK(!mmio(0x8000));
    CHECK(!mmio(0x8188));
    CHECK(!mmio(0x9ffc));
}

/* Exhaustive over the 16-bit space: exactly the RV64C integer loads/stores decode. Quadrant 0
 * C.LW/C.LD/C.SW/C.SD: 4 * 2^11; quadrant 2 C.SWSP/C.SDSP: 2 * 2^11; C.LWSP/C.LDSP: 2 * (2^11 -
 * 2^6), as the 2^6 offsets with rd = x0 are reserved. */
TEST(compressed_exhaustive)
{
    unsigned accepted = 0;
    for (uint32_t c = 0; c < 0x10000; c++) {
        struct mmio_insn m;
        if ((c & 3) == 3 || !insn_decode_mmio(c, &m)) {
            continue;
        }
        accepted++;
        uint32_t funct3 = c >> 13;
        CHECK((c & 3) == 0 || (c & 3) == 2);
        CHECK(funct3 == 2 || funct3 == 3 || funct3 == 6 || funct3 == 7);
        CHECK_EQ(m.len, 2);
        CHECK_EQ(m.store, funct3 >= 6);
        CHECK_EQ(m.width, (funct3 & 1) ? 8 : 4);
        CHECK_EQ(m.sign_extend, funct3 == 2);
        if ((c & 3) == 0) {
            CHECK(m.reg >= 8 && m.reg <= 15);
        }
    }
    CHECK_EQ(accepted, 4 * 2048 + 2 * 2048 + 2 * (2048 - 64));
}

/* The caller passes bits 31:16 as zero for a compressed instruction; if they are not (a whole word
 * was fetched), the low half alone is decoded. */
TEST(compressed_high_half_ignored)
{
    EXPECT_MMIO(0xffff5ffc, 2, LD, 4, SX, 15); /* c.lw a5,124(a5) */
    EXPECT_MMIO(0x00a5fffe, 2, ST, 8, ZX, 31); /* c.sdsp t6,504(sp) */
    EXPECT_MMIO(0x0085c380, 2, ST, 4, ZX, 8);  /* c.sw s0,0(a5) */
    CHECK(!mmio(0x00034002));                  /* reserved c.lwsp x0, ld zero above it */
    CHECK(!mmio(0x0085a501));                  /* quadrant 1, even with a load above */
}

TEST(htinst_transform_helper_matches_assembler)
{
    CHECK_EQ(transform(0x0085a503, 0), 0x00002503);   /* lw a0,8(a1) -> lw a0,0(zero) */
    CHECK_EQ(transform(0x81b13023, 0), 0x01b03023);   /* sd s11,-2048(sp) -> sd s11,0(zero) */
    CHECK_EQ(transform(0x0041e083, 0), 0x00006083);   /* lwu ra,4(gp) -> lwu ra,0(zero) */
    CHECK_EQ(transform(0xfff09fa3, 0), 0x01f01023);   /* sh t6,-1(ra) -> sh t6,0(zero) */
    CHECK_EQ(transform(0x00858503, 3), 0x00018503);   /* lb a0,8(a1), offset 3 in rs1 */
    CHECK_EQ(transform_c(0x00002783, 0), 0x00002781); /* c.lw a5,124(a5) as lw a5,0(zero) */
}

TEST(htinst_transformed_32bit)
{
    EXPECT_HTINST(transform(0x00858503, 0), 4, LD, 1, SX, 10); /* lb a0,8(a1) */
    EXPECT_HTINST(transform(0xffff9003, 1), 4, LD, 2, SX, 0);  /* lh zero,-1(t6) */
    EXPECT_HTINST(transform(0x7ff02f83, 3), 4, LD, 4, SX, 31); /* lw t6,2047(zero) */
    EXPECT_HTINST(transform(0x80013283, 7), 4, LD, 8, ZX, 5);  /* ld t0,-2048(sp) */
    EXPECT_HTINST(transform(0x00054483, 0), 4, LD, 1, ZX, 9);  /* lbu s1,0(a0) */
    EXPECT_HTINST(transform(0x00c45783, 1), 4, LD, 2, ZX, 15); /* lhu a5,12(s0) */
    EXPECT_HTINST(transform(0x0041e083, 2), 4, LD, 4, ZX, 1);  /* lwu ra,4(gp) */
    EXPECT_HTINST(transform(0x00a58423, 0), 4, ST, 1, ZX, 10); /* sb a0,8(a1) */
    EXPECT_HTINST(transform(0xfff09fa3, 1), 4, ST, 2, ZX, 31); /* sh t6,-1(ra) */
    EXPECT_HTINST(transform(0x7e0fafa3, 3), 4, ST, 4, ZX, 0);  /* sw zero,2047(t6) */
    EXPECT_HTINST(transform(0x81b13023, 7), 4, ST, 8, ZX, 27); /* sd s11,-2048(sp) */
    /* The spec lets future versions put information in the zeroed fields and says it is safe to
     * ignore, so an untransformed original decodes as well. */
    EXPECT_HTINST(0x0085a503, 4, LD, 4, SX, 10); /* lw a0,8(a1) */
    EXPECT_HTINST(0x81b13023, 4, ST, 8, ZX, 27); /* sd s11,-2048(sp) */
}

TEST(htinst_transformed_compressed)
{
    /* Each compressed original, expanded (the 32-bit equivalent is in the comment), transformed,
     * then bit 1 cleared. */
    EXPECT_HTINST(transform_c(0x00002783, 0), 2, LD, 4, SX, 15); /* c.lw a5,124(a5): lw a5 */
    EXPECT_HTINST(transform_c(0x00003403, 2), 2, LD, 8, ZX, 8);  /* c.ld s0,0(a5): ld s0 */
    EXPECT_HTINST(transform_c(0x00f02023, 0), 2, ST, 4, ZX, 15); /* c.sw a5,124(s0): sw a5 */
    EXPECT_HTINST(transform_c(0x00903023, 4), 2, ST, 8, ZX, 9);  /* c.sd s1,0(a0): sd s1 */
    EXPECT_HTINST(transform_c(0x00002083, 0), 2, LD, 4, SX, 1);  /* c.lwsp ra,0(sp): lw ra */
    EXPECT_HTINST(transform_c(0x00003f83, 0), 2, LD, 8, ZX, 31); /* c.ldsp t6,504(sp): ld t6 */
    EXPECT_HTINST(transform_c(0x00002023, 0), 2, ST, 4, ZX, 0);  /* c.swsp zero,0(sp): sw zero */
    EXPECT_HTINST(transform_c(0x01f03023, 1), 2, ST, 8, ZX, 31); /* c.sdsp t6,504(sp): sd t6 */
    EXPECT_HTINST(0x00002781, 2, LD, 4, SX, 15);                 /* c.lw a5,124(a5), literally */
}

TEST(htinst_refused)
{
    CHECK(!htinst(0)); /* not provided */
    /* Pseudoinstructions for implicit VS-stage page-table accesses: reads, then A/D writes. */
    CHECK(!htinst(0x00002000));
    CHECK(!htinst(0x00003000));
    CHECK(!htinst(0x00002020));
    CHECK(!htinst(0x00003020));
    /* Bits 63:32 must be zero even when the low word is a transformed load. */
    CHECK(!htinst(1ull << 32 | 0x00002503));
    CHECK(!htinst(0xffffffff00002503ull));
    /* Bits 1:0 of 10 or 00 are never a transformed instruction. */
    CHECK(!htinst(0x00002502));
    CHECK(!htinst(0x00002500));
    /* Transformed, but not integer loads/stores. */
    CHECK(!htinst(transform(0x00052507, 0)));   /* flw fa0,0(a0) */
    CHECK(!htinst(transform(0x00a5b427, 0)));   /* fsd fa0,8(a1) */
    CHECK(!htinst(transform_c(0x00003007, 0))); /* c.fld as fld ft0,0(zero) */
    CHECK(!htinst(transform_c(0x00003027, 0))); /* c.fsdsp as fsd ft0,0(zero) */
    CHECK(!htinst(0x09f03faf));                 /* amoswap.d t6,t6,(t6), rs1 = offset 0 */
    CHECK(!htinst(0x1000352f));                 /* lr.d a0,(zero) */
    CHECK(!htinst(0x68004573));                 /* hlv.w a0,(a1), rs1 = offset 0 */
    CHECK(!htinst(0x0085f503));                 /* reserved LOAD funct3 = 7 */
    CHECK(!htinst(0x01b04023));                 /* reserved STORE funct3 = 4 */
}

/* Random words: whatever decodes must be self-consistent, and the two decoders must agree where
 * their inputs mean the same instruction. */
TEST(random_words)
{
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    unsigned accepted_mmio = 0, accepted_htinst = 0;

    for (int i = 0; i < 1000000; i++) {
        uint64_t r = xorshift64(&seed);
        uint32_t x = (uint32_t)r;
        struct mmio_insn m, h, again;

        if (insn_decode_mmio(x, &m)) {
            accepted_mmio++;
            CHECK(m.width == 1 || m.width == 2 || m.width == 4 || m.width == 8);
            CHECK_EQ(m.len, (x & 3) == 3 ? 4 : 2);
            CHECK(m.reg < 32);
            CHECK(!(m.store && m.sign_extend));
            CHECK(!(m.width == 8 && m.sign_extend));
            if (m.len == 2) {
                CHECK(insn_decode_mmio(x & 0xffff, &again));
                CHECK(memcmp(&m, &again, sizeof(m)) == 0);
            }
        }
        CHECK(!htinst(r | 1ull << 32));
        if (insn_decode_htinst(x, &h)) {
            accepted_htinst++;
            CHECK(h.width == 1 || h.width == 2 || h.width == 4 || h.width == 8);
            CHECK_EQ(h.len, (x & 2) ? 4 : 2);
            CHECK_EQ(x & 1, 1);
            CHECK(h.reg < 32);
            CHECK(!(h.store && h.sign_extend));
            /* Same instruction as the 32-bit word with bit 1 set, which mmio decodes. */
            CHECK(insn_decode_mmio(x | 2, &again));
            again.len = h.len;
            CHECK(memcmp(&h, &again, sizeof(h)) == 0);
        } else if (x & 1) {
            CHECK(!mmio(x | 2));
        }
    }
    /* About 11/128 of 32-bit words are LOAD/STORE; make sure the loop was not vacuous. */
    CHECK(accepted_mmio > 10000);
    CHECK(accepted_htinst > 10000);
}
