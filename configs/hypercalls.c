// SPDX-License-Identifier: MIT
// The paravirtual interface from a guest: every hypercall, well-formed and malformed, beside a demo
// guest that must not notice.
#include "config.h"

DECLARE_GUEST_IMAGE(hctest);
DECLARE_GUEST_IMAGE(demo);

const struct vm_config vm_configs[] = {
    /* Its own page tables stay native (pv.mmu=native): the tree it validates is the one under test. */
    { .name = "hctest", .image = GUEST_IMAGE(hctest), .ram_size = 16 * MiB, .vcpus = 1,
      .bootargs = "pv.mmu=native" },
    { .name = "demo", .image = GUEST_IMAGE(demo), .ram_size = 16 * MiB, .vcpus = 1 },
};
const unsigned vm_nconfigs = sizeof(vm_configs) / sizeof(vm_configs[0]);
