// SPDX-License-Identifier: MIT
// The vcpu_arch_* and vm_arch_* calls of arch.h, each handed to the engine chosen at boot
// (arch/engine.h); what both engines share lives here too.
#include <arch/arch.h>
#include <arch/csr.h>
#include <arch/engine.h>
#include <arch/vcpu_arch.h>

#include "engine_int.h"
#include "hvabi.h"
#include "vm.h"

const struct vcpu_engine_ops *vcpu_engine = &hext_engine_ops;

void arch_engine_init(void)
{
    vcpu_engine = arch_engine_trap ? &trap_engine_ops : &hext_engine_ops;
    if (vcpu_engine->hart_init) {
        vcpu_engine->hart_init();
    }
}

uint64_t arch_reserved_root_entry(void)
{
    return vcpu_engine->reserved_root_entry();
}

int vm_arch_create(struct vm *vm, const struct pt_alloc *alloc)
{
    return vcpu_engine->vm_create(vm, alloc);
}

void vm_arch_destroy(struct vm *vm, const struct pt_alloc *alloc)
{
    vcpu_engine->vm_destroy(vm, alloc);
}

void vm_arch_reboot(struct vm *vm)
{
    vcpu_engine->vm_reboot(vm);
}

int vcpu_arch_create(struct vcpu *v, const struct pt_alloc *alloc)
{
    return vcpu_engine->vcpu_create(v, alloc);
}

void vcpu_arch_destroy(struct vcpu *v, const struct pt_alloc *alloc)
{
    vcpu_engine->vcpu_destroy(v, alloc);
}

void arch_gstage_flush(unsigned vmid)
{
    vcpu_engine->gstage_flush(vmid);
}

void vcpu_arch_reset(struct vcpu_arch *a, uint64_t entry, uint64_t a0, uint64_t a1)
{
    vcpu_engine->reset(vcpu_of_arch(a), entry, a0, a1);
}

void vcpu_arch_set_gstage(struct vcpu_arch *a, uint64_t root, unsigned vmid)
{
    vcpu_engine->set_gstage(a, root, vmid);
}

_Noreturn void vcpu_arch_run(struct vcpu *v)
{
    vcpu_engine->run(v);
}

void vcpu_arch_unload(struct vcpu *v)
{
    vcpu_engine->unload(v);
}

bool vcpu_arch_irq_pending(const struct vcpu_arch *a, uint64_t now)
{
    return vcpu_engine->irq_pending(a, now);
}

bool vcpu_arch_can_wake(const struct vcpu_arch *a)
{
    /* Called on an unloaded vCPU (sched_wfi unloads it first): vs.vsie is its sie, S numbering. */
    return (a->vs.vsie & ((1ul << IRQ_S_SOFT) | (1ul << IRQ_S_TIMER) | (1ul << IRQ_S_EXT))) != 0;
}

bool vcpu_arch_handler_faults(const struct vcpu *v)
{
    return vcpu_engine->handler_faults(v);
}

void vcpu_arch_tables_retyped(void)
{
    vcpu_engine->tables_retyped(arch_this_cpu()->loaded);
}

uint64_t vcpu_arch_timer_deadline(const struct vcpu_arch *a)
{
    return vcpu_engine->timer_deadline(a);
}

void vcpu_arch_set_timer(struct vcpu *v, uint64_t deadline)
{
    vcpu_engine->set_timer(v, deadline);
}

void vcpu_arch_timer_check(struct vcpu *v, uint64_t now)
{
    vcpu_engine->timer_check(v, now);
}

uint64_t vcpu_arch_guest_stvec(const struct vcpu *v)
{
    return vcpu_engine->guest_stvec(v);
}

void vcpu_arch_inject_exception(struct vcpu *v, uint64_t cause, uint64_t tval)
{
    vcpu_engine->inject_exception(v, cause, tval);
}

bool vcpu_arch_read_insn(struct vcpu *v, uint64_t gva, uint32_t *insn)
{
    return vcpu_engine->read_insn(v, gva, insn);
}

bool vcpu_arch_read_guest_u64(struct vcpu *v, uint64_t gva, uint64_t *val)
{
    return vcpu_engine->read_guest_u64(v, gva, val);
}

void vcpu_arch_set_virq(struct vcpu *v, unsigned irq, bool on)
{
    vcpu_engine->set_virq(v, irq, on);
}

bool vcpu_arch_virq_pending(const struct vcpu *v, unsigned irq)
{
    return vcpu_engine->virq_pending(v, irq);
}

void vm_arch_guest_write(struct vm *vm, uint64_t gpa, uint64_t len)
{
    if (vcpu_engine->guest_write) {
        vcpu_engine->guest_write(vm, gpa, len);
    }
}

void vcpu_arch_fence_i(void)
{
    __asm__ volatile("fence.i" ::: "memory");
}

void vcpu_arch_flush_vvma(uint64_t start, uint64_t size, long asid)
{
    vcpu_engine->flush_vvma(start, size, asid);
}

long vcpu_arch_remote_flush_vvma(uint64_t harts, uint64_t start, uint64_t size, long asid)
{
    return vcpu_engine->remote_flush_vvma(harts, start, size, asid);
}

long vcpu_arch_remote_flush_vm(uint64_t harts, unsigned vmid)
{
    return vcpu_engine->remote_flush_vm(harts, vmid);
}

void vcpu_arch_set_root(struct vcpu *v, uint64_t satp, uint64_t user_root)
{
    vcpu_engine->set_root(v, satp, user_root);
}

bool vcpu_arch_root_in_use(const struct vcpu *v, uint64_t root)
{
    return vcpu_engine->root_in_use(v, root);
}

uint64_t vcpu_arch_get_satp(const struct vcpu *v)
{
    return vcpu_engine->get_satp(v);
}

bool vcpu_arch_has_vcpu_page(void)
{
    return vcpu_engine->set_vcpu_page != 0;
}

long vcpu_arch_set_vcpu_page(struct vcpu *v, uint64_t gpa)
{
    return vcpu_engine->set_vcpu_page ? vcpu_engine->set_vcpu_page(v, gpa) : SBI_ERR_NOT_SUPPORTED;
}

long vcpu_arch_trap_return(struct vcpu *v)
{
    return vcpu_engine->trap_return ? vcpu_engine->trap_return(v) : SBI_ERR_NOT_SUPPORTED;
}

bool vcpu_arch_has_tables_fenced(void)
{
    return vcpu_engine->tables_fenced != 0;
}

long vcpu_arch_tables_fenced(struct vcpu *v)
{
    return vcpu_engine->tables_fenced ? vcpu_engine->tables_fenced(v) : SBI_ERR_NOT_SUPPORTED;
}

bool vcpu_arch_has_tables_batched(void)
{
    return vcpu_engine->table_updated != 0;
}

enum arch_table_update vcpu_arch_table_updated(struct vcpu *v, uint64_t gpa, uint64_t old, uint64_t now)
{
    return (enum arch_table_update)vcpu_engine->table_updated(v, gpa, old, now);
}

void vcpu_arch_drop_pages(struct vcpu *v, uint64_t root, uint64_t lo, uint64_t hi)
{
    vcpu_engine->drop_pages(v, root, lo, hi);
}

void vcpu_arch_set_shadow_root(struct vcpu *v, uint64_t satp)
{
    vcpu_engine->set_shadow_root(v, satp);
}

void vcpu_arch_charge_exit(struct pcpu *c)
{
    if (c->exiting) {
        engine_charge(c, &c->exiting->arch);
        c->exiting = (struct vcpu *)0;
    }
}

void vcpu_arch_exit_idles(struct pcpu *c)
{
    /* The exit's work ends here: what the hart does next is wait for an interrupt, which holds no
     * guest up. That time still counts in hyp_instret (as it always has), not in its length. */
    if (c->exiting && !c->exiting->arch.exit_idled) {
        struct vcpu_arch *a = &c->exiting->arch;
        uint64_t spent = csr_read(CSR_INSTRET) - a->exit_instret;
        a->hyp_longest = spent > a->hyp_longest ? spent : a->hyp_longest;
        a->hyp_busy += spent;
        c->busy_instret += spent;
        a->exit_idled = true;
    }
}
