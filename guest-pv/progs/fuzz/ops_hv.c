// SPDX-License-Identifier: MIT
// The guest fuzzer's hypercalls, SBI calls and root switches.
#include "fuzz_int.h"

/* ---- operations ---- */

struct sbiret hc(unsigned long fid, const uint64_t *a)
{
    return sbi_call(HV_EXT, fid, a[0], a[1], a[2], a[3], a[4], a[5]);
}

void hypercall(unsigned long fid)
{
    uint64_t a[6];

    if (fid == HV_FID_MULTICALL) {
        struct hv_multicall *mc = (struct hv_multicall *)J_MC;
        unsigned n = chance(10) ? HV_MULTICALL_MAX + (unsigned)below(3) : 1 + (unsigned)below(8);
        for (unsigned i = 0; i < n; i++) {
            mc[i].fid = rfid(12);
            gen_hc(mc[i].fid, mc[i].args, true);
            mc[i].error = (int64_t)rnd();
            mc[i].value = rnd();
        }
        a[0] = chance(10) ? wr_addr(sizeof(*mc) * n, 8) : J_MC;
        a[1] = chance(10) ? rcount(8) : n;
        a[2] = a[3] = a[4] = a[5] = 0;
    } else if (fid == HV_FID_SET_ROOT) {
        fid = HV_FID_NULL; /* op_set_root does it with care */
        gen_hc(fid, a, false);
    } else {
        gen_hc(fid, a, false);
    }
    if (fid == HV_FID_UNPIN_TABLE && a[0] == (uint64_t)kernel_root + mo) {
        return; /* in use: refused, but there is no need to ask */
    }
    struct sbiret r = hc(fid, a);
    if (fid == HV_FID_PIN_TABLE && validated && r.error == 0 && r.value == 1 && a[0] >= junk + mo &&
        a[0] < junk_end + mo) {
        unexpected_result("pin of a frame the kernel maps writable", r.error);
    }
    if (fid == HV_FID_BLK_SUBMIT && a[1] >= 1 && a[0] == J_BLK && r.error == 0) {
        const struct hv_blk_req *q = (const struct hv_blk_req *)J_BLK;
        if (q->buf == (uint64_t)kernel_root && q->op == HV_BLK_READ && q->len == HV_BLK_SECTOR &&
            blk_cap > 0) {
            unexpected_result("block read into a validated table", (long)q->status);
        }
    }
}

/* A multicall array that runs from a data frame into the kernel's root, so that the results of its
 * first call would land in root entries 0 and 1 (both empty, and a NULL call writes zeros): results
 * are hypervisor writes, and no hypervisor write may reach a validated table. (Before the fix the
 * value of an MMU_UPDATE of 31 entries, 0x1f, became a user RWX gigapage at machine address 0.) */
void op_multicall_into_table(void)
{
    struct hv_multicall *mc = (struct hv_multicall *)((uint64_t)kernel_root - 56);

    mc->fid = HV_FID_NULL;
    struct sbiret r = sbi_call(HV_EXT, HV_FID_MULTICALL, (uint64_t)mc, 1, 0, 0, 0, 0);
    if (r.error == 0) {
        unexpected_result("multicall results written into a validated page table", r.error);
    }
    /* The same for console input (none arrives here, but the buffer must be refused). */
    r = sbi_call(
      SBI_EXT_DBCN, SBI_DBCN_READ, 8 + below(64), (uint64_t)kernel_root + 8 * below(8), 0, 0, 0, 0);
    if (r.error == 0) {
        unexpected_result("DBCN read into a validated page table accepted", r.error);
    }
}

void op_hypercall(void)
{
    if (validated && chance(64)) {
        op_multicall_into_table();
        return;
    }
    hypercall(rfid(12));
}

void op_blk(void)
{
    hypercall(chance(4) ? HV_FID_BLK_CTL : HV_FID_BLK_SUBMIT);
}

/* Rebuilds the tree R0 -> K1 (every 2 MiB of RAM, the table pool read-only) through MMU_UPDATE and
 * pins it; returns whether R0 is pinned and intact, so that running on it is safe. */
bool r0_intact(void)
{
    uint64_t *r0 = T[0], *k1 = T[1];
    const uint64_t perm = PTE_V | PTE_R | PTE_W | PTE_X | (~0ul << 54) | (((1ul << 44) - 1) << 10);

    if ((r0[2] & ~(PTE_A | PTE_D | PTE_G | PTE_U)) != pte_of((uint64_t)k1, PTE_V)) {
        return false;
    }
    for (uint64_t off = 0; off < fz_ram_size && off < (1ul << 30); off += 2 * MB) {
        uint64_t want = (fz_ram_base + off == fz_ram_base + fz_ram_size / 2) ? PTE_R : PTE_R | PTE_W | PTE_X;
        if ((k1[((fz_ram_base + off) >> 21) & 511] & perm) != pte_of(fz_ram_base + off, want | PTE_V)) {
            return false;
        }
    }
    return true;
}

void r0_build(void)
{
    static struct hv_mmu_update u[520];
    unsigned n = 0;

    for (uint64_t off = 0; off < fz_ram_size && off < (1ul << 30); off += 2 * MB) {
        uint64_t f =
          (fz_ram_base + off == fz_ram_base + fz_ram_size / 2) ? PTE_R : PTE_R | PTE_W | PTE_X | PTE_D;
        u[n++] = (struct hv_mmu_update){ (uint64_t)&T[1][((fz_ram_base + off) >> 21) & 511] + mo,
                                         pte_of(fz_ram_base + off, f | PTE_V | PTE_A | PTE_G) };
    }
    u[n++] = (struct hv_mmu_update){ (uint64_t)&T[0][2] + mo, pte_of((uint64_t)T[1], PTE_V) };
    /* Both may be cut (the hypervisor bounds each exit's work): hv_call continues them. */
    hv_call(HV_FID_MMU_UPDATE, (unsigned long)u, n, 0);
    hv_call(HV_FID_PIN_TABLE, (uint64_t)T[0] + mo, 0, 0);
}

void op_set_root(void)
{
    uint64_t user = chance(2) ? 0 : rframe();
    uint64_t asid = chance(8) ? rval() : below(0x10000);

    /* HV_ROOT_SHADOWED names a root the engine would shadow, not a validated one: only with the
     * roots refused below, never with this kernel's own. */
    if (user == HV_ROOT_SHADOWED) {
        user = 0;
    }

    if (!chance(4)) {
        /* Refused: a frame outside RAM, a misaligned root, a bad ASID. Frames of RAM that a
         * random PIN may have made roots are left alone: they do not map this kernel. */
        uint64_t root = bad_addr(PAGE_SIZE);
        if (chance(4)) {
            user = HV_ROOT_SHADOWED;
        }
        /* A shadowed root is any frame of RAM (its machine address: bad_addr's guest physical
         * ones may be one), so that form is only ever made wrong by its alignment or ASID. */
        if (user == HV_ROOT_SHADOWED || chance(2)) {
            root = (uint64_t)T[0] + mo + (chance(2) ? 8 * (1 + below(511)) : 0);
            if (root == (uint64_t)T[0] + mo) {
                asid |= 0x10000;
            }
        }
        struct sbiret r = sbi_call(HV_EXT, HV_FID_SET_ROOT, root, asid, user, 0, 0, 0);
        if (r.error == 0) {
            unexpected_result("SET_ROOT to a misaligned root, a bad ASID or outside RAM succeeded",
                              0);
            pt_switch(kernel_root, 0);
        }
        return;
    }
    if (!r0_intact()) {
        hv_call(HV_FID_UNPIN_TABLE, (uint64_t)T[0] + mo, 0, 0);
        r0_build();
        if (!r0_intact()) {
            return;
        }
    }
    hv_call(HV_FID_PIN_TABLE, (uint64_t)T[0] + mo, 0, 0);
    struct sbiret r = sbi_call(HV_EXT, HV_FID_SET_ROOT, (uint64_t)T[0] + mo, asid, user, 0, 0, 0);
    if (r.error == 0) {
        r0_ok = true;
        fz_data[below(sizeof(fz_data))]++; /* run a little on it */
        sbi_call(HV_EXT, HV_FID_NULL, 0, 0, 0, 0, 0, 0);
        if (chance(4)) {
            sbi_call(HV_EXT, HV_FID_UNPIN_TABLE, (uint64_t)T[0] + mo, 0, 0, 0, 0, 0); /* in use */
        }
        pt_switch(kernel_root, 0);
        sbi_call(HV_EXT, HV_FID_TLB_FLUSH, HV_FLUSH_ALL, 0, 0, ~0ul, 0, ~0ul);
    }
}

static const unsigned long sbi_eids[] = { SBI_EXT_BASE, SBI_EXT_TIME, SBI_EXT_IPI,  SBI_EXT_RFENCE,
                                          SBI_EXT_HSM,  SBI_EXT_SRST, SBI_EXT_DBCN, HV_EXT };

bool eid_known(unsigned long eid)
{
    eid = (uint32_t)eid; /* an EID is 32 bits: the hypervisor reads only the low half of a7 */
    for (unsigned i = 0; i < sizeof(sbi_eids) / sizeof(sbi_eids[0]); i++) {
        if (eid == sbi_eids[i]) {
            return true;
        }
    }
    return eid <= 0x0f;
}

void op_sbi(void)
{
    static const char text[] = "fuzz-dbcn ";
    unsigned long eid, fid = rfid(8);
    uint64_t a[6];

    for (int i = 0; i < 6; i++) {
        a[i] = rval();
    }
    switch (below(10)) {
        case 0:             /* legacy: a1 comes back untouched */
            eid = below(8); /* never 0x08, legacy shutdown */
            if (eid == SBI_EXT_LEGACY_CONSOLE_PUTCHAR && !chance(16)) {
                eid = SBI_EXT_LEGACY_CONSOLE_GETCHAR;
            }
            {
                struct sbiret r = sbi_call(eid, fid, a[0], a[1], a[2], a[3], a[4], a[5]);
                if ((uint64_t)r.value != a[1]) {
                    unexpected_result("legacy call changed a1", r.value);
                }
            }
            return;
        case 1: { /* an extension that does not exist */
            eid =
              chance(2) ? rnd() : (0x08000000ul | below(0x1000000)) ^ (chance(2) ? 0x01000000 : 0);
            if (eid_known(eid)) {
                return;
            }
            struct sbiret r = sbi_call(eid, fid, a[0], a[1], a[2], a[3], a[4], a[5]);
            if (r.error != SBI_ERR_NOT_SUPPORTED) {
                unexpected_result("unknown extension answered", r.error);
            }
            return;
        }
        case 2: /* SRST: never a valid type with a valid reason */
            eid = SBI_EXT_SRST;
            /* Only the low 32 bits of a6, reset_type and reset_reason count (binary-encoding.adoc,
             * ext-sys-reset.adoc). */
            if ((uint32_t)fid == SBI_SRST_SYSTEM_RESET &&
                (uint32_t)a[0] <= SBI_SRST_TYPE_WARM_REBOOT && (uint32_t)a[1] <= 1) {
                a[1] = 2 + below(0xfffffffd);
            }
            break;
        case 3: /* HSM: never stop ourselves, never start a vCPU anywhere but the park stub */
            eid = SBI_EXT_HSM;
            fid = chance(10) ? rval() : below(5);
            if ((uint32_t)fid == SBI_HSM_HART_STOP) {
                fid = SBI_HSM_HART_GET_STATUS;
            }
            a[0] = chance(2) ? below(3) : a[0];
            if ((uint32_t)fid == SBI_HSM_HART_START) {
                bool good = chance(2);
                a[1] = good ? (uint64_t)fz_park : bad_addr(4) | below(2);
                struct sbiret r = sbi_call(eid, fid, a[0], a[1], a[2], 0, 0, 0);
                if (!good && r.error == 0) {
                    unexpected_result("HSM start at an address outside RAM", 0);
                }
                return;
            }
            if ((uint32_t)fid == 3) {
                /* Suspend: with a software interrupt pending and enabled (SIE off) any sleep ends
                 * at once; a non-retentive one is only ever asked with a resume address outside
                 * RAM. */
                if ((uint32_t)a[0] == 0x80000000u || chance(2)) { /* suspend_type: 32 bits */
                    a[1] = bad_addr(4);
                }
                __asm__ volatile("csrs sie, %0" : : "r"(SSIP));
                sbi_call(SBI_EXT_IPI, 0, 1, 0, 0, 0, 0, 0);
                struct sbiret r = sbi_call(eid, fid, a[0], a[1], a[2], 0, 0, 0);
                __asm__ volatile("csrc sie, %0\n csrc sip, %0" : : "r"(SSIP));
                if ((uint32_t)a[0] == 0x80000000u && r.error == 0) {
                    unexpected_result("non-retentive suspend to an address outside RAM", 0);
                }
                return;
            }
            break;
        case 4: { /* DBCN */
            eid = SBI_EXT_DBCN;
            fid = rfid(4);
            bool bad = chance(2);
            uint32_t f32 = (uint32_t)fid; /* the FID the hypervisor reads */
            if (f32 == SBI_DBCN_WRITE || f32 == SBI_DBCN_READ) {
                a[0] = bad ? (chance(2) ? rval() : 1 + below(64))
                           : 1 + below(f32 ? 64 : sizeof(text) - 1);
                if (bad) {
                    a[1] = bad_addr(a[0]);
                    a[2] = chance(2) ? a[2] : 0;
                } else {
                    a[1] = f32 == SBI_DBCN_WRITE ? (uint64_t)text : junk_addr(64, 1);
                    a[2] = 0;
                }
                struct sbiret r = sbi_call(eid, fid, a[0], a[1], a[2], 0, 0, 0);
                if (bad && a[0] > 0 && a[0] < (1ul << 32) && r.error == 0) {
                    unexpected_result("DBCN buffer outside RAM accepted", (long)a[1]);
                }
                return;
            }
            if (f32 == SBI_DBCN_WRITE_BYTE && !chance(8)) {
                a[0] = 'a' + below(26);
            }
            break;
        }
        case 5: /* IPI and RFENCE: hart masks */
            eid = chance(2) ? SBI_EXT_IPI : SBI_EXT_RFENCE;
            a[0] = hart_mask();
            a[1] = hart_base();
            break;
        case 6:
            eid = SBI_EXT_TIME;
            break;
        default:
            eid =
              chance(2) ? SBI_EXT_BASE : sbi_eids[below(sizeof(sbi_eids) / sizeof(sbi_eids[0]))];
            if (eid == SBI_EXT_SRST || eid == SBI_EXT_HSM || eid == SBI_EXT_DBCN) {
                eid = SBI_EXT_BASE;
            }
            if (eid == HV_EXT) {
                op_hypercall();
                return;
            }
            break;
    }
    sbi_call(eid, fid, a[0], a[1], a[2], a[3], a[4], a[5]);
}
