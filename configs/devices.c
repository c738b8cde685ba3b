// SPDX-License-Identifier: MIT
// Emulated devices from guests: a register and interrupt test, and guests that poke where they must
// not (an unassigned device slot, a PLIC access of the wrong width); a demo guest runs beside them.
#include "config.h"

DECLARE_GUEST_IMAGE(devtest);
DECLARE_GUEST_IMAGE(poke);
DECLARE_GUEST_IMAGE(demo);

#define DEVS (VM_DEV_UART | VM_DEV_PLIC)

const struct vm_config vm_configs[] = {
    /* pv.mmu=native: device programs write their own tables (shadowed on the trap engine). */
    { .name = "devtest", .image = GUEST_IMAGE(devtest), .ram_size = 16 * MiB, .vcpus = 1,
      .devices = DEVS, .bootargs = "pv.mmu=native" },
    { .name = "unassigned", .image = GUEST_IMAGE(poke), .ram_size = 16 * MiB, .vcpus = 1,
      .devices = DEVS, .bootargs = "poke=0x10001000 width=4 op=r pv.mmu=native" },
    { .name = "badwidth", .image = GUEST_IMAGE(poke), .ram_size = 16 * MiB, .vcpus = 1,
      .devices = DEVS, .bootargs = "poke=0x0c000004 width=2 op=w pv.mmu=native" },
    { .name = "nodevice", .image = GUEST_IMAGE(poke), .ram_size = 16 * MiB, .vcpus = 1,
      .bootargs = "poke=0x10000005 width=1 op=r pv.mmu=native" },
    { .name = "demo", .image = GUEST_IMAGE(demo), .ram_size = 16 * MiB, .vcpus = 1 },
};
const unsigned vm_nconfigs = sizeof(vm_configs) / sizeof(vm_configs[0]);
