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

uint64_t pv_machine_offset(const struct vm *vm)
{
    return arch_engine_trap ? vm->ram_hpa - VM_RAM_BASE : 0;
}

static uint64_t *frame_ptr(void *ctx, uint64_t maddr)
{
    return guest_ram_ptr(ctx, maddr - pv_machine_offset(ctx), PAGE_SIZE);
}

/* The type the validator gave the frame holding maddr (PT_NONE outside the guest's RAM). */
static unsigned frame_type(const struct ptval *pv, uint64_t maddr)
{
    if (maddr < pv->base || (maddr - pv->base) / PAGE_SIZE >= pv->nframes) {
        return PT_NONE;
    }
    return pv->frames[(maddr - pv->base) / PAGE_SIZE].type;
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
        m->table_pa = vm_alloc_frames(vm, m->table_frames, PAGE_SIZE); /* zeroed */
        if (!m->table_pa) {
            return (struct ptval *)0;
        }
        const struct ptval_ops ops = { frame_ptr, flush_guest, vm };
        ptval_init(&m->val, &ops, VM_RAM_BASE + pv_machine_offset(vm), n, (struct pt_frame *)(uintptr_t)m->table_pa,
                   (struct pt_chunk *)(uintptr_t)(m->table_pa + frames_bytes));
        m->ready = true;
    }
    return &m->val;
}

void pv_release(struct vm *vm)
{
    /* The hypervisor's entry in slot 511 of pinned roots goes too: their frames are plain guest
     * RAM from now on, and it would tell the guest where the hypervisor's tables are. */
    if (vm->mmu.ready && arch_engine_trap && vm->ram_hpa) {
        for (uint64_t f = 0; f < vm->mmu.val.nframes; f++) {
            if (vm->mmu.val.frames[f].pinned) {
                frame_ptr(vm, vm->mmu.val.base + f * PAGE_SIZE)[ARCH_RESERVED_ROOT_SLOT] = 0;
            }
        }
    }
    if (vm->mmu.ready) {
        vm_free_frames(vm, vm->mmu.table_pa, vm->mmu.table_frames);
        vm->mmu.ready = false;
    }
}

/* On the trap engine the hardware walks validated tables while the guest kernel runs in U-mode:
 * leaves become user-accessible (user mode is kept apart by its own root), and root slot 511 is the
 * hypervisor's (its alias, written at pin). */
static long trap_engine_pte(const struct ptval *pv, uint64_t where, uint64_t *val)
{
    if (!arch_engine_trap) {
        return SBI_SUCCESS;
    }
    if (frame_type(pv, where) == PT_L2 && (where & (PAGE_SIZE - 1)) / 8 == ARCH_RESERVED_ROOT_SLOT) {
        return SBI_ERR_DENIED;
    }
    if ((*val & PV_PTE_V) && (*val & (PV_PTE_R | PV_PTE_W | PV_PTE_X))) {
        *val |= PV_PTE_U;
    }
    return SBI_SUCCESS;
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
                err = trap_engine_pte(pv, where, &buf[i].val);
                if (err == SBI_SUCCESS) {
                    err = ptval_update(pv, where, buf[i].val);
                }
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
    /* A frame an entry now points to may have just become a table (trap engine: its shadow
     * mappings must lose write access before the guest runs again). */
    if (*done > 0) {
        vcpu_arch_tables_retyped();
    }
    return err;
}

long hc_pin(struct vcpu *v, uint64_t root)
{
    struct ptval *pv = mmu(v->vm);

    if (!pv) {
        return SBI_ERR_FAILED;
    }
    uint64_t *slot = (uint64_t *)0;
    if (arch_engine_trap) {
        /* The hypervisor's entry goes in after validation, into a slot the guest left empty. */
        uint64_t *t = (root & (PAGE_SIZE - 1)) == 0 ? frame_ptr(v->vm, root) : (uint64_t *)0;
        if (!t) {
            return SBI_ERR_INVALID_ADDRESS;
        }
        slot = &t[ARCH_RESERVED_ROOT_SLOT];
        if (*slot != 0) {
            return ptval_is_pinned_root(pv, root) ? SBI_ERR_DENIED : SBI_ERR_INVALID_PARAM;
        }
    }
    long err = ptval_pin(pv, root);
    if (err == SBI_SUCCESS && slot) {
        *slot = arch_reserved_root_entry();
    }
    /* New tables may have been writable in a shadow tree until now (trap engine): drop them all. */
    if (arch_engine_trap && err == SBI_SUCCESS) {
        vcpu_arch_flush_vvma(0, ~0ull, -1);
    }
    ptval_flush_if_pending(pv);
    return err;
}

/* True when some vCPU of the VM translates with the tree at root. */
static bool root_in_use(struct vm *vm, uint64_t root)
{
    for (unsigned i = 0; i < vm->nvcpus; i++) {
        if (vcpu_arch_root_in_use(&vm->vcpus[i], root)) {
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
    uint64_t *t = (uint64_t *)0;
    if (arch_engine_trap && ptval_is_pinned_root(pv, root)) {
        t = frame_ptr(v->vm, root);
        t[ARCH_RESERVED_ROOT_SLOT] = 0; /* the validator never saw it */
    }
    long err = ptval_unpin(pv, root);
    if (err != SBI_SUCCESS && t) {
        t[ARCH_RESERVED_ROOT_SLOT] = arch_reserved_root_entry();
    }
    ptval_flush_if_pending(pv);
    return err;
}

long hc_set_root(struct vcpu *v, uint64_t root, uint64_t asid, uint64_t user_root)
{
    struct ptval *pv = mmu(v->vm);

    if (!pv) {
        return SBI_ERR_FAILED;
    }
    if (asid > 0xffff) {
        return SBI_ERR_INVALID_PARAM;
    }
    /* Only a validated tree may become a vCPU's address space. */
    if (!ptval_is_pinned_root(pv, root) || (user_root && !ptval_is_pinned_root(pv, user_root))) {
        return SBI_ERR_DENIED;
    }
    vcpu_arch_set_root(v, (8ull << 60) | (asid << 44) | (root >> 12), user_root);
    return SBI_SUCCESS;
}
