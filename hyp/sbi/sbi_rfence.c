// SPDX-License-Identifier: MIT
// SBI RFENCE extension (ext-rfence.adoc). After the hart mask is checked: a local fence for the VM's
// VMID, and the firmware's remote fences on the other harts that run a vCPU named (a VM spanning harts).
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

/* The harts, other than this one, that run a vCPU named in targets: a VM's vCPUs run on the hart
 * each was placed on, so its translations are cached there and nowhere else. */
static uint64_t remote_harts(const struct vm *vm, uint64_t targets)
{
    const struct pcpu *me = arch_this_cpu();
    uint64_t harts = 0;

    if (!vm->spans_harts) {
        return 0;
    }
    for (unsigned i = 0; i < vm->nvcpus; i++) {
        const struct pcpu *c = vm->vcpus[i].pcpu;
        if ((targets >> i) & 1 && c != me && c->hartid < 64) {
            harts |= 1ull << c->hartid;
        }
    }
    return harts;
}

long sbi_fence_range(struct vm *vm, uint64_t targets, unsigned long start, unsigned long size, long asid)
{
    /* The whole address space when start and size are 0, or size is all ones. */
    bool all = (start == 0 && size == 0) || size == ~0ul;

    if (!all && start + size < start) {
        return SBI_ERR_INVALID_ADDRESS;
    }
    /* Here: a local fence for the VM's VMID (loaded on this hart, as the caller's exit is). */
    vcpu_arch_flush_vvma(all ? 0 : start, all ? ~0ull : size, asid);
    /* Elsewhere: the firmware fences on those harts (hext: for the VMID in this hart's hgatp, the
     * caller's; trap engine: every ASID, the local call having dropped the range from every shadow
     * tree of the VM), and returns once they have (OpenSBI waits for every hart named). */
    uint64_t others = remote_harts(vm, targets);
    if (others && vcpu_arch_remote_flush_vvma(others, all ? 0 : start, all ? ~0ull : size, asid) != 0) {
        return SBI_ERR_FAILED;
    }
    return SBI_SUCCESS;
}

long sbi_fence_i(struct vm *vm, uint64_t targets)
{
    uint64_t others = remote_harts(vm, targets);

    vcpu_arch_fence_i();
    return others && arch_fw_remote_fence_i(others) != 0 ? SBI_ERR_FAILED : SBI_SUCCESS;
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
        return sbi_err(sbi_fence_i(v->vm, targets));
    case RFENCE_SFENCE_VMA:
        return sbi_err(sbi_fence_range(v->vm, targets, c->args[2], c->args[3], -1));
    default:
        if (c->args[4] > ASID_MAX) {
            return sbi_err(SBI_ERR_INVALID_PARAM);
        }
        return sbi_err(sbi_fence_range(v->vm, targets, c->args[2], c->args[3], (long)c->args[4]));
    }
}

const struct sbi_ext sbi_ext_rfence = {
    .name = "rfence",
    .eid_start = SBI_EXT_RFENCE,
    .eid_end = SBI_EXT_RFENCE,
    .handle = rfence_handle,
};
