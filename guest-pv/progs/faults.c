// SPDX-License-Identifier: MIT
// Access faults as hardware raises them: fetch, load, store and AMO at an address that is neither
// RAM nor a device, a device access the device refuses, and a page-table walk that leaves RAM. Each
// must arrive here, at this guest's own trap handler, with the cause and stval a hart would give.
#include "guest.h"

#define NOWHERE 0x88000000ul  /* in the kernel's 1 GiB window, past any configured RAM */
#define WALK_VA 0xc0000000ul  /* root slot 3: its L1 table is made to lie at NOWHERE */
#define PLIC_PRIO1 0x0c000004ul /* a 32-bit PLIC register, given a 16-bit store */
#define NO_DEVICE 0x10002000ul  /* a virtio-mmio slot no device of this guest decodes */

static volatile uint64_t last_cause, last_tval;
static volatile unsigned faults;

static bool on_trap(struct trap_frame *f, uint64_t cause, uint64_t tval)
{
    if (cause != 1 && cause != 5 && cause != 7) {
        return false;
    }
    last_cause = cause;
    last_tval = tval;
    faults++;
    if (cause == 1) {
        f->sepc = f->x[1]; /* the fetch came from a call: carry on at its return address */
    } else {
        uint16_t half = *(volatile uint16_t *)f->sepc;
        f->sepc += (half & 3) == 3 ? 4 : 2; /* skip the load or store */
    }
    return true;
}

static void report(const char *what, uint64_t want_cause, uint64_t want_tval)
{
    bool ok = faults == 1 && last_cause == want_cause && last_tval == want_tval;
    kprintf("faults: %s: cause %lu tval 0x%lx: %s\n", what, (unsigned long)last_cause,
            (unsigned long)last_tval, ok ? "ok" : "WRONG");
    faults = 0;
    last_cause = last_tval = 0;
}

void guest_main(unsigned long hartid, unsigned long dtb)
{
    (void)hartid;
    (void)dtb;
    trap_set_hook(on_trap);
    /* Our own tables map it: only the hypervisor stands between us and an address nothing decodes. */
    pt_map(kernel_root, NOWHERE, NOWHERE, PTE_R | PTE_W | PTE_X);
    pt_sync();

    uint64_t v = *(volatile uint64_t *)NOWHERE;
    report("load", 5, NOWHERE);
    *(volatile uint32_t *)(NOWHERE + 8) = 1;
    report("store", 7, NOWHERE + 8);
    uint32_t old;
    __asm__ volatile("li %0, 0\n amoadd.w %0, %1, (%2)" : "=&r"(old) : "r"(1), "r"(NOWHERE + 16) : "memory");
    report("amo", 7, NOWHERE + 16);
    ((void (*)(void))NOWHERE)();
    report("fetch", 1, NOWHERE);
    *(volatile uint16_t *)PLIC_PRIO1 = 1;
    report("device-width", 7, PLIC_PRIO1);
    v += *(volatile uint32_t *)NO_DEVICE;
    report("no-device", 5, NO_DEVICE);
    /* A walk that leaves RAM: the access faults with the original access type (priv spec, Sv39
     * translation, step 2), stval the virtual address. */
    kernel_root[WALK_VA >> 30] = ((NOWHERE >> 12) << 10) | PTE_V;
    pt_sync();
    v += *(volatile uint64_t *)WALK_VA;
    report("walk", 5, WALK_VA);
    kernel_root[WALK_VA >> 30] = 0;
    pt_sync();
    kprintf("faults: done (%lu)\n", (unsigned long)(v + old) & 0);
}
