// SPDX-License-Identifier: MIT
// The default demo: two guest-pv guests side by side on one hart.
#include "config.h"

DECLARE_GUEST_IMAGE(demo);

const struct vm_config vm_configs[] = {
    { .name = "demo-a", .image = GUEST_IMAGE(demo), .ram_size = 16 * MiB, .vcpus = 1 },
    { .name = "demo-b", .image = GUEST_IMAGE(demo), .ram_size = 16 * MiB, .vcpus = 1 },
};
const unsigned vm_nconfigs = sizeof(vm_configs) / sizeof(vm_configs[0]);
