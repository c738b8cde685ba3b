// SPDX-License-Identifier: MIT
// Console focus: two guests reading input; Ctrl-] moves the input from one to the other.
#include "config.h"

DECLARE_GUEST_IMAGE(echo);

const struct vm_config vm_configs[] = {
    { .name = "echo-a", .image = GUEST_IMAGE(echo), .ram_size = 8 * MiB, .vcpus = 1 },
    { .name = "echo-b", .image = GUEST_IMAGE(echo), .ram_size = 8 * MiB, .vcpus = 1 },
};
const unsigned vm_nconfigs = sizeof(vm_configs) / sizeof(vm_configs[0]);
