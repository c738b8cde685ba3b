// SPDX-License-Identifier: MIT
// The workloads both flavours run, the same code in each: what differs is only how the kernel gets
// things done (hypercalls or trapped hardware operations). Each returns a checksum or a count that must
// be identical across flavours and engines.
#include <string.h>

#include "guest.h"

#define USER_WINDOW 0x40000000ul
#define COPY_WINDOW 0x50000000ul

/* FNV-1a over an xorshift stream: the same number on every run and every engine. */
uint64_t wl_compute(unsigned rounds)
{
    uint64_t x = 88172645463325252ull, h = 1469598103934665603ull;

    for (unsigned i = 0; i < rounds; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        h = (h ^ (x & 0xff)) * 1099511628211ull;
    }
    return h;
}

/* The cheapest call into the hypervisor each flavour has: a null hypercall, or an SBI call that any
 * SBI implementation answers (fv knows no hypercalls). */
unsigned wl_nullcalls(unsigned n)
{
    unsigned ok = 0;
#ifdef GUEST_FLAVOUR_pv
    register unsigned long fid __asm__("a6") = HV_FID_NULL;
    register unsigned long eid __asm__("a7") = HV_EXT;
#else
    register unsigned long fid __asm__("a6") = SBI_BASE_GET_SPEC_VERSION;
    register unsigned long eid __asm__("a7") = SBI_EXT_BASE;
#endif

    /* A tight loop, so the count is the call's cost and not the caller's. */
    for (unsigned i = 0; i < n; i++) {
        register long err __asm__("a0");
        __asm__ volatile("ecall" : "=r"(err) : "r"(fid), "r"(eid) : "a1", "memory");
        ok += err == 0;
    }
    return ok;
}

/* Prints lines of text, handed to the console driver 8 KiB at a time (the pv driver passes a whole
 * buffer to one DBCN call; the fv one has a UART register to write per byte). Returns the checksum of
 * what was printed, *bytes its length. */
uint64_t wl_console(unsigned lines, uint64_t *bytes)
{
    static char buf[8192];
    size_t used = 0;
    uint64_t h = 1469598103934665603ull;
    char line[96];

    *bytes = 0;
    for (unsigned i = 0; i < lines; i++) {
        int n = fmt_snprintf(line, sizeof(line), "console: line %03u the quick brown fox jumps over %u\n",
                             i, i * 7919u % 1000u);
        *bytes += (uint64_t)n;
        for (int k = 0; k < n; k++) {
            h = (h ^ (uint8_t)line[k]) * 1099511628211ull;
        }
        if (used + (size_t)n > sizeof(buf)) {
            kwrite(buf, used);
            used = 0;
        }
        memcpy(buf + used, line, (size_t)n);
        used += (size_t)n;
    }
    kwrite(buf, used);
    return h;
}

/* Page-table churn: per round, build an address space, map pages into it, write them through it,
 * make a second space sharing the pages read-only (a fork's copy), read them through that one, then
 * unmap everything and tear both down. */
uint64_t wl_ptchurn(unsigned rounds, unsigned npages, uint64_t *updates)
{
    static void *frames[256];
    uint64_t sum = 0;

    *updates = 0;
    if (npages > 256) {
        npages = 256;
    }
    for (unsigned r = 0; r < rounds; r++) {
        uint64_t *a = pt_new_root(), *b = pt_new_root();
        pt_pin(a);
        pt_pin(b);
        for (unsigned i = 0; i < npages; i++) {
            frames[i] = page_alloc();
            pt_map(a, USER_WINDOW + i * PAGE_SIZE, (uint64_t)frames[i], PTE_R | PTE_W);
            pt_map(b, COPY_WINDOW + i * PAGE_SIZE, (uint64_t)frames[i], PTE_R);
        }
        *updates += 2 * npages;
        pt_switch(a, 1); /* a switch makes the new mappings visible: no separate sync */
        for (unsigned i = 0; i < npages; i++) {
            volatile uint64_t *p = (volatile uint64_t *)(USER_WINDOW + i * PAGE_SIZE);
            p[0] = (uint64_t)r * 1000003u + i;
            p[511] = ~p[0];
        }
        pt_switch(b, 2);
        for (unsigned i = 0; i < npages; i++) {
            const volatile uint64_t *p = (const volatile uint64_t *)(COPY_WINDOW + i * PAGE_SIZE);
            sum = (sum ^ p[0] ^ (p[511] << 1)) * 1099511628211ull;
        }
        pt_switch(kernel_root, 0);
        for (unsigned i = 0; i < npages; i++) {
            pt_unmap(a, USER_WINDOW + i * PAGE_SIZE);
            pt_unmap(b, COPY_WINDOW + i * PAGE_SIZE);
        }
        *updates += 2 * npages;
        pt_sync();
        pt_unpin(a);
        pt_unpin(b);
        pt_free_user(a);
        pt_free_user(b);
        for (unsigned i = 0; i < npages; i++) {
            page_free(frames[i]);
        }
    }
    return sum;
}

#define BLK_BLOCK 4096u
#define BLK_BATCH 16u

/* The pattern: every 8-byte word names its block and place, so a block read from the wrong sector, or
 * a piece of one written twice, shows. */
static uint64_t blk_word(unsigned block, unsigned i)
{
    return ((uint64_t)block << 32 | i) * 0x9e3779b97f4a7c15ull;
}

uint64_t wl_blk(unsigned nblocks, unsigned *bad)
{
    static uint64_t buf[BLK_BATCH][BLK_BLOCK / 8] __attribute__((aligned(4096)));
    static struct hv_blk_req reqs[BLK_BATCH + 1];
    uint64_t h = 1469598103934665603ull;

    *bad = 0;
    for (int reading = 0; reading < 2; reading++) {
        for (unsigned b = 0; b < nblocks; b += BLK_BATCH) {
            unsigned n = nblocks - b < BLK_BATCH ? nblocks - b : BLK_BATCH;
            for (unsigned k = 0; k < n; k++) {
                for (unsigned i = 0; i < BLK_BLOCK / 8; i++) {
                    buf[k][i] = reading ? 0 : blk_word(b + k, i);
                }
                reqs[k] = (struct hv_blk_req){ reading ? HV_BLK_READ : HV_BLK_WRITE, 0xff,
                                               (uint64_t)(b + k) * (BLK_BLOCK / HV_BLK_SECTOR),
                                               (uint64_t)buf[k], BLK_BLOCK };
            }
            /* The last batch of writes carries the flush: the data is on the disk when it ends. */
            if (!reading && b + n >= nblocks) {
                reqs[n++] = (struct hv_blk_req){ .op = HV_BLK_FLUSH, .status = 0xff };
            }
            if (blk_submit(reqs, n) != n) {
                return 0;
            }
            for (unsigned k = 0; reading && k < n; k++) {
                bool wrong = false;
                for (unsigned i = 0; i < BLK_BLOCK / 8; i++) {
                    wrong |= buf[k][i] != blk_word(b + k, i);
                    h = (h ^ buf[k][i]) * 1099511628211ull;
                }
                *bad += wrong;
            }
        }
    }
    return h;
}
