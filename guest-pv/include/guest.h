/* SPDX-License-Identifier: MIT */
/* guest-pv kernel interfaces: SBI calls, console, traps, page tables and U-mode tasks. */
#ifndef GUEST_H
#define GUEST_H

#if defined(GUEST_FLAVOUR_pv)
#define GUEST_FLAVOUR "pv"
#else
#define GUEST_FLAVOUR "fv"
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fdt.h"
#include "hvabi.h"

/* ---- SBI ---- */
struct sbiret {
    long error;
    long value;
};
struct sbiret sbi_call(unsigned long eid, unsigned long fid, unsigned long a0, unsigned long a1,
                       unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5);
_Noreturn void sbi_shutdown(void);
/* A hypercall of HV_EXT made again until the hypervisor has done all of it (it bounds the work of
 * each exit: docs/hypercalls.md, "Work per call"). PIN and UNPIN answer 1; MMU_UPDATE, BLK_SUBMIT
 * and MULTICALL answer the entries done over all the calls, or the index of the failing one (a
 * cut multicall's entry gets its arguments advanced, in the caller's array). */
struct sbiret hv_call(unsigned long fid, unsigned long a0, unsigned long a1, unsigned long a2);

/* ---- console (SBI DBCN: one call per printed buffer) ---- */
void kputs(const char *s);
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void kwrite(const char *buf, size_t len);

/* ---- traps ---- */
struct trap_frame {
    uint64_t x[32];
    uint64_t sepc;
    uint64_t sstatus;
};

#define CAUSE_IRQ (1ul << 63)
#define EXC_ILLEGAL 2
#define EXC_BREAKPOINT 3
#define EXC_U_ECALL 8
#define EXC_INSN_PF 12
#define EXC_LOAD_PF 13
#define EXC_STORE_PF 15
#define IRQ_TIMER 5

/* A program's own handler for a cause; returns true when it dealt with the trap. */
typedef bool (*trap_hook)(struct trap_frame *f, uint64_t cause, uint64_t tval);
void trap_set_hook(trap_hook h);
extern volatile uint64_t timer_ticks;

uint64_t csr_time(void);
uint64_t csr_cycle(void);
uint64_t csr_instret(void);
void irq_timer_enable(bool on);
/* The next timer interrupt at `when` (time CSR units); ~0 turns it off. */
void timer_set(uint64_t when);
void wait_for_interrupt(void);

/* ---- memory: pages and Sv39 ---- */
#define PAGE_SIZE 4096ul
#define PTE_V (1ul << 0)
#define PTE_R (1ul << 1)
#define PTE_W (1ul << 2)
#define PTE_X (1ul << 3)
#define PTE_U (1ul << 4)
#define PTE_G (1ul << 5)
#define PTE_A (1ul << 6)
#define PTE_D (1ul << 7)

void *page_alloc(void);
void page_free(void *p);
uint64_t *pt_new_root(void);   /* a root with the kernel's mapping and nothing else */
int pt_map(uint64_t *root, uint64_t va, uint64_t pa, uint64_t flags);
int pt_unmap(uint64_t *root, uint64_t va);
void pt_free_user(uint64_t *root); /* frees the user slot's tables and pages, then the root */
void pt_pin(uint64_t *root);       /* the tree is complete: make it live (validated, pinned) */
void pt_unpin(uint64_t *root);
void pt_switch(uint64_t *root, unsigned asid);
void pt_sync(void);                /* make PTE changes so far visible (sfence.vma or hypercalls) */
void mm_init(void);
extern uint64_t *kernel_root;
extern struct platform_info guest_platform;

/* ---- U-mode tasks ---- */
#define SYS_WRITE 0
#define SYS_GETPID 1
#define SYS_YIELD 2
#define SYS_EXIT 3
typedef void (*user_fn)(long arg);
int task_create(user_fn entry, long arg);
/* Runs every task until all have exited; returns how many ran. */
int task_run_all(void);

/* ---- user side (code in .user.text) ---- */
#define USER_TEXT __attribute__((section(".user.text"), noinline))
#define USER_RODATA __attribute__((section(".user.rodata")))
long sys_call(long n, long a0, long a1);

/* ---- workloads (workloads.c): identical results in both flavours ---- */
uint64_t wl_compute(unsigned rounds);
unsigned wl_nullcalls(unsigned n);
uint64_t wl_console(unsigned lines, uint64_t *bytes);
uint64_t wl_ptchurn(unsigned rounds, unsigned npages, uint64_t *updates);
int fmt_snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Writes nblocks 4 KiB blocks of a fixed pattern from sector 0 on, in batches, flushes, reads them back;
 * returns the checksum of what was read (0 on a failed request), *bad the blocks that read back wrong. */
uint64_t wl_blk(unsigned nblocks, unsigned *bad);

/* ---- block driver (blk.c): hypercall batches (pv) or a virtio-mmio block device (fv) ---- */
extern uint64_t blk_sectors; /* the disk's size, set by blk_init */
int blk_init(void);          /* 0 when there is a disk */
/* Carries out n requests in order, writing each one's status; returns how many succeeded before the
 * first that did not. */
unsigned blk_submit(struct hv_blk_req *reqs, unsigned n);
#ifdef GUEST_FLAVOUR_fv
struct virtq_desc;
/* Copies n descriptors to the start of the queue's table, makes head available, notifies and waits;
 * returns the used length the device reported, and leaves its interrupt unacknowledged (for tests that
 * hand the device malformed chains). */
uint32_t blk_raw(const struct virtq_desc *chain, unsigned n, uint16_t head);
uint32_t blk_device_status(void);
#endif

/* ---- boot information and secondary vCPUs ---- */
/* Value of key=value in /chosen bootargs, or NULL; parse_ulong reads decimal or 0x hex. */
const char *bootarg(const char *key);
unsigned long parse_ulong(const char *s);
typedef void (*secondary_fn)(unsigned long hartid);
/* Starts hart hartid through SBI HSM on its own stack; returns the SBI error. It runs fn, then stops. */
int start_secondary(unsigned long hartid, secondary_fn fn, void *stack_top);

/* The program's entry, called once the kernel is up. */
void guest_main(unsigned long hartid, unsigned long dtb);

#endif
