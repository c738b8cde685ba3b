// SPDX-License-Identifier: MIT
// The trap engine: guests on harts without the H extension. The guest kernel runs in U-mode; every
// trap reaches the hypervisor, which emulates the guest kernel's privileged instructions on a virtual
// S-mode CSR file (privemu.c), forwards the traps that are the guest's own to its handler, and gives
// the hardware either shadow tables (shadow.c, managed in tmem.c) or the guest's own validated tables
// (paravirtual direct paging). The hypervisor is reachable from every guest root only through its alias in the
// top root slot, mapped without U, so the guest cannot touch it.
#include <string.h>

#include <arch/arch.h>
#include <arch/csr.h>
#include <arch/memop.h>
#include <arch/layout.h>
#include <arch/privemu.h>
#include <arch/shadow.h>
#include <arch/tpatch.h>
#include <arch/engine.h>
#include <arch/vcpu_arch.h>

#include "console.h"
#include "devices.h"
#include "exit.h"
#include "guest_mem.h"
#include "hvabi.h"
#include "hyp.h"
#include "sched.h"
#include "smp.h"
#include "stats.h"
#include "tengine_int.h"
#include "vm.h"

_Noreturn void tv_enter(struct vcpu_arch *a);
void fp_arch_restore(const struct vcpu_fp *fp);
extern char tv_vector[], _start_image[], _end[];
extern uint64_t arch_fw_scounteren;

#define ALIAS_BASE ((uint64_t)ARCH_ALIAS_BASE)
#define ALIAS_L0_TABLES 8 /* image and .bss up to 16 MiB; guest images stay in the bundle */
#define FS_INITIAL (1ull << 13)
#define FS_DIRTY (3ull << 13)

bool arch_engine_trap;

/* The hypervisor's own root: RAM and devices identity-mapped by 1 GiB leaves (the lower half of
 * Sv39), plus the alias. No entry has U: guest code never runs on this root anyway. */
static uint64_t hyp_root[512] __attribute__((aligned(4096)));
static uint64_t alias_l1[512] __attribute__((aligned(4096)));
static uint64_t alias_l0[ALIAS_L0_TABLES][512] __attribute__((aligned(4096)));
static uint64_t hyp_satp, alias_pte;
/* Hardware ASIDs: 0 the hypervisor's root, 1 validated (paravirtual) roots, from TV_ASID_SHADOW one
 * per shadow tree of a vCPU (space * SHADOW_VIEWS + view). Without enough ASID bits every root
 * switch fences the whole TLB. */
bool tv_asids;

static uint64_t table_pte(const void *t)
{
    return (((uint64_t)(uintptr_t)t >> 12) << 10) | PTE_V;
}

static uint64_t alias_of(const void *p)
{
    return (uint64_t)(uintptr_t)p - (uint64_t)(uintptr_t)_start_image + ALIAS_BASE;
}

/* The hypervisor's root and the alias, shared by every hart: built once, by the boot hart, before
 * any other hart starts (and read-only from then on). */
static void tv_build_tables(void)
{
    uint64_t start = (uint64_t)(uintptr_t)_start_image, end = (uint64_t)(uintptr_t)_end;
    uint64_t pages = (end - start + 4095) / 4096;

    if (pages > ALIAS_L0_TABLES * 512ull) {
        hyp_panic("the hypervisor image (%lu KiB) is larger than its alias", (unsigned long)(pages * 4));
    }
    for (uint64_t i = 0; i < pages; i++) {
        alias_l0[i / 512][i % 512] = (((start + i * 4096) >> 12) << 10) | PTE_V | PTE_R | PTE_W | PTE_X |
                                     PTE_A | PTE_D;
    }
    for (unsigned t = 0; t < ALIAS_L0_TABLES; t++) {
        alias_l1[t] = table_pte(alias_l0[t]);
    }
    alias_pte = table_pte(alias_l1);
    for (uint64_t g = 0; g < 256; g++) {
        hyp_root[g] = ((g << 30) >> 12 << 10) | PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D;
    }
    hyp_root[SHADOW_RESERVED_SLOT] = alias_pte;
    tv_empty_root[SHADOW_RESERVED_SLOT] = alias_pte;
    hyp_satp = tv_satp_of((uint64_t)(uintptr_t)hyp_root);
}

void tv_hart_init(void)
{
    bool first = !hyp_satp;

    if (first) {
        tv_build_tables();
    }
    /* ASIDLEN: write ones to the ASID field and read back (supervisor chapter, "satp"). The hart
     * runs identity-mapped code at physical addresses here, so a Sv39 root must name the same. */
    csr_write(CSR_SATP, hyp_satp | (SATP_ASID_MASK << SATP_ASID_SHIFT));
    uint64_t asid_bits = (csr_read(CSR_SATP) >> SATP_ASID_SHIFT) & SATP_ASID_MASK;
    bool enough = asid_bits + 1 >= TV_ASID_SHADOW + SHADOW_SPACES * SHADOW_VIEWS;
    /* ASIDs are used only if every hart has enough of them (without, every switch fences). */
    tv_asids = first ? enough : tv_asids && enough;
    /* From here on the hypervisor runs translated, identity-mapped, so that a trap from a guest (taken
     * on the guest's root) can find the vector through the alias and switch roots there. */
    csr_write(CSR_STVEC, alias_of(tv_vector));
    csr_write(CSR_SATP, hyp_satp);
    __asm__ volatile("sfence.vma" ::: "memory");
}

uint64_t tv_reserved_entry(void)
{
    return alias_pte;
}

/* ---- Guest memory as the shadow walker sees it. ---- */








/* ---- VM life cycle: the record of the VM's protected tables and writable mappings. ---- */







/* ---- vCPU life cycle. ---- */

int tv_vcpu_create(struct vcpu *v, const struct pt_alloc *alloc)
{
    struct vcpu_arch *a = &v->arch;
    /* Room for a few hundred 2 MiB regions of mappings: more only costs refills after a drop. Not
     * cleared here: tv_reset clears the roots, and the pool clears each frame as it takes it, so a
     * large guest's pool costs nothing at boot. */
    unsigned n = SHADOW_SPACES * SHADOW_VIEWS + 64 + (unsigned)(v->vm->ram_size >> 18);
    uint64_t base = vm_alloc_frames_unzeroed(v->vm, n, 4096);

    (void)alloc; /* the frames are the VM's, counted as its others, and freed through it */
    if (!base) {
        return -1;
    }
    a->tv.frames = base;
    a->tv.nframes = n;
    return 0;
}

void tv_vcpu_destroy(struct vcpu *v, const struct pt_alloc *alloc)
{
    struct vcpu_tv *t = &v->arch.tv;

    if (t->frames) {
        alloc->free(alloc->ctx, t->frames, t->nframes);
        t->frames = 0;
        t->nframes = 0;
        t->sh.pool = 0;
    }
}

void tv_reset(struct vcpu *v, uint64_t entry, uint64_t a0, uint64_t a1)
{
    struct vcpu_arch *a = &v->arch;
    /* Everything starts afresh but the frames the vCPU owns for its shadow trees. */
    uint64_t base = a->tv.frames;
    unsigned nframes = a->tv.nframes;
    struct shadow_ops o = tv_ops_for(v->vm);
    uint64_t roots[SHADOW_SPACES * SHADOW_VIEWS];

    for (unsigned i = 0; i < SHADOW_SPACES * SHADOW_VIEWS; i++) {
        roots[i] = base + i * 4096;
        memset((void *)(uintptr_t)roots[i], 0, 4096);
    }
    memset(a, 0, sizeof(*a));
    a->tv.frames = base;
    a->tv.nframes = nframes;
    shadow_init(&a->tv.sh, &o, roots, base + SHADOW_SPACES * SHADOW_VIEWS * 4096,
                nframes - SHADOW_SPACES * SHADOW_VIEWS, alias_pte, &v->vm->shadow);
    shadow_add_spaces(&a->tv.sh, &o, roots + SHADOW_VIEWS, SHADOW_SPACES - 1);
    /* The VM's record of writable leaves may name this vCPU's old trees: trust it no more. */
    v->vm->shadow.wmap_lost = true;
    a->regs.sepc = entry;
    a->regs.x[REG_A0] = a0;
    a->regs.x[REG_A1] = a1;
    a->tv.vmode = 1;
    a->vs.vsstatus = FS_DIRTY; /* as the hext engine and OpenSBI natively: FP usable, Dirty */
    a->vs.scounteren = arch_fw_scounteren & 7;
    a->timer_deadline = ~0ull;
    a->tv.installed_va = ~0ull; /* no page installed yet (0 would be one: a fence of it kept stale) */
    a->tv.hyp_satp = hyp_satp;
    a->tv.phys_self = (uint64_t)(uintptr_t)a;
    a->tv.alias_self = alias_of(a);
    a->tv.patch_alias = (const struct tpatch *)(uintptr_t)alias_of(&v->vm->shadow.patch);
    a->tv.vm_alias = (struct vm *)(uintptr_t)alias_of(v->vm);
    a->flush_on_load = true;
}

void tv_unload(struct vcpu *v)
{
    struct vcpu_arch *a = &v->arch;
    struct pcpu *c = arch_this_cpu();

    if (c->loaded != v) {
        return;
    }
    if ((a->regs.sstatus & SSTATUS_FS) == FS_DIRTY) {
        fp_arch_save(&a->fp);
        a->regs.sstatus = (a->regs.sstatus & ~SSTATUS_FS) | (2ull << 13);
    }
    c->loaded = (struct vcpu *)0;
}

/* ---- Interrupts and the timer: all virtual, delivered at entry. ---- */

void tv_timer_check(struct vcpu *v, uint64_t now)
{
    if (now >= v->arch.timer_deadline) {
        v->arch.vs.hvip |= 1ull << IRQ_VS_TIMER;
        v->arch.timer_deadline = ~0ull;
    }
}

void tv_set_timer(struct vcpu *v, uint64_t deadline)
{
    /* SBI set_timer clears the pending timer interrupt (SBI spec, TIME extension). */
    v->arch.vs.hvip &= ~(1ull << IRQ_VS_TIMER);
    v->arch.timer_deadline = deadline;
    tv_timer_check(v, csr_read(CSR_TIME));
}

_Noreturn void tv_run(struct vcpu *v)
{
    struct pcpu *c = arch_this_cpu();
    struct vcpu_arch *a = &v->arch;

    /* A VM on several harts: what follows reads and changes its shadow trees, which other harts
     * change too (under the VM's lock), until the guest is entered. The scheduler let go of the lock
     * on its way here (it publishes the entry first); take it again and give it back at the end. */
    if (v->vm->spans_harts) {
        smp_exit_lock(v);
    }
    bool switched = c->loaded != v;

    vcpu_arch_charge_exit(c);
    if (switched) {
        if (c->loaded) {
            tv_unload(c->loaded);
        }
        /* Always load FP registers, zeros for a vCPU that never used them (no leak between guests). */
        csr_set(CSR_SSTATUS, FS_INITIAL);
        fp_arch_restore(&a->fp);
        c->loaded = v;
    }
    if (a->flush_on_load) {
        struct shadow_ops o = tv_ops_for(v->vm);
        shadow_drop_all(&a->tv.sh, &o);
        a->flush_on_load = false;
    }
    /* Before the fence decision: a frame's first patch drops every tree. Only after an exit the
     * engine handled itself (a fill, an emulated instruction), which is short: a device access or
     * an SBI call may already be near the work bound of one exit (DESIGN.md, "Bounded work"). */
    if (a->tv.nwant && a->tv.exit_done) {
        tv_patch_pending(v);
    }
    tv_timer_check(v, c->now); /* the scheduler has just read it */
    int irq = priv_pending_irq(a);
    if (irq >= 0) {
        tv_enter_trap(a, SCAUSE_IRQ | (uint64_t)irq, 0);
    }
    tv_vpage_out(v); /* the flag and what it holds back, after any delivery */
    tv_select_root(v);
    /* The TLB may hold entries of this vCPU's ASIDs that its trees no longer have, or another
     * vCPU's under the same ASIDs; validated roots change through hypercalls: fence for those. */
    a->tv.enter_fence = !tv_asids || switched || a->tv.sh.fence || a->tv.direct_root;
    a->tv.exit_fence = !tv_asids;
    a->tv.sh.fence = false;
    a->regs.sstatus = SSTATUS_SPIE | tv_hw_fs(a);
    csr_write(CSR_SCOUNTEREN, a->tv.vmode ? arch_fw_scounteren : arch_fw_scounteren & a->vs.scounteren);
    /* A guest-kernel ecall may be the null hypercall, which trap.S answers without a full exit. */
    a->fast_cause = a->tv.vmode ? EXC_U_ECALL : ~0ull;
    a->hyp_sp = c->stack_top;
    a->hyp_tp = (uint64_t)(uintptr_t)c;
    smp_release_held(c);
    tv_enter(a);
}

/* ---- Exits. ---- */

void tv_reflect(struct vcpu_arch *a, uint64_t cause, uint64_t tval)
{
    /* An exception at the guest's own handler entry, sent back to that same entry, will come back
     * for ever: the guest's trap handler itself faults. A thousand in a row stop it. */
    if (!(cause & SCAUSE_IRQ) && a->tv.vmode && a->regs.sepc == (a->vs.vstvec & ~3ull)) {
        if (++a->tv.handler_faults >= 1000) {
            vm_fault(vcpu_of_arch(a)->vm, "trap loop: its trap handler at 0x%lx faults at its first instruction",
                     (unsigned long)a->regs.sepc);
            a->tv.exit_done = true;
            return;
        }
    } else {
        a->tv.handler_faults = 0;
    }
    tv_enter_trap(a, cause, tval);
    a->tv.exit_done = true;
}


_Noreturn void tv_trap(struct vcpu_arch *a)
{

    struct vcpu *v = vcpu_of_arch(a);
    uint64_t cause = csr_read(CSR_SCAUSE);
    unsigned generation = v->vm->generation;

    a->scause = cause;
    a->stval = csr_read(CSR_STVAL);
    a->htval = a->htinst = 0;
    a->tv.exit_done = false;
    a->tv.tlb_only = false;
    arch_this_cpu()->exiting = v;
    /* A VM on several harts: its shadow trees, its record of protected tables and its devices are
     * changed below, by this exit and by its other vCPUs' exits elsewhere: the whole exit holds its
     * lock (taken once; vcpu_handle_exit finds it held). */
    if (v->vm->spans_harts) {
        smp_exit_lock(v);
    }
    tv_vpage_in(v); /* the guest kernel's interrupt flag, when it keeps it in its vCPU page */
    /* The hardware marks FP state dirty in the real sstatus: the guest's sstatus.FS follows. */
    if ((a->regs.sstatus & SSTATUS_FS) == FS_DIRTY && (a->vs.vsstatus & SSTATUS_FS)) {
        a->vs.vsstatus |= FS_DIRTY;
    }
    if (!(cause & SCAUSE_IRQ)) {
        switch (cause) {
        case EXC_U_ECALL:
            if (a->tv.vmode) {
                a->scause = EXC_VS_ECALL; /* an SBI call or hypercall, as on the hext engine */
                /* The cooperative kernel's return from a trap, every system call: done here, where
                 * the vCPU page is at hand; hyp/ only counts it (sbi_hv.c does the same for it). It
                 * changes nothing when it fails, and then goes the whole way for its error. */
                if (a->regs.x[REG_A7] == HV_EXT && a->regs.x[REG_A6] == HV_FID_TRAP_RETURN &&
                    tv_trap_return(v) == SBI_SUCCESS) {
                    a->tv.exit_done = true;
                }
            } else {
                tv_reflect(a, EXC_U_ECALL, 0); /* a system call of the guest's user code */
            }
            break;
        case EXC_ILLEGAL_INSN:
            if (a->tv.vmode) {
                tv_emulate_privileged(v, false);
            } else {
                tv_reflect(a, cause, a->stval);
            }
            break;
        case EXC_LOAD_PAGE_FAULT:
            if (a->tv.vmode && tv_patched_insn(v)) {
                break;
            }
            tv_page_fault(v, cause);
            break;
        case EXC_INSN_PAGE_FAULT:
        case EXC_STORE_PAGE_FAULT:
            tv_page_fault(v, cause);
            break;
        default:
            /* Misaligned accesses, breakpoints, access faults: the guest's own, as on hardware. */
            tv_reflect(a, cause, a->stval);
            break;
        }
    }
    /* The guest was stopped for what it did (and perhaps built again from its configuration): this
     * exit has nothing left to do. */
    if (v->vm->generation != generation || v->vm->state != VM_RUNNING) {
        sched_next();
    }
    if (tv_may_return(v)) {
        stats_count(&v->vm->stats, a->scause, false);
        tv_return_quick(v);
    }
    vcpu_handle_exit(v);
}

/* ---- Guest memory reads and TLB maintenance for hyp/. ---- */

/* ---- The rest of the engine interface (arch/engine.h). ---- */

static void tv_gstage_flush(unsigned vmid)
{
    (void)vmid;
    /* No G-stage: the guest's translations are in its vCPUs' shadow trees and the TLB. */
    __asm__ volatile("sfence.vma" ::: "memory");
}

static void tv_set_gstage(struct vcpu_arch *a, uint64_t root, unsigned vmid)
{
    (void)a;
    (void)root;
    (void)vmid; /* no G-stage: guest RAM is reached through the engine's own roots */
}

static bool tv_irq_pending(const struct vcpu_arch *a, uint64_t now)
{
    uint64_t pending = a->vs.hvip & ((1ull << IRQ_VS_SOFT) | (1ull << IRQ_VS_TIMER) | (1ull << IRQ_VS_EXT));

    if (now >= a->timer_deadline) {
        pending |= 1ull << IRQ_VS_TIMER;
    }
    return (pending & (a->vs.vsie << 1)) != 0;
}

static bool tv_handler_faults(const struct vcpu *v)
{
    const struct vcpu_arch *a = &v->arch;

    /* From the guest's kernel only: its user code faulting at that address is no loop of its own. */
    return a->tv.vmode && !(a->vs.vscause & SCAUSE_IRQ) && a->regs.sepc == (a->vs.vstvec & ~3ull) &&
           a->vs.vsepc == a->regs.sepc;
}

static uint64_t tv_timer_deadline(const struct vcpu_arch *a)
{
    return (a->vs.vsie & (1ull << IRQ_S_TIMER)) ? a->timer_deadline : ~0ull;
}

static uint64_t tv_guest_stvec(const struct vcpu *v)
{
    return v->arch.vs.vstvec; /* the virtual CSR file is memory, loaded or not */
}

static void tv_inject_exception(struct vcpu *v, uint64_t cause, uint64_t tval)
{
    tv_enter_trap(&v->arch, cause, tval);
}

static void tv_set_virq(struct vcpu *v, unsigned irq, bool on)
{
    uint64_t bit = 1ull << irq;

    v->arch.vs.hvip = on ? v->arch.vs.hvip | bit : v->arch.vs.hvip & ~bit;
}

static bool tv_virq_pending(const struct vcpu *v, unsigned irq)
{
    return (v->arch.vs.hvip >> irq) & 1;
}

static uint64_t tv_get_satp(const struct vcpu *v)
{
    return v->arch.vs.vsatp;
}

const struct vcpu_engine_ops trap_engine_ops = {
    .name = "trap",
    .hart_init = tv_hart_init,
    .reserved_root_entry = tv_reserved_entry,
    .vm_create = tv_vm_create,
    .vm_destroy = tv_vm_destroy,
    .vm_reboot = tv_vm_reboot,
    .vcpu_create = tv_vcpu_create,
    .vcpu_destroy = tv_vcpu_destroy,
    .gstage_flush = tv_gstage_flush,
    .reset = tv_reset,
    .set_gstage = tv_set_gstage,
    .run = tv_run,
    .unload = tv_unload,
    .irq_pending = tv_irq_pending,
    .handler_faults = tv_handler_faults,
    .tables_retyped = tv_tables_retyped,
    .timer_deadline = tv_timer_deadline,
    .set_timer = tv_set_timer,
    .timer_check = tv_timer_check,
    .inject_exception = tv_inject_exception,
    .guest_stvec = tv_guest_stvec,
    .read_insn = tv_read_insn,
    .read_guest_u64 = tv_read_guest_u64,
    .set_virq = tv_set_virq,
    .virq_pending = tv_virq_pending,
    .flush_vvma = tv_flush_vvma,
    .remote_flush_vvma = tv_remote_flush_vvma,
    .remote_flush_vm = tv_remote_flush_vm,
    .set_root = tv_set_root,
    .root_in_use = tv_root_in_use,
    .get_satp = tv_get_satp,
    .guest_write = tv_patch_dma,
    .set_vcpu_page = tv_set_vcpu_page,
    .trap_return = tv_trap_return,
    .tables_fenced = tv_tables_fenced,
    .table_updated = tv_table_updated,
    .drop_pages = tv_drop_pages,
    .set_shadow_root = tv_set_shadow_root,
};
