// SPDX-License-Identifier: MIT
// Storage: the block test guest in both flavours, each with its own 4 MiB region of one host disk
// (build/disk/blk.img), "pv" through the block hypercalls and "fv" through its virtio-blk device; and a
// third with a disk held in RAM, as on a board without one. All three must print the same checksum.
#include "config.h"

DECLARE_GUEST_IMAGE(blktest);
DECLARE_GUEST_IMAGE(blktest_fv);

const struct vm_config vm_configs[] = {
    /* pv.mmu=native: it reads the PLIC's pending bits, a device validated tables never map. */
    { .name = "pv", .image = GUEST_IMAGE(blktest), .ram_size = 16 * MiB, .vcpus = 1,
      .devices = VM_DEV_PLIC, .bootargs = "pv.mmu=native",
      .disk = { .kind = VM_DISK_HOST, .host_offset_sectors = 0, .sectors = 8192 } },
    { .name = "fv", .image = GUEST_IMAGE(blktest_fv), .ram_size = 16 * MiB, .vcpus = 1,
      .devices = VM_DEV_UART | VM_DEV_PLIC | VM_DEV_VIRTIO_BLK,
      .disk = { .kind = VM_DISK_HOST, .host_offset_sectors = 8192, .sectors = 8192 } },
    /* Its disk starts as a copy of its own image: any linked-in file can be a RAM disk's contents. */
    { .name = "ram", .image = GUEST_IMAGE(blktest), .ram_size = 16 * MiB, .vcpus = 1,
      .disk = { .kind = VM_DISK_RAM, .sectors = 8192, .image = GUEST_IMAGE(blktest) } },
};
const unsigned vm_nconfigs = sizeof(vm_configs) / sizeof(vm_configs[0]);
