// SPDX-License-Identifier: MIT
// SMP SBI test: one guest with three vCPUs (HSM, IPI, RFENCE), beside a demo guest.
#include "config.h"

DECLARE_GUEST_IMAGE(smptest);
DECLARE_GUEST_IMAGE(demo);

const struct vm_config vm_configs[] = {
    { .name = "smptest", .image = GUEST_IMAGE(smptest), .ram_size = 16 * MiB, .vcpus = 3 },
    { .name = "demo", .image = GUEST_IMAGE(demo), .ram_size = 16 * MiB, .vcpus = 1 },
};
const unsigned vm_nconfigs = sizeof(vm_configs) / sizeof(vm_configs[0]);
