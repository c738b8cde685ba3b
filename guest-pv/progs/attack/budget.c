// SPDX-License-Identifier: MIT
// Attack pack, work per exit: calls and notifies whose work the guest chooses (a link that validates
// 513 tables, multicalls of them, 32 MiB of block reads in one multicall, a virtio notify of 128
// whole-RAM descriptors or 128 whole-disk reads). The hypervisor bounds each exit and the guest
// continues what it cut; each case reports the calls it took and the longest.
#include <string.h>

#include "attack.h"
#include "virtio.h"

#define IS(n) (strcmp(a, n) == 0)
#define DATA (AT_TABLES + 0x10000) /* attack.c's data page, mapped writable */
#define RW (PTE_R | PTE_W | PTE_A | PTE_D)

/* One call exactly as made, cut or not (the cases look at each). */
static struct sbiret hc_once(unsigned long fid, unsigned long a0, unsigned long a1)
{
    return sbi_call(HV_EXT, fid, a0, a1, 0, 0, 0, 0);
}

/* A tree whose validation is long, in AT_RAM the guest's own tree does not map writable: a root
 * (pinned empty) and a level-1 table naming 512 level-0 tables, each full of writable leaves (the
 * dearest entries to check and to drop). Linking the table into the root validates 513 tables
 * (262,656 entries), unlinking it drops them. */
#define BIG_ROOT (AT_RAM + 12 * AT_MB)
#define BIG_L1 (BIG_ROOT + 0x1000)
#define BIG_L0 (BIG_ROOT + 0x2000)
#define TOGGLES 8

static uint64_t calls, longest_call, total_calls;

/* One hypercall, its cost as the guest sees it (instret around it: exact under -icount). */
static struct sbiret timed(unsigned long fid, unsigned long a0, unsigned long a1)
{
    uint64_t t0 = csr_instret();
    struct sbiret r = hc_once(fid, a0, a1);
    uint64_t t = csr_instret() - t0;
    longest_call = t > longest_call ? t : longest_call;
    total_calls += t;
    calls++;
    return r;
}

static void report_calls(const char *name)
{
    kprintf("attack: %s: %lu calls, %lu instructions each on average (the longest, %lu, may hold "
            "another guest's time slice)\n",
            name,
            (unsigned long)calls,
            (unsigned long)(total_calls / (calls ? calls : 1)),
            (unsigned long)longest_call);
}

static void big_tree(void)
{
    memset((void *)BIG_ROOT, 0, 2 * 4096);
    for (uint64_t i = 0; i < 512; i++) {
        ((uint64_t *)BIG_L1)[i] = AT_PTE(BIG_L0 + i * 0x1000, 0);
        for (uint64_t j = 0; j < 512; j++) {
            ((uint64_t *)(BIG_L0 + i * 0x1000))[j] = AT_PTE(AT_BUF + (j % 16) * 0x1000, RW);
        }
    }
}

/* updates[] = the big table linked into slot 3 of the big root and unlinked, TOGGLES times. */
static struct hv_mmu_update *toggles(void)
{
    static struct hv_mmu_update u[2 * TOGGLES];
    for (unsigned k = 0; k < TOGGLES; k++) {
        u[2 * k] = (struct hv_mmu_update){ AT_MA(BIG_ROOT) + 8 * 3, AT_PTE(BIG_L1, 0) };
        u[2 * k + 1] = (struct hv_mmu_update){ AT_MA(BIG_ROOT) + 8 * 3, 0 };
    }
    return u;
}

/* A batch made again with the rest until it is done (what hv_call does), counting the calls. */
static long batch_all(unsigned long fid, void *array, unsigned long n, unsigned long size,
                      uint64_t *done)
{
    *done = 0;
    while (*done < n) {
        struct sbiret r = timed(fid, (unsigned long)array + *done * size, n - *done);
        if (r.error) {
            return r.error;
        }
        *done += (uint64_t)r.value;
    }
    return 0;
}

/* A multicall made again from the call it stopped at, that call's batch advanced by what it did. */
static long multicall_all(struct hv_multicall *mc, unsigned n, uint64_t *done)
{
    *done = 0;
    while (*done < n) {
        struct sbiret r = timed(HV_FID_MULTICALL, (unsigned long)&mc[*done], n - *done);
        if (r.error) {
            return r.error;
        }
        *done += (uint64_t)r.value;
        if (*done < n) {
            struct hv_multicall *c = &mc[*done];
            unsigned long size = c->fid == HV_FID_MMU_UPDATE ? sizeof(struct hv_mmu_update)
                                                             : sizeof(struct hv_blk_req);
            c->args[0] += c->value * size;
            c->args[1] -= c->value;
        }
    }
    return 0;
}

/* The emulated virtio-blk device (VM_VBLK_BASE), driven here without the kernel's driver. */
#define VBLK ((volatile uint32_t *)0x10001000ul)
#define VQ AT_VQ
static struct virtq_desc vq_desc[VQ] __attribute__((aligned(16)));
static struct at_vq_avail vq_avail __attribute__((aligned(2)));
static struct at_vq_used vq_used __attribute__((aligned(4)));
static struct virtio_blk_req_hdr vq_hdr;
static uint8_t vq_status[VQ];

/* Makes heads[0..VQ) available with one notify, then waits (up to a second) for the device, which
 * may take several of our exits; returns how many it completed. */
static unsigned vq_kick_all(const uint16_t *heads)
{
    for (unsigned i = 0; i < VQ; i++) {
        vq_avail.ring[i] = heads[i];
    }
    __asm__ volatile("fence rw, rw" ::: "memory");
    vq_avail.idx = VQ;
    __asm__ volatile("fence rw, rw" ::: "memory");
    uint64_t t0 = csr_instret();
    VBLK[VIRTIO_MMIO_QUEUE_NOTIFY / 4] = 0;
    longest_call = csr_instret() - t0;
    uint64_t end = csr_time() + 10000000;
    while (*(volatile uint16_t *)&vq_used.idx != VQ && csr_time() < end) {
    }
    __asm__ volatile("fence rw, rw" ::: "memory");
    return *(volatile uint16_t *)&vq_used.idx;
}

bool attack_budget(const char *a)
{
    struct sbiret r;

    if (IS("ptval-toggle")) {
        /* XSA-264/290 class: each link validates 513 tables, each unlink drops them. */
        big_tree();
        at_result(a, "pin", hv_call(HV_FID_PIN_TABLE, AT_MA(BIG_ROOT), 0, 0).error);
        uint64_t done;
        at_result(a,
               "error",
               batch_all(
                 HV_FID_MMU_UPDATE, toggles(), 2 * TOGGLES, sizeof(struct hv_mmu_update), &done));
        at_result(a, "done", (long)done);
        at_result(a, "unlinked", ((volatile uint64_t *)BIG_ROOT)[3] == 0);
        at_result(a, "unpin", hv_call(HV_FID_UNPIN_TABLE, AT_MA(BIG_ROOT), 0, 0).error);
        report_calls(a);
    } else if (IS("ptval-toggle-multicall")) {
        big_tree();
        at_result(a, "pin", hv_call(HV_FID_PIN_TABLE, AT_MA(BIG_ROOT), 0, 0).error);
        static struct hv_multicall tm[HV_MULTICALL_MAX];
        struct hv_mmu_update *u = toggles();
        for (unsigned c = 0; c < HV_MULTICALL_MAX; c++) {
            tm[c] = (struct hv_multicall){ .fid = HV_FID_MMU_UPDATE,
                                           .args = { (unsigned long)(u + 2 * (c % TOGGLES)), 2 } };
        }
        uint64_t done;
        at_result(a, "error", multicall_all(tm, TOGGLES, &done));
        at_result(a, "calls", (long)done);
        at_result(a, "unlinked", ((volatile uint64_t *)BIG_ROOT)[3] == 0);
        report_calls(a);
    } else if (IS("ptval-never-continues")) {
        /* The link is cut and never made again: the guest ends with the walk in progress. */
        big_tree();
        at_result(a, "pin", hv_call(HV_FID_PIN_TABLE, AT_MA(BIG_ROOT), 0, 0).error);
        r = timed(HV_FID_MMU_UPDATE, (unsigned long)toggles(), 1);
        at_result(a, "cut", r.error == 0 && r.value == 0);
        at_result(a, "linked", ((volatile uint64_t *)BIG_ROOT)[3] != 0);
        /* Another call waits for that walk: each exit does a share, none does it all. */
        r = timed(HV_FID_PIN_TABLE, AT_MA(AT_SPARE), 0);
        at_result(a, "next-call-waits", r.error == 0 && r.value == 0);
    } else if (IS("blk-multicall-flood")) {
        /* 64 block batches of 8 requests, each a 64 KiB read: 32 MiB for one trap as it was. */
        static struct hv_blk_req reqs[8];
        static struct hv_multicall bm[HV_MULTICALL_MAX];
        for (unsigned k = 0; k < 8; k++) {
            reqs[k] = (struct hv_blk_req){ HV_BLK_READ, 0x77, 0, AT_BUF, HV_BLK_LEN_MAX };
        }
        for (unsigned c = 0; c < HV_MULTICALL_MAX; c++) {
            bm[c] =
              (struct hv_multicall){ .fid = HV_FID_BLK_SUBMIT, .args = { (unsigned long)reqs, 8 } };
        }
        uint64_t done;
        at_result(a, "error", multicall_all(bm, HV_MULTICALL_MAX, &done));
        at_result(a, "calls", (long)done);
        at_result(a, "statuses-ok", reqs[0].status == HV_BLK_OK && reqs[7].status == HV_BLK_OK);
        report_calls(a);
    } else if (IS("virtio-descriptor-flood")) {
        /* 128 requests, each a chain of the whole table: 128 descriptors, 126 of them as long as
         * AT_RAM and device-writable. Once the validator's frame table exists (a plain write through
         * MMU_UPDATE makes it), each such descriptor was checked frame by frame: 64 million frames
         * for one notify. Each request has more segments than the device takes: an I/O error. */
        at_update1(DATA, 0);
        at_virtio_setup(VQ, (uint64_t)vq_desc, (uint64_t)&vq_avail, (uint64_t)&vq_used);
        vq_hdr = (struct virtio_blk_req_hdr){ VIRTIO_BLK_T_IN, 0, 0 };
        vq_desc[0] = (struct virtq_desc){ (uint64_t)&vq_hdr, sizeof vq_hdr, VIRTQ_DESC_F_NEXT, 1 };
        for (uint16_t i = 1; i < VQ - 1; i++) {
            vq_desc[i] = (struct virtq_desc){
                AT_RAM, AT_RAM_SIZE, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, (uint16_t)(i + 1)
            };
        }
        vq_desc[VQ - 1] = (struct virtq_desc){ (uint64_t)vq_status, 1, VIRTQ_DESC_F_WRITE, 0 };
        static const uint16_t heads[VQ];
        vq_status[0] = 0x77;
        at_result(a, "completed", vq_kick_all(heads));
        at_result(a, "status-ioerr", vq_status[0] == VIRTIO_BLK_S_IOERR);
        kprintf("attack: %s: the notify took %lu instructions\n", a, (unsigned long)longest_call);
    } else if (IS("virtio-big-reads")) {
        /* 128 reads of the whole disk (128 KiB) in one notify: 16 MiB to copy for it as it was. */
        at_virtio_setup(VQ, (uint64_t)vq_desc, (uint64_t)&vq_avail, (uint64_t)&vq_used);
        static uint16_t heads[VQ];
        vq_hdr = (struct virtio_blk_req_hdr){ VIRTIO_BLK_T_IN, 0, 0 };
        for (uint16_t k = 0; k < VQ / 3; k++) {
            uint16_t d = (uint16_t)(3 * k);
            vq_desc[d] = (struct virtq_desc){
                (uint64_t)&vq_hdr, sizeof vq_hdr, VIRTQ_DESC_F_NEXT, (uint16_t)(d + 1)
            };
            vq_desc[d + 1] = (struct virtq_desc){
                AT_BUF, 256 * 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, (uint16_t)(d + 2)
            };
            vq_desc[d + 2] =
              (struct virtq_desc){ (uint64_t)&vq_status[k], 1, VIRTQ_DESC_F_WRITE, 0 };
        }
        for (unsigned i = 0; i < VQ; i++) {
            heads[i] = (uint16_t)(3 * (i % (VQ / 3)));
        }
        at_result(a, "completed", vq_kick_all(heads));
        bool ok = true;
        for (unsigned k = 0; k < VQ / 3; k++) {
            ok &= vq_status[k] == VIRTIO_BLK_S_OK;
        }
        at_result(a, "statuses-ok", ok);
        kprintf("attack: %s: the notify took %lu instructions\n", a, (unsigned long)longest_call);
    } else {
        return false;
    }
    return true;
}
