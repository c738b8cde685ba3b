/* SPDX-License-Identifier: MIT */
/* VM configurations: plain C with designated initializers (configs/<name>.c), checked by the compiler. */
#ifndef HYP_CONFIG_H
#define HYP_CONFIG_H

#include <stdint.h>

#define MiB (1ul << 20)

/* A guest image linked into the hypervisor (build/<config>/images.S). */
struct guest_image {
    const char *name;
    const uint8_t *start;
    const uint8_t *end;
};

/* GUEST_IMAGE(x) names build/guest-pv/x.bin; the Makefile finds these uses and links the images in. */
#define GUEST_IMAGE(x)                                                                             \
    (&(const struct guest_image){ #x, _binary_##x##_start, _binary_##x##_end })
#define DECLARE_GUEST_IMAGE(x) extern const uint8_t _binary_##x##_start[], _binary_##x##_end[]

struct vm_config {
    const char *name;                /* prefixes the guest's console lines and log lines */
    const struct guest_image *image;
    uint64_t ram_size;               /* bytes of guest RAM at VM_RAM_BASE, a multiple of 2 MiB */
    unsigned vcpus;
};

extern const struct vm_config vm_configs[];
extern const unsigned vm_nconfigs;

#endif
