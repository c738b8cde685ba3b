/* SPDX-License-Identifier: MIT */
/* Between the trap engine's two halves: tengine.c (hart, vCPU life cycle, entry, exits) and tmem.c
 * (guest memory: shadow trees, page faults, direct paging roots). */
#ifndef ARCH_TENGINE_INT_H
#define ARCH_TENGINE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <arch/csr.h>
#include <arch/shadow.h>
#include <arch/vcpu_arch.h>

struct pt_alloc;
struct vm;
struct vcpu;
struct vcpu_arch;

/* The engine's operations (arch/engine.h, trap_engine_ops in tengine.c). */
/* Builds the hypervisor's root and alias and moves the hart onto them. */
void tv_hart_init(void);
/* The root entry that maps the hypervisor's alias (slot 511 of every root the guest runs on). */
uint64_t tv_reserved_entry(void);
struct vm;
int tv_vm_create(struct vm *vm, const struct pt_alloc *alloc);
void tv_vm_destroy(struct vm *vm, const struct pt_alloc *alloc);
void tv_vm_reboot(struct vm *vm);
int tv_vcpu_create(struct vcpu *v, const struct pt_alloc *alloc);
void tv_vcpu_destroy(struct vcpu *v, const struct pt_alloc *alloc);
void tv_reset(struct vcpu *v, uint64_t entry, uint64_t a0, uint64_t a1);
void tv_unload(struct vcpu *v);
_Noreturn void tv_run(struct vcpu *v);
_Noreturn void tv_trap(struct vcpu_arch *a);
void tv_timer_check(struct vcpu *v, uint64_t now);
void tv_set_timer(struct vcpu *v, uint64_t deadline);
bool tv_read_insn(struct vcpu *v, uint64_t gva, uint32_t *insn);
bool tv_read_guest_u64(struct vcpu *v, uint64_t gva, uint64_t *val);
void tv_flush_vvma(uint64_t start, uint64_t size, long asid);
long tv_remote_flush_vvma(uint64_t harts, uint64_t start, uint64_t size, long asid);
long tv_remote_flush_vm(uint64_t harts, unsigned vmid);
void tv_tables_retyped(struct vcpu *loaded);
void tv_set_root(struct vcpu *v, uint64_t satp, uint64_t user_root);
bool tv_root_in_use(const struct vcpu *v, uint64_t root);


extern uint64_t tv_empty_root[512];
extern bool tv_asids;
#define TV_ASID_DIRECT 1ull
#define TV_ASID_SHADOW 2ull

static inline uint64_t tv_satp_of(uint64_t root)
{
    return (SATP_MODE_SV39 << SATP_MODE_SHIFT) | (root >> 12);
}

static inline uint64_t tv_satp_asid(uint64_t root, uint64_t asid)
{
    return tv_satp_of(root) | (tv_asids ? asid << SATP_ASID_SHIFT : 0);
}

/* Remembers a privileged instruction just emulated at pc, for the full path to patch before the
 * guest runs again (tv_patch_pending): patching writes guest memory, which the short path cannot
 * reach. Inline: the short path runs through the alias and calls nothing it need not. */
static inline void tv_want_patch(struct vcpu_arch *a, uint64_t pc, uint32_t insn)
{
    if (a->tv.nwant == TV_PATCH_WANT) {
        return;
    }
    for (unsigned i = 0; i < a->tv.nwant; i++) {
        if (a->tv.want_va[i] == pc) {
            return;
        }
    }
    a->tv.want_gpa[a->tv.nwant] = 0;
    a->tv.want_va[a->tv.nwant] = pc;
    a->tv.want_insn[a->tv.nwant++] = insn;
}

/* The shadow walker's callbacks for a VM. */
struct shadow_ops tv_ops_for(struct vm *vm);
/* Drops the page at va, or everything (and the record of protected tables), from every tree. */
/* After the guest fenced the page at va: maps it in the trees at once, as a speculative walk may
 * fill a TLB at any time (the access that follows a fence is usually near). */
void tv_prefill(struct vcpu *v, uint64_t va);
/* The regime the guest's current mode translates with, and the view it is seen through. */
enum shadow_view tv_env_of(const struct vcpu *v, struct shadow_env *e);
/* A guest store to one of its shadowed tables (SHADOW_TABLE_WRITE at gpa): carried out, and what the
 * entry mapped is forgotten in every tree of the VM. */
void tv_table_write(struct vcpu *v, uint64_t gpa);
long tv_tables_fenced(struct vcpu *v);
int tv_table_updated(struct vcpu *v, uint64_t gpa, uint64_t old, uint64_t now);
void tv_drop_pages(struct vcpu *v, uint64_t root, uint64_t lo, uint64_t hi);
void tv_set_shadow_root(struct vcpu *v, uint64_t satp);
/* On a return to the guest's user mode: fills the page of the user page fault forwarded last, if
 * any (a guest with fenced tables, HV_FID_TABLES_FENCED). */
void tv_refill(struct vcpu *v);
void tv_drop_vm_shadows(struct vm *vm, uint64_t va, bool all);
/* As tv_drop_vm_shadows, for the span of one guest entry at level (shadow_drop_span). */
void tv_drop_vm_span(struct vm *vm, uint64_t va, unsigned level, bool all);
/* The same for an entry of the guest root at root: only the spaces on that root (shadow_drop_root_entry). */
void tv_drop_vm_root_entry(struct vm *vm, uint64_t root, uint64_t va);
/* Drops every tree of v, and the record of protected tables when no tree of the VM is left. */
void tv_drop_all(struct vcpu *v);
/* A guest sfence.vma of every address, of every guest ASID (mask 0) or of one. */
void tv_drop_lower(struct vcpu *v, uint64_t asid_mask, uint64_t asid_value);
/* Chooses the root the hardware uses for the guest's current mode. */
void tv_select_root(struct vcpu *v);
/* A page fault of the guest (code: its scause). */
void tv_page_fault(struct vcpu *v, uint64_t code);
/* The guest physical address the guest's current regime executes va from, for its kernel. */
bool tv_translate_exec(struct vcpu *v, uint64_t va, uint64_t *gpa);
/* Patched privileged instructions (tpatch_vm.c, arch/tpatch.h). */
void tv_patch_pending(struct vcpu *v);
bool tv_patch_fault(struct vcpu *v, uint64_t addr, uint32_t *insn, bool *retry);
void tv_patch_dma(struct vm *vm, uint64_t gpa, uint64_t len);
void tv_patch_undo(struct vm *vm, uint64_t gpa);
void tv_patch_reset(struct vm *vm);
/* The vCPU page (tvpage.c): registration (an SBI error), the flag read at an exit's start and written
 * at its end, trap entry through it (priv_enter_trap, then the page), the return hypercall. */
long tv_set_vcpu_page(struct vcpu *v, uint64_t gpa);
void fp_arch_save(struct vcpu_fp *fp);

/* The hardware's sstatus.FS for entering the guest (its FS, Dirty kept while FP stays on): the
 * hardware runs the guest in U-mode with its FP state as the guest's sstatus.FS says (Off makes FP
 * instructions trap, and the guest sees them as illegal, as it would). FS Off keeps the FP state
 * (the guest may turn it on again and find it): what the hardware made dirty is saved before the
 * hardware loses the right to it, and regs.sstatus's FS follows. Inline: the short path's return
 * from a trap takes it too. */
static inline uint64_t tv_hw_fs(struct vcpu_arch *a)
{
    const uint64_t dirty = 3ull << 13;
    uint64_t fs = a->vs.vsstatus & SSTATUS_FS;

    if ((a->regs.sstatus & SSTATUS_FS) == dirty && !fs) {
        fp_arch_save(&a->fp);
        a->regs.sstatus &= ~SSTATUS_FS;
    }
    return (a->regs.sstatus & SSTATUS_FS) == dirty && fs ? dirty : fs;
}
void tv_vpage_in(struct vcpu *v);
void tv_vpage_out(struct vcpu *v);
/* After an exit the engine handled itself: whether it may go straight back into the guest
 * (treturn.c), and that way back (the exit is counted by the caller first). */
bool tv_may_return(struct vcpu *v);
_Noreturn void tv_return_quick(struct vcpu *v);
void tv_enter_trap(struct vcpu_arch *a, uint64_t cause, uint64_t tval);
long tv_trap_return(struct vcpu *v);
/* The short path's (tfast.c) system call of the guest's user code, and its kernel's return from a
 * trap, through the vCPU page: what tv_trap and tv_return_quick do for them, the exit accounting and
 * the root left out. On the hypervisor's root (the page is guest RAM). False, with nothing changed
 * but a registration found gone (as the full path would find it), when there is no page, or when the
 * return changes sstatus.MXR (every tree goes: the full path's work). */
bool tv_vpage_fast_syscall(struct vcpu *v);
bool tv_vpage_fast_return(struct vcpu *v);
/* Enters the guest's trap handler for one of its own traps. */
void tv_reflect(struct vcpu_arch *a, uint64_t cause, uint64_t tval);
/* A guest kernel's privileged instruction, stval holding it or 0 (tpriv.c); patched: it came from a
 * patched site, which is not patched again. */
void tv_emulate_privileged(struct vcpu *v, bool patched);
/* A guest kernel's load page fault at a patched instruction: emulated (or retried); false when the
 * fault is not one of those. */
bool tv_patched_insn(struct vcpu *v);

#endif
