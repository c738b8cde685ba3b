// SPDX-License-Identifier: MIT
// The trap engine's patching of a guest kernel's privileged instructions (arch/tpatch.h) in a VM:
// patching what the short path emulated, recognising a patch's load fault on the full path, undoing
// a frame's patches before a device writes into it, and the hypervisor's reads of patched memory.
#include <arch/arch.h>
#include <arch/csr.h>
#include <arch/shadow.h>
#include <arch/tpatch.h>
#include <arch/vcpu_arch.h>

#include "guest_mem.h"
#include "tengine_int.h"
#include "vm.h"

#define PAGE 4096ull

/* Only code that has just been modified needs this: the hart may hold the old bytes. Another hart
 * with stale bytes executes either form of the instruction, which the engine emulates alike. */
static void fence_i(void)
{
    __asm__ volatile("fence.i" ::: "memory");
}

/* Stores the hypervisor makes for the guest come here while some frame holds patches. */
static void watch(struct vm *vm)
{
    vm->watch_lo = vm->shadow.patch.lo;
    vm->watch_hi = vm->shadow.patch.hi;
}

/* Patches the instructions emulated since, before the guest enters again, so that the drop a frame's
 * first patch needs is fenced at that entry. A frame's first patch costs every tree of the VM: those
 * wait until a batch of them is due together (a full list, or TV_PATCH_WAIT calls since), one drop
 * for all (measured: a drop per new frame made Linux's boot 7% longer, for the frames of its init
 * code). Patches into frames already patched need no drop and go at once. */
void tv_patch_pending(struct vcpu *v)
{
    struct vcpu_arch *a = &v->arch;
    struct tpatch *p = &v->vm->shadow.patch;
    unsigned n = a->tv.nwant, keep = 0;
    bool drop = false, wrote = false;
    bool flush = n >= TV_PATCH_WANT || ++a->tv.patch_wait >= TV_PATCH_WAIT;

    a->tv.nwant = 0;
    /* Paravirtual direct paging runs on validated tables, whose frames the shadow does not map. A
     * VM whose vCPUs run on several harts is never patched: the short path reads the patch table
     * without the VM's lock, which another hart may be changing it under. */
    if (a->tv.direct_root || v->vm->spans_harts) {
        return;
    }
    for (unsigned i = 0; i < n && i < TV_PATCH_WANT; i++) {
        uint64_t va = a->tv.want_va[i], gpa = a->tv.want_gpa[i];
        /* With a second vCPU running elsewhere the 4 bytes must change in one aligned store, or it
         * could fetch half of each; alone, any instruction inside one frame will do. A waiting
         * one keeps its frame: tpatch_add finds whether the instruction is still there. */
        unsigned align = v->vm->nvcpus > 1 ? 3 : 1;
        if (!gpa && ((va & align) || !tv_translate_exec(v, va, &gpa) || !gpa)) {
            continue;
        }
        if ((gpa & (PAGE - 1)) > PAGE - 4) {
            continue;
        }
        uint64_t frame = gpa & ~(PAGE - 1);
        uint8_t *mem = guest_ram_dma_ptr(v->vm, frame, PAGE);
        /* A page table of the guest's (protected, its stores emulated) is no code to patch. */
        if (!mem || shadow_wp_find(&v->vm->shadow, frame)) {
            continue;
        }
        if (!flush && !tpatch_frame_patched(p, frame)) {
            a->tv.want_va[keep] = va;
            a->tv.want_gpa[keep] = gpa;
            a->tv.want_insn[keep++] = a->tv.want_insn[i];
            continue;
        }
        enum tpatch_add_result r =
          tpatch_add(p, mem, frame, (unsigned)(gpa - frame), va, a->tv.want_insn[i]);
        drop |= r == TPATCH_NEW_FRAME;
        wrote |= r != TPATCH_REFUSED;
    }
    a->tv.nwant = keep;
    if (flush || !keep) {
        a->tv.patch_wait = 0;
    }
    if (drop) {
        /* The frame may be mapped readable or writable anywhere (readable leaves are not recorded):
         * every tree of the VM goes, and refills map it execute-only. */
        tv_drop_vm_shadows(v->vm, 0, true);
    }
    if (wrote) {
        fence_i();
    }
    watch(v->vm);
}

/* A load page fault of the guest kernel at addr: true when it is a patched instruction's, which is
 * then emulated as the original (*insn) or retried. Matched by the frame the pc translates to, so
 * code reached at another address than the one it was patched at is found as well. */
bool tv_patch_fault(struct vcpu *v, uint64_t addr, uint32_t *insn, bool *retry)
{
    struct tpatch *p = &v->vm->shadow.patch;
    uint64_t pc = v->arch.regs.sepc, gpa;
    uint64_t s = addr - TPATCH_ADDR_BASE;

    *retry = false;
    /* At the address it was patched at, as the short path matches it; else by its frame. */
    const struct tpatch_slot *hit = tpatch_hit(p, addr, pc);
    if (hit) {
        *insn = hit->orig;
        return true;
    }
    if (addr < TPATCH_ADDR_BASE || s >= TPATCH_SLOTS || !tv_translate_exec(v, pc, &gpa)) {
        return false;
    }
    struct tpatch_slot *e = &p->slot[s];
    if (e->live && p->frame[e->frame].gpa + e->off == gpa) {
        e->va = pc; /* the short path finds it at this address from now on */
        *insn = e->orig;
        return true;
    }
    /* Not this slot's: this hart may still hold the bytes of a patch since undone. Memory then
     * holds the privileged instruction again (SYSTEM opcode), which runs after a fence; any other
     * bytes (the guest's own load up here) take the fault as it is. */
    const uint8_t *m = guest_ram_ptr(v->vm, gpa, 4);
    if (m && (m[0] & 0x7f) == 0x73) {
        fence_i();
        *retry = true;
        return true;
    }
    return false;
}

/* A device of the hypervisor is about to store into [gpa, gpa + len): the patches there go first,
 * or undoing them later would write old code over the device's data. */
void tv_patch_dma(struct vm *vm, uint64_t gpa, uint64_t len)
{
    if (!tpatch_any_in(&vm->shadow.patch, gpa, len)) {
        return;
    }
    uint8_t *ram = guest_ram_ptr(vm, VM_RAM_BASE, vm->ram_size);
    if (ram) {
        tpatch_undo_range(&vm->shadow.patch, ram, VM_RAM_BASE, gpa, len);
        fence_i();
    }
    watch(vm);
}

/* The guest's data access reached a patched frame (SHADOW_PATCHED): its patches are undone and the
 * access retried, now filled as any other. */
void tv_patch_undo(struct vm *vm, uint64_t gpa)
{
    uint64_t f = gpa & ~(PAGE - 1);
    uint8_t *mem = guest_ram_ptr(vm, f, PAGE);

    if (mem) {
        tpatch_undo_frame(&vm->shadow.patch, mem, f);
        fence_i();
    }
    watch(vm);
}

/* Every patch undone (the VM restarts; its memory may be kept). */
void tv_patch_reset(struct vm *vm)
{
    uint8_t *ram = guest_ram_ptr(vm, VM_RAM_BASE, vm->ram_size);

    if (ram) {
        tpatch_undo_range(&vm->shadow.patch, ram, VM_RAM_BASE, 0, ~0ull);
    }
    tpatch_init(&vm->shadow.patch);
    fence_i();
    watch(vm);
}
