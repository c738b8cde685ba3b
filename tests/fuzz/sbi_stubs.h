/* SPDX-License-Identifier: MIT */
/* What the SBI dispatcher and the hypercalls ask of the rest of the hypervisor, replaced for the
 * host fuzzer by recorders (tests/fuzz/sbi_stubs.c): the fuzzer reads them to check each call's
 * effects. */
#ifndef TESTS_FUZZ_SBI_STUBS_H
#define TESTS_FUZZ_SBI_STUBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vm.h"

struct stub_state {
    /* Per vCPU: what vcpu_arch_set_root last installed (0: not on a validated root). */
    uint64_t satp[VCPU_MAX];
    uint64_t user_root[VCPU_MAX];
    uint64_t virq[VCPU_MAX];
    /* Console input the guest may read (SBI getchar, DBCN read). */
    const uint8_t *input;
    size_t input_len;
    size_t output_len;
    unsigned stops, reboots, flushes, fence_is;
    uint64_t timer;
    long frames_out; /* frames hyp_alloc_frames handed out and not yet freed */
};

extern struct stub_state stub;

/* The root entry the stubbed trap engine writes into slot 511 of pinned roots. */
#define STUB_RESERVED_ENTRY 0x00000000200800efull

/* Resets the recorders; input is what console reads return. */
void stub_reset(const uint8_t *input, size_t len);

#endif
