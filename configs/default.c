// SPDX-License-Identifier: MIT
// The default demo: the guest-pv kernel in its two flavours side by side on one hart. "pv" talks to
// the hypervisor (hypercalls, batched console); "fv" uses only what hardware offers (its 16550 UART,
// native page tables). Both run the same workloads and must print the same results.
#include "config.h"

DECLARE_GUEST_IMAGE(demo);
DECLARE_GUEST_IMAGE(demo_fv);

const struct vm_config vm_configs[] = {
    { .name = "pv", .image = GUEST_IMAGE(demo), .ram_size = 16 * MiB, .vcpus = 1 },
    { .name = "fv", .image = GUEST_IMAGE(demo_fv), .ram_size = 16 * MiB, .vcpus = 1,
      .devices = VM_DEV_UART | VM_DEV_PLIC },
};
const unsigned vm_nconfigs = sizeof(vm_configs) / sizeof(vm_configs[0]);
