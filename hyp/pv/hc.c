// SPDX-License-Identifier: MIT
// Hypercall dispatch and the calls that need no state: probe, null, machine offset, TLB flush.
#include "pv/pv.h"

#include <arch/arch.h>

#include "budget.h"
#include "guest_mem.h"
#include "hvabi.h"
#include "mm.h"
#include "sbi/hartmask.h"
#include "sbi/sbi.h"
#include "vm.h"

long hc_tlb_flush(struct vcpu *v, const uint64_t *args)
{
    uint64_t targets;
    long err = sbi_hart_mask(args[4], args[5], v->vm->nvcpus, &targets);
    long asid = args[3] == ~0ull ? -1 : (long)args[3];

    if (err != SBI_SUCCESS) {
        return err;
    }
    if (args[3] != ~0ull && args[3] > 0xffff) {
        return SBI_ERR_INVALID_PARAM;
    }
    /* A local flush of the VM's VMID, and the same on the other harts its named vCPUs run on. */
    switch (args[0]) {
    case HV_FLUSH_ALL:
        return sbi_fence_range(v->vm, targets, 0, ~0ul, -1);
    case HV_FLUSH_ASID:
        if (asid < 0) {
            return SBI_ERR_INVALID_PARAM;
        }
        return sbi_fence_range(v->vm, targets, 0, ~0ul, asid);
    case HV_FLUSH_RANGE:
        return sbi_fence_range(v->vm, targets, args[1], args[2], asid);
    default:
        return SBI_ERR_INVALID_PARAM;
    }
}

long hc_vcpu_page(struct vcpu *v, uint64_t gpa)
{
    /* A whole page of the guest's RAM (the engine refuses one the validator holds as a table). */
    if (!vcpu_arch_has_vcpu_page()) {
        return SBI_ERR_NOT_SUPPORTED;
    }
    if (gpa & (PAGE_SIZE - 1)) {
        return SBI_ERR_INVALID_PARAM;
    }
    if (gpa && !guest_ram_ptr(v->vm, gpa, PAGE_SIZE)) {
        return SBI_ERR_INVALID_ADDRESS;
    }
    return vcpu_arch_set_vcpu_page(v, gpa);
}

long hc_exit_call(struct vcpu *v, uint64_t fid, const uint64_t *args, uint64_t *value)
{
    struct hc_budget b = { EXIT_BUDGET, false };
    long err = hc_call(v, fid, args, value, HC_ALONE, &b);

    pv_exit_done(v->vm);
    return err;
}

long hc_call(struct vcpu *v, uint64_t fid, const uint64_t *args, uint64_t *value,
             enum hc_place where, struct hc_budget *b)
{
    *value = 0;
    switch (fid) {
    case HV_FID_PROBE:
        *value = ((uint64_t)HV_ABI_VERSION << 32) | HV_FEAT_MMU | HV_FEAT_MULTICALL |
                 (arch_engine_trap ? HV_FEAT_USER_ROOT : HV_FEAT_STAGE2) |
                 HV_FEAT_DBCN_BATCH | (v->vm->disk.kind != BLK_NONE ? HV_FEAT_BLK : 0) |
                 (vcpu_arch_has_vcpu_page() ? HV_FEAT_VCPU_PAGE : 0) |
                 (vcpu_arch_has_tables_fenced() ? HV_FEAT_TABLES_FENCED : 0) |
                 (vcpu_arch_has_tables_batched() ? HV_FEAT_TABLES_BATCHED : 0);
        return SBI_SUCCESS;
    case HV_FID_NULL:
        return SBI_SUCCESS;
    case HV_FID_MACHINE_OFFSET:
        /* With G-stage translation, the addresses in the guest's page tables are guest physical; on
         * the trap engine the hardware walks them, so they are host physical. */
        *value = pv_machine_offset(v->vm);
        return SBI_SUCCESS;
    case HV_FID_MMU_UPDATE:
        if (args[2] == HV_MMU_SHADOWED) {
            return hc_mmu_update_shadowed(v, args[0], args[1], args[3], value, b);
        }
        return args[2] ? SBI_ERR_INVALID_PARAM : hc_mmu_update(v, args[0], args[1], value, b);
    case HV_FID_PIN_TABLE:
        return hc_pin(v, args[0], value, b);
    case HV_FID_UNPIN_TABLE:
        return hc_unpin(v, args[0], value, b);
    case HV_FID_SET_ROOT:
        /* Inside a multicall the vCPU's context stays what it was for the whole batch (XSA-213):
         * a root switch is allowed only once every other call of the batch is done. */
        if (where == HC_IN_BATCH) {
            return SBI_ERR_DENIED;
        }
        return args[2] == HV_ROOT_SHADOWED ? hc_set_shadow_root(v, args[0], args[1])
                                           : hc_set_root(v, args[0], args[1], args[2]);
    case HV_FID_TLB_FLUSH:
        return hc_tlb_flush(v, args);
    case HV_FID_MULTICALL:
        return where != HC_ALONE ? SBI_ERR_DENIED : hc_multicall(v, args[0], args[1], value, b);
    case HV_FID_BLK_SUBMIT:
        return hc_blk_submit(v, args[0], args[1], value, b);
    case HV_FID_BLK_CTL:
        return hc_blk_ctl(v, args[0], value);
    case HV_FID_VCPU_PAGE:
        return where != HC_ALONE ? SBI_ERR_DENIED : hc_vcpu_page(v, args[0]);
    case HV_FID_TRAP_RETURN:
        /* Alone it never reaches here (sbi_hv.c): a return from the middle of a batch is not one. */
        return SBI_ERR_DENIED;
    case HV_FID_IRQ_CHECK:
        /* The point is the way back: interrupts pending and now unmasked are taken there. */
        return SBI_SUCCESS;
    case HV_FID_TABLES_FENCED:
        return vcpu_arch_tables_fenced(v);
    default:
        return SBI_ERR_NOT_SUPPORTED;
    }
}
