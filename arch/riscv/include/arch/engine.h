/* SPDX-License-Identifier: MIT */
/* The vCPU engine interface: what an engine (hext: the H extension; trap: deprivileged guests on
 * harts without it) implements behind the vcpu_arch_* and vm_arch_* calls of arch.h. One table is
 * chosen per boot (arch_engine_init), as Linux chooses its paravirt ops: no entry point tests which
 * engine runs. */
#ifndef ARCH_ENGINE_H
#define ARCH_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

struct pt_alloc;
struct vcpu;
struct vcpu_arch;
struct vm;

struct vcpu_engine_ops {
    const char *name;
    /* Per hart, once, after arch_hart_init: the engine's own set-up (roots, vectors). */
    void (*hart_init)(void);
    /* The root entry every guest root must keep (trap: the hypervisor's alias), or 0. */
    uint64_t (*reserved_root_entry)(void);
    int (*vm_create)(struct vm *vm, const struct pt_alloc *alloc);
    void (*vm_destroy)(struct vm *vm, const struct pt_alloc *alloc);
    void (*vm_reboot)(struct vm *vm);
    int (*vcpu_create)(struct vcpu *v, const struct pt_alloc *alloc);
    void (*vcpu_destroy)(struct vcpu *v, const struct pt_alloc *alloc);
    void (*gstage_flush)(unsigned vmid);
    void (*reset)(struct vcpu *v, uint64_t entry, uint64_t a0, uint64_t a1);
    void (*set_gstage)(struct vcpu_arch *a, uint64_t root, unsigned vmid);
    /* Enters the guest; the exit comes back through the engine's own trap vector (trap.S). */
    void (*run)(struct vcpu *v) __attribute__((noreturn));
    void (*unload)(struct vcpu *v);
    bool (*irq_pending)(const struct vcpu_arch *a, uint64_t now);
    bool (*handler_faults)(const struct vcpu *v);
    void (*tables_retyped)(struct vcpu *loaded);
    uint64_t (*timer_deadline)(const struct vcpu_arch *a);
    void (*set_timer)(struct vcpu *v, uint64_t deadline);
    void (*timer_check)(struct vcpu *v, uint64_t now);
    void (*inject_exception)(struct vcpu *v, uint64_t cause, uint64_t tval);
    uint64_t (*guest_stvec)(const struct vcpu *v);
    bool (*read_insn)(struct vcpu *v, uint64_t gva, uint32_t *insn);
    bool (*read_guest_u64)(struct vcpu *v, uint64_t gva, uint64_t *val);
    void (*set_virq)(struct vcpu *v, unsigned irq, bool on);
    bool (*virq_pending)(const struct vcpu *v, unsigned irq);
    void (*flush_vvma)(uint64_t start, uint64_t size, long asid);
    /* The same fence on other harts (the caller's VM is loaded here), done when it returns. */
    long (*remote_flush_vvma)(uint64_t harts, uint64_t start, uint64_t size, long asid);
    /* Before a VM's frames or VMID are reused: every translation of it on those harts goes. */
    long (*remote_flush_vm)(uint64_t harts, unsigned vmid);
    void (*set_root)(struct vcpu *v, uint64_t satp, uint64_t user_root);
    bool (*root_in_use)(const struct vcpu *v, uint64_t root);
    uint64_t (*get_satp)(const struct vcpu *v);
    /* The hypervisor is about to store into [gpa, gpa + len) for the guest (trap: undo patched
     * instructions there first); NULL when nothing needs doing. */
    void (*guest_write)(struct vm *vm, uint64_t gpa, uint64_t len);
    /* The vCPU page (HV_FEAT_VCPU_PAGE); NULL where the engine has no use for one (hext). Both
     * return an SBI error; trap_return, on success, has set the vCPU's return state itself. */
    long (*set_vcpu_page)(struct vcpu *v, uint64_t gpa);
    long (*trap_return)(struct vcpu *v);
    /* HV_FID_TABLES_FENCED; NULL where the guest's tables are never shadowed (hext). */
    long (*tables_fenced)(struct vcpu *v);
    /* HV_FEAT_TABLES_BATCHED (NULL on hext): the hypervisor wrote now over old at gpa, in the guest's
     * shadowed tables (enum arch_table_update); the pages of [lo, hi), in one 2 MiB region, of the
     * address space on the guest root at root go from the trees of every vCPU of the VM. */
    int (*table_updated)(struct vcpu *v, uint64_t gpa, uint64_t old, uint64_t now);
    void (*drop_pages)(struct vcpu *v, uint64_t root, uint64_t lo, uint64_t hi);
    /* SET_ROOT of a shadowed root (satp: Sv39, ASID, the root's guest physical frame). */
    void (*set_shadow_root)(struct vcpu *v, uint64_t satp);
};

extern const struct vcpu_engine_ops hext_engine_ops;
extern const struct vcpu_engine_ops trap_engine_ops;
/* The engine of this boot: set once by arch_engine_init, read by every vcpu_arch_* call. */
extern const struct vcpu_engine_ops *vcpu_engine;

#endif
