// SPDX-License-Identifier: MIT
// The guest fuzzer's values: random and near-valid numbers, addresses, PTEs and hypercall arguments.
#include "fuzz_int.h"

/* ---- values ---- */

/* Anything: edges of RAM and of the address space, powers of two, plain random. For arguments the
 * hypervisor only reads or checks. */
uint64_t rval(void)
{
    switch (below(12)) {
        case 0:
            return 0;
        case 1:
            return below(16);
        case 2:
            return ~0ul - below(16);
        case 3:
            return 1ul << below(64);
        case 4:
            return fz_ram_base + below(fz_ram_size);
        case 5:
            return fz_ram_base - below(64);
        case 6:
            return ram_end - below(64);
        case 7:
            return ram_end + below(64);
        case 8:
            return (uint64_t)(uint32_t)rnd();
        case 9:
            return 0x80000000ul + below(0x1000);
        case 10:
            return (1ul << below(64)) - 1;
        default:
            return rnd();
    }
}

/* An address wholly outside RAM (or wrapping), for arguments the hypervisor must refuse. */
uint64_t bad_addr(uint64_t len)
{
    for (;;) {
        uint64_t a;
        switch (below(8)) {
            case 0:
                a = below(0x2000);
                break;
            case 1:
                a = fz_ram_base - len - below(0x1000);
                break;
            case 2:
                a = ram_end + below(0x10000);
                break;
            case 3:
                a = ~0ul - below(0x1000);
                break;
            case 4:
                a = UART + below(0x2000);
                break;
            case 5:
                a = (1ul << 63) | fz_ram_base;
                break;
            case 6:
                a = fz_ram_base + (1ul << (32 + below(31)));
                break;
            default:
                a = rnd();
                break;
        }
        if (a + len < a || a + len <= fz_ram_base || a >= ram_end) {
            return a;
        }
    }
}

/* An address of len bytes in the junk data area (len <= 1 MiB), aligned to align. */
uint64_t junk_addr(uint64_t len, uint64_t align)
{
    return (J_DATA + below(junk_end - J_DATA - len)) & ~(align - 1);
}

/* Somewhere the hypervisor may write len bytes: junk, across the end of RAM, or outside RAM. */
uint64_t wr_addr(uint64_t len, uint64_t align)
{
    if (len > MB) {
        return bad_addr(len);
    }
    switch (below(6)) {
        case 0:
            return bad_addr(len);
        case 1:
            return (ram_end - below(len + 16)) & ~(align - 1);
        default:
            return junk_addr(len, align);
    }
}

uint64_t rcount(unsigned small)
{
    switch (below(10)) {
        case 0:
            return 0;
        case 1:
            return 1ul << below(64);
        case 2:
            return ~0ul - below(4);
        case 3:
            return 511 + below(3);
        case 4:
            return 63 + below(3);
        default:
            return 1 + below(small);
    }
}

uint64_t hart_mask(void)
{
    return chance(3) ? below(4) : rval();
}

uint64_t hart_base(void)
{
    switch (below(4)) {
        case 0:
            return ~0ul;
        case 1:
            return below(3);
        default:
            return chance(2) ? 0 : rval();
    }
}

/* ---- page-table entries and targets ---- */

uint64_t pte_of(uint64_t pa, uint64_t flags)
{
    return (((pa + mo) >> 12) << 10) | flags;
}

uint64_t rpte(void)
{
    static const uint64_t kinds[] = {
        0, PTE_R, PTE_R | PTE_W, PTE_R | PTE_X, PTE_R | PTE_W | PTE_X, PTE_W, PTE_X, PTE_W | PTE_X
    };
    uint64_t pa, flags = kinds[below(8)] | PTE_V;

    switch (below(9)) {
        case 0:
        case 1:
            pa = (uint64_t)T[below(NT)];
            break;
        case 2:
            pa = junk_addr(PAGE_SIZE, PAGE_SIZE);
            break;
        case 3:
            pa = fz_ram_base + (below(2 * MB) & ~0xffful);
            break; /* the kernel: read-only mappings only */
        case 4:
            pa = fz_ram_base + fz_ram_size / 2 + below(8) * PAGE_SIZE;
            break; /* the kernel's tables */
        case 5:
            pa = fz_ram_base + below(fz_ram_size / (2 * MB)) * 2 * MB;
            break; /* superpage candidates */
        case 6:
            pa = bad_addr(PAGE_SIZE) & ~0xffful;
            break;
        case 7:
            return rnd();
        default:
            pa = (uint64_t)kernel_root;
            break;
    }
    if (!validated && !(flags & (PTE_R | PTE_W | PTE_X)) && pa >= fz_ram_base && pa < J_DATA &&
        (pa < (uint64_t)T[0] || pa > (uint64_t)T[NT - 1])) {
        /* Our own tables are unchecked: a frame this kernel writes must never become a table (the
         * trap engine would then keep it read-only to us, and its next store would fault). */
        pa = (uint64_t)T[2 + below(NT - 2)];
    }
    if (pa >= fz_ram_base && pa < junk && (flags & PTE_W) && chance(2)) {
        flags &= ~PTE_W; /* often, ask for what a sane guest would */
    }
    flags |= below(16) << 4; /* U G A D */
    if (chance(8)) {
        flags |= 1ul << (54 + below(10)); /* reserved, PBMT, N */
    }
    if (chance(16)) {
        flags &= ~PTE_V;
    }
    return pte_of(pa, flags);
}

/* A target for HV_MMU_PTE or HV_MMU_ZERO: our own table frames (never R0's kernel slot, never K1),
 * the junk data area, or somewhere the hypervisor must refuse. */
uint64_t rptr(void)
{
    uint64_t cmd = chance(10) ? HV_MMU_ZERO : chance(20) ? below(8) : HV_MMU_PTE;

    switch (below(6)) {
        case 0:
            return (junk_addr(PAGE_SIZE, 8) + mo) | cmd;
        case 1:
            return bad_addr(8) | cmd;
        default: {
            unsigned t = (unsigned)below(NT);
            unsigned idx = (unsigned)below(512);
            if (t == 1 || (t == 0 && (idx == 2 || cmd != HV_MMU_PTE))) {
                t = 2 + (unsigned)below(NT - 2);
            }
            return ((uint64_t)T[t] + mo + idx * 8) | cmd;
        }
    }
}

uint64_t rframe(void)
{
    switch (below(5)) {
        case 0:
            return bad_addr(PAGE_SIZE) & ~(chance(2) ? 0xffful : 0);
        case 1:
            return junk_addr(PAGE_SIZE, PAGE_SIZE) + mo;
        default:
            return (uint64_t)T[below(NT)] + mo + (chance(10) ? 8 * below(512) : 0);
    }
}

/* ---- hypercall argument generation, shared by direct calls and multicall entries ---- */

static unsigned mmu_slice;

void fill_mmu(uint64_t at, unsigned n)
{
    struct hv_mmu_update *u = (struct hv_mmu_update *)at;
    for (unsigned i = 0; i < n; i++) {
        u[i].ptr = rptr();
        u[i].val = rpte();
    }
}

void fill_mmu_va(uint64_t at, unsigned n)
{
    struct hv_mmu_update_va *u = (struct hv_mmu_update_va *)at;
    for (unsigned i = 0; i < n; i++) {
        u[i].ptr = rptr();
        u[i].val = rpte();
        u[i].va = chance(4) ? rval() : (below(1u << 27) << 12) | below(2);
    }
}

uint64_t blk_cap;

uint64_t blk_len(void)
{
    switch (below(8)) {
        case 0:
            return rval();
        case 1:
            return HV_BLK_LEN_MAX + (chance(2) ? 0 : HV_BLK_SECTOR);
        case 2:
            return below(HV_BLK_SECTOR * 2);
        default:
            return HV_BLK_SECTOR * (1 + below(8));
    }
}

void fill_blk(struct hv_blk_req *r, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        uint64_t len = blk_len();
        r[i].op = chance(8) ? (uint32_t)rnd() : (uint32_t)below(3);
        r[i].status = (uint32_t)rnd();
        r[i].len = len;
        switch (below(5)) {
            case 0:
                r[i].sector = rval();
                break;
            case 1:
                r[i].sector = blk_cap - below(16);
                break;
            default:
                r[i].sector = below(blk_cap + 1);
                break;
        }
        /* The disk may read anything of ours into a write; what it writes goes to junk. */
        r[i].buf =
          r[i].op == HV_BLK_WRITE && chance(3) ? fz_ram_base + below(fz_ram_size) : wr_addr(len, 1);
        if (validated && chance(16)) {
            r[i].op = HV_BLK_READ;
            r[i].buf = (uint64_t)kernel_root;
            r[i].len = HV_BLK_SECTOR;
        }
    }
}

/* Arguments for hypercall fid; `inner` for an entry of a multicall (arrays in their own slices). */
void gen_hc(unsigned long fid, uint64_t *a, bool inner)
{
    for (int i = 0; i < 6; i++) {
        a[i] = chance(4) ? rval() : 0;
    }
    switch (fid) {
        case HV_FID_MMU_UPDATE: {
            unsigned n = chance(8) ? 16 : 1 + (unsigned)below(4);
            uint64_t at = inner ? J_MMU + (mmu_slice++ % 64) * 16 * 16 : J_MMU;
            if (!inner && chance(20)) {
                n = 513 + (unsigned)below(80); /* a batch the hypervisor cuts at HV_MMU_BATCH_MAX */
            }
            uint64_t size = sizeof(struct hv_mmu_update);
            if (chance(4)) {
                /* The form for shadowed tables: three words an entry, the address space's root in
                 * a3 (refused where the engine has no shadowed tables: hext). */
                fill_mmu_va(at, n);
                size = sizeof(struct hv_mmu_update_va);
                a[2] = HV_MMU_SHADOWED;
                a[3] = chance(8) ? rval() : rframe();
            } else {
                fill_mmu(at, n);
                /* Now and then an unknown form (refused); never the shadowed one for these entries. */
                a[2] = chance(16) ? rval() | 2 : 0;
            }
            a[0] = chance(10) ? wr_addr(size * n, 8) : at;
            a[1] = chance(10) ? rcount(16) : n;
            break;
        }
        case HV_FID_PIN_TABLE:
        case HV_FID_UNPIN_TABLE:
            a[0] = rframe();
            break;
        case HV_FID_SET_ROOT:
            /* Direct calls go through op_set_root; this is only ever refused inside a multicall. */
            a[0] = rframe();
            a[1] = rval();
            a[2] = rframe();
            break;
        case HV_FID_TLB_FLUSH:
            a[0] = chance(6) ? rval() : below(3);
            a[1] = rval();
            a[2] = chance(3) ? below(0x10000) : rval();
            a[3] = chance(3) ? ~0ul : chance(2) ? below(0x10000) : rval();
            a[4] = hart_mask();
            a[5] = hart_base();
            break;
        case HV_FID_BLK_SUBMIT: {
            unsigned n = 1 + (unsigned)below(inner ? 2 : 4);
            uint64_t at = J_BLK + (inner ? 0x400 + below(4) * 0x100 : 0);
            fill_blk((struct hv_blk_req *)at, n);
            a[0] = chance(10) ? wr_addr(32 * n, 8) : at;
            a[1] = chance(10) ? rcount(4) : n;
            break;
        }
        case HV_FID_BLK_CTL:
            a[0] = chance(4) ? rval() : below(2);
            break;
        default:
            break;
    }
}

unsigned long rfid(unsigned span)
{
    return chance(10) ? rval() : below(span);
}
