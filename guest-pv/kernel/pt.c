// SPDX-License-Identifier: MIT
// Page-table writes, native or paravirtual. Natively a PTE is a store and a change becomes visible with
// sfence.vma. When the hypervisor validates our tables (pv flavour, no stage-2 translation, or the
// bootarg pv.mmu=hypercall), table frames are mapped read-only: every write to one is queued and sent
// as one MMU_UPDATE batch, trees are pinned once built, and PTEs name machine addresses (guest physical
// + the machine offset).
#include <string.h>

#include "guest.h"
#include "pt.h"

#define SATP_SV39 (8ul << 60)
#define QUEUE 256 /* <= HV_MMU_BATCH_MAX: one update call can take the whole queue */
#define PPN_MASK ((1ul << 44) - 1)

#define INDEX 1024 /* a power of two, > QUEUE */

static bool validated;
/* The hypervisor runs us deprivileged (HV_FEAT_USER_ROOT): user mode gets a root of its own that holds
 * only the user slot, made and pinned beside each root that has one. */
static bool user_roots;
#define USER_ROOTS 16
static struct {
    uint64_t *root, *user;
} user_root_of[USER_ROOTS];
static int64_t moffset;
static struct hv_mmu_update queue[QUEUE];
static unsigned queued;
/* Where in the queue the newest write to a PTE address is (+1, 0 = none), by a hash of the address:
 * reads of entries not in the queue, the common case, cost one probe instead of a scan. A collision
 * falls back to the scan. zero_at lists the queued HV_MMU_ZERO commands (zeroed of them). */
static uint16_t index_of[INDEX];
static unsigned zeroed;
static struct {
    uint64_t frame;
    unsigned at;
} zero_at[QUEUE];
/* Pins and unpins wait for the next trap too: each goes into that multicall at its place among the
 * queued updates (at = how many updates came before it), so the order the hypervisor sees is ours. */
#define OPS 16
static struct {
    unsigned long fid, arg;
    unsigned at;
} ops[OPS];
static unsigned nops;

static uint64_t maddr(const void *p)
{
    return (uint64_t)p + (uint64_t)moffset;
}

static _Noreturn void pt_fail(const char *what, long err)
{
    kprintf("guest: page-table %s failed (%ld)\n", what, err);
    sbi_call(SBI_EXT_SRST, SBI_SRST_SYSTEM_RESET, SBI_SRST_TYPE_SHUTDOWN, SBI_SRST_REASON_SYSFAIL, 0, 0,
             0, 0);
    for (;;) {
    }
}

void pt_mode_init(void)
{
#ifdef GUEST_FLAVOUR_pv
    if (sbi_call(SBI_EXT_BASE, SBI_BASE_PROBE_EXTENSION, HV_EXT, 0, 0, 0, 0, 0).value > 0) {
        uint64_t feat = (uint64_t)sbi_call(HV_EXT, HV_FID_PROBE, 0, 0, 0, 0, 0, 0).value;
        const char *forced = bootarg("pv.mmu");
        bool want = !(feat & HV_FEAT_STAGE2) || (forced && strncmp(forced, "hypercall", 9) == 0);
        /* pv.mmu=native: our own tables even without stage 2 (the hypervisor shadows them), for the
         * programs that map devices, which validated tables never do. */
        if (forced && strncmp(forced, "native", 6) == 0) {
            want = false;
        }
        validated = want && (feat & HV_FEAT_MMU);
        user_roots = validated && (feat & HV_FEAT_USER_ROOT);
        if (validated) {
            moffset = sbi_call(HV_EXT, HV_FID_MACHINE_OFFSET, 0, 0, 0, 0, 0, 0).value;
        }
    }
#endif
    kprintf("mm: page tables %s%s\n", validated ? "validated by the hypervisor (hypercalls)" : "written natively",
            user_roots ? ", user mode on roots of its own" : "");
}

bool pt_validated(void)
{
    return validated;
}

uint64_t pte_make(uint64_t pa, uint64_t flags)
{
    return ((maddr((void *)pa) >> 12) << 10) | flags | PTE_V;
}

uint64_t pte_pa(uint64_t pte)
{
    return (((pte >> 10) & PPN_MASK) << 12) - (uint64_t)moffset;
}

static unsigned hash(uint64_t ptr)
{
    return (unsigned)((ptr >> 3) ^ (ptr >> 12)) & (INDEX - 1);
}

static void queue_reset(void)
{
    queued = 0;
    zeroed = 0;
    memset(index_of, 0, sizeof(index_of));
}

/* Sends the queued updates and the pinning in between, a flush if asked, and a root switch if given
 * (last: the hypervisor allows it only there), as one multicall. */
static void send_then(bool flush, const struct hv_multicall *last)
{
    static struct hv_multicall mc[2 * OPS + 2];
    unsigned n = 0, pos = 0;

    for (unsigned k = 0; k <= nops; k++) {
        unsigned upto = k < nops ? ops[k].at : queued;
        if (upto > pos) {
            mc[n++] = (struct hv_multicall){ .fid = HV_FID_MMU_UPDATE,
                                             .args = { (unsigned long)&queue[pos], upto - pos } };
            pos = upto;
        }
        if (k < nops) {
            mc[n++] = (struct hv_multicall){ .fid = ops[k].fid, .args = { ops[k].arg } };
        }
    }
    if (flush) {
        mc[n++] = (struct hv_multicall){ .fid = HV_FID_TLB_FLUSH, .args = { HV_FLUSH_ALL, 0, 0, ~0ul, 0, ~0ul } };
    }
    if (last) {
        mc[n++] = *last;
    }
    if (n == 0) {
        return;
    }
    /* The hypervisor bounds the work of each exit: a pin of a big tree, or a batch that links one,
     * may be cut, and hv_call continues from where it stopped. */
    struct sbiret r = hv_call(HV_FID_MULTICALL, (unsigned long)mc, n, 0);
    if (r.error) {
        pt_fail(mc[r.value].fid == HV_FID_PIN_TABLE     ? "pin"
                : mc[r.value].fid == HV_FID_UNPIN_TABLE ? "unpin"
                : mc[r.value].fid == HV_FID_SET_ROOT    ? "root switch"
                                                        : "update",
                r.error);
    }
    nops = 0;
    queue_reset();
}

static void send(bool flush)
{
    send_then(flush, (const struct hv_multicall *)0);
}

void pt_commit(void)
{
    send(false);
}

static void defer(unsigned long fid, unsigned long arg)
{
    if (nops == OPS) {
        send(false);
    }
    ops[nops].fid = fid;
    ops[nops].arg = arg;
    ops[nops].at = queued;
    nops++;
}

static void enqueue(uint64_t ptr, uint64_t val)
{
    queue[queued].ptr = ptr;
    queue[queued].val = val;
    if ((ptr & HV_MMU_CMD_MASK) == HV_MMU_ZERO) {
        zero_at[zeroed].frame = ptr & ~0xffful;
        zero_at[zeroed].at = queued;
        zeroed++;
    } else {
        index_of[hash(ptr)] = (uint16_t)(queued + 1);
    }
    if (++queued == QUEUE) {
        pt_commit();
    }
}

void pt_set(uint64_t *ptep, uint64_t val)
{
    if (validated && pt_is_table_frame(ptep)) {
        enqueue(maddr(ptep) | HV_MMU_PTE, val);
    } else {
        *ptep = val;
    }
}

/* Where the newest queued clear of the frame holding maddr is (+1), 0 for none. */
static unsigned zero_position(uint64_t maddr)
{
    unsigned at = 0;

    for (unsigned k = 0; k < zeroed; k++) {
        if (zero_at[k].frame == (maddr & ~0xffful)) {
            at = zero_at[k].at + 1;
        }
    }
    return at;
}

uint64_t pt_get(const uint64_t *ptep)
{
    uint64_t want = maddr(ptep) | HV_MMU_PTE;
    unsigned slot = index_of[hash(want)];

    if (queued == 0) {
        return *ptep;
    }
    /* The index keeps the newest write per hash; an empty slot means no write to this address. A
     * clear of the frame queued after that write (or with no write) makes the entry zero. */
    if (!slot || queue[slot - 1].ptr == want) {
        unsigned z = zero_position(maddr(ptep));
        if (z > slot || (z && !slot)) {
            return 0;
        }
        return slot ? queue[slot - 1].val : *ptep;
    }
    /* Another address shares the slot: the scan decides, newest first. */
    for (unsigned i = queued; i-- > 0;) {
        if (queue[i].ptr == want) {
            return queue[i].val;
        }
        if ((queue[i].ptr & HV_MMU_CMD_MASK) == HV_MMU_ZERO &&
            (queue[i].ptr & ~0xffful) == (maddr(ptep) & ~0xffful)) {
            return 0;
        }
    }
    return *ptep;
}

void pt_zero(uint64_t *t)
{
    if (validated) {
        enqueue(maddr(t) | HV_MMU_ZERO, 0);
        return;
    }
    for (unsigned i = 0; i < 512; i++) {
        t[i] = 0;
    }
}

static uint64_t *user_root(const uint64_t *root)
{
    for (unsigned i = 0; i < USER_ROOTS; i++) {
        if (user_roots && user_root_of[i].root == root) {
            return user_root_of[i].user;
        }
    }
    return (uint64_t *)0;
}

static void pin(uint64_t *root)
{
    defer(HV_FID_PIN_TABLE, maddr(root));
}

static void unpin(uint64_t *root)
{
    defer(HV_FID_UNPIN_TABLE, maddr(root));
}

void pt_pin(uint64_t *root)
{
    if (!validated) {
        return;
    }
    pin(root);
    /* A root with user mappings gets its user root: the same user slot, nothing else. */
    uint64_t e = pt_get(&root[PT_USER_SLOT]);
    for (unsigned i = 0; user_roots && (e & PTE_V) && i < USER_ROOTS; i++) {
        if (!user_root_of[i].root) {
            uint64_t *u = pt_alloc();
            if (!u) {
                pt_fail("user root", 0);
            }
            pt_set(&u[PT_USER_SLOT], e);
            pin(u);
            user_root_of[i].root = root;
            user_root_of[i].user = u;
            break;
        }
    }
}

void pt_unpin(uint64_t *root)
{
    if (!validated) {
        return;
    }
    unpin(root);
    for (unsigned i = 0; i < USER_ROOTS; i++) {
        if (user_root_of[i].root == root) {
            unpin(user_root_of[i].user);
            pt_release(user_root_of[i].user);
            user_root_of[i].root = user_root_of[i].user = (uint64_t *)0;
        }
    }
}

void pt_switch(uint64_t *root, unsigned asid)
{
    if (validated) {
        /* What is queued, then the switch, in one trap. */
        uint64_t *u = user_root(root);
        const struct hv_multicall sw = { .fid = HV_FID_SET_ROOT,
                                         .args = { maddr(root), asid, u ? maddr(u) : 0 } };
        send_then(false, &sw);
        return;
    }
    __asm__ volatile("csrw satp, %0\n sfence.vma" : : "r"(SATP_SV39 | ((uint64_t)asid << 44) |
                                                           ((uint64_t)root >> 12)) : "memory");
}

void pt_sync(void)
{
    if (!validated) {
        __asm__ volatile("sfence.vma" ::: "memory");
        return;
    }
    /* The queued updates and pinning and the flush that makes them visible, in one trap. */
    send(true);
}
