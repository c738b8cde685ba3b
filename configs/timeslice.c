// SPDX-License-Identifier: MIT
// Time slicing: two guests that never give up the hart; the hypervisor's timer must share it.
#include "config.h"

DECLARE_GUEST_IMAGE(hog);

const struct vm_config vm_configs[] = {
    { .name = "hog-a", .image = GUEST_IMAGE(hog), .ram_size = 8 * MiB, .vcpus = 1 },
    { .name = "hog-b", .image = GUEST_IMAGE(hog), .ram_size = 8 * MiB, .vcpus = 1 },
};
const unsigned vm_nconfigs = sizeof(vm_configs) / sizeof(vm_configs[0]);
