// SPDX-License-Identifier: MIT
// Linux 6.1 (tinyconfig-based, scripts/build-linux.sh) with its initramfs init, on one vCPU, with the
// whole host disk (an ext2 file system the Makefile makes) as its virtio-blk /dev/vda.
#include "config.h"

DECLARE_GUEST_IMAGE(linux);
DECLARE_GUEST_IMAGE(linux_initrd);

const struct vm_config vm_configs[] = {
    {
        .name = "linux",
        .image = GUEST_IMAGE(linux),
        .initrd = GUEST_IMAGE(linux_initrd),
        .bootargs = "console=ttyS0 earlycon=sbi",
        .ram_size = 128 * MiB,
        .vcpus = 1,
        .devices = VM_DEV_UART | VM_DEV_PLIC | VM_DEV_VIRTIO_BLK,
        .disk = { .kind = VM_DISK_HOST },
    },
};
const unsigned vm_nconfigs = sizeof(vm_configs) / sizeof(vm_configs[0]);
