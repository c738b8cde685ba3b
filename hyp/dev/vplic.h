/* SPDX-License-Identifier: MIT */
/* An emulated PLIC (RISC-V PLIC specification; SiFive/QEMU register map): priorities, pending,
 * per-context enables and thresholds, claim/complete. Each context is one vCPU's S-mode external
 * interrupt. Pure state machine, unit tested on the host. */
#ifndef HYP_DEV_VPLIC_H
#define HYP_DEV_VPLIC_H

#include <stdbool.h>
#include <stdint.h>

#define VPLIC_SOURCES 32    /* source IDs 1..31; 0 means "no interrupt" */
#define VPLIC_MAX_CTX 8
#define VPLIC_PRIO_MAX 7
#define VPLIC_SIZE 0x600000 /* guest-physical bytes decoded, as QEMU virt's PLIC */

struct vplic_ops {
    void (*notify)(void *ctx, unsigned context, bool pending); /* drive that context's SEIP */
    void *ctx;
};

struct vplic {
    struct vplic_ops ops;
    unsigned nctx;
    uint32_t priority[VPLIC_SOURCES];
    uint32_t pending;                 /* bit per source */
    uint32_t in_service;              /* claimed and not yet completed */
    uint32_t level;                   /* current input levels */
    uint32_t enable[VPLIC_MAX_CTX];
    uint32_t threshold[VPLIC_MAX_CTX];
    bool notified[VPLIC_MAX_CTX];     /* last value passed to ops.notify */
};

void vplic_init(struct vplic *p, unsigned nctx, const struct vplic_ops *ops);
/* A guest access at byte offset off inside the PLIC; only aligned 32-bit accesses are decoded
 * (false otherwise: the caller faults the guest). Unimplemented offsets read 0 and ignore writes. */
bool vplic_mmio(struct vplic *p, uint64_t off, unsigned width, bool write, uint64_t *val);
/* A device's interrupt line (level-triggered); src 1..VPLIC_SOURCES-1, others ignored. */
void vplic_set_level(struct vplic *p, unsigned src, bool level);

#endif
