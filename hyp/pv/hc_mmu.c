// SPDX-License-Identifier: MIT
// Page-table hypercalls: batched validated updates, pin/unpin of table trees, root switch.
#include <arch/arch.h>

#include "guest_mem.h"
#include "hvabi.h"
#include "hyp.h"
#include "pv/pv.h"
#include "sched.h"
#include "vm.h"

/* Entries read from the guest at a time: each is read exactly once, into hypervisor memory, so a
 * guest changing its array meanwhile cannot make us check one value and use another. */
#define CHUNK 32

/* Chunks line up with superpages only on a 2 MiB aligned base (ptval.h). */
_Static_assert(VM_RAM_BASE % (512 * PAGE_SIZE) == 0, "guest RAM 2 MiB aligned");
_Static_assert(sizeof(struct pt_frame) % _Alignof(struct pt_chunk) == 0, "chunks after frames");

static uint64_t *frame_ptr(void *ctx, uint64_t maddr)
{
    return guest_ram_ptr(ctx, maddr, PAGE_SIZE);
}

static void flush_guest(void *ctx)
{
    (void)ctx;
    /* The caller's VM is the one loaded on this hart, and every vCPU of it runs here. */
    vcpu_arch_flush_vvma(0, ~0ull, -1);
}

/* The frame table and the chunk table after it, made on the first page-table call: a guest that
 * never makes one pays nothing. */
static struct ptval *mmu(struct vm *vm)
{
    struct pv_mmu *m = &vm->mmu;

    if (!m->ready) {
        uint64_t n = vm->ram_size / PAGE_SIZE;
        uint64_t nchunks = (n + 511) / 512;
        uint64_t frames_bytes = n * sizeof(struct pt_frame);
        uint64_t bytes = frames_bytes + nchunks * sizeof(struct pt_chunk);
        m->table_frames = (bytes + PAGE_SIZE - 1) / PAGE_SIZE;
        m->table_pa = hyp_alloc_frames(m->table_frames, PAGE_SIZE); /* zeroed */
        if (!m->table_pa) {
            return (struct ptval *)0;
        }
        const struct ptval_ops ops = { frame_ptr, flush_guest, vm };
        ptval_init(&m->val, &ops, VM_RAM_BASE, n, (struct pt_frame *)(uintptr_t)m->table_pa,
                   (struct pt_chunk *)(uintptr_t)(m->table_pa + frames_bytes));
        m->ready = true;
    }
    return &m->val;
}

void pv_release(struct vm *vm)
{
    if (vm->mmu.ready) {
        hyp_free_frames(vm->mmu.table_pa, vm->mmu.table_frames);
        vm->mmu.ready = false;
    }
}

long hc_mmu_update(struct vcpu *v, uint64_t gpa, uint64_t count, uint64_t *done)
{
    struct ptval *pv = mmu(v->vm);
    struct hv_mmu_update buf[CHUNK];
    long err = SBI_SUCCESS;

    *done = 0;
    if (!pv) {
        return SBI_ERR_FAILED;
    }
    /* Long batches are cut: the guest calls again for the rest, and the hart is not held too long. */
    uint64_t n = count < HV_MMU_BATCH_MAX ? count : HV_MMU_BATCH_MAX;
    /* The whole array the guest named must be in its RAM; count * size cannot overflow (bounded). */
    if (count > (1ull << 40) || (gpa & 7) || !guest_ram_ptr(v->vm, gpa, count * sizeof(buf[0]))) {
        return SBI_ERR_INVALID_ADDRESS;
    }
    const struct hv_mmu_update *src = guest_ram_ptr(v->vm, gpa, n * sizeof(buf[0]));
    while (*done < n && err == SBI_SUCCESS) {
        uint64_t k = n - *done < CHUNK ? n - *done : CHUNK;
        for (uint64_t i = 0; i < k; i++) {
            buf[i] = src[*done + i];
        }
        for (uint64_t i = 0; i < k && err == SBI_SUCCESS; i++) {
            uint64_t where = buf[i].ptr & ~HV_MMU_CMD_MASK;
            switch (buf[i].ptr & HV_MMU_CMD_MASK) {
            case HV_MMU_PTE:
                err = ptval_update(pv, where, buf[i].val);
                break;
            case HV_MMU_ZERO:
                err = ptval_zero(pv, where);
                break;
            default:
                err = SBI_ERR_INVALID_PARAM;
                break;
            }
            *done += err == SBI_SUCCESS;
        }
    }
    /* Unmaps and downgrades are visible to every vCPU before the guest runs again. */
    ptval_flush_if_pending(pv);
    return err;
}

long hc_pin(struct vcpu *v, uint64_t root)
{
    struct ptval *pv = mmu(v->vm);

    if (!pv) {
        return SBI_ERR_FAILED;
    }
    long err = ptval_pin(pv, root);
    ptval_flush_if_pending(pv);
    return err;
}

/* True when some vCPU of the VM has root in its satp. */
static bool root_in_use(struct vm *vm, uint64_t root)
{
    for (unsigned i = 0; i < vm->nvcpus; i++) {
        uint64_t satp = vcpu_arch_get_satp(&vm->vcpus[i]);
        if ((satp >> 60) != 0 && ((satp & ((1ull << 44) - 1)) << 12) == root) {
            return true;
        }
    }
    return false;
}

long hc_unpin(struct vcpu *v, uint64_t root)
{
    struct ptval *pv = mmu(v->vm);

    if (!pv) {
        return SBI_ERR_FAILED;
    }
    /* A tree the hardware walks keeps its types: once unpinned it could become writable. */
    if (root_in_use(v->vm, root)) {
        return SBI_ERR_DENIED;
    }
    long err = ptval_unpin(pv, root);
    ptval_flush_if_pending(pv);
    return err;
}

long hc_set_root(struct vcpu *v, uint64_t root, uint64_t asid)
{
    struct ptval *pv = mmu(v->vm);

    if (!pv) {
        return SBI_ERR_FAILED;
    }
    if (asid > 0xffff) {
        return SBI_ERR_INVALID_PARAM;
    }
    /* Only a validated tree may become a vCPU's address space. */
    if (!ptval_is_pinned_root(pv, root)) {
        return SBI_ERR_DENIED;
    }
    vcpu_arch_set_satp(v, (8ull << 60) | (asid << 44) | (root >> 12));
    return SBI_SUCCESS;
}
