// SPDX-License-Identifier: MIT
// The trap engine and the guest's own page tables (shadowed: arch/shadow.h): its stores to the tables
// the shadow protects, carried out here; its promise to fence the last-level tables of its user space
// (HV_FID_TABLES_FENCED), which ends their protection; the batches of updates that stand for its fences
// (HV_MMU_SHADOWED) and its root switches by hypercall; and the pages its fences and returns make the
// engine fill ahead of the access that follows.
#include <arch/arch.h>
#include <arch/csr.h>
#include <arch/memop.h>
#include <arch/shadow.h>
#include <arch/vcpu_arch.h>

#include "exit.h"
#include "guest_mem.h"
#include "hvabi.h"
#include "hyp.h"
#include "tengine_int.h"
#include "vm.h"

/* An SC into a shadowed table cannot see the reservation its LR made (the LR was a plain load):
 * it fails when any store into the VM's shadowed tables was carried out since this vCPU's previous
 * SC, which covers every store between its LR and this SC (each is emulated here, under the VM's lock
 * when its vCPUs run on several harts), and stores by another vCPU while this one was switched out. */
static bool sc_must_fail(struct vcpu *v)
{
    uint64_t stores = v->vm->tv_table_stores;
    bool fail = v->arch.tv.sc_seen != stores;

    v->arch.tv.sc_seen = stores;
    return fail;
}

/* Whether some vCPU of the VM runs on the guest root at gpa (or on a root not known). */
static bool root_in_use(struct vm *vm, uint64_t root)
{
    for (unsigned i = 0; i < vm->nvcpus; i++) {
        const struct shadow *s = &vm->vcpus[i].arch.tv.sh;
        uint64_t key = s->space[s->cur].key;
        if (vm->vcpus[i].arch.tv.frames &&
            (key == SHADOW_NO_KEY || (key & SATP_PPN_MASK) == root >> 12)) {
            return true;
        }
    }
    return false;
}

/* A store into a root no vCPU runs on: Linux building a new process's root (often in a frame that
 * was an earlier process's root), or tearing one down. The trees made from it go, and it stops being
 * protected, so that the rest of its stores are plain ones; a switch to it builds afresh. */
static bool forget_idle_root(struct vm *vm, uint64_t root)
{
    struct shadow_ops o = tv_ops_for(vm);

    for (unsigned i = 0; i < vm->nvcpus; i++) {
        if (vm->vcpus[i].arch.tv.frames) {
            shadow_drop_match(&vm->vcpus[i].arch.tv.sh, &o, SATP_PPN_MASK, root >> 12, false, 0);
        }
    }
    return shadow_forget_root(&vm->shadow, root);
}

/* The hypervisor has just stored now over old at gpa, in a table the trees were built from (protected):
 * what the entry mapped is forgotten in every tree of the VM. True when that took every tree. */
static bool table_stored(struct vcpu *v, uint64_t gpa, uint64_t old, uint64_t now)
{
    uint64_t va;
    unsigned level;
    struct shadow_ops o = tv_ops_for(v->vm);
    bool span = shadow_table_written(&v->vm->shadow, gpa, &va, &level) &&
                shadow_entry_changed(&v->vm->shadow, &o, old, now, va, level);
    if (span && level == 2 && !root_in_use(v->vm, gpa & ~4095ull)) {
        span = forget_idle_root(v->vm, gpa & ~4095ull);
    }
    /* A valid last-level leaf just written: a fence of its page next is Linux installing it. */
    v->arch.tv.installed_va = span && level == 0 && (now & 1) && (now & 0xe) ? va : ~0ull;
    if (span && level == 2) {
        /* A root's entry: only the spaces on that root made anything from it (an idle root's are
         * empty already). Every process's user half and kernel half are 1 GiB entries of its own
         * root: dropping them everywhere would make every other process refill its shadow. */
        tv_drop_vm_root_entry(v->vm, gpa & ~4095ull, va);
    } else if (span) {
        tv_drop_vm_span(v->vm, va, level, false);
        /* Stores after stores to one table, none of them used: the guest rewrites the table (an
         * unmap, a fork's write-protection). Unprotected, its next stores are plain ones. */
        if (shadow_table_flooded(&v->vm->shadow, gpa, &va, &level)) {
            tv_drop_vm_span(v->vm, va, level, false);
        }
    } else {
        tv_drop_vm_shadows(v->vm, 0, true);
    }
    return !span;
}

/* A guest store to one of its own page tables (write-protected while shadowed): carried out here,
 * then what the entry mapped is forgotten in every tree of the VM. */
void tv_table_write(struct vcpu *v, uint64_t gpa)
{
    struct vcpu_arch *a = &v->arch;
    uint32_t raw = 0;
    struct mem_op op;

    bool decoded = tv_read_insn(v, a->regs.sepc, &raw) && mem_op_decode(raw, &op);
    if (decoded && op.kind == MEM_SC && sc_must_fail(v)) {
        /* A store into the VM's tables since this vCPU's last SC may have been to the reserved
         * word, between its LR (a plain load, not seen) and this SC. The SC fails (rd = 1, nothing
         * stored) and the guest's LR/SC loop reads again; a retry with no store between succeeds. */
        vcpu_arch_set_reg(a, op.rd, 1);
        a->regs.sepc += op.len;
        a->scause = EXIT_TABLE_WRITE;
        a->tv.exit_done = true;
        return;
    }
    uint64_t *word = guest_ram_ptr(v->vm, gpa & ~7ull, 8);
    uint64_t old = word ? *word : 0;
    if (!decoded || !mem_op_apply(&op, a, word, gpa & 7)) {
        vm_fault(v->vm, "a store to its page table at 0x%lx by an instruction that cannot be emulated "
                        "(0x%08x at pc 0x%lx)", (unsigned long)gpa, raw, (unsigned long)a->regs.sepc);
        return;
    }
    /* Its own successful SC is no conflict for its next one. */
    v->vm->tv_table_stores++;
    if (op.kind == MEM_SC) {
        a->tv.sc_seen = v->vm->tv_table_stores;
    }
    (void)table_stored(v, gpa, old, *word);
    a->regs.sepc += op.len;
    a->scause = EXIT_TABLE_WRITE;
    a->tv.exit_done = true;
}

void tv_refill(struct vcpu *v)
{
    struct vcpu_arch *a = &v->arch;
    uint64_t va = a->tv.refill_va;

    /* The guest kernel installs the entry its user code faulted on and returns to it without a fence
     * (it needs none: the trees keep nothing of an invalid entry). The retried access would fill it
     * in an exit of its own; it is filled now, as a speculative walk may (tv_prefill). */
    if (!va || a->tv.vmode) {
        return;
    }
    a->tv.refill_va = 0;
    tv_prefill(v, va);
    /* The fill may have taken leaves from other pages too (a frame that became a table, a full
     * pool): the short path goes back into the guest without trap.S's entry fence, so fence here. */
    if (a->tv.sh.fence) {
        a->tv.sh.fence = false;
        __asm__ volatile("sfence.vma" ::: "memory");
    } else {
        __asm__ volatile("sfence.vma %0, zero" : : "r"(va) : "memory");
    }
}

long tv_tables_fenced(struct vcpu *v)
{
    /* Only ever from false to true while the VM runs: a walk that saw either value protected what
     * that value asked for, and a table protected before stays so until it is forgotten. */
    v->vm->shadow.fenced_lower = true;
    return SBI_SUCCESS;
}

/* A batch entry the hypervisor carried out (HV_MMU_SHADOWED). Into a protected table it is what a
 * trapped store would have been. Elsewhere (a last-level table the walks left unprotected under the
 * fence promise) the caller drops the page the guest says the entry maps (tv_drop_pages), as the
 * fence Linux would otherwise make drops it: a guest that names the wrong page keeps stale
 * translations of its own memory, as one that does not fence does. */
int tv_table_updated(struct vcpu *v, uint64_t gpa, uint64_t old, uint64_t now)
{
    struct vm *vm = v->vm;

    vm->tv_table_stores++; /* an SC into the tables must see it (sc_must_fail) */
    if (!shadow_wp_find(&vm->shadow, gpa)) {
        return ARCH_TABLE_UNPROTECTED;
    }
    return table_stored(v, gpa, old, now) ? ARCH_TABLE_ALL_DROPPED : ARCH_TABLE_FOLLOWED;
}

void tv_drop_pages(struct vcpu *v, uint64_t root, uint64_t lo, uint64_t hi)
{
    struct vm *vm = v->vm;
    struct shadow_ops o = tv_ops_for(vm);

    for (unsigned i = 0; i < vm->nvcpus; i++) {
        if (vm->vcpus[i].arch.tv.frames) {
            shadow_drop_pages(&vm->vcpus[i].arch.tv.sh, &o, root, lo, hi);
        }
    }
}

/* A satp write, emulated (tpriv.c) or by hypercall (HV_ROOT_SHADOWED): the trees kept for that space,
 * if any. It leaves paravirtual direct paging: the tables it names are walked. */
void tv_set_shadow_root(struct vcpu *v, uint64_t satp)
{
    struct vcpu_arch *a = &v->arch;
    struct shadow_ops o = tv_ops_for(v->vm);

    a->vs.vsatp = satp;
    a->tv.direct_root = a->tv.direct_user_root = 0;
    shadow_switch(&a->tv.sh, &o, satp);
}

/* The ABI promises the group the shadow fills around a page. */
_Static_assert(HV_FILL_AROUND == SHADOW_AROUND, "HV_FILL_AROUND is the shadow's fill-around group");

void tv_prefill(struct vcpu *v, uint64_t va)
{
    struct vcpu_arch *a = &v->arch;
    struct shadow_env e;
    uint64_t gpa;

    /* Linux fences a page right after it installs it (update_mmu_cache), from its kernel, for the
     * user code that faulted: only a lower-half page, filled for the user view. Speculative walks
     * set A, never D (supervisor chapter, "Address translation"): a load's fill, W only where D is
     * set already. Whatever the walk finds, nothing is raised; the fill is bounded as any other.
     * Where the guest writes those tables without trapping (fenced_lower), every fence of one of
     * its pages may be such an install: the engine saw no store to tell. */
    if (a->tv.direct_root || (va >> 38) != 0 ||
        ((va & ~4095ull) != a->tv.installed_va && !v->vm->shadow.fenced_lower)) {
        return;
    }
    a->tv.installed_va = ~0ull;
    (void)tv_env_of(v, &e);
    if (e.bare) {
        return;
    }
    /* Where the tables' stores trap, the engine saw which entry the guest wrote, this one; where they
     * do not, a kernel that maps a group of pages on a fault (HV_FILL_AROUND) may have written its
     * neighbours too. */
    e.around = v->vm->shadow.fenced_lower;
    struct shadow_ops o = tv_ops_for(v->vm);
    (void)shadow_fill(&a->tv.sh, &o, &e, SHADOW_USER, va, SHADOW_LOAD, &gpa);
}
