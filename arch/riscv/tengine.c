// SPDX-License-Identifier: MIT
// The trap engine: guests on harts without the H extension. The guest kernel runs in U-mode; every
// trap reaches the hypervisor, which emulates the guest kernel's privileged instructions on a virtual
// S-mode CSR file (privemu.c), forwards the traps that are the guest's own to its handler, and gives
// the hardware either shadow tables (shadow.c) or the guest's own validated tables (paravirtual
// direct paging). The hypervisor is reachable from every guest root only through its alias in the
// top root slot, mapped without U, so the guest cannot touch it.
#include <string.h>

#include <arch/arch.h>
#include <arch/csr.h>
#include <arch/memop.h>
#include <arch/layout.h>
#include <arch/privemu.h>
#include <arch/shadow.h>
#include <arch/tengine.h>
#include <arch/vcpu_arch.h>

#include "console.h"
#include "devices.h"
#include "exit.h"
#include "guest_mem.h"
#include "hyp.h"
#include "sched.h"
#include "vm.h"

_Noreturn void tv_enter(struct vcpu_arch *a);
void fp_arch_save(struct vcpu_fp *fp);
void fp_arch_restore(const struct vcpu_fp *fp);
extern char tv_vector[], _start_image[], _end[];
extern uint64_t arch_fw_scounteren;

#define ALIAS_BASE ((uint64_t)ARCH_ALIAS_BASE)
#define ALIAS_L0_TABLES 8 /* the image (guest images linked in included) may span 16 MiB */
#define FS_INITIAL (1ull << 13)
#define FS_DIRTY (3ull << 13)
#define INSN_WFI 0x10500073u

bool arch_engine_trap;

/* The hypervisor's own root: RAM and devices identity-mapped by 1 GiB leaves (the lower half of
 * Sv39), plus the alias. No entry has U: guest code never runs on this root anyway. */
static uint64_t hyp_root[512] __attribute__((aligned(4096)));
static uint64_t alias_l1[512] __attribute__((aligned(4096)));
static uint64_t alias_l0[ALIAS_L0_TABLES][512] __attribute__((aligned(4096)));
/* The user-mode root of a paravirtual guest that named none: nothing but the alias. */
static uint64_t empty_root[512] __attribute__((aligned(4096)));
static uint64_t hyp_satp, alias_pte;

static uint64_t table_pte(const void *t)
{
    return (((uint64_t)(uintptr_t)t >> 12) << 10) | PTE_V;
}

static uint64_t satp_of(uint64_t root)
{
    return (SATP_MODE_SV39 << SATP_MODE_SHIFT) | (root >> 12);
}

static uint64_t alias_of(const void *p)
{
    return (uint64_t)(uintptr_t)p - (uint64_t)(uintptr_t)_start_image + ALIAS_BASE;
}

void tv_hart_init(void)
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
    empty_root[SHADOW_RESERVED_SLOT] = alias_pte;
    hyp_satp = satp_of((uint64_t)(uintptr_t)hyp_root);
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

static void *ops_ram(void *ctx, uint64_t gpa, uint64_t len)
{
    return guest_ram_ptr(ctx, gpa, len);
}

static uint64_t ops_hpa(void *ctx, uint64_t gpa)
{
    return (uint64_t)(uintptr_t)guest_ram_ptr(ctx, gpa, 1);
}

static bool ops_device(void *ctx, uint64_t gpa)
{
    return devices_present(ctx, gpa);
}

static bool ops_may_write(void *ctx, uint64_t gpa, uint64_t len)
{
    /* A frame the paravirtual validator typed as a table changes only through its hypercalls. */
    return guest_ram_dma_ptr(ctx, gpa, len) != (void *)0;
}

static uint64_t *ops_table(void *ctx, uint64_t pa)
{
    (void)ctx;
    return (uint64_t *)(uintptr_t)pa;
}

static void drop_vm_shadows(struct vm *vm, uint64_t va, bool all);

static void ops_drop_vm(void *ctx)
{
    drop_vm_shadows(ctx, 0, true);
}

static struct shadow_ops ops_for(struct vm *vm)
{
    const struct shadow_ops o = { ops_ram, ops_hpa, ops_device, ops_may_write, ops_table, ops_drop_vm, vm };
    return o;
}

/* ---- VM life cycle: the record of the VM's protected tables and writable mappings. ---- */

int tv_vm_create(struct vm *vm, const struct pt_alloc *alloc)
{
    uint64_t nframes = vm->ram_size / 4096;
    uint64_t bytes = (nframes + 63) / 64 * 8;
    uint64_t n = (bytes + 4095) / 4096;
    uint64_t bitmap = alloc->alloc(alloc->ctx, n, 4096);

    if (!bitmap) {
        return -1;
    }
    vm->shadow_bitmap = bitmap;
    vm->shadow_bitmap_frames = n;
    shadow_vm_init(&vm->shadow, (uint64_t *)(uintptr_t)bitmap, VM_RAM_BASE, nframes);
    return 0;
}

void tv_vm_reboot(struct vm *vm)
{
    drop_vm_shadows(vm, 0, true);
}

void tv_vm_destroy(struct vm *vm, const struct pt_alloc *alloc)
{
    if (vm->shadow_bitmap) {
        alloc->free(alloc->ctx, vm->shadow_bitmap, vm->shadow_bitmap_frames);
        vm->shadow_bitmap = 0;
    }
}

static uint64_t machine_offset(const struct vm *vm)
{
    return vm->ram_hpa - VM_RAM_BASE;
}

/* The regime the guest's current mode translates with, and the view it is seen through. */
static enum shadow_view env_of(const struct vcpu *v, struct shadow_env *e)
{
    const struct vcpu_arch *a = &v->arch;
    uint64_t s = a->vs.vsstatus;

    e->sum = (s & SSTATUS_SUM) != 0;
    e->mxr = (s & SSTATUS_MXR) != 0;
    if (a->tv.direct_root) {
        /* The hardware walks these tables in U-mode: only U leaves count, as for guest user code. */
        e->bare = false;
        e->root = a->tv.vmode ? a->tv.direct_root : a->tv.direct_user_root;
        e->offset = machine_offset(v->vm);
        return SHADOW_USER;
    }
    e->bare = (a->vs.vsatp >> SATP_MODE_SHIFT) == SATP_MODE_BARE;
    e->root = (a->vs.vsatp & SATP_PPN_MASK) << 12;
    e->offset = 0;
    if (!a->tv.vmode) {
        return SHADOW_USER;
    }
    return e->sum ? SHADOW_KERNEL_SUM : SHADOW_KERNEL;
}

/* Chooses the root the hardware uses for the guest's current mode. */
static void select_root(struct vcpu *v)
{
    struct vcpu_arch *a = &v->arch;
    struct shadow_env e;
    enum shadow_view view = env_of(v, &e);

    if (a->tv.direct_root) {
        uint64_t r = a->tv.vmode ? a->tv.direct_root : a->tv.direct_user_root;
        a->tv.hw_satp = satp_of(r ? r : (uint64_t)(uintptr_t)empty_root);
    } else {
        a->tv.hw_satp = satp_of(a->tv.sh.root[view]);
    }
}

/* ---- vCPU life cycle. ---- */

int tv_vcpu_create(struct vcpu *v, const struct pt_alloc *alloc)
{
    struct vcpu_arch *a = &v->arch;
    /* Room for a few hundred 2 MiB regions of mappings: more only costs refills after a drop. */
    unsigned n = SHADOW_VIEWS + 32 + (unsigned)(v->vm->ram_size >> 19);
    uint64_t base = alloc->alloc(alloc->ctx, n, 4096);

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
    struct shadow_ops o = ops_for(v->vm);
    uint64_t roots[SHADOW_VIEWS];

    for (unsigned i = 0; i < SHADOW_VIEWS; i++) {
        roots[i] = base + i * 4096;
        uint64_t *t = ops_table((void *)0, roots[i]);
        for (unsigned k = 0; k < 512; k++) {
            t[k] = 0;
        }
    }
    memset(a, 0, sizeof(*a));
    a->tv.frames = base;
    a->tv.nframes = nframes;
    shadow_init(&a->tv.sh, &o, roots, base + SHADOW_VIEWS * 4096, nframes - SHADOW_VIEWS, alias_pte,
                &v->vm->shadow);
    a->regs.sepc = entry;
    a->regs.x[REG_A0] = a0;
    a->regs.x[REG_A1] = a1;
    a->tv.vmode = 1;
    a->vs.vsstatus = FS_INITIAL; /* as the hext engine: FP usable, the guest decides */
    a->vs.scounteren = arch_fw_scounteren & 7;
    a->timer_deadline = ~0ull;
    a->tv.hyp_satp = hyp_satp;
    a->tv.phys_self = (uint64_t)(uintptr_t)a;
    a->tv.alias_self = alias_of(a);
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

    vcpu_arch_charge_exit(c);
    if (c->loaded != v) {
        if (c->loaded) {
            tv_unload(c->loaded);
        }
        /* Always load FP registers, zeros for a vCPU that never used them (no leak between guests). */
        csr_set(CSR_SSTATUS, FS_INITIAL);
        fp_arch_restore(&a->fp);
        c->loaded = v;
    }
    if (v->vm->tv_last != v) {
        a->tv.sc_fail = true;
        v->vm->tv_last = v;
    }
    if (a->flush_on_load) {
        struct shadow_ops o = ops_for(v->vm);
        shadow_drop_all(&a->tv.sh, &o);
        a->flush_on_load = false;
    }
    tv_timer_check(v, csr_read(CSR_TIME));
    int irq = priv_pending_irq(a);
    if (irq >= 0) {
        priv_enter_trap(a, SCAUSE_IRQ | (uint64_t)irq, 0);
    }
    select_root(v);
    /* The hardware runs the guest in U-mode with its FP state as the guest's sstatus.FS says (Off
     * makes FP instructions trap, and the guest sees them as illegal, as it would). */
    uint64_t fs = a->vs.vsstatus & SSTATUS_FS;
    /* FS Off keeps the FP state (the guest may turn it on again and find it): what the hardware
     * made dirty is saved before the hardware loses the right to it. */
    if ((a->regs.sstatus & SSTATUS_FS) == FS_DIRTY && !fs) {
        fp_arch_save(&a->fp);
        a->regs.sstatus &= ~SSTATUS_FS;
    }
    uint64_t hwfs = (a->regs.sstatus & SSTATUS_FS) == FS_DIRTY && fs ? FS_DIRTY : fs;
    a->regs.sstatus = SSTATUS_SPIE | hwfs;
    csr_write(CSR_SCOUNTEREN, a->tv.vmode ? arch_fw_scounteren : arch_fw_scounteren & a->vs.scounteren);
    /* A guest-kernel ecall may be the null hypercall, which trap.S answers without a full exit. */
    a->fast_cause = a->tv.vmode ? EXC_U_ECALL : ~0ull;
    a->hyp_sp = c->stack_top;
    a->hyp_tp = (uint64_t)(uintptr_t)c;
    tv_enter(a);
}

/* ---- Exits. ---- */

static void reflect(struct vcpu_arch *a, uint64_t cause, uint64_t tval)
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
    priv_enter_trap(a, cause, tval);
    a->tv.exit_done = true;
}

/* Drops the page at va, or everything, from every tree of the VM (its vCPUs share this hart's TLB,
 * which every entry to a guest fences anyway). Dropping everything also ends the protection of the
 * guest's tables: the next walks protect what is still in use. */
static void drop_vm_shadows(struct vm *vm, uint64_t va, bool all)
{
    struct shadow_ops o = ops_for(vm);

    if (all) {
        shadow_vm_reset(&vm->shadow);
    }
    for (unsigned i = 0; i < vm->nvcpus; i++) {
        struct shadow *s = &vm->vcpus[i].arch.tv.sh;
        if (!vm->vcpus[i].arch.tv.frames) {
            continue;
        }
        if (all) {
            shadow_drop_all(s, &o);
        } else {
            shadow_drop_va(s, &o, va);
        }
    }
}

static void emulate_privileged(struct vcpu *v)
{
    struct vcpu_arch *a = &v->arch;
    uint32_t insn = (uint32_t)a->stval;
    struct priv_fx fx;

    /* stval holds the instruction when the hardware provides it; otherwise read it. */
    if ((insn & 0x7f) != 0x73 && !tv_read_insn(v, a->regs.sepc, &insn)) {
        reflect(a, EXC_ILLEGAL_INSN, 0);
        return;
    }
    priv_emulate(a, insn, &fx);
    if (fx.flags & PRIV_FX_ILLEGAL) {
        reflect(a, EXC_ILLEGAL_INSN, insn);
        return;
    }
    if (fx.flags & PRIV_FX_WFI) {
        a->scause = EXC_VIRTUAL_INSN; /* hyp/ puts the vCPU to sleep, as for a trapped WFI */
        a->stval = INSN_WFI;
        return;
    }
    if (fx.flags & PRIV_FX_SATP) {
        /* A native satp write leaves paravirtual direct paging: the tables it names are walked. A
         * change of sstatus.MXR only makes the shadow entries stale: a validated root holds machine
         * addresses, and shadowing it as guest-physical tables would unmap the guest. */
        if ((insn >> 20) == CSR_SATP) {
            a->tv.direct_root = a->tv.direct_user_root = 0;
        }
        struct shadow_ops o = ops_for(v->vm);
        shadow_drop_all(&a->tv.sh, &o);
    }
    if (fx.flags & PRIV_FX_FENCE) {
        /* Every vCPU of the VM shares this hart's TLB; only this one's shadow holds what it used. */
        struct shadow_ops o = ops_for(v->vm);
        if (fx.fence_all) {
            shadow_drop_all(&a->tv.sh, &o);
        } else {
            shadow_drop_va(&a->tv.sh, &o, fx.fence_va);
        }
    }
    if (fx.flags & PRIV_FX_IRQ) {
        sched_timer_changed(v); /* an enabled timer may now be what the hypervisor must wake for */
    }
    a->scause = EXIT_PRIV_INSN;
    a->tv.exit_done = true;
}

/* A guest store to one of its own page tables (write-protected while shadowed): carried out here,
 * then what the entry mapped is forgotten in every tree of the VM. */
static void table_write(struct vcpu *v, uint64_t gpa)
{
    struct vcpu_arch *a = &v->arch;
    uint32_t raw = 0;
    struct mem_op op;

    if (tv_read_insn(v, a->regs.sepc, &raw) && mem_op_decode(raw, &op) && op.kind == MEM_SC &&
        a->tv.sc_fail) {
        /* Another vCPU of the VM ran since this one last did: its reservation may be stale. The SC
         * fails (rd = 1, nothing stored) and the guest's LR/SC loop reads again. */
        a->tv.sc_fail = false;
        vcpu_arch_set_reg(a, op.rd, 1);
        a->regs.sepc += op.len;
        a->scause = EXIT_TABLE_WRITE;
        a->tv.exit_done = true;
        return;
    }
    if (!tv_read_insn(v, a->regs.sepc, &raw) || !mem_op_decode(raw, &op) ||
        !mem_op_apply(&op, a, guest_ram_ptr(v->vm, gpa & ~7ull, 8), gpa & 7)) {
        vm_fault(v->vm, "a store to its page table at 0x%lx by an instruction that cannot be emulated "
                        "(0x%08x at pc 0x%lx)", (unsigned long)gpa, raw, (unsigned long)a->regs.sepc);
        return;
    }
    uint64_t va;
    if (shadow_table_written(&v->vm->shadow, gpa, &va)) {
        drop_vm_shadows(v->vm, va, false);
    } else {
        drop_vm_shadows(v->vm, 0, true);
    }
    a->regs.sepc += op.len;
    a->scause = EXIT_TABLE_WRITE;
    a->tv.exit_done = true;
}

static void page_fault(struct vcpu *v, uint64_t code)
{
    struct vcpu_arch *a = &v->arch;
    enum shadow_access acc = code == EXC_STORE_PAGE_FAULT ? SHADOW_STORE
                             : code == EXC_LOAD_PAGE_FAULT ? SHADOW_LOAD
                                                           : SHADOW_EXEC;
    struct shadow_env e;
    enum shadow_view view = env_of(v, &e);
    uint64_t va = a->stval, gpa = 0;

    if (a->tv.direct_root) {
        reflect(a, code, va); /* the guest's own validated tables said no */
        return;
    }
    struct shadow_ops o = ops_for(v->vm);
    enum shadow_result r = shadow_fill(&a->tv.sh, &o, &e, view, va, acc, &gpa);
    switch (r) {
    case SHADOW_OK:
        /* The entry may have been cached as invalid: fence it before retrying. */
        __asm__ volatile("sfence.vma %0, zero" : : "r"(va) : "memory");
        a->scause = EXIT_SHADOW_FILL;
        a->tv.exit_done = true;
        return;
    case SHADOW_PAGE_FAULT:
        reflect(a, code, va);
        return;
    case SHADOW_TABLE_WRITE:
        table_write(v, gpa);
        return;
    case SHADOW_WRITE_PROTECTED:
        hyp_log("guest '%s' stored to one of its validated page tables at 0x%lx: page fault",
                v->vm->cfg->name, (unsigned long)va);
        reflect(a, code, va);
        return;
    case SHADOW_WALK_FAULT:
    case SHADOW_ACCESS_FAULT:
    case SHADOW_DEVICE:
        /* The device exit of the hext engine: hyp/ emulates a device access from the guest physical
         * address, and stops the guest, as there, when the address is neither RAM nor a device. */
        a->scause = code == EXC_STORE_PAGE_FAULT ? EXC_STORE_GUEST_PAGE_FAULT
                    : code == EXC_LOAD_PAGE_FAULT ? EXC_LOAD_GUEST_PAGE_FAULT
                                                  : EXC_INSN_GUEST_PAGE_FAULT;
        a->htval = gpa >> 2;
        a->stval = va;
        /* A walk that left RAM reports what hext's htinst would: an implicit access of the
         * page-table walk (the pseudoinstruction 0x3000), never to be emulated on a device. */
        a->htinst = r == SHADOW_WALK_FAULT ? 0x3000 : 0;
        return;
    case SHADOW_RESERVED:
    default:
        vm_fault(v->vm, "it maps 0x%lx, in the range the hypervisor keeps for itself (pc 0x%lx)",
                 (unsigned long)va, (unsigned long)a->regs.sepc);
        return;
    }
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
    arch_this_cpu()->exiting = v;
    /* The hardware marks FP state dirty in the real sstatus: the guest's sstatus.FS follows. */
    if ((a->regs.sstatus & SSTATUS_FS) == FS_DIRTY && (a->vs.vsstatus & SSTATUS_FS)) {
        a->vs.vsstatus |= FS_DIRTY;
    }
    if (!(cause & SCAUSE_IRQ)) {
        switch (cause) {
        case EXC_U_ECALL:
            if (a->tv.vmode) {
                a->scause = EXC_VS_ECALL; /* an SBI call or hypercall, as on the hext engine */
            } else {
                reflect(a, EXC_U_ECALL, 0); /* a system call of the guest's user code */
            }
            break;
        case EXC_ILLEGAL_INSN:
            if (a->tv.vmode) {
                emulate_privileged(v);
            } else {
                reflect(a, cause, a->stval);
            }
            break;
        case EXC_INSN_PAGE_FAULT:
        case EXC_LOAD_PAGE_FAULT:
        case EXC_STORE_PAGE_FAULT:
            page_fault(v, cause);
            break;
        default:
            /* Misaligned accesses, breakpoints, access faults: the guest's own, as on hardware. */
            reflect(a, cause, a->stval);
            break;
        }
    }
    /* The guest was stopped for what it did (and perhaps built again from its configuration): this
     * exit has nothing left to do. */
    if (v->vm->generation != generation || v->vm->state != VM_RUNNING) {
        sched_next();
    }
    vcpu_handle_exit(v);
}

/* ---- Guest memory reads and TLB maintenance for hyp/. ---- */

static bool read_guest(struct vcpu *v, uint64_t gva, enum shadow_access acc, void *out, unsigned len)
{
    struct shadow_env e;
    enum shadow_view view = env_of(v, &e);
    uint64_t gpa, pte;
    unsigned level;

    if (v->arch.tv.direct_root && !e.root) {
        return false;
    }
    struct shadow_ops o = ops_for(v->vm);
    if (shadow_translate(&o, &e, view, gva, acc, false, &gpa, &pte, &level, (struct shadow_path *)0) !=
        SHADOW_OK) {
        return false;
    }
    const uint8_t *p = guest_ram_ptr(v->vm, gpa, len);
    if (!p) {
        return false;
    }
    for (unsigned i = 0; i < len; i++) {
        ((uint8_t *)out)[i] = p[i];
    }
    return true;
}

bool tv_read_insn(struct vcpu *v, uint64_t gva, uint32_t *insn)
{
    uint16_t lo, hi;

    if ((gva & 1) || !read_guest(v, gva, SHADOW_EXEC, &lo, 2)) {
        return false;
    }
    if ((lo & 3) != 3) {
        *insn = lo;
        return true;
    }
    /* The second half may be on the next page: translate it on its own. */
    if (!read_guest(v, gva + 2, SHADOW_EXEC, &hi, 2)) {
        return false;
    }
    *insn = lo | ((uint32_t)hi << 16);
    return true;
}

bool tv_read_guest_u64(struct vcpu *v, uint64_t gva, uint64_t *val)
{
    return (gva & 7) == 0 && read_guest(v, gva, SHADOW_LOAD, val, 8);
}

void tv_flush(struct vcpu *loaded, uint64_t start, uint64_t size)
{
    if (!loaded) {
        return;
    }
    /* Shadow trees ignore ASIDs (every root switch flushes the TLB): drop by address or all. */
    bool all = size > 64 * 4096ull;
    uint64_t first = start & ~4095ull;
    uint64_t pages = ((start & 4095) + size + 4095) / 4096;
    for (uint64_t i = 0; !all && i < pages; i++) {
        drop_vm_shadows(loaded->vm, first + i * 4096, false);
    }
    if (all) {
        drop_vm_shadows(loaded->vm, 0, true);
    }
    __asm__ volatile("sfence.vma" ::: "memory");
}

void vcpu_arch_tables_retyped(void)
{
    struct vcpu *v = arch_this_cpu()->loaded;

    /* Frames that just became tables may be mapped writable in a shadow tree, or protected there
     * with their stores carried out by the engine: every tree of the VM goes, and the record. */
    if (arch_engine_trap && v) {
        drop_vm_shadows(v->vm, 0, true);
        __asm__ volatile("sfence.vma" ::: "memory");
    }
}

void tv_set_root(struct vcpu *v, uint64_t satp, uint64_t user_root)
{
    struct vcpu_arch *a = &v->arch;

    a->vs.vsatp = satp;
    a->tv.direct_root = (satp & SATP_PPN_MASK) << 12;
    a->tv.direct_user_root = user_root;
}

bool tv_root_in_use(const struct vcpu *v, uint64_t root)
{
    return v->arch.tv.direct_root == root || v->arch.tv.direct_user_root == root;
}
