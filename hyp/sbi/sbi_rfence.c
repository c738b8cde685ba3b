// SPDX-License-Identifier: MIT
// SBI RFENCE extension (ext-rfence.adoc). Every vCPU of a VM runs on this hart, so after the hart mask
// is checked, one local fence for the VM's VMID reaches all of them.
#include "sbi.h"

#include <arch/arch.h>

#include "hartmask.h"
#include "vm.h"

#define RFENCE_FENCE_I 0
#define RFENCE_SFENCE_VMA 1
#define RFENCE_SFENCE_VMA_ASID 2
#define RFENCE_HFENCE_GVMA_VMID 3
#define RFENCE_HFENCE_GVMA 4
#define RFENCE_HFENCE_VVMA_ASID 5
#define RFENCE_HFENCE_VVMA 6
/* Sv39/48/57 ASIDs are at most 16 bits. */
#define ASID_MAX 0xffffu

long sbi_fence_range(unsigned long start, unsigned long size, long asid)
{
    /* The whole address space when start and size are 0, or size is all ones. */
    if ((start == 0 && size == 0) || size == ~0ul) {
        vcpu_arch_flush_vvma(0, ~0ull, asid);
        return SBI_SUCCESS;
    }
    if (start + size < start) {
        return SBI_ERR_INVALID_ADDRESS;
    }
    vcpu_arch_flush_vvma(start, size, asid);
    return SBI_SUCCESS;
}

static struct sbi_ret rfence_handle(struct vcpu *v, const struct sbi_call *c)
{
    uint64_t targets;
    long err;

    switch (c->fid) {
    case RFENCE_FENCE_I:
    case RFENCE_SFENCE_VMA:
    case RFENCE_SFENCE_VMA_ASID:
        break;
    case RFENCE_HFENCE_GVMA_VMID:
    case RFENCE_HFENCE_GVMA:
    case RFENCE_HFENCE_VVMA_ASID:
    case RFENCE_HFENCE_VVMA:
        /* Only for guests that are hypervisors themselves; ours get no H extension. */
        return sbi_err(SBI_ERR_NOT_SUPPORTED);
    default:
        return sbi_err(SBI_ERR_NOT_SUPPORTED);
    }
    err = sbi_hart_mask(c->args[0], c->args[1], v->vm->nvcpus, &targets);
    if (err != SBI_SUCCESS || targets == 0) {
        return sbi_err(err);
    }
    switch (c->fid) {
    case RFENCE_FENCE_I:
        vcpu_arch_fence_i();
        return sbi_ok(0);
    case RFENCE_SFENCE_VMA:
        return sbi_err(sbi_fence_range(c->args[2], c->args[3], -1));
    default:
        if (c->args[4] > ASID_MAX) {
            return sbi_err(SBI_ERR_INVALID_PARAM);
        }
        return sbi_err(sbi_fence_range(c->args[2], c->args[3], (long)c->args[4]));
    }
}

const struct sbi_ext sbi_ext_rfence = {
    .name = "rfence",
    .eid_start = SBI_EXT_RFENCE,
    .eid_end = SBI_EXT_RFENCE,
    .handle = rfence_handle,
};
