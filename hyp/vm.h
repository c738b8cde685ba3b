/* SPDX-License-Identifier: MIT */
/* VMs, vCPUs and physical CPUs: the generic state, each with its arch part embedded. */
#ifndef HYP_VM_H
#define HYP_VM_H

#include <stdbool.h>
#include <stdint.h>

#include <arch/gstage.h>
#include <arch/spinlock.h>
#include <arch/vcpu_arch.h>

#include "blk/blk.h"
#include "config.h"
#include "dev/vblk.h"
#include "dev/vplic.h"
#include "dev/vuart.h"
#include "pv/pv.h"
#include "ramclean.h"
#include "sbi/sta.h"
#include "stats.h"

/* As many as a bundle holds (BUNDLE_MAX_GUESTS); each slot is a struct vm in .bss (about 68 KiB, a
 * third of it its vCPUs). */
#define VM_MAX 64
#define VCPU_MAX 8
#define SLEEPQ_MAX (VM_MAX * VCPU_MAX) /* every vCPU may sleep on one hart */
#define NAME_MAX_LEN 16
/* Guests see RAM where QEMU virt has it, so unmodified software finds it where it expects. */
#define VM_RAM_BASE 0x80000000ul
#define CONSOLE_LINE_MAX 160
#define CONSOLE_INPUT_MAX 256

enum vcpu_state {
    VCPU_OFF,       /* not started, stopped through HSM, or its VM has stopped */
    VCPU_RUNNABLE,
    VCPU_WFI,       /* sleeping until an interrupt is pending for it */
    VCPU_SUSPENDED, /* HSM suspend: like WFI, reported as SUSPENDED; resume_addr set if non-retentive */
};

struct vm;

struct vcpu {
    struct vcpu_arch arch; /* first: the arch layer converts between the two pointers */
    struct vm *vm;
    unsigned id;           /* the guest's hart id */
    enum vcpu_state state;
    bool resume_reset;     /* non-retentive suspend: restart at resume_pc with a1 = resume_arg */
    uint64_t resume_pc;
    uint64_t resume_arg;
    unsigned loop_ticks;   /* timer ticks in a row that found it faulting at its own trap handler */
    struct vcpu_sta sta;   /* steal-time accounting (SBI STA) */
    struct vcpu_stats stats; /* what its exits cost one by one (the longest exit, hyp/stats.c) */
    /* Its hart's queues (hyp/runq.c): in the run ring while RUNNABLE, in the sleep heap while in
     * WFI or SUSPENDED with a timer set. Changed only by sched_set_state. */
    struct pcpu *pcpu;     /* the hart it runs on, chosen at creation (hyp/smp.c) */
    /* Interrupts raised for it by another hart (its VM spans harts): bits of IRQ_VS_SOFT, and
     * IRQ_VS_EXT when ext_level changed; its own hart applies them before it enters it. Atomic. */
    uint32_t virq_inbox;
    uint32_t ext_level;
    struct vcpu *rq_next, *rq_prev;
    unsigned sq_slot; /* index + 1 in the sleep heap, 0 when not in it */
    uint64_t sq_deadline;
};

enum vm_state {
    VM_FREE,
    VM_RUNNING,
    VM_STOPPED,
    /* A VM on several harts being reloaded by the exit of one of its vCPUs (vm_reboot): no hart
     * enters it, and one inside leaves, until it is VM_RUNNING again. */
    VM_REBOOTING,
};

/* A block hypercall's request the host disk has not answered yet: the vCPU whose call started it
 * (only its calls collect it), where its status goes in the guest's array, and its buffer, to be
 * checked again when the answer is collected. */
struct hc_blk_wait {
    bool busy;
    unsigned vcpu;
    uint64_t at;  /* guest physical address of its struct hv_blk_req */
    uint64_t buf; /* its data */
    uint32_t len;
    uint32_t op;
};

struct vm {
    const struct vm_config *cfg;
    unsigned id;
    unsigned vmid;
    enum vm_state state;
    struct gstage gstage;
    uint64_t ram_hpa;  /* guest RAM is one contiguous run of host frames */
    uint64_t ram_size;
    /* Pages of its RAM cleared since it was built (hyp/ramclean.h; guest_mem.h clears on first
     * use), the bitmap in clean_pa's clean_frames frames. */
    struct ram_clean clean;
    uint64_t clean_pa, clean_frames;
    unsigned nvcpus;
    struct vcpu vcpus[VCPU_MAX];
    struct vm_stats stats;
    unsigned console_len; /* bytes of an unfinished console line */
    char console_line[CONSOLE_LINE_MAX];
    /* Console input waiting for the guest (SBI getchar, DBCN read, or its UART's FIFO). */
    uint8_t input[CONSOLE_INPUT_MAX];
    unsigned input_head, input_count;
    struct vuart uart;
    struct vplic plic;
    unsigned uart_polls; /* UART reads since the guest last wrote to it */
    unsigned console_slice_bytes; /* console bytes written in its current time slice (fair share) */
    bool console_throttled;       /* said once in the log */
    uint64_t console_lost;        /* UART bytes lost: the host console's output ring was full */
    unsigned restarts;   /* automatic restarts after crashes so far (cfg->restarts at most) */
    uint64_t faults_delivered[3]; /* access faults raised in it: instruction, load, store/AMO */
    /* vm_log's allowance: lines it may still log now, when it was last topped up, lines dropped. */
    unsigned log_tokens;
    uint64_t log_refilled;
    uint64_t log_dropped;
    unsigned fault_logs;          /* of those, how many were logged */
    bool quiet;          /* restarted many times: its stops are no longer logged one by one */
    /* Its last stop was a failure (a contained fault, or its own shutdown with reason "system
     * failure"): the run's exit status reports it. Cleared when it is built again. */
    bool failed;
    char stop_why[160];  /* why it last stopped, for the operator's list and the end of the run */
    struct pt_alloc alloc; /* frames for it, counted in frames_held (vm_alloc_frames) */
    uint64_t frames_held;  /* frames it holds now: 0 once it has stopped, whatever others hold */
    struct pcpu *pcpu;      /* the hart of its vCPU 0: its console input and operator commands */
    /* Its vCPUs run on more than one hart: its exits take `lock`, which then protects everything
     * of it (vCPU states, devices, console buffers, the validator); a VM on one hart needs none. */
    bool spans_harts;
    struct spinlock lock;
    uint64_t harts_mask;    /* hart ids its vCPUs run on (for remote fences; ids up to 63) */
    unsigned pcpu_slot;     /* its index in pcpu->vms[] */
    struct pv_mmu mmu;   /* paravirtual page-table state */
    struct shadow_vm shadow;       /* trap engine: the guest tables its shadow trees protect */
    uint64_t tv_table_stores;      /* trap engine: stores carried out into its shadowed tables (LR/SC) */
    /* The engine keeps changes of its own in guest memory (trap: patched instructions) within
     * [watch_lo, watch_hi) (empty: lo >= hi): a store the hypervisor makes there for the guest
     * tells it first (guest_ram_write_ptr). */
    uint64_t watch_lo, watch_hi;
    unsigned generation;           /* counts builds: an exit of an earlier one has nothing left to do */
    uint64_t shadow_bitmap;        /* frames holding shadow.writable */
    uint64_t shadow_bitmap_frames;
    struct blk_disk disk; /* its disk (hyp/blk), behind vblk and the block hypercalls */
    struct hc_blk_wait blk_wait; /* the block hypercalls' request on the host disk (hyp/pv/hc_blk.c) */
    struct vblk vblk;     /* emulated virtio-blk (VM_DEV_VIRTIO_BLK) */
};

/* One per hart the hypervisor runs on (hyp/smp.c), found through tp. Invariant: only its own hart
 * writes it, except `online` (the hart itself, once) and `released` (the boot hart, once). */
struct pcpu {
    uint64_t stack_top;     /* secondary entry (head.S) loads sp from here: PCPU_STACK_TOP */
    unsigned id;            /* index in pcpus[]: 0 is the boot hart */
    unsigned long hartid;
    struct vcpu *current;   /* the vCPU this hart runs, or NULL when idle */
    struct vcpu *loaded;    /* the vCPU whose VS state is in this hart's CSRs */
    struct vcpu *exiting;   /* the vCPU whose exit is being handled (its cost is charged to it) */
    uint64_t slice_end;     /* when the current vCPU's time slice ends */
    uint64_t deadline;      /* when the scheduler must look again (slice end, a sleeper's timer) */
    uint64_t timer_armed;   /* what the hypervisor's timer is set to */
    /* The time the scheduler read last, just before it enters a vCPU: the engine's entry takes it
     * from here rather than read the time again (on harts without a time CSR each read is a trip
     * through the firmware). */
    uint64_t now;
    uint32_t online;        /* set by the hart once its CSRs are set up (atomic) */
    uint32_t released;      /* set by the boot hart once every guest is built (atomic) */
    /* The VMs placed on this hart: its scheduler looks at these only, so its work per switch
     * depends on what this hart runs, not on every guest of the board. */
    struct vm *vms[VM_MAX];
    unsigned nvms;
    unsigned nvcpus;        /* vCPUs placed here, for spreading the next guest */
    struct vm *in_vm;       /* the VM whose vCPU it runs or whose exit it handles (atomic) */
    struct vm *held;        /* the VM lock it holds for the exit being handled, or NULL */
    struct spinlock qlock;  /* its run ring and sleep heap: other harts wake its vCPUs */
    /* The vCPU of each VM whose translations its VMID's VS-stage TLB may hold on this hart. */
    struct vcpu *vs_last[VM_MAX];
    /* Instructions this hart spent on guests' exits (their busy part, as hyp_busy counts it) and
     * in its idle loop with nothing to run: the end-of-run table's row for the hart. */
    uint64_t busy_instret, idle_instret;
    struct vcpu *rq;        /* the run ring's next vCPU (hyp/runq.c), NULL when none is runnable */
    struct vcpu *sq[SLEEPQ_MAX]; /* sleepers with a timer, a heap on their deadline */
    unsigned nsq;
};

/* Invariant: arch is the first member of struct vcpu (asserted in vm.c). Inline: every exit asks. */
static inline struct vcpu *vcpu_of_arch(struct vcpu_arch *a)
{
    return (struct vcpu *)a;
}

/* Creates every VM of the configuration; returns how many were built. */
unsigned vm_create_all(void);
/* Puts a vCPU at entry in VS-mode with a0 = its hart id, a1 = arg, paging and interrupts off. */
void vcpu_start(struct vcpu *v, uint64_t entry, uint64_t arg);
/* The vCPU with a guest hart id, or NULL. */
struct vcpu *vm_vcpu(struct vm *vm, unsigned long hartid);
/* "hart 3", or "harts 0,1,0,1" for a VM on several (a hart id per vCPU), as the log names them. */
#define VM_WHERE_MAX 96
void vm_where(const struct vm *vm, char *buf, size_t size);
/* A log line about something the guest can make happen at will (a reboot, a refused store): at most
 * VM_LOG_BURST at once, then one per VM_LOG_EVERY_MS, and a count of those dropped when it resumes,
 * so that a guest cannot spend the hypervisor's time on a slow console. */
#define VM_LOG_BURST 8
#define VM_LOG_EVERY_MS 100
void vm_log(struct vm *vm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Frames a VM takes for itself (tables, engine and device state; zeroed) and gives back. */
uint64_t vm_alloc_frames(struct vm *vm, uint64_t n, uint64_t align);
/* The same, not cleared: for a caller that writes every frame before any use (a pool whose frames
 * are cleared as they are taken), so that its size costs nothing up front. */
uint64_t vm_alloc_frames_unzeroed(struct vm *vm, uint64_t n, uint64_t align);
void vm_free_frames(struct vm *vm, uint64_t pa, uint64_t n);
/* Shutdown (stop) or reboot (reload the image and restart) a guest. */
void vm_stop(struct vm *vm, const char *why);
void vm_reboot(struct vm *vm, bool cold);
/* The operator's restart (hyp/opcon.c): a running guest is stopped, then any guest is built again
 * from its description, with fresh RAM and the disk it had. */
void vm_restart(struct vm *vm);
/* At the end of the run: names every guest whose last stop was a failure, and returns the status
 * the machine powers off with (HYP_EXIT_GUEST_FAILED or HYP_EXIT_OK). */
unsigned vm_run_status(void);
/* Stops a guest because of something it did, with a log line naming it; a guest whose configuration
 * allows restarts is built again from it. */
void vm_fault(struct vm *vm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A guest crashed (a contained fault, or its own system-failure shutdown): stop it, and restart it
 * from its configuration while cfg->restarts allows. */
void vm_crash(struct vm *vm, const char *why);
/* True when some vCPU of the VM can still run or be woken. */
bool vm_can_progress(const struct vm *vm);

extern struct vm vms[VM_MAX];
extern unsigned nvms;
extern unsigned vms_running;

#endif
