// SPDX-License-Identifier: MIT
// Fault containment: a guest that crashes at once, built again from its configuration 1,000 times,
// beside a canary; afterwards the frame allocator must be exactly as before (hyp/vm.c logs both).
#include "config.h"

DECLARE_GUEST_IMAGE(crash);
DECLARE_GUEST_IMAGE(canary);

const struct vm_config vm_configs[] = {
    { .name = "crash", .image = GUEST_IMAGE(crash), .ram_size = 4 * MiB, .vcpus = 1, .restarts = 1000 },
    { .name = "canary", .image = GUEST_IMAGE(canary), .ram_size = 16 * MiB, .vcpus = 1,
      .bootargs = "canary.beats=10" },
};
const unsigned vm_nconfigs = sizeof(vm_configs) / sizeof(vm_configs[0]);
