/* SPDX-License-Identifier: MIT */
/* What hyp/ asks of the architecture: hart set-up, time, firmware calls, and the vCPU engine. */
#ifndef ARCH_ARCH_H
#define ARCH_ARCH_H

#include <stdbool.h>
#include <stdint.h>

#if defined(__riscv)
#include <arch/csr.h>
#endif

struct vcpu;
struct vcpu_arch;
struct pcpu;

/* Hart set-up: trap vector, delegation, counters; has_sstc picks how time is kept. Returns VMIDLEN. */
unsigned arch_hart_init(bool has_sstc);

/* This hart's per-cpu block, kept in tp. Inline on the target: every exit asks for it several times.
 * Host builds (unit tests, fuzzers) provide their own. */
#if defined(__riscv)
static inline struct pcpu *arch_this_cpu(void)
{
    struct pcpu *c;
    __asm__("mv %0, tp" : "=r"(c));
    return c;
}

static inline void arch_set_this_cpu(struct pcpu *c)
{
    __asm__ volatile("mv tp, %0" : : "r"(c) : "memory");
}
/* The hypervisor's timer has fired (its deadline passed) and was not set again since. STIP: with
 * Sstc the hart's own comparison; without, the firmware raises it when the deadline of SBI
 * set_timer passes and clears it at the next set_timer (SBI spec, Timer extension). Inline: the
 * device fast path asks on every UART access. */
static inline bool arch_timer_pending(void)
{
    return (csr_read(CSR_SIP) >> IRQ_S_TIMER) & 1;
}
#else
struct pcpu *arch_this_cpu(void);
void arch_set_this_cpu(struct pcpu *c);
bool arch_timer_pending(void);
#endif

uint64_t arch_time(void);
/* Instructions this hart has retired (for the hypervisor's own cost figures). */
uint64_t arch_instret(void);
/* True when stimecmp is accessible (Sstc listed and enabled by the firmware). */
bool arch_sstc_usable(void);
/* The hypervisor's own timer: an interrupt when time >= deadline (~0 for never). */
void arch_timer_set(uint64_t deadline);
/* Waits for an interrupt with interrupts masked: the caller polls what woke it. */
void arch_idle(void);
/* The exit being handled ends in the idle loop: its length (the longest-exit figure) stops here. */
void vcpu_arch_exit_idles(struct pcpu *c);
/* Adds the instructions of the exit being finished to its vCPU's count (both engines); nothing when
 * no exit is being finished. */
void vcpu_arch_charge_exit(struct pcpu *c);

/* Calls into the M-mode firmware (SBI). */
void arch_fw_putchar(int c);
/* Powers the machine off. Status 0 is a clean end; any other is SRST reason "system failure" and,
 * on QEMU, the status QEMU exits with (written to the test finisher the device tree names). */
_Noreturn void arch_fw_shutdown(unsigned status);
#define HYP_EXIT_OK 0
#define HYP_EXIT_GUEST_FAILED 3 /* a guest stopped for a fault, or shut down as "system failure" */
#define HYP_EXIT_NO_GUEST 4     /* no guest could be started */
#define HYP_EXIT_PANIC 5        /* the hypervisor panicked */
/* QEMU's test finisher (sifive,test0/1), 0 for none: set once the device tree is read. */
void arch_fw_set_finisher(uint64_t base);
long arch_fw_hart_status(unsigned long hartid); /* SBI HSM state, or a negative SBI error */
long arch_fw_hart_stop(void); /* returns only on failure: the SBI error */
/* Starts a stopped hart at the secondary entry (head.S) with tp = c and sp = c->stack_top; then
 * hyp_secondary_main(c). Returns the SBI error (0: it will start). */
long arch_fw_hart_start(unsigned long hartid, struct pcpu *c);
/* The same call with the image's own entry as the start address and a1 = arg1: what OpenSBI 1.1's
 * HSM race may do (head.S, boot_entry), for hyp.selftest=wrong-door. */
long arch_fw_hart_start_at_image_entry(unsigned long hartid, unsigned long arg1);
/* Cross-hart calls through the firmware (hart ids 0-63, a bit each); the SBI error. send_ipi raises
 * the supervisor software interrupt on each (arch_ipi_clear takes it back). The fences are done on
 * every hart named before they return. hfence_vvma: asid < 0 for every ASID; the VMID is the one the
 * calling hart has loaded. */
long arch_fw_send_ipi(uint64_t harts);
long arch_fw_remote_fence_i(uint64_t harts);
long arch_fw_remote_sfence_vma(uint64_t harts, uint64_t start, uint64_t size);
long arch_fw_remote_hfence_vvma(uint64_t harts, uint64_t start, uint64_t size, long asid);
long arch_fw_remote_hfence_gvma_vmid(uint64_t harts, unsigned vmid);
void arch_ipi_clear(void);
struct arch_fw_info {
    long spec_version;
    long impl_id;
    long impl_version;
    unsigned long mvendorid;
    unsigned long marchid;
    unsigned long mimpid;
};
void arch_fw_info(struct arch_fw_info *info);

/* The engine that runs guests: hext (H extension) or trap (deprivileged, trap-and-emulate). */
extern bool arch_engine_trap;
/* Moves the hart onto the engine chosen (after arch_hart_init and before the first guest). */
void arch_engine_init(void);
struct pt_alloc;
struct vm;
/* Resources a VM needs on the engine for its whole life; 0, or -1 for no memory. */
int vm_arch_create(struct vm *vm, const struct pt_alloc *alloc);
void vm_arch_destroy(struct vm *vm, const struct pt_alloc *alloc);
/* The VM is loaded afresh (reboot): nothing the engine derived from its memory is still good. */
void vm_arch_reboot(struct vm *vm);
/* Resources a vCPU needs for its whole life (the trap engine's shadow trees); 0, or -1 for no memory. */
int vcpu_arch_create(struct vcpu *v, const struct pt_alloc *alloc);
void vcpu_arch_destroy(struct vcpu *v, const struct pt_alloc *alloc);
/* The root entry every root a guest runs on reserves for the hypervisor (trap engine), for
 * paravirtual roots that are pinned. */
uint64_t arch_reserved_root_entry(void);
#define ARCH_RESERVED_ROOT_SLOT 511

/* The vCPU engine. vcpu_arch_reset() zeroes a vCPU's state and puts it at its entry point in the
 * guest's kernel mode. */
void vcpu_arch_reset(struct vcpu_arch *a, uint64_t entry, uint64_t a0, uint64_t a1);
void vcpu_arch_set_gstage(struct vcpu_arch *a, uint64_t root, unsigned vmid);
/* Drops every G-stage translation tagged with vmid on this hart (before its frames are reused). */
void arch_gstage_flush(unsigned vmid);
/* Loads a vCPU's VS state into the hart (and unloads the previous one) and enters it. */
_Noreturn void vcpu_arch_run(struct vcpu *v);
/* Saves a loaded vCPU's VS state back into memory, so it can be inspected or moved. */
void vcpu_arch_unload(struct vcpu *v);
/* True when an interrupt is pending and enabled for a vCPU that is not loaded (WFI wake-up rule). */
bool vcpu_arch_irq_pending(const struct vcpu_arch *a, uint64_t now);
/* False when the vCPU has every interrupt disabled (sie = 0): WFI can never end for it. */
bool vcpu_arch_can_wake(const struct vcpu_arch *a);
/* True when the guest is at the first instruction of its own trap handler, having just trapped there
 * from that very instruction: its handler faults (a trap loop). */
bool vcpu_arch_handler_faults(const struct vcpu *v);
/* The engine changed something under the guest's validated tables' types (trap engine: a frame may
 * have become a table): no derived translation of the loaded VM may keep write access to it. */
void vcpu_arch_tables_retyped(void);
/* Earliest time at which the vCPU's own timer fires, ~0 if it is masked or unset. */
uint64_t vcpu_arch_timer_deadline(const struct vcpu_arch *a);
/* Guest timer through the SBI (Sstc: vstimecmp; otherwise a deadline checked by the hypervisor). */
void vcpu_arch_set_timer(struct vcpu *v, uint64_t deadline);
/* Called from the hypervisor's timer interrupt: raises VSTIP for the running vCPU when due (no Sstc). */
void vcpu_arch_timer_check(struct vcpu *v, uint64_t now);
/* The guest's stvec, as its trap handler would be entered now. */
uint64_t vcpu_arch_guest_stvec(const struct vcpu *v);
/* Enter the guest's own trap handler as if the hardware had raised cause/tval in it. */
void vcpu_arch_inject_exception(struct vcpu *v, uint64_t cause, uint64_t tval);
/* Reads the 16- or 32-bit instruction at a guest virtual address as the guest would fetch it. */
bool vcpu_arch_read_insn(struct vcpu *v, uint64_t gva, uint32_t *insn);
/* Reads a doubleword at a guest virtual address with the guest's translation and permissions (the
 * legacy SBI passes hart masks by pointer). False on any fault. */
bool vcpu_arch_read_guest_u64(struct vcpu *v, uint64_t gva, uint64_t *val);
/* Raises or clears a VS-level interrupt (IRQ_VS_SOFT, IRQ_VS_EXT) for a vCPU, loaded or not. */
void vcpu_arch_set_virq(struct vcpu *v, unsigned irq, bool on);
bool vcpu_arch_virq_pending(const struct vcpu *v, unsigned irq);
/* Guest TLB and instruction-cache maintenance for the VM whose vCPU is loaded on this hart. Every vCPU
 * of a VM runs on this hart, so a local fence reaches them all. asid < 0: every ASID; size ~0: all. */
void vcpu_arch_fence_i(void);
/* The hypervisor is about to store into the guest's RAM at [gpa, gpa + len) on its behalf (a disk
 * read, console input): the engine's own changes to that memory go first. */
void vm_arch_guest_write(struct vm *vm, uint64_t gpa, uint64_t len);
/* Sets a vCPU's guest satp to a validated root, as a paravirtual root switch does; user_root (a validated
 * root or 0) is what its user mode runs on where the engine needs one (trap engine). */
void vcpu_arch_set_root(struct vcpu *v, uint64_t satp, uint64_t user_root);
/* True when the vCPU's translation uses the table tree at root (as its root or its user root). */
bool vcpu_arch_root_in_use(const struct vcpu *v, uint64_t root);
uint64_t vcpu_arch_get_satp(const struct vcpu *v);
/* The vCPU page (HV_FEAT_VCPU_PAGE): whether the engine offers it, registration and the return
 * hypercall (SBI errors; SBI_ERR_NOT_SUPPORTED where the engine has none). */
bool vcpu_arch_has_vcpu_page(void);
long vcpu_arch_set_vcpu_page(struct vcpu *v, uint64_t gpa);
long vcpu_arch_trap_return(struct vcpu *v);
/* HV_FEAT_TABLES_FENCED: whether the engine shadows the guest's tables, and the guest's promise to
 * fence the last-level ones of its lower half (an SBI error). */
bool vcpu_arch_has_tables_fenced(void);
long vcpu_arch_tables_fenced(struct vcpu *v);
/* HV_FEAT_TABLES_BATCHED: whether the engine offers it; an update the hypervisor carried out in the
 * guest's shadowed tables, and what the engine made of it; the pages of [lo, hi) (one 2 MiB region) of
 * the address space on the guest root at root dropped from every vCPU's trees; a root switch to a
 * shadowed root (satp as the guest would write it, with a guest physical root). */
enum arch_table_update {
    ARCH_TABLE_UNPROTECTED, /* a table the engine does not write-protect: the caller drops the page */
    ARCH_TABLE_FOLLOWED,    /* a write-protected table: what the entry mapped is gone from the trees */
    ARCH_TABLE_ALL_DROPPED, /* that took every tree of the VM (a costly exit: the caller stops) */
};
bool vcpu_arch_has_tables_batched(void);
enum arch_table_update vcpu_arch_table_updated(struct vcpu *v, uint64_t gpa, uint64_t old, uint64_t now);
void vcpu_arch_drop_pages(struct vcpu *v, uint64_t root, uint64_t lo, uint64_t hi);
void vcpu_arch_set_shadow_root(struct vcpu *v, uint64_t satp);
void vcpu_arch_flush_vvma(uint64_t start, uint64_t size, long asid);
/* A guest's fence (as vcpu_arch_flush_vvma) on other harts running its VM, and everything of a VM
 * on those harts before its frames or VMID are reused: done on every hart named when they return
 * (the firmware's RFENCE calls); the SBI error. */
long vcpu_arch_remote_flush_vvma(uint64_t harts, uint64_t start, uint64_t size, long asid);
long vcpu_arch_remote_flush_vm(uint64_t harts, unsigned vmid);

#endif
