// SPDX-License-Identifier: MIT
// SBI conformance: the sbitest guest, with a demo guest beside it that its reboots must not disturb.
#include "config.h"

DECLARE_GUEST_IMAGE(sbitest);
DECLARE_GUEST_IMAGE(demo);

const struct vm_config vm_configs[] = {
    { .name = "sbitest", .image = GUEST_IMAGE(sbitest), .ram_size = 16 * MiB, .vcpus = 1 },
    { .name = "demo", .image = GUEST_IMAGE(demo), .ram_size = 16 * MiB, .vcpus = 1 },
};
const unsigned vm_nconfigs = sizeof(vm_configs) / sizeof(vm_configs[0]);
