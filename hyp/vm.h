/* SPDX-License-Identifier: MIT */
/* VMs, vCPUs and physical CPUs: the generic state, each with its arch part embedded. */
#ifndef HYP_VM_H
#define HYP_VM_H

#include <stdbool.h>
#include <stdint.h>

#include <arch/gstage.h>
#include <arch/vcpu_arch.h>

#include "blk/blk.h"
#include "config.h"
#include "dev/vblk.h"
#include "dev/vplic.h"
#include "dev/vuart.h"
#include "pv/pv.h"
#include "stats.h"

/* As many as a bundle holds (BUNDLE_MAX_GUESTS); the hypervisor keeps about 12 KiB per slot. */
#define VM_MAX 64
#define VCPU_MAX 4
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
    struct vcpu_stats stats; /* what its exits cost one by one (the longest exit, hyp/stats.c) */
};

enum vm_state {
    VM_FREE,
    VM_RUNNING,
    VM_STOPPED,
};

struct vm {
    const struct vm_config *cfg;
    unsigned id;
    unsigned vmid;
    enum vm_state state;
    struct gstage gstage;
    uint64_t ram_hpa;  /* guest RAM is one contiguous run of host frames */
    uint64_t ram_size;
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
    struct vcpu *last_vcpu; /* the vCPU whose translations the VMID's VS-stage TLB may hold */
    struct pv_mmu mmu;   /* paravirtual page-table state */
    struct shadow_vm shadow;       /* trap engine: the guest tables its shadow trees protect */
    struct vcpu *tv_last;          /* trap engine: the vCPU of the VM that last entered the guest */
    /* The engine keeps changes of its own in guest memory (trap: patched instructions) within
     * [watch_lo, watch_hi) (empty: lo >= hi): a store the hypervisor makes there for the guest
     * tells it first (guest_ram_write_ptr). */
    uint64_t watch_lo, watch_hi;
    unsigned generation;           /* counts builds: an exit of an earlier one has nothing left to do */
    uint64_t shadow_bitmap;        /* frames holding shadow.writable */
    uint64_t shadow_bitmap_frames;
    struct blk_disk disk; /* its disk (hyp/blk), behind vblk and the block hypercalls */
    struct vblk vblk;     /* emulated virtio-blk (VM_DEV_VIRTIO_BLK) */
};

struct pcpu {
    unsigned id;
    unsigned long hartid;
    struct vcpu *current;   /* the vCPU this hart runs, or NULL when idle */
    struct vcpu *loaded;    /* the vCPU whose VS state is in this hart's CSRs */
    struct vcpu *exiting;   /* the vCPU whose exit is being handled (its cost is charged to it) */
    uint64_t slice_end;     /* when the current vCPU's time slice ends */
    uint64_t deadline;      /* when the scheduler must look again (slice end, a sleeper's timer) */
    uint64_t timer_armed;   /* what the hypervisor's timer is set to */
    uint64_t stack_top;
};

struct vcpu *vcpu_of_arch(struct vcpu_arch *a);

/* Creates every VM of the configuration; returns how many were built. */
unsigned vm_create_all(void);
/* Puts a vCPU at entry in VS-mode with a0 = its hart id, a1 = arg, paging and interrupts off. */
void vcpu_start(struct vcpu *v, uint64_t entry, uint64_t arg);
/* The vCPU with a guest hart id, or NULL. */
struct vcpu *vm_vcpu(struct vm *vm, unsigned long hartid);
/* A log line about something the guest can make happen at will (a reboot, a refused store): at most
 * VM_LOG_BURST at once, then one per VM_LOG_EVERY_MS, and a count of those dropped when it resumes,
 * so that a guest cannot spend the hypervisor's time on a slow console. */
#define VM_LOG_BURST 8
#define VM_LOG_EVERY_MS 100
void vm_log(struct vm *vm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Frames a VM takes for itself (tables, engine and device state; zeroed) and gives back. */
uint64_t vm_alloc_frames(struct vm *vm, uint64_t n, uint64_t align);
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

#endif
