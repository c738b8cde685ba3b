// SPDX-License-Identifier: MIT
// The trap engine's guest memory: the shadow walker's view of a VM, the hardware root for the guest's
// current mode, page faults (shadow fills, the guest's own faults, device accesses), reads of guest
// memory for hyp/, and TLB maintenance. The guest's own tables (its stores to them, its fences'
// fills) are ttables.c's.
#include <arch/arch.h>
#include <arch/csr.h>
#include <arch/memop.h>
#include <arch/shadow.h>
#include <arch/vcpu_arch.h>

#include "console.h"
#include "devices.h"
#include "exit.h"
#include "guest_mem.h"
#include "hvabi.h"
#include "hyp.h"
#include "smp.h"
#include "tengine_int.h"
#include "vm.h"

/* The user-mode root of a paravirtual guest that named none: nothing but the alias. */
uint64_t tv_empty_root[512] __attribute__((aligned(4096)));

/* A page or less is what the walker reads or maps next: cleared first where the guest never used
 * it. A longer range is its question whether a superpage may map it: only when all of it is cleared,
 * which each such question takes a bounded step further (no fill clears 2 MiB); until then it maps
 * the page it needs, which is then cleared alone. */
static void *ops_ram(void *ctx, uint64_t gpa, uint64_t len)
{
    if (len > 4096 && !guest_ram_is_clean(ctx, gpa, len) && !guest_ram_clean_step(ctx, gpa, len)) {
        return (void *)0;
    }
    return guest_ram_ptr(ctx, gpa, len);
}

static uint64_t ops_hpa(void *ctx, uint64_t gpa)
{
    uint64_t hpa;

    return guest_ram_range(ctx, gpa, 1, &hpa) ? hpa : 0;
}

static bool ops_device(void *ctx, uint64_t gpa)
{
    return devices_present(ctx, gpa);
}

static bool ops_may_write(void *ctx, uint64_t gpa, uint64_t len)
{
    /* A frame the paravirtual validator typed as a table changes only through its hypercalls. */
    return guest_ram_dma_ok(ctx, gpa, len);
}

static uint64_t *ops_table(void *ctx, uint64_t pa)
{
    (void)ctx;
    return (uint64_t *)(uintptr_t)pa;
}

static void ops_drop_vm(void *ctx)
{
    tv_drop_vm_shadows(ctx, 0, true);
}

struct shadow_ops tv_ops_for(struct vm *vm)
{
    const struct shadow_ops o = { ops_ram, ops_hpa, ops_device, ops_may_write, ops_table, ops_drop_vm, vm };
    return o;
}

int tv_vm_create(struct vm *vm, const struct pt_alloc *alloc)
{
    uint64_t nframes = vm->ram_size / 4096;
    uint64_t bytes = (nframes + 63) / 64 * 8;
    uint64_t nbitmap = (bytes + 4095) / 4096;
    /* The record of writable leaves after the bitmap, in the same run (trap-engine VMs only). */
    uint64_t nwmap = (SHADOW_WMAP_MAX * sizeof(struct shadow_wmap) + 4095) / 4096;
    uint64_t bitmap = alloc->alloc(alloc->ctx, nbitmap + nwmap, 4096);

    if (!bitmap) {
        return -1;
    }
    vm->shadow_bitmap = bitmap;
    vm->shadow_bitmap_frames = nbitmap + nwmap;
    shadow_vm_init(&vm->shadow, (uint64_t *)(uintptr_t)bitmap,
                   (struct shadow_wmap *)(uintptr_t)(bitmap + nbitmap * 4096), VM_RAM_BASE, nframes);
    return 0;
}

void tv_vm_reboot(struct vm *vm)
{
    tv_patch_reset(vm);
    tv_drop_vm_shadows(vm, 0, true);
    vm->shadow.fenced_lower = false; /* the kernel it boots next has promised nothing */
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

enum shadow_view tv_env_of(const struct vcpu *v, struct shadow_env *e)
{
    const struct vcpu_arch *a = &v->arch;
    uint64_t s = a->vs.vsstatus;

    e->sum = (s & SSTATUS_SUM) != 0;
    e->mxr = (s & SSTATUS_MXR) != 0;
    e->around = false;
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
void tv_select_root(struct vcpu *v)
{
    struct vcpu_arch *a = &v->arch;
    struct shadow_env e;
    enum shadow_view view = tv_env_of(v, &e);

    if (a->tv.direct_root) {
        uint64_t r = a->tv.vmode ? a->tv.direct_root : a->tv.direct_user_root;
        a->tv.hw_satp = tv_satp_asid(r ? r : (uint64_t)(uintptr_t)tv_empty_root, TV_ASID_DIRECT);
    } else {
        for (unsigned i = 0; i < SHADOW_VIEWS; i++) {
            uint64_t asid = TV_ASID_SHADOW + shadow_space_index(&a->tv.sh) * SHADOW_VIEWS + i;
            a->tv.view_satp[i] = tv_satp_asid(a->tv.sh.root[i], asid);
        }
        a->tv.hw_satp = a->tv.view_satp[view];
    }
}

/* A VM on several harts: the other harts it runs on flush their TLBs before this returns (the
 * firmware's remote SFENCE.VMA waits for them). What the hypervisor took from a tree of a vCPU that
 * runs elsewhere (a write-protection, a retyped frame) holds there from now on, not only from that
 * hart's next entry. */
static void shootdown(struct vm *vm)
{
    uint64_t others = smp_other_harts(vm);

    if (others && arch_fw_remote_sfence_vma(others, 0, 0) != 0) {
        hyp_panic("the firmware refused a remote SFENCE.VMA to harts 0x%lx", (unsigned long)others);
    }
}

/* Drops the span of one guest entry at level (shadow_drop_span), or everything, from every tree of
 * the VM (its vCPUs share this hart's TLB, which every entry to a guest fences anyway). Dropping
 * everything also ends the protection of the guest's tables: the next walks protect what is still in
 * use. */
static void drop_vm_trees(struct vm *vm, uint64_t va, unsigned level, bool all)
{
    struct shadow_ops o = tv_ops_for(vm);

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
            shadow_drop_span(s, &o, va, level);
        }
    }
}

/* As drop_vm_trees; a drop of everything (a table newly write-protected, the VM rebooted) also
 * reaches the TLBs of its other harts. A page's drop after a store into a guest table does not: the
 * guest fences the other harts itself, as on hardware (SBI RFENCE, tv_remote_flush_vvma). */
void tv_drop_vm_shadows(struct vm *vm, uint64_t va, bool all)
{
    tv_drop_vm_span(vm, va, 0, all);
}

void tv_drop_vm_root_entry(struct vm *vm, uint64_t root, uint64_t va)
{
    struct shadow_ops o = tv_ops_for(vm);

    for (unsigned i = 0; i < vm->nvcpus; i++) {
        if (vm->vcpus[i].arch.tv.frames) {
            shadow_drop_root_entry(&vm->vcpus[i].arch.tv.sh, &o, root, va);
        }
    }
}

void tv_drop_vm_span(struct vm *vm, uint64_t va, unsigned level, bool all)
{
    drop_vm_trees(vm, va, level, all);
    if (all) {
        shootdown(vm);
    }
}

/* Drops every tree of this vCPU (a satp-independent flush: an sfence.vma of everything). When no
 * tree of the VM holds anything any more, no table needs protecting: the record starts afresh, so
 * that frames which stopped being tables meanwhile (freed, reused as data) stop trapping stores. */
void tv_drop_all(struct vcpu *v)
{
    struct shadow_ops o = tv_ops_for(v->vm);

    shadow_drop_all(&v->arch.tv.sh, &o);
    for (unsigned i = 0; i < v->vm->nvcpus; i++) {
        const struct shadow *s = &v->vm->vcpus[i].arch.tv.sh;
        for (unsigned k = 0; v->vm->vcpus[i].arch.tv.frames && k < s->nspaces; k++) {
            if (s->space[k].filled) {
                return;
            }
        }
    }
    shadow_vm_reset(&v->vm->shadow);
}

/* A guest sfence.vma of every address (of one guest ASID when asid_mask is set): the lower halves
 * of this vCPU's trees go (shadow_drop_lower says why the upper halves may stay); once no tree of
 * the VM holds a lower-half translation, the record forgets the tables that only served those. */
void tv_drop_lower(struct vcpu *v, uint64_t asid_mask, uint64_t asid_value)
{
    struct shadow_ops o = tv_ops_for(v->vm);

    shadow_drop_lower(&v->arch.tv.sh, &o, asid_mask, asid_value);
    for (unsigned i = 0; i < v->vm->nvcpus; i++) {
        if (v->vm->vcpus[i].arch.tv.frames && shadow_has_lower(&v->vm->vcpus[i].arch.tv.sh)) {
            return;
        }
    }
    shadow_vm_forget_lower(&v->vm->shadow);
}

void tv_page_fault(struct vcpu *v, uint64_t code)
{
    struct vcpu_arch *a = &v->arch;
    enum shadow_access acc = code == EXC_STORE_PAGE_FAULT ? SHADOW_STORE
                             : code == EXC_LOAD_PAGE_FAULT ? SHADOW_LOAD
                                                           : SHADOW_EXEC;
    struct shadow_env e;
    enum shadow_view view = tv_env_of(v, &e);
    uint64_t va = a->stval, gpa = 0;

    if (a->tv.direct_root) {
        tv_reflect(a, code, va); /* the guest's own validated tables said no */
        return;
    }
    struct shadow_ops o = tv_ops_for(v->vm);
    /* The commonest store fault: to a table the tree maps read-only because it is one (and still
     * is: a table the guest unlinked is plain memory again, filled writable below). */
    uint64_t hpa = acc == SHADOW_STORE ? shadow_table_store_hpa(&a->tv.sh, &o, view, va) : 0;
    if (hpa && hpa - v->vm->ram_hpa < v->vm->ram_size &&
        shadow_wp_find(&v->vm->shadow, hpa - v->vm->ram_hpa + VM_RAM_BASE)) {
        tv_table_write(v, hpa - v->vm->ram_hpa + VM_RAM_BASE);
        return;
    }
    enum shadow_result r = shadow_fill(&a->tv.sh, &o, &e, view, va, acc, &gpa);
    switch (r) {
    case SHADOW_OK:
        /* The entry may have been cached as invalid: fence it before retrying. */
        __asm__ volatile("sfence.vma %0, zero" : : "r"(va) : "memory");
        a->scause = EXIT_SHADOW_FILL;
        a->tv.exit_done = true;
        return;
    case SHADOW_PAGE_FAULT:
        if (!a->tv.vmode && v->vm->shadow.fenced_lower) {
            a->tv.refill_va = va;
        }
        tv_reflect(a, code, va);
        return;
    case SHADOW_TABLE_WRITE:
        tv_table_write(v, gpa);
        return;
    case SHADOW_PATCHED:
        tv_patch_undo(v->vm, gpa);
        a->scause = EXIT_SHADOW_FILL;
        a->tv.exit_done = true;
        return;
    case SHADOW_WRITE_PROTECTED:
        vm_log(v->vm, "stored to one of its validated page tables at 0x%lx: page fault", (unsigned long)va);
        tv_reflect(a, code, va);
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

/* fix: what the guest would read, its own instructions where patches are (tpatch_fixup). */
static bool read_guest(struct vcpu *v, uint64_t gva, enum shadow_access acc, void *out, unsigned len,
                       bool fix)
{
    struct shadow_env e;
    enum shadow_view view = tv_env_of(v, &e);
    uint64_t gpa, pte;
    unsigned level;

    if (v->arch.tv.direct_root && !e.root) {
        return false;
    }
    struct shadow_ops o = tv_ops_for(v->vm);
    enum shadow_result rr = shadow_translate(&o, &e, view, gva, acc, false, &gpa, &pte, &level, (struct shadow_path *)0);
    if (rr != SHADOW_OK) {
        return false;
    }
    const uint8_t *p = guest_ram_ptr(v->vm, gpa, len);
    if (!p) {
        return false;
    }
    for (unsigned i = 0; i < len; i++) {
        ((uint8_t *)out)[i] = p[i];
    }
    if (fix) {
        tpatch_fixup(&v->vm->shadow.patch, gpa, out, len);
    }
    return true;
}

bool tv_translate_exec(struct vcpu *v, uint64_t va, uint64_t *gpa)
{
    struct shadow_env e;
    uint64_t pte;
    unsigned level;

    (void)tv_env_of(v, &e);
    if (v->arch.tv.direct_root) {
        return false;
    }
    struct shadow_ops o = tv_ops_for(v->vm);
    enum shadow_view view = e.sum ? SHADOW_KERNEL_SUM : SHADOW_KERNEL;
    return shadow_translate(&o, &e, view, va, SHADOW_EXEC, false, gpa, &pte, &level,
                            (struct shadow_path *)0) == SHADOW_OK;
}

/* Code the guest runs is mapped in the tree of its view already (it trapped there): found with
 * three loads instead of a walk of its tables. A leaf of the trees maps guest RAM only, and only RAM
 * already cleared. Both halves are in the page; a patch (0x0003 first) needs the original. */
static bool insn_from_tree(struct vcpu *v, uint64_t gva, uint32_t *insn)
{
    struct vcpu_arch *a = &v->arch;

    if (a->tv.direct_root || (gva & 4095) > 4092) {
        return false;
    }
    struct shadow_env e;
    enum shadow_view view = tv_env_of(v, &e);
    struct shadow_ops o = tv_ops_for(v->vm);
    uint64_t hpa = shadow_exec_hpa(&a->tv.sh, &o, view, gva);
    if (!hpa || hpa - v->vm->ram_hpa > v->vm->ram_size - 4) {
        return false;
    }
    const volatile uint16_t *p = (const volatile uint16_t *)(uintptr_t)hpa;
    uint16_t lo = p[0];
    if (lo == 0x0003) {
        return false;
    }
    *insn = (lo & 3) != 3 ? lo : lo | (uint32_t)p[1] << 16;
    return true;
}

bool tv_read_insn(struct vcpu *v, uint64_t gva, uint32_t *insn)
{
    uint16_t lo, hi;

    if (!(gva & 1) && insn_from_tree(v, gva, insn)) {
        return true;
    }
    if ((gva & 1) || !read_guest(v, gva, SHADOW_EXEC, &lo, 2, false)) {
        return false;
    }
    /* A patch starts with the half 0x0003 (`lb x0, imm(x0)`) and never crosses a frame: only such
     * an instruction may need its original (this runs on every device access of the guest). */
    if (lo == 0x0003 && (gva & 4095) <= 4092) {
        return read_guest(v, gva, SHADOW_EXEC, insn, 4, true);
    }
    if ((lo & 3) != 3) {
        *insn = lo;
        return true;
    }
    /* The second half may be on the next page: translate it on its own. */
    if (!read_guest(v, gva + 2, SHADOW_EXEC, &hi, 2, false)) {
        return false;
    }
    *insn = lo | ((uint32_t)hi << 16);
    return true;
}

bool tv_read_guest_u64(struct vcpu *v, uint64_t gva, uint64_t *val)
{
    return (gva & 7) == 0 && read_guest(v, gva, SHADOW_LOAD, val, 8, true);
}

void tv_flush_vvma(uint64_t start, uint64_t size, long asid)
{
    struct vcpu *loaded = arch_this_cpu()->loaded;

    (void)asid; /* shadow trees are per vCPU, not per ASID */
    if (!loaded) {
        return;
    }
    /* An SBI remote fence names no guest ASID we could trust to match a tree: drop by address or all. */
    bool all = size > 64 * 4096ull;
    uint64_t first = start & ~4095ull;
    uint64_t pages = ((start & 4095) + size + 4095) / 4096;
    for (uint64_t i = 0; !all && i < pages; i++) {
        drop_vm_trees(loaded->vm, first + i * 4096, 0, false);
    }
    if (all) {
        drop_vm_trees(loaded->vm, 0, 0, true); /* the caller fences the other harts itself */
    }
    __asm__ volatile("sfence.vma" ::: "memory");
}

long tv_remote_flush_vvma(uint64_t harts, uint64_t start, uint64_t size, long asid)
{
    /* tv_flush_vvma has dropped the range from every tree of the VM, those of vCPUs elsewhere too:
     * those harts' TLBs go now, for every ASID (ours name shadow views, not the guest's). */
    (void)asid;
    return arch_fw_remote_sfence_vma(harts, start, size);
}

long tv_remote_flush_vm(uint64_t harts, unsigned vmid)
{
    (void)vmid; /* no VMIDs without H: everything cached there goes */
    return arch_fw_remote_sfence_vma(harts, 0, 0);
}

void tv_tables_retyped(struct vcpu *v)
{
    /* Frames that just became tables may be mapped writable in a shadow tree, or protected there
     * with their stores carried out by the engine: every tree of the VM goes, and the record. */
    if (v) {
        tv_drop_vm_shadows(v->vm, 0, true); /* on its other harts too, before the retype stands */
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
    uint64_t satp = v->arch.vs.vsatp;

    if (v->arch.tv.direct_root == root || v->arch.tv.direct_user_root == root) {
        return true;
    }
    return (satp >> SATP_MODE_SHIFT) != SATP_MODE_BARE && ((satp & SATP_PPN_MASK) << 12) == root;
}
