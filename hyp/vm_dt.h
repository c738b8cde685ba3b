/* SPDX-License-Identifier: MIT */
/* The device tree a VM is handed: its memory, vCPUs, devices and /chosen, from its configuration. */
#ifndef HYP_VM_DT_H
#define HYP_VM_DT_H

#include <stddef.h>
#include <stdint.h>

#define VM_DT_MAX (64 * 1024)

struct vm;

struct vm_dt_info {
    uint64_t initrd_start; /* guest physical; 0 when there is no initrd */
    uint64_t initrd_end;
};

/* Writes the blob into buf; returns its size, 0 if it did not fit (it always does for VM_DT_MAX). */
size_t vm_dt_build(const struct vm *vm, const struct vm_dt_info *info, void *buf, size_t cap);

#endif
