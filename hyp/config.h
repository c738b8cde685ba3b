/* SPDX-License-Identifier: MIT */
/* VM configurations: what a guest bundle (hyp/bundle.c) describes, one per guest. */
#ifndef HYP_CONFIG_H
#define HYP_CONFIG_H

#include <stdint.h>

#define MiB (1ul << 20)

/* An image of the bundle: where its bytes are in the hypervisor's memory (they stay there, so a
 * guest that restarts is loaded again from them). */
struct guest_image {
    const char *name;
    const uint8_t *start;
    const uint8_t *end;
};

/* Emulated devices a VM may be given, at the addresses QEMU's virt board uses. */
#define VM_DEV_UART (1u << 0) /* ns16550a at 0x10000000, PLIC source 10 */
#define VM_DEV_PLIC (1u << 1) /* PLIC at 0x0c000000, one S-mode context per vCPU */
#define VM_DEV_VIRTIO_BLK (1u << 2) /* virtio-mmio block device on .disk at 0x10001000, PLIC source 1 */

/* A VM's disk, reached through its virtio-blk device (VM_DEV_VIRTIO_BLK) and the block hypercalls. */
enum vm_disk_kind {
    VM_DISK_NONE,
    VM_DISK_HOST, /* a region of the host's disk (a virtio-blk device in its device tree) */
    VM_DISK_RAM,  /* an image copied into memory at creation, for boards without a disk */
};

struct vm_disk {
    enum vm_disk_kind kind;
    uint64_t host_offset_sectors;    /* VM_DISK_HOST: where the region starts on the host disk */
    uint64_t sectors;                /* its size in 512-byte sectors; 0: to the end of the host disk,
                                      * or the image's size for VM_DISK_RAM */
    const struct guest_image *image; /* VM_DISK_RAM: the initial contents */
};

struct vm_config {
    const char *name;                /* prefixes the guest's console lines and log lines */
    const struct guest_image *image; /* a RISC-V Linux Image (header honoured) or a raw binary */
    uint64_t load_offset;            /* raw binaries: where in RAM they go (and start) */
    const struct guest_image *initrd; /* optional; its range is given in /chosen */
    const char *bootargs;            /* /chosen bootargs, optional */
    uint64_t ram_size;               /* bytes of guest RAM at VM_RAM_BASE, a multiple of 2 MiB */
    unsigned vcpus;
    unsigned devices;                /* VM_DEV_* */
    unsigned restarts;               /* times it is built again from this configuration after a crash */
    bool fault_stop;                 /* on-fault = "stop": an access outside its RAM and devices stops
                                      * it instead of raising an access fault in it */
    struct vm_disk disk;             /* optional */
    uint64_t cpus;                   /* cpus = <hart ids>: a bit per hart it may run on; 0: any */
};

/* The guests of the bundle the hypervisor booted with (set once at boot, before any VM exists). */
extern const struct vm_config *vm_configs;
extern unsigned vm_nconfigs;

#endif
