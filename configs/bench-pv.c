// SPDX-License-Identifier: MIT
// make bench: the pv flavour of the bench guest alone (its workload comes from hyp.guestargs).
#include "config.h"

DECLARE_GUEST_IMAGE(bench);

const struct vm_config vm_configs[] = {
    { .name = "pv", .image = GUEST_IMAGE(bench), .ram_size = 16 * MiB, .vcpus = 1,
      .devices = VM_DEV_UART | VM_DEV_PLIC,
      /* A RAM disk for the blk workload: exits per MiB do not depend on what is behind it. */
      .disk = { .kind = VM_DISK_RAM, .sectors = 4096 } },
};
const unsigned vm_nconfigs = sizeof(vm_configs) / sizeof(vm_configs[0]);
