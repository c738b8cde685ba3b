// SPDX-License-Identifier: MIT
// The guest fuzzer's instructions: random words, CSR accesses, ecalls and stores into its page tables, run in the instruction slot.
#include "fuzz_int.h"

/* ---- the instruction slot ---- */

void slot_run(uint32_t w0, uint32_t w1, uint32_t w2)
{
    fz_slot[0] = w0;
    fz_slot[1] = w1;
    fz_slot[2] = w2;
    fz_slot[3] = 0x00000013;
    fz_regs[2] = (uint64_t)fz_stack + sizeof(fz_stack) / 2;
    if (iter >= trace_from) {
        say("fuzz: slot %08x %08x %08x x5 0x%lx x6 0x%lx\n",
            w0,
            w1,
            w2,
            (unsigned long)fz_regs[5],
            (unsigned long)fz_regs[6]);
    }
    __asm__ volatile("fence.i" ::: "memory");
    fz_exec();
}

void regs_fill(bool random)
{
    for (int i = 1; i < 32; i++) {
        fz_regs[i] = random ? rval() : (uint64_t)fz_data + sizeof(fz_data) / 2;
    }
}

/* Registers the slot may change are in `may` (bit n: xn); any other that differs from what fz_exec
 * loaded was changed behind the guest's back (an emulation path, a trap, the SBI). */
void regs_check(uint32_t may)
{
    for (unsigned i = 1; i < 32; i++) {
        if (!(may & (1u << i)) && fz_out[i] != fz_regs[i]) {
            char what[96];
            fmt_snprintf(what,
                         sizeof(what),
                         "x%u changed by slot %08x %08x (was 0x%lx)",
                         i,
                         fz_slot[0],
                         fz_slot[1],
                         (unsigned long)fz_regs[i]);
            unexpected_result(what, (long)fz_out[i]);
        }
    }
}

bool fuzz_hook(struct trap_frame *f, uint64_t cause, uint64_t tval)
{
    (void)tval;
    if (f->sepc >= (uint64_t)fz_slot && f->sepc < (uint64_t)&fz_slot[4]) {
        if (cause & CAUSE_IRQ) {
            __asm__ volatile("csrw sie, zero");
        }
        slot_traps++;
        f->sepc = (uint64_t)fz_back;
        return true;
    }
    return false;
}

uint32_t csr_insn(unsigned csr, unsigned f3, unsigned rd, unsigned rs1)
{
    return (csr << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | 0x73;
}

unsigned rcsr(void)
{
    static const uint16_t known[] = {
        0x001, 0x002, 0x003, 0x008, 0x015, 0x017, 0x100, 0x104, 0x105, 0x106, 0x10a, 0x10c, 0x140,
        0x141, 0x142, 0x143, 0x144, 0x14d, 0x150, 0x151, 0x15c, 0x180, 0x5a8, 0x200, 0x204, 0x205,
        0x240, 0x241, 0x242, 0x243, 0x244, 0x24d, 0x280, 0x300, 0x301, 0x302, 0x303, 0x304, 0x305,
        0x30a, 0x340, 0x341, 0x342, 0x343, 0x344, 0x3a0, 0x3b0, 0x600, 0x602, 0x603, 0x604, 0x605,
        0x606, 0x607, 0x60a, 0x643, 0x644, 0x645, 0x64a, 0x680, 0x6c0, 0x7a0, 0x7a1, 0x7a2, 0x7b0,
        0xc00, 0xc01, 0xc02, 0xc03, 0xc80, 0xda0, 0xdb0, 0xe12, 0xf11, 0xf12, 0xf13, 0xf14, 0xf15,
    };
    return chance(3) ? (unsigned)below(4096) : known[below(sizeof(known) / sizeof(known[0]))];
}

void op_csr(void)
{
    unsigned csr = rcsr();
    unsigned f3 = (unsigned)(chance(3) ? 2 : 1 + below(7)) | (chance(8) ? 4 : 0);

    if (f3 == 4) {
        f3 = 5;
    }
    regs_fill(true);
    if (csr == SATP_CSR) {
        /* Only values under which this code still runs: Bare, an unsupported mode (the write is
         * ignored), or the current root with another ASID. */
        uint64_t satp;
        __asm__ volatile("csrr %0, satp" : "=r"(satp));
        switch (below(validated ? 2 : 3)) {
            case 0:
                fz_regs[6] = 0;
                break;
            case 1:
                fz_regs[6] = ((1 + below(7)) << 60) | (rnd() & ((1ul << 60) - 1));
                break;
            default:
                fz_regs[6] = (satp & ~(0xfffful << 44)) | (below(0x10000) << 44);
                break;
        }
        if (validated) {
            /* No write back of the old value: a native satp write naming a validated root has it
             * shadowed as guest-physical tables, but it holds machine addresses (a contained trap
             * loop on the trap engine). Back through SET_ROOT instead. */
            slot_run(csr_insn(csr, 1, 5, 6), 0x13, 0x13);
            regs_check(1u << 5);
            pt_switch(kernel_root, 0);
        } else {
            slot_run(csr_insn(csr, 1, 5, 6), csr_insn(csr, 1, 0, 5), 0x13);
            regs_check(1u << 5);
        }
        sbi_call(HV_EXT, HV_FID_TLB_FLUSH, HV_FLUSH_ALL, 0, 0, ~0ul, 0, ~0ul);
        __asm__ volatile("sfence.vma" ::: "memory");
        return;
    }
    /* A CSR of ours (supervisor range) gets its old value back at once: nothing runs in between. */
    bool ours = (csr & 0x300) == 0x100 || chance(2);
    unsigned rd = ours ? 5 : (unsigned)below(32);
    if (rd == 2) {
        rd = 0; /* sp stays usable for the trap a following instruction may take */
    }
    unsigned rs1 = (f3 & 4) ? (unsigned)below(32) : ours ? 6 : (unsigned)below(32);
    slot_run(csr_insn(csr, f3, rd, rs1), ours ? csr_insn(csr, 1, 0, 5) : 0x13, 0x13);
    regs_check(1u << rd);
}

bool insn_ok(uint32_t w)
{
    unsigned op = w & 0x7f, rs1 = (w >> 15) & 31, f3 = (w >> 12) & 7;

    if ((w & 3) != 3) {
        unsigned q = w & 3, f = (w >> 13) & 7;
        /* c.j, c.beqz, c.bnez; c.jr, c.jalr */
        if (q == 1 && f >= 5) {
            return false;
        }
        return !(q == 2 && f == 4 && ((w >> 2) & 31) == 0 && ((w >> 7) & 31) != 0);
    }
    switch (op) {
        case 0x63:
        case 0x67:
        case 0x6f: /* branches and jumps */
            return false;
        case 0x03:
        case 0x07:
        case 0x23:
        case 0x27:
        case 0x2f:
        case 0x0f:
            return rs1 !=
                   0; /* address 0 + imm: neither RAM nor a device, the guest would be stopped */
        case 0x73:
            if (f3 != 0 && f3 != 4) {
                unsigned csr = w >> 20;
                return (csr & 0x300) != 0x100 && csr != SATP_CSR; /* op_csr does those */
            }
            /* sret, wfi, wrs.nto, wrs.sto: leaving, or sleeping with nothing to wake us */
            return w != 0x10200073 && w != 0x10500073 && w != 0x00d00073 && w != 0x01d00073;
        default:
            return true;
    }
}

void op_insn(void)
{
    static const uint8_t ops[] = { 0x03, 0x07, 0x0f, 0x13, 0x17, 0x1b, 0x23, 0x27, 0x2f, 0x33,
                                   0x37, 0x3b, 0x43, 0x53, 0x57, 0x73, 0x73, 0x73, 0x0b, 0x2b };
    uint32_t w;

    do {
        w = (uint32_t)rnd();
        if (!chance(4)) {
            w = (w & ~0x7fu) | ops[below(sizeof(ops))];
        }
    } while (!insn_ok(w));
    regs_fill(false);
    if ((w & 3) != 3) {
        slot_run((w & 0xffff) | (0x0001u << 16), 0x13, 0x13); /* then c.nop */
    } else {
        slot_run(w, 0x13, 0x13);
    }
}

/* An SBI call from the slot with every register random: only a0 and a1 may come back changed (a0
 * alone for the legacy extensions). Calls with lasting effects are left to op_sbi. */
void op_ecall(void)
{
    static const struct
    {
        uint32_t eid;
        uint8_t nfid;
    } calls[] = {
        { SBI_EXT_BASE, 8 },
        { SBI_EXT_TIME, 2 },
        { SBI_EXT_IPI, 2 },
        { SBI_EXT_RFENCE, 8 },
        { SBI_EXT_STA, 2 },
        { HV_EXT, 3 },
        { HV_EXT, 2 },
        { SBI_EXT_LEGACY_SET_TIMER, 1 },
        { SBI_EXT_LEGACY_CONSOLE_GETCHAR, 1 },
        { SBI_EXT_LEGACY_CLEAR_IPI, 1 },
        { SBI_EXT_LEGACY_SEND_IPI, 1 },
        { SBI_EXT_LEGACY_REMOTE_FENCE_I, 1 },
        { SBI_EXT_LEGACY_REMOTE_SFENCE_VMA, 1 },
        { SBI_EXT_LEGACY_REMOTE_SFENCE_VMA_ASID, 1 },
        { 0x0a0b0c0d, 4 },
    };
    unsigned k = (unsigned)below(sizeof(calls) / sizeof(calls[0]));

    regs_fill(true);
    fz_regs[17] = calls[k].eid;
    fz_regs[16] = below(calls[k].nfid);
    if (calls[k].eid == HV_EXT) {
        fz_regs[16] = chance(4) ? HV_FID_TLB_FLUSH : chance(2) ? HV_FID_NULL : below(3);
        if (chance(16)) {
            fz_regs[16] = 11 + below(100); /* no such function */
        }
    }
    if (calls[k].eid == SBI_EXT_HSM) {
        fz_regs[16] = SBI_HSM_HART_GET_STATUS;
    }
    if (calls[k].eid == SBI_EXT_STA) {
        fz_regs[12] |= 1; /* flags: refused, so no record the hypervisor would write is registered */
    }
    if (chance(4)) {
        fz_regs[10] = below(4); /* hart masks that name vCPUs */
        fz_regs[11] = chance(2) ? 0 : ~0ul;
    }
    slot_run(0x00000073, 0x13, 0x13); /* ecall */
    regs_check(calls[k].eid <= SBI_EXT_LEGACY_SHUTDOWN ? 1u << 10 : 3u << 10);
}

/* A store of every kind (plain, compressed, misaligned, AMO, LR/SC) into the kernel's own page
 * tables. Written natively (fv), the bytes stored are the ones already there, and AMOs leave them
 * unchanged too: on the trap engine each such store to a shadowed table is carried out by the
 * hypervisor, which must neither change the entry nor get the old value wrong. Validated (pv), the
 * tables are read-only and only empty root entries are aimed at: the store must fault and leave
 * them. */
void op_table_store(void)
{
    static const uint8_t amo_same[] = { 0x00, 0x01, 0x04, 0x08, 0x0c, 0x10, 0x14, 0x18, 0x1c };
    uint64_t l1 = (((kernel_root[2] >> 10) & ((1ul << 44) - 1)) << 12) - (validated ? mo : 0);
    uint64_t *t = chance(2) || validated ? kernel_root : (uint64_t *)l1;
    unsigned idx = (unsigned)below(validated ? 500 : 512), width = 1u << below(4);
    uint64_t a, old, cur;
    uint32_t w;
    bool amo = chance(3), lrsc = !amo && chance(6);

    if (validated) {
        idx += 3 + 8; /* past the device, user and kernel slots; empty in a validated root */
    }
    a = (uint64_t)&t[idx];
    if (amo || lrsc) {
        width = chance(2) ? 8 : 4;
        a &= ~(uint64_t)(width - 1);
        if (amo && chance(16)) {
            a += 1 + below(width - 1); /* misaligned AMO: an exception, never a torn update */
        }
    } else {
        a += chance(4) ? below(8) : 0;
        if (a + width > (uint64_t)t + PAGE_SIZE) {
            a = (uint64_t)t + PAGE_SIZE - width;
        }
        /* The trap engine stops a guest whose misaligned store reaches a shadowed table (it cannot
         * emulate it): only with fuzz.misaligned=1 there. */
        if (!chance(4) || (!validated && !(feat & HV_FEAT_STAGE2) && !misaligned)) {
            a &= ~(uint64_t)(width - 1);
        }
    }
    memcpy(&old, (const void *)a, sizeof(old));
    regs_fill(false);
    fz_regs[5] = fz_regs[8] = a;
    cur = width == 8   ? old
          : width == 4 ? (uint64_t)(int64_t)(int32_t)old
                       : old & ((1ul << (8 * width)) - 1);
    fz_regs[6] = fz_regs[9] = validated ? rnd() | 1 : cur;
    unsigned rd = (unsigned)below(32);
    rd = rd == 2 ? 0 : rd;
    if (amo) {
        unsigned f5 = amo_same[below(sizeof(amo_same))];
        if (!validated) {
            fz_regs[6] = f5 == 0x00 || f5 == 0x04 || f5 == 0x08 ? 0 : f5 == 0x0c ? ~0ul : cur;
        }
        w = (f5 << 27) | ((uint32_t)below(4) << 25) | (6u << 20) | (5u << 15) |
            ((width == 8 ? 3u : 2u) << 12) | (rd << 7) | 0x2f;
        slot_run(w, 0x13, 0x13);
    } else if (lrsc) {
        uint32_t f3 = (width == 8 ? 3u : 2u) << 12;
        slot_run((0x02u << 27) | (5u << 15) | f3 | (7u << 7) | 0x2f,
                 (0x03u << 27) | (6u << 20) | (5u << 15) | f3 | (rd << 7) | 0x2f,
                 0x13);
    } else if (chance(4) && (width == 4 || width == 8) && !(a & (width - 1))) {
        w =
          (width == 4 ? 0xc000u : 0xe000u) | (1u << 2) | (0x0001u << 16); /* c.sw/c.sd x9, 0(x8) */
        slot_run(w, 0x13, 0x13);
        rd = 0;
    } else {
        w = (6u << 20) | (5u << 15) |
            ((width == 1   ? 0u
              : width == 2 ? 1u
              : width == 4 ? 2u
                           : 3u)
             << 12) |
            0x23;
        slot_run(w, 0x13, 0x13);
        rd = 0;
    }
    memcpy(&cur, (const void *)a, sizeof(cur));
    if (cur != old) {
        unexpected_result(validated ? "a store into a validated table went through"
                                    : "a store of the same bytes changed a page-table entry",
                          (long)cur);
    }
    if (amo && rd != 0 && fz_out[rd] != fz_regs[rd] && !validated &&
        fz_out[rd] != (width == 8 ? old : (uint64_t)(int64_t)(int32_t)old)) {
        unexpected_result("an AMO on a page table returned a wrong old value", (long)fz_out[rd]);
    }
    if (lrsc && rd != 0 && !validated && fz_out[rd] > 1) {
        unexpected_result("SC on a page table returned neither 0 nor 1", (long)fz_out[rd]);
    }
    regs_check((1u << rd) | (lrsc ? 1u << 7 : 0));
}

/* A native store into one of our table frames (never R0's kernel slot, never K1): on stage-2
 * hardware a plain write, on the trap engine one the hypervisor must trap when the frame is a
 * table. */
void op_native_pte(void)
{
    uint64_t p = rptr() & ~HV_MMU_CMD_MASK;

    if (p < (uint64_t)T[0] + mo || p >= (uint64_t)T[0] + mo + 2 * MB) {
        return;
    }
    regs_fill(false);
    fz_regs[5] = p - mo;
    fz_regs[6] = rpte();
    slot_run(0x0062b023, 0x13, 0x13); /* sd x6, 0(x5) */
    regs_check(0);
}
