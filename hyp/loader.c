// SPDX-License-Identifier: MIT
// Guest loading: places the kernel, the initrd and the device tree in guest RAM, the way QEMU's virt
// board does for a kernel it boots, so unmodified guests find everything where they expect it.
#include "loader.h"

#include <string.h>

#include "config.h"
#include "guest_mem.h"
#include "mm.h"
#include "vm.h"
#include "vm_dt.h"

#define IMAGE_MAGIC2 0x05435352u /* "RSC\x05" */
/* Room kept for the device tree at the top of RAM, 2 MiB aligned as QEMU places it. */
#define DT_ALIGN (2 * MiB)

bool image_placement(const uint8_t *img, uint64_t len, uint64_t load_offset, uint64_t ram_size,
                     uint64_t *offset, uint64_t *room)
{
    struct image_header h;

    *offset = load_offset;
    *room = len;
    if (len >= sizeof(h)) {
        memcpy(&h, img, sizeof(h));
        if (h.magic2 == IMAGE_MAGIC2) {
            /* A Linux Image: text_offset from the RAM base, and image_size (which covers .bss) of
             * room. An image_size of 0 means an old header: assume the file size. */
            *offset = h.text_offset;
            *room = h.image_size > len ? h.image_size : len;
        }
    }
    return *offset <= ram_size && *room <= ram_size - *offset;
}

struct layout {
    uint64_t image_off, image_room;
    uint64_t dt_off;
    uint64_t initrd_off, initrd_len;
};

static bool compute_layout(const struct vm_config *cfg, struct layout *l)
{
    const struct guest_image *img = cfg->image;

    if (!image_placement(img->start, (uint64_t)(img->end - img->start), cfg->load_offset,
                         cfg->ram_size, &l->image_off, &l->image_room)) {
        return false;
    }
    if (cfg->ram_size < DT_ALIGN + VM_DT_MAX) {
        return false;
    }
    l->dt_off = ALIGN_DOWN(cfg->ram_size - VM_DT_MAX, DT_ALIGN);
    if (l->image_off + l->image_room > l->dt_off) {
        return false;
    }
    l->initrd_off = l->initrd_len = 0;
    if (cfg->initrd) {
        /* As QEMU: far enough above the kernel that its decompression and .bss leave it alone. */
        l->initrd_len = (uint64_t)(cfg->initrd->end - cfg->initrd->start);
        uint64_t half = cfg->ram_size / 2 < 128 * MiB ? cfg->ram_size / 2 : 128 * MiB;
        l->initrd_off = ALIGN_UP(l->image_off + l->image_room > half ? l->image_off + l->image_room
                                                                     : half,
                                 PAGE_SIZE);
        if (l->initrd_off > l->dt_off || l->initrd_len > l->dt_off - l->initrd_off) {
            return false;
        }
    }
    return true;
}

const char *guest_check_layout(const struct vm_config *cfg)
{
    struct layout l;

    return compute_layout(cfg, &l) ? (const char *)0
                                   : "image, initrd and device tree do not fit in guest RAM";
}

void guest_load(struct vm *vm, struct guest_boot *boot)
{
    const struct vm_config *cfg = vm->cfg;
    struct layout l;
    uint8_t *ram = (uint8_t *)(uintptr_t)vm->ram_hpa;

    compute_layout(cfg, &l);
    /* The pages written now are cleared first where the guest never used them (guest_mem.h). */
    guest_ram_touch(vm, VM_RAM_BASE + l.image_off, (uint64_t)(cfg->image->end - cfg->image->start));
    guest_ram_touch(vm, VM_RAM_BASE + l.initrd_off, l.initrd_len);
    guest_ram_touch(vm, VM_RAM_BASE + l.dt_off, VM_DT_MAX);
    memcpy(ram + l.image_off, cfg->image->start, (size_t)(cfg->image->end - cfg->image->start));
    if (cfg->initrd) {
        memcpy(ram + l.initrd_off, cfg->initrd->start, (size_t)l.initrd_len);
    }
    struct vm_dt_info info = {
        .initrd_start = cfg->initrd ? VM_RAM_BASE + l.initrd_off : 0,
        .initrd_end = cfg->initrd ? VM_RAM_BASE + l.initrd_off + l.initrd_len : 0,
    };
    vm_dt_build(vm, &info, ram + l.dt_off, VM_DT_MAX);
    boot->entry = VM_RAM_BASE + l.image_off;
    boot->dtb = VM_RAM_BASE + l.dt_off;
}
