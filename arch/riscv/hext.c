// SPDX-License-Identifier: MIT
// The hext engine: guests in VS/VU-mode under the H extension; world switch of the VS-level state.
// Its operations (arch/engine.h) are collected in hext_engine_ops at the end.
#include <string.h>

#include <arch/arch.h>
#include <arch/csr.h>
#include <arch/privemu.h>
#include <arch/engine.h>
#include <arch/vcpu_arch.h>

#include "exit.h"
#include "vm.h"

extern unsigned arch_vmid_bits;
extern uint64_t arch_fw_scounteren;
_Noreturn void vcpu_arch_enter(struct vcpu_arch *a);
void fp_arch_save(struct vcpu_fp *fp);
void fp_arch_restore(const struct vcpu_fp *fp);
long hlvx_hu_safe(uint64_t gva, uint16_t *out);
long hlv_d_safe(uint64_t gva, uint64_t *out);
_Noreturn void hext_trap(struct vcpu_arch *a);

#define FS_INITIAL (1ul << 13)
#define FS_CLEAN (2ul << 13)
#define FS_DIRTY (3ul << 13)
/* VS interrupt bits as hip/hvip number them; vsie/vsip number the same interrupts one lower. */
#define VS_IRQ_MASK ((1ul << IRQ_VS_SOFT) | (1ul << IRQ_VS_TIMER) | (1ul << IRQ_VS_EXT))

extern bool hart_has_sstc;

static void hext_flush_vvma(uint64_t start, uint64_t size, long asid);
static void hext_timer_check(struct vcpu *v, uint64_t now);
static uint64_t hext_get_satp(const struct vcpu *v);

static void hext_reset(struct vcpu *v, uint64_t entry, uint64_t a0, uint64_t a1)
{
    struct vcpu_arch *a = &v->arch;

    memset(a, 0, sizeof(*a));
    a->fast_cause = EXC_VS_ECALL;
    a->regs.sepc = entry;
    a->regs.x[REG_A0] = a0;
    a->regs.x[REG_A1] = a1;
    /* sret lands in VS-mode (SPV, SPP) with the guest's interrupts off, as after a hart reset. FP is
     * usable at both levels: sstatus.FS lets VS-mode have it at all, and the guest's own vsstatus.FS
     * starts Dirty, as OpenSBI leaves sstatus for a payload it starts natively (the census probes
     * entry-sstatus and entry-fp compare the three). */
    a->regs.sstatus = SSTATUS_SPP | FS_INITIAL;
    a->vs.vsstatus = FS_DIRTY;
    /* WFI traps (VTW) so that a sleeping guest gives up the hart. VSXL = 2: a 64-bit guest. */
    a->regs.hstatus = HSTATUS_SPV | HSTATUS_SPVP | HSTATUS_VTW | (2ul << HSTATUS_VSXL_SHIFT);
    a->vs.vstimecmp = ~0ull;
    a->vs.scounteren = arch_fw_scounteren;
    a->timer_deadline = ~0ull;
    a->flush_on_load = true;
}

static void hext_set_gstage(struct vcpu_arch *a, uint64_t root, unsigned vmid)
{
    if (arch_vmid_bits == 0 || vmid >= (1u << arch_vmid_bits)) {
        vmid = 0; /* shared tag: vcpu_arch_run flushes on every switch then */
    }
    a->hgatp = (HGATP_MODE_SV39X4 << HGATP_MODE_SHIFT) | ((uint64_t)vmid << HGATP_VMID_SHIFT) |
               ((root >> 12) & HGATP_PPN_MASK);
}

static void hext_unload(struct vcpu *v)
{
    struct pcpu *c = arch_this_cpu();
    struct vcpu_arch *a = &v->arch;

    if (c->loaded != v) {
        return;
    }
    /* Started afresh (by another hart, its VM rebuilt) since it was loaded here: what the CSRs hold
     * is its earlier life's, and must not overwrite the new one. */
    if (a->flush_on_load) {
        c->loaded = (struct vcpu *)0;
        return;
    }
    a->vs.vsstatus = csr_read(CSR_VSSTATUS);
    a->vs.vsie = csr_read(CSR_VSIE);
    a->vs.vstvec = csr_read(CSR_VSTVEC);
    a->vs.vsscratch = csr_read(CSR_VSSCRATCH);
    a->vs.vsepc = csr_read(CSR_VSEPC);
    a->vs.vscause = csr_read(CSR_VSCAUSE);
    a->vs.vstval = csr_read(CSR_VSTVAL);
    a->vs.vsatp = csr_read(CSR_VSATP);
    a->vs.hvip = csr_read(CSR_HVIP);
    a->vs.scounteren = csr_read(CSR_SCOUNTEREN);
    a->vs.senvcfg = csr_read(CSR_SENVCFG);
    if (hart_has_sstc) {
        a->vs.vstimecmp = csr_read(CSR_VSTIMECMP);
    }
    if ((a->regs.sstatus & SSTATUS_FS) == FS_DIRTY) {
        fp_arch_save(&a->fp);
        a->regs.sstatus = (a->regs.sstatus & ~SSTATUS_FS) | FS_CLEAN;
    }
    c->loaded = (struct vcpu *)0;
}

static void hext_load(struct vcpu *v)
{
    const struct vcpu_arch *a = &v->arch;

    csr_write(CSR_VSSTATUS, a->vs.vsstatus);
    csr_write(CSR_VSIE, a->vs.vsie);
    csr_write(CSR_VSTVEC, a->vs.vstvec);
    csr_write(CSR_VSSCRATCH, a->vs.vsscratch);
    csr_write(CSR_VSEPC, a->vs.vsepc);
    csr_write(CSR_VSCAUSE, a->vs.vscause);
    csr_write(CSR_VSTVAL, a->vs.vstval);
    csr_write(CSR_VSATP, a->vs.vsatp);
    csr_write(CSR_HVIP, a->vs.hvip);
    csr_write(CSR_SCOUNTEREN, a->vs.scounteren);
    csr_write(CSR_SENVCFG, a->vs.senvcfg);
    if (hart_has_sstc) {
        csr_write(CSR_VSTIMECMP, a->vs.vstimecmp);
    }
    csr_write(CSR_HGATP, a->hgatp);
    if (((a->hgatp >> HGATP_VMID_SHIFT) & HGATP_VMID_MASK) == 0) {
        arch_gstage_flush(0);
    }
    /* vCPUs of one VM share a VMID, and their guest page tables may reuse an ASID with different
     * roots: what another vCPU of the VM left in the VS-stage TLB is not this one's, even if other
     * VMs ran in between. A vCPU started afresh (HSM, reboot) must not see its earlier life's. */
    struct pcpu *c = arch_this_cpu();
    struct vcpu *last = c->vs_last[v->vm->id];
    if ((last && last != v) || a->flush_on_load) {
        hext_flush_vvma(0, ~0ull, -1);
    }
    c->vs_last[v->vm->id] = v;
    v->arch.flush_on_load = false;
    /* Always load FP registers, zeros for a vCPU that never used them: the previous guest's values
     * must not be visible to this one. */
    csr_set(CSR_SSTATUS, FS_INITIAL);
    fp_arch_restore(&a->fp);
}

static _Noreturn void hext_run(struct vcpu *v)
{
    struct pcpu *c = arch_this_cpu();

    vcpu_arch_charge_exit(c);

    if (c->loaded != v || v->arch.flush_on_load) {
        if (c->loaded) {
            hext_unload(c->loaded);
        }
        hext_load(v);
        c->loaded = v;
    }
    v->arch.hyp_sp = c->stack_top;
    v->arch.hyp_tp = (uint64_t)(uintptr_t)c;
    vcpu_arch_enter(&v->arch);
}

/* Called by trap_vector (trap.S) with the guest saved. */
_Noreturn void hext_trap(struct vcpu_arch *a)
{
    /* Read the trap CSRs first: anything below may trap (a guarded guest read) and overwrite them. */
    a->scause = csr_read(CSR_SCAUSE);
    a->stval = csr_read(CSR_STVAL);
    a->htval = csr_read(CSR_HTVAL);
    a->htinst = csr_read(CSR_HTINST);
    arch_this_cpu()->exiting = vcpu_of_arch(a);
    vcpu_handle_exit(vcpu_of_arch(a));
}

static bool hext_irq_pending(const struct vcpu_arch *a, uint64_t now)
{
    uint64_t pending = a->vs.hvip & VS_IRQ_MASK;

    if (now >= (hart_has_sstc ? a->vs.vstimecmp : a->timer_deadline)) {
        pending |= 1ul << IRQ_VS_TIMER;
    }
    return (pending & (a->vs.vsie << 1)) != 0;
}

static bool hext_handler_faults(const struct vcpu *v)
{
    const struct vcpu_arch *a = &v->arch;
    bool loaded = arch_this_cpu()->loaded == v;
    uint64_t tvec = loaded ? csr_read(CSR_VSTVEC) : a->vs.vstvec;
    uint64_t epc = loaded ? csr_read(CSR_VSEPC) : a->vs.vsepc;
    uint64_t cause = loaded ? csr_read(CSR_VSCAUSE) : a->vs.vscause;

    /* From the guest's kernel only: its user code faulting at that address is no loop of its own. */
    return vcpu_arch_guest_kernel_mode(a) && !(cause & SCAUSE_IRQ) && a->regs.sepc == (tvec & ~3ul) &&
           epc == a->regs.sepc;
}

static uint64_t hext_timer_deadline(const struct vcpu_arch *a)
{
    const struct pcpu *c = arch_this_cpu();
    uint64_t vsie = c->loaded == vcpu_of_arch((struct vcpu_arch *)a) ? csr_read(CSR_VSIE) : a->vs.vsie;

    /* With Sstc a running vCPU's timer needs nothing from us; a sleeping one needs the hart awake. */
    if (!(vsie & (1ul << IRQ_S_TIMER))) {
        return ~0ull;
    }
    if (hart_has_sstc) {
        return c->loaded == vcpu_of_arch((struct vcpu_arch *)a) ? ~0ull : a->vs.vstimecmp;
    }
    return a->timer_deadline;
}

static void hext_set_timer(struct vcpu *v, uint64_t deadline)
{
    if (hart_has_sstc) {
        /* The caller is the loaded vCPU: its vstimecmp is live, and writing it also clears VSTIP. */
        csr_write(CSR_VSTIMECMP, deadline);
        v->arch.vs.vstimecmp = deadline;
        return;
    }
    v->arch.timer_deadline = deadline;
    csr_clear(CSR_HVIP, 1ul << IRQ_VS_TIMER);
    hext_timer_check(v, arch_time());
}

static void hext_timer_check(struct vcpu *v, uint64_t now)
{
    if (!hart_has_sstc && arch_this_cpu()->loaded == v && now >= v->arch.timer_deadline) {
        csr_set(CSR_HVIP, 1ul << IRQ_VS_TIMER);
        v->arch.timer_deadline = ~0ull;
    }
}

static uint64_t hext_guest_stvec(const struct vcpu *v)
{
    /* The loaded vCPU's is live in the CSR; otherwise it was saved at unload. */
    return arch_this_cpu()->loaded == v ? csr_read(CSR_VSTVEC) : v->arch.vs.vstvec;
}

static void hext_inject_exception(struct vcpu *v, uint64_t cause, uint64_t tval)
{
    struct vcpu_arch *a = &v->arch;
    uint64_t old = csr_read(CSR_VSSTATUS);
    uint64_t vsstatus = old & ~(SSTATUS_SPP | SSTATUS_SPIE | SSTATUS_SIE);

    /* What the hardware does on a trap into VS-mode (priv spec, supervisor chapter, "sstatus"):
     * SPP = the mode trapped from, SPIE = SIE, SIE = 0, then jump to the base of vstvec. */
    vsstatus |= (a->regs.sstatus & SSTATUS_SPP);
    vsstatus |= (old & SSTATUS_SIE) ? SSTATUS_SPIE : 0;
    csr_write(CSR_VSSTATUS, vsstatus);
    csr_write(CSR_VSEPC, a->regs.sepc);
    csr_write(CSR_VSCAUSE, cause);
    csr_write(CSR_VSTVAL, tval);
    a->regs.sepc = csr_read(CSR_VSTVEC) & ~3ul;
    a->regs.sstatus |= SSTATUS_SPP;
}

static bool hext_read_insn(struct vcpu *v, uint64_t gva, uint32_t *insn)
{
    uint16_t lo, hi;

    (void)v;
    /* HLVX reads with execute permission, as an instruction fetch would (hypervisor chapter). */
    if (hlvx_hu_safe(gva, &lo) != 0) {
        return false;
    }
    if ((lo & 3) != 3) {
        *insn = lo; /* compressed */
        return true;
    }
    if (hlvx_hu_safe(gva + 2, &hi) != 0) {
        return false;
    }
    *insn = lo | ((uint32_t)hi << 16);
    return true;
}

static bool hext_read_guest_u64(struct vcpu *v, uint64_t gva, uint64_t *val)
{
    (void)v;
    /* HLV.D translates and checks permissions as the guest mode in hstatus.SPVP would. */
    return (gva & 7) == 0 && hlv_d_safe(gva, val) == 0;
}

static void hext_set_virq(struct vcpu *v, unsigned irq, bool on)
{
    uint64_t bit = 1ul << irq;


    /* A vCPU reset since it was loaded here is loaded again from memory before it runs. */
    if (arch_this_cpu()->loaded == v && !v->arch.flush_on_load) {
        if (on) {
            csr_set(CSR_HVIP, bit);
        } else {
            csr_clear(CSR_HVIP, bit);
        }
    } else if (on) {
        v->arch.vs.hvip |= bit;
    } else {
        v->arch.vs.hvip &= ~bit;
    }
}

static bool hext_virq_pending(const struct vcpu *v, unsigned irq)
{
    uint64_t hvip = arch_this_cpu()->loaded == v && !v->arch.flush_on_load ? csr_read(CSR_HVIP)
                                                                           : v->arch.vs.hvip;

    return (hvip >> irq) & 1;
}

static void hext_flush_vvma(uint64_t start, uint64_t size, long asid)
{
    /* Page by page for small ranges; beyond 64 pages one full flush is cheaper. */
    bool all = size > 64 * 4096ul;

    if (asid < 0 && all) {
        __asm__ volatile(".option push\n.option arch, +h\nhfence.vvma zero, zero\n.option pop" ::: "memory");
        return;
    }
    if (all) {
        __asm__ volatile(".option push\n.option arch, +h\nhfence.vvma zero, %0\n.option pop"
                         : : "r"(asid) : "memory");
        return;
    }
    uint64_t first = start & ~4095ul;
    uint64_t pages = ((start & 4095) + size + 4095) / 4096;
    for (uint64_t i = 0; i < pages; i++) {
        uint64_t a = first + i * 4096;
        if (asid < 0) {
            __asm__ volatile(".option push\n.option arch, +h\nhfence.vvma %0, zero\n.option pop"
                             : : "r"(a) : "memory");
        } else {
            __asm__ volatile(".option push\n.option arch, +h\nhfence.vvma %0, %1\n.option pop"
                             : : "r"(a), "r"(asid) : "memory");
        }
    }
}

static void hext_set_root(struct vcpu *v, uint64_t satp, uint64_t user_root)
{
    (void)user_root;
    /* The hardware keeps VS and VU apart itself: no user root needed. A new root with the same ASID
     * needs no flush here: the guest asks for one when it must. */
    if (arch_this_cpu()->loaded == v) {
        csr_write(CSR_VSATP, satp);
    } else {
        v->arch.vs.vsatp = satp;
    }
}

static bool hext_root_in_use(const struct vcpu *v, uint64_t root)
{
    uint64_t satp = hext_get_satp(v);

    return (satp >> 60) != 0 && ((satp & ((1ull << 44) - 1)) << 12) == root;
}

static uint64_t hext_get_satp(const struct vcpu *v)
{
    return arch_this_cpu()->loaded == v ? csr_read(CSR_VSATP) : v->arch.vs.vsatp;
}

static void hext_gstage_flush(unsigned vmid)
{
    if (arch_vmid_bits == 0 || vmid >= (1u << arch_vmid_bits)) {
        vmid = 0;
    }
    /* G-stage entries of that VMID, then its VS-stage ones: HFENCE.VVMA only reaches the VMID in
     * hgatp, so borrow hgatp for a moment (nothing runs with it: no guest is entered meanwhile). */
    __asm__ volatile(".option push\n.option arch, +h\nhfence.gvma zero, %0\n.option pop"
                     :
                     : "r"((unsigned long)vmid)
                     : "memory");
    unsigned long saved = csr_read(CSR_HGATP);
    csr_write(CSR_HGATP, (HGATP_MODE_SV39X4 << HGATP_MODE_SHIFT) | ((unsigned long)vmid << HGATP_VMID_SHIFT));
    __asm__ volatile(".option push\n.option arch, +h\nhfence.vvma zero, zero\n.option pop" ::: "memory");
    csr_write(CSR_HGATP, saved);
}

static uint64_t hext_no_reserved_entry(void)
{
    return 0; /* guests have a G-stage of their own: nothing of the hypervisor's is in their roots */
}

static int hext_vm_create(struct vm *vm, const struct pt_alloc *alloc)
{
    (void)vm;
    (void)alloc;
    return 0;
}

static void hext_vm_destroy(struct vm *vm, const struct pt_alloc *alloc)
{
    (void)vm;
    (void)alloc;
}

static void hext_vm_reboot(struct vm *vm)
{
    (void)vm;
}

static int hext_vcpu_create(struct vcpu *v, const struct pt_alloc *alloc)
{
    (void)v;
    (void)alloc;
    return 0;
}

static void hext_vcpu_destroy(struct vcpu *v, const struct pt_alloc *alloc)
{
    (void)v;
    (void)alloc;
}

static void hext_tables_retyped(struct vcpu *loaded)
{
    (void)loaded; /* the hardware walks the guest's own tables: nothing cached to drop */
}

const struct vcpu_engine_ops hext_engine_ops = {
    .name = "hext",
    .hart_init = 0,
    .reserved_root_entry = hext_no_reserved_entry,
    .vm_create = hext_vm_create,
    .vm_destroy = hext_vm_destroy,
    .vm_reboot = hext_vm_reboot,
    .vcpu_create = hext_vcpu_create,
    .vcpu_destroy = hext_vcpu_destroy,
    .gstage_flush = hext_gstage_flush,
    .reset = hext_reset,
    .set_gstage = hext_set_gstage,
    .run = hext_run,
    .unload = hext_unload,
    .irq_pending = hext_irq_pending,
    .handler_faults = hext_handler_faults,
    .tables_retyped = hext_tables_retyped,
    .timer_deadline = hext_timer_deadline,
    .set_timer = hext_set_timer,
    .timer_check = hext_timer_check,
    .inject_exception = hext_inject_exception,
    .guest_stvec = hext_guest_stvec,
    .read_insn = hext_read_insn,
    .read_guest_u64 = hext_read_guest_u64,
    .set_virq = hext_set_virq,
    .virq_pending = hext_virq_pending,
    .flush_vvma = hext_flush_vvma,
    .remote_flush_vvma = arch_fw_remote_hfence_vvma,
    .remote_flush_vm = arch_fw_remote_hfence_gvma_vmid,
    .set_root = hext_set_root,
    .root_in_use = hext_root_in_use,
    .get_satp = hext_get_satp,
};
