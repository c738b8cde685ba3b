// SPDX-License-Identifier: MIT
// Delegation test: a guest whose breakpoints, page faults and system calls must cause no exit.
#include "config.h"

DECLARE_GUEST_IMAGE(deleg);
DECLARE_GUEST_IMAGE(demo);

const struct vm_config vm_configs[] = {
    { .name = "deleg", .image = GUEST_IMAGE(deleg), .ram_size = 16 * MiB, .vcpus = 1 },
    { .name = "demo", .image = GUEST_IMAGE(demo), .ram_size = 16 * MiB, .vcpus = 1 },
};
const unsigned vm_nconfigs = sizeof(vm_configs) / sizeof(vm_configs[0]);
