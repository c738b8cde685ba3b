// SPDX-License-Identifier: MIT
// Page-table hypercalls: batched validated updates, pin/unpin of table trees, root switch.
#include <arch/arch.h>

#include <string.h>

#include "budget.h"
#include "console.h"
#include "guest_mem.h"
#include "hvabi.h"
#include "hyp.h"
#include "pv/pv.h"
#include "sched.h"
#include "smp.h"
#include "vm.h"

/* Entries read from the guest at a time: each is read exactly once, into hypervisor memory, so a
 * guest changing its array meanwhile cannot make us check one value and use another. */
#define CHUNK 32

/* Chunks line up with superpages only on a 2 MiB aligned base (ptval.h). */
_Static_assert(VM_RAM_BASE % (512 * PAGE_SIZE) == 0, "guest RAM 2 MiB aligned");
/* Results of cut calls are kept per vCPU (its id is the owner). */
_Static_assert(VCPU_MAX <= PTVAL_OWNERS, "a result slot for every vCPU");

uint64_t pv_machine_offset(const struct vm *vm)
{
    return arch_engine_trap ? vm->ram_hpa - VM_RAM_BASE : 0;
}

static uint64_t *frame_ptr(void *ctx, uint64_t maddr)
{
    return guest_ram_ptr(ctx, maddr - pv_machine_offset(ctx), PAGE_SIZE);
}

static void flush_guest(void *ctx)
{
    struct vm *vm = ctx;
    uint64_t others = smp_other_harts(vm);

    /* The caller's VM is the one loaded on this hart. Its vCPUs elsewhere may hold the translations
     * too: before a frame once mapped writable is validated as a table (XSA-217), their harts have
     * flushed (the firmware's call returns when they have). */
    vcpu_arch_flush_vvma(0, ~0ull, -1);
    if (others && vcpu_arch_remote_flush_vvma(others, 0, ~0ull, -1) != 0) {
        hyp_panic("the firmware refused a remote fence to harts 0x%lx", (unsigned long)others);
    }
}

/* The validator's tables, made on the guest's first page-table calls: a guest that never makes
 * one pays nothing. They take 20 bytes per 4 KiB of guest RAM, zeroed here a budget's worth per
 * exit (a 128 MiB guest's half a MiB would hold one exit for 300,000 instructions): until they are
 * ready a call answers PTVAL_AGAIN, having done nothing else. SBI_ERR_FAILED: no memory for them. */
static long mmu(struct vm *vm, struct hc_budget *b, struct ptval **pv)
{
    struct pv_mmu *m = &vm->mmu;

    *pv = &m->val;
    if (m->ready) {
        return SBI_SUCCESS;
    }
    uint64_t n = vm->ram_size / PAGE_SIZE, bytes = ptval_mem_bytes(n);
    if (!m->table_pa) {
        m->table_frames = (bytes + PAGE_SIZE - 1) / PAGE_SIZE;
        m->table_pa = hyp_alloc_frames_unzeroed(m->table_frames, PAGE_SIZE);
        vm->frames_held += m->table_pa ? m->table_frames : 0; /* vm_alloc_frames' count, unzeroed */
        m->cleared = 0;
        if (!m->table_pa) {
            return SBI_ERR_FAILED;
        }
    }
    uint64_t room = b->left * BYTES_PER_UNIT;
    uint64_t take = bytes - m->cleared < room ? bytes - m->cleared : room;
    memset((uint8_t *)(uintptr_t)m->table_pa + m->cleared, 0, take);
    m->cleared += take;
    b->left -= (take + BYTES_PER_UNIT - 1) / BYTES_PER_UNIT;
    if (m->cleared < bytes) {
        b->cut = true;
        return PTVAL_AGAIN;
    }
    /* On the trap engine validated tables map RAM for the hardware directly: no fault will clear a
     * page on first use there, so all of RAM is cleared first (guest_mem.h), a budget per call. */
    if (arch_engine_trap && !guest_ram_clear_all(vm, &b->left)) {
        b->cut = true;
        return PTVAL_AGAIN;
    }
    const struct ptval_ops ops = { frame_ptr, flush_guest, vm };
    ptval_init(&m->val, &ops, VM_RAM_BASE + pv_machine_offset(vm), n,
               (void *)(uintptr_t)m->table_pa);
    /* On the trap engine the hardware walks validated tables while the guest kernel runs in
     * U-mode, and root slot 511 is the hypervisor's (its alias): written at pin, refused to the
     * guest, removed at unpin. */
    if (arch_engine_trap) {
        m->val.reserved_slot = ARCH_RESERVED_ROOT_SLOT;
        m->val.reserved_entry = arch_reserved_root_entry();
    }
    m->ready = true;
    return SBI_SUCCESS;
}

void pv_release(struct vm *vm)
{
    /* The hypervisor's entry in slot 511 of pinned roots goes too: their frames are plain guest
     * RAM from now on, and it would tell the guest where the hypervisor's tables are. */
    if (vm->mmu.ready && vm->mmu.val.reserved_slot != PTVAL_NO_SLOT && vm->ram_hpa) {
        for (uint64_t f = 0; f < vm->mmu.val.nframes; f++) {
            if (vm->mmu.val.frames[f].pinned) {
                frame_ptr(vm, vm->mmu.val.base + f * PAGE_SIZE)[vm->mmu.val.reserved_slot] = 0;
            }
        }
    }
    if (vm->mmu.table_pa) {
        vm_free_frames(vm, vm->mmu.table_pa, vm->mmu.table_frames);
        vm->mmu.table_pa = 0;
    }
    vm->mmu.ready = false;
}

void pv_vcpu_reset(struct vcpu *v)
{
    if (v->vm->mmu.ready) {
        ptval_forget(&v->vm->mmu.val, v->id);
    }
    /* A block request its last life left on the host disk would otherwise wait for it for ever. */
    if (v->vm->blk_wait.busy && v->vm->blk_wait.vcpu == v->id) {
        hc_blk_cancel(v->vm);
    }
}

void pv_exit_done(struct vm *vm)
{
    struct ptval *pv = vm->mmu.ready ? &vm->mmu.val : (struct ptval *)0;

    if (!pv) {
        return;
    }
    /* Unmaps and downgrades are visible to every vCPU before the guest runs again. */
    ptval_flush_if_pending(pv);
    /* Frames that just became tables (even of a walk still in progress) may be writable in a shadow
     * tree, or protected there with their stores carried out by the engine (trap engine): every
     * tree of the VM goes, once per exit however many calls it made. */
    if (pv->retyped) {
        pv->retyped = false;
        vcpu_arch_tables_retyped();
    }
}

enum mmu_op { OP_UPDATE, OP_ZERO, OP_PIN, OP_UNPIN };

/* Runs a validator call within the exit's budget. PTVAL_AGAIN (the budget ran out) is no error for
 * the guest: the call did less than asked, and says so. */
static long within(struct ptval *pv, struct hc_budget *b, enum mmu_op op, unsigned who, uint64_t a,
                   uint64_t val)
{
    pv->budget = b->left;
    long err = op == OP_UPDATE ? ptval_update(pv, who, a, val)
               : op == OP_ZERO ? ptval_zero(pv, a)
               : op == OP_PIN  ? ptval_pin(pv, who, a)
                               : ptval_unpin(pv, who, a);
    b->left = pv->budget;
    if (err == PTVAL_AGAIN) {
        b->cut = true;
    }
    return err;
}

long hc_mmu_update(struct vcpu *v, uint64_t gpa, uint64_t count, uint64_t *done,
                   struct hc_budget *b)
{
    struct hv_mmu_update buf[CHUNK];
    struct ptval *pv;

    *done = 0;
    /* Long batches are cut: the guest calls again for the rest, and the hart is not held too long. */
    uint64_t n = count < HV_MMU_BATCH_MAX ? count : HV_MMU_BATCH_MAX;
    /* The whole array the guest named must be in its RAM; count * size cannot overflow (bounded). */
    uint64_t hpa;
    if (count > (1ull << 40) || (gpa & 7) || !guest_ram_range(v->vm, gpa, count * sizeof(buf[0]), &hpa)) {
        return SBI_ERR_INVALID_ADDRESS;
    }
    long err = mmu(v->vm, b, &pv);
    if (err != SBI_SUCCESS) {
        return err == PTVAL_AGAIN ? SBI_SUCCESS : err;
    }
    const struct hv_mmu_update *src = guest_ram_ptr(v->vm, gpa, n * sizeof(buf[0]));
    while (*done < n && err == SBI_SUCCESS) {
        uint64_t k = n - *done < CHUNK ? n - *done : CHUNK;
        for (uint64_t i = 0; i < k; i++) {
            buf[i] = src[*done + i];
        }
        for (uint64_t i = 0; i < k && err == SBI_SUCCESS; i++) {
            uint64_t where = buf[i].ptr & ~HV_MMU_CMD_MASK, val = buf[i].val;
            switch (buf[i].ptr & HV_MMU_CMD_MASK) {
            case HV_MMU_PTE:
                /* Trap engine: the hardware walks validated tables in U-mode, so leaves become
                 * user-accessible (user mode is kept apart by a root of its own). */
                if (arch_engine_trap && (val & PV_PTE_V) &&
                    (val & (PV_PTE_R | PV_PTE_W | PV_PTE_X))) {
                    val |= PV_PTE_U;
                }
                err = within(pv, b, OP_UPDATE, v->id, where, val);
                break;
            case HV_MMU_ZERO:
                err = within(pv, b, OP_ZERO, v->id, where, 0);
                break;
            default:
                err = SBI_ERR_INVALID_PARAM;
                break;
            }
            *done += err == SBI_SUCCESS;
        }
    }
    if (err == PTVAL_AGAIN) {
        return SBI_SUCCESS; /* *done entries are done; the entry after them is under way or waits */
    }
    if (err == SBI_SUCCESS && *done < count) {
        b->cut = true;
    }
    return err;
}

/* PIN and UNPIN do one thing: *done is 1 when it is done, 0 when the guest must call again. */
long hc_pin(struct vcpu *v, uint64_t root, uint64_t *done, struct hc_budget *b)
{
    struct ptval *pv;

    *done = 0;
    long err = mmu(v->vm, b, &pv);
    if (err != SBI_SUCCESS) {
        return err == PTVAL_AGAIN ? SBI_SUCCESS : err;
    }
    err = within(pv, b, OP_PIN, v->id, root, 0);
    if (err == PTVAL_AGAIN) {
        return SBI_SUCCESS;
    }
    *done = err == SBI_SUCCESS;
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

long hc_unpin(struct vcpu *v, uint64_t root, uint64_t *done, struct hc_budget *b)
{
    struct ptval *pv;

    *done = 0;
    /* A tree the hardware walks keeps its types: once unpinned it could become writable. */
    if (root_in_use(v->vm, root)) {
        return SBI_ERR_DENIED;
    }
    long err = mmu(v->vm, b, &pv);
    if (err != SBI_SUCCESS) {
        return err == PTVAL_AGAIN ? SBI_SUCCESS : err;
    }
    err = within(pv, b, OP_UNPIN, v->id, root, 0);
    if (err == PTVAL_AGAIN) {
        return SBI_SUCCESS;
    }
    *done = err == SBI_SUCCESS;
    return err;
}

long hc_set_root(struct vcpu *v, uint64_t root, uint64_t asid, uint64_t user_root)
{
    const struct ptval *pv = &v->vm->mmu.val;

    if (asid > 0xffff) {
        return SBI_ERR_INVALID_PARAM;
    }
    /* Only a validated tree may become a vCPU's address space (none is before the tables exist). */
    if (!v->vm->mmu.ready || !ptval_is_pinned_root(pv, root) ||
        (user_root && !ptval_is_pinned_root(pv, user_root))) {
        return SBI_ERR_DENIED;
    }
    vcpu_arch_set_root(v, (8ull << 60) | (asid << 44) | (root >> 12), user_root);
    return SBI_SUCCESS;
}
