// SPDX-License-Identifier: MIT
// Debian's unmodified U-Boot (qemu-riscv64_smode) as a guest, on the emulated UART and PLIC, with the
// whole host disk as its virtio-blk device (`virtio scan`, `ext4ls virtio 0`).
#include "config.h"

DECLARE_GUEST_IMAGE(uboot);

const struct vm_config vm_configs[] = {
    {
        .name = "uboot",
        .image = GUEST_IMAGE(uboot),
        .load_offset = 0x200000, /* its link address, 0x80200000, as QEMU loads it */
        .ram_size = 128 * MiB,
        .vcpus = 1,
        .devices = VM_DEV_UART | VM_DEV_PLIC | VM_DEV_VIRTIO_BLK,
        .disk = { .kind = VM_DISK_HOST },
    },
};
const unsigned vm_nconfigs = sizeof(vm_configs) / sizeof(vm_configs[0]);
