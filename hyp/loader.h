/* SPDX-License-Identifier: MIT */
/* Guest loading: kernel image (Linux Image header or raw), initrd and the VM's device tree. */
#ifndef HYP_LOADER_H
#define HYP_LOADER_H

#include <stdbool.h>
#include <stdint.h>

struct vm;
struct guest_image;
struct vm_config;

struct guest_boot {
    uint64_t entry; /* guest physical address vCPU 0 starts at */
    uint64_t dtb;   /* guest physical address of the device tree, passed in a1 */
};

/* The RISC-V Linux Image header (Documentation/riscv/boot-image-header.rst). */
struct image_header {
    uint32_t code0;
    uint32_t code1;
    uint64_t text_offset;
    uint64_t image_size;
    uint64_t flags;
    uint32_t version;
    uint32_t res1;
    uint64_t res2;
    uint64_t magic;
    uint32_t magic2;
    uint32_t res3;
};

/* Where an image goes: for a Linux Image, RAM base + text_offset and image_size bytes of room
 * (never less than the file); for anything else, load_offset and the file's size. False when it does
 * not fit the RAM size given. Pure, unit tested. */
bool image_placement(const uint8_t *img, uint64_t len, uint64_t load_offset, uint64_t ram_size,
                     uint64_t *offset, uint64_t *room);

/* Copies everything into the VM's RAM and writes its device tree. The configuration was checked when
 * the VM was created (vm_check_config uses the same placement rules), so this cannot fail. */
void guest_load(struct vm *vm, struct guest_boot *boot);
/* Why a configuration's images cannot be placed in its RAM, or NULL when they can. */
const char *guest_check_layout(const struct vm_config *cfg);

#endif
