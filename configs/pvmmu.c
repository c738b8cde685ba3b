// SPDX-License-Identifier: MIT
// The pv flavour made to use the page-table hypercalls although the hardware has stage-2 translation
// (bootarg pv.mmu=hypercall): its tables are validated and pinned, and must give the fv flavour's results.
#include "config.h"

DECLARE_GUEST_IMAGE(demo);
DECLARE_GUEST_IMAGE(demo_fv);

const struct vm_config vm_configs[] = {
    { .name = "pv-mmu", .image = GUEST_IMAGE(demo), .ram_size = 16 * MiB, .vcpus = 1,
      .bootargs = "pv.mmu=hypercall" },
    { .name = "fv", .image = GUEST_IMAGE(demo_fv), .ram_size = 16 * MiB, .vcpus = 1,
      .devices = VM_DEV_UART | VM_DEV_PLIC },
};
const unsigned vm_nconfigs = sizeof(vm_configs) / sizeof(vm_configs[0]);
