// SPDX-License-Identifier: MIT
// Isolation test: one guest stores outside its RAM and is stopped; the other runs to completion.
#include "config.h"

DECLARE_GUEST_IMAGE(isolate);
DECLARE_GUEST_IMAGE(demo);

const struct vm_config vm_configs[] = {
    /* Its own tables (pv.mmu=native): validated ones could not even name the address. */
    { .name = "isolate", .image = GUEST_IMAGE(isolate), .ram_size = 16 * MiB, .vcpus = 1,
      .bootargs = "pv.mmu=native" },
    { .name = "demo", .image = GUEST_IMAGE(demo), .ram_size = 16 * MiB, .vcpus = 1 },
};
const unsigned vm_nconfigs = sizeof(vm_configs) / sizeof(vm_configs[0]);
