// SPDX-License-Identifier: MIT
// Fuzzes the MMIO instruction decoder (arch/riscv/insn.c) and the stores the trap engine carries
// out (arch/riscv/memop.c). Each 13-byte record of the input is a 32-bit instruction word, a 64-bit
// htinst value and a byte offset. Decoding is compared with a reference written here from the
// unprivileged spec's opcode map; mem_op_apply runs on a scratch vCPU and a 24-byte buffer, and
// must change the bytes and register the instruction names and nothing else, as the hardware would.
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include <arch/insn.h>
#include <arch/memop.h>

bool arch_engine_trap = true; /* vcpu_arch.h names it; nothing here reads it */

/* ---- reference decoder: the RV64I/RV64C load and store tables, spelled out ---- */

struct ref {
    bool ok, store, sext;
    unsigned len, width, reg;
};

static struct ref ref32(uint32_t w, unsigned len)
{
    struct ref r = { .len = len };
    unsigned f3 = (w >> 12) & 7;
    switch (w & 0x7f) {
    case 0x03: /* LB LH LW LD LBU LHU LWU; funct3 7 reserved */
        if (f3 == 7) {
            return r;
        }
        r.ok = true;
        r.width = f3 == 0 || f3 == 4 ? 1 : f3 == 1 || f3 == 5 ? 2 : f3 == 2 || f3 == 6 ? 4 : 8;
        r.sext = f3 == 0 || f3 == 1 || f3 == 2;
        r.reg = (w >> 7) & 31;
        return r;
    case 0x23: /* SB SH SW SD */
        if (f3 > 3) {
            return r;
        }
        r.ok = r.store = true;
        r.width = 1u << f3;
        r.reg = (w >> 20) & 31;
        return r;
    default:
        return r;
    }
}

static struct ref ref16(uint16_t c)
{
    struct ref r = { .len = 2 };
    unsigned q = c & 3, f3 = c >> 13;
    unsigned rd_p = 8 + ((c >> 2) & 7), rd = (c >> 7) & 31, rs2 = (c >> 2) & 31;
    if (q == 0) {
        /* C.LW 010, C.LD 011, C.SW 110, C.SD 111 (C.FLD 001 / C.FSD 101 are FP). */
        if (f3 == 2 || f3 == 3 || f3 == 6 || f3 == 7) {
            r.ok = true;
            r.store = f3 >= 6;
            r.width = (f3 & 1) ? 8 : 4;
            r.sext = f3 == 2;
            r.reg = rd_p;
        }
    } else if (q == 2) {
        /* C.LWSP 010, C.LDSP 011 (rd != 0), C.SWSP 110, C.SDSP 111. */
        if ((f3 == 2 || f3 == 3) && rd != 0) {
            r.ok = true;
            r.width = f3 == 3 ? 8 : 4;
            r.sext = f3 == 2;
            r.reg = rd;
        } else if (f3 == 6 || f3 == 7) {
            r.ok = r.store = true;
            r.width = f3 == 7 ? 8 : 4;
            r.reg = rs2;
        }
    }
    return r;
}

static void same(const struct ref *r,
                 bool ok,
                 const struct mmio_insn *m,
                 const struct mmio_insn *poison,
                 const char *what,
                 uint64_t v)
{
    FUZZ_CHECK(ok == r->ok, "%s 0x%llx: decoder %d, reference %d", what, (unsigned long long)v, ok,
               r->ok);
    if (!ok) {
        FUZZ_CHECK(memcmp(m, poison, sizeof *m) == 0, "%s 0x%llx: refused but wrote its result",
                   what, (unsigned long long)v);
        return;
    }
    FUZZ_CHECK(m->len == r->len && m->store == r->store && m->width == r->width &&
                   m->sign_extend == r->sext && m->reg == r->reg,
               "%s 0x%llx: len %u/%u store %d/%d width %u/%u sext %d/%d reg %u/%u", what,
               (unsigned long long)v, m->len, r->len, m->store, r->store, m->width, r->width,
               m->sign_extend, r->sext, m->reg, r->reg);
}

static void check_decode(uint32_t w, uint64_t ht)
{
    struct mmio_insn m, poison;
    memset(&poison, 0xa5, sizeof poison);

    m = poison;
    bool ok = insn_decode_mmio(w, &m);
    struct ref r = (w & 3) == 3 ? ref32(w, 4) : ref16((uint16_t)w);
    same(&r, ok, &m, &poison, "insn", w);

    /* htinst: bit 0 set marks a transformed instruction; bit 1 clear a compressed original (its
     * 32-bit form with bit 1 cleared); the upper word must be zero. */
    m = poison;
    ok = insn_decode_htinst(ht, &m);
    r = (ht >> 32) == 0 && (ht & 1) ? ref32((uint32_t)ht | 2, (ht & 2) ? 4 : 2) : (struct ref){ 0 };
    same(&r, ok, &m, &poison, "htinst", ht);
}

/* ---- reference AMO semantics (A extension) ---- */

static uint64_t ref_amo(unsigned f5, uint64_t old, uint64_t src, unsigned width)
{
    if (width == 4) {
        int32_t so = (int32_t)(uint32_t)old, ss = (int32_t)(uint32_t)src;
        uint32_t uo = (uint32_t)old, us = (uint32_t)src;
        switch (f5) {
        case 0x00: return uo + us;
        case 0x01: return us;
        case 0x04: return uo ^ us;
        case 0x08: return uo | us;
        case 0x0c: return uo & us;
        case 0x10: return (uint32_t)(so < ss ? so : ss);
        case 0x14: return (uint32_t)(so > ss ? so : ss);
        case 0x18: return uo < us ? uo : us;
        default: return uo > us ? uo : us;
        }
    }
    int64_t so = (int64_t)old, ss = (int64_t)src;
    switch (f5) {
    case 0x00: return old + src;
    case 0x01: return src;
    case 0x04: return old ^ src;
    case 0x08: return old | src;
    case 0x0c: return old & src;
    case 0x10: return (uint64_t)(so < ss ? so : ss);
    case 0x14: return (uint64_t)(so > ss ? so : ss);
    case 0x18: return old < src ? old : src;
    default: return old > src ? old : src;
    }
}

static uint64_t get_le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++) {
        v |= (uint64_t)p[i] << (8 * i);
    }
    return v;
}

static void check_memop(uint32_t w, unsigned off, struct fuzz_in *in)
{
    struct mem_op op;
    memset(&op, 0x5a, sizeof op);
    bool ok = mem_op_decode(w, &op);

    /* Which instructions are a store the engine carries out: stores, AMOs and SC, nothing else. */
    struct mmio_insn m;
    bool store = insn_decode_mmio(w, &m) && m.store;
    unsigned f3 = (w >> 12) & 7, f5 = w >> 27;
    bool amo_op = f5 == 0x00 || f5 == 0x01 || f5 == 0x04 || f5 == 0x08 || f5 == 0x0c ||
                  f5 == 0x10 || f5 == 0x14 || f5 == 0x18 || f5 == 0x1c;
    bool amo = (w & 0x7f) == 0x2f && (f3 == 2 || f3 == 3) && (amo_op || f5 == 0x03);
    FUZZ_CHECK(ok == (store || amo), "mem_op_decode 0x%08x: %d", w, ok);
    if (!ok) {
        return;
    }
    if (store) {
        FUZZ_CHECK(op.kind == MEM_STORE && op.len == m.len && op.width == m.width &&
                       op.rs2 == m.reg,
                   "store 0x%08x", w);
    } else {
        FUZZ_CHECK(op.kind == (f5 == 0x03 ? MEM_SC : MEM_AMO) && op.len == 4 &&
                       op.width == (f3 == 2 ? 4 : 8) && op.rd == ((w >> 7) & 31) &&
                       op.rs2 == ((w >> 20) & 31) && op.funct5 == f5,
                   "amo 0x%08x", w);
    }

    /* A scratch vCPU and the doubleword at buf + 8, with 8 guard bytes either side. */
    struct vcpu_arch a, before;
    memset(&a, 0, sizeof a);
    for (unsigned r = 0; r < 32; r++) {
        a.regs.x[r] = 0x0101010101010101ull * r ^ 0x8000000000000000ull;
    }
    a.regs.x[op.rs2] = fz_u64(in); /* the value stored: x0 reads 0 whatever is kept here */
    uint64_t buf[3], orig[3];
    for (unsigned i = 0; i < 3; i++) {
        buf[i] = orig[i] = fz_u64(in);
    }
    before = a;
    bool done = mem_op_apply(&op, &a, &buf[1], off);
    bool aligned = off < 8 && off % op.width == 0;
    FUZZ_CHECK(done == aligned, "apply at offset %u width %u: %d", off, op.width, done);
    FUZZ_CHECK(!mem_op_apply(&op, &a, NULL, 0), "apply to NULL");
    FUZZ_CHECK(buf[0] == orig[0] && buf[2] == orig[2], "guard bytes written");
    if (!done) {
        FUZZ_CHECK(memcmp(&a, &before, sizeof a) == 0 && buf[1] == orig[1], "refused but changed");
        return;
    }
    const uint8_t *ob = (const uint8_t *)&orig[1], *nb = (const uint8_t *)&buf[1];
    for (unsigned i = 0; i < 8; i++) {
        FUZZ_CHECK(
          i >= off && i < off + op.width ? 1 : ob[i] == nb[i], "byte %u outside the access", i);
    }
    uint64_t src = op.rs2 ? before.regs.x[op.rs2] : 0;
    uint64_t old = get_le(ob + off, op.width), now = get_le(nb + off, op.width);
    uint64_t mask = op.width == 8 ? ~0ull : (1ull << (8 * op.width)) - 1;
    uint64_t want = op.kind == MEM_AMO ? ref_amo(op.funct5, old, src, op.width) : src;
    FUZZ_CHECK(now == (want & mask), "0x%08x stored 0x%llx, want 0x%llx", w,
               (unsigned long long)now, (unsigned long long)(want & mask));
    /* rd: the old value (sign-extended words) for an AMO, 0 (success) for an SC; x0 stays. */
    for (unsigned r = 0; r < 32; r++) {
        uint64_t expect = before.regs.x[r];
        if (r != 0 && r == op.rd && op.kind == MEM_AMO) {
            expect = op.width == 4 ? (uint64_t)(int64_t)(int32_t)(uint32_t)old : old;
        } else if (r != 0 && r == op.rd && op.kind == MEM_SC) {
            expect = 0;
        }
        FUZZ_CHECK(a.regs.x[r] == expect, "x%u: 0x%llx, want 0x%llx", r,
                   (unsigned long long)a.regs.x[r], (unsigned long long)expect);
    }
    before.regs = a.regs;
    FUZZ_CHECK(memcmp(&a, &before, sizeof a) == 0, "state outside the registers changed");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = { data, size };
    for (unsigned k = 0; k < 64 && in.n > 0; k++) {
        uint32_t w = fz_u32(&in);
        uint64_t ht = fz_u64(&in);
        unsigned off = fz_u8(&in) % 10; /* 8 and 9: outside the doubleword */
        check_decode(w, ht);
        check_decode((uint32_t)ht, w); /* each value in the other role too */
        check_memop(w, off, &in);
        check_memop((uint32_t)ht, off, &in);
    }
    return 0;
}
