/* SPDX-License-Identifier: MIT */
/* The guest ABI: SBI extension and function IDs, error codes, and the hypervisor's own extension; the one
 * header both the hypervisor and guest-pv include. Only fixed-width types and constants live here. */
#ifndef HVABI_H
#define HVABI_H

#ifndef __ASSEMBLER__
#include <stdint.h>
#endif

/* SBI error codes (SBI spec, binary-encoding.adoc, "Standard SBI Errors"). */
#define SBI_SUCCESS 0
#define SBI_ERR_FAILED (-1)
#define SBI_ERR_NOT_SUPPORTED (-2)
#define SBI_ERR_INVALID_PARAM (-3)
#define SBI_ERR_DENIED (-4)
#define SBI_ERR_INVALID_ADDRESS (-5)
#define SBI_ERR_ALREADY_AVAILABLE (-6)
#define SBI_ERR_ALREADY_STARTED (-7)
#define SBI_ERR_ALREADY_STOPPED (-8)
#define SBI_ERR_NO_SHMEM (-9)
#define SBI_ERR_INVALID_STATE (-10)
#define SBI_ERR_BAD_RANGE (-11)
#define SBI_ERR_TIMEOUT (-12)
#define SBI_ERR_IO (-13)

/* The SBI version the hypervisor implements for its guests: 2.0. */
#define SBI_SPEC_VERSION ((2u << 24) | 0u)

/* Legacy extensions (ext-legacy.adoc): the EID is the function. */
#define SBI_EXT_LEGACY_SET_TIMER 0x00
#define SBI_EXT_LEGACY_CONSOLE_PUTCHAR 0x01
#define SBI_EXT_LEGACY_CONSOLE_GETCHAR 0x02
#define SBI_EXT_LEGACY_CLEAR_IPI 0x03
#define SBI_EXT_LEGACY_SEND_IPI 0x04
#define SBI_EXT_LEGACY_REMOTE_FENCE_I 0x05
#define SBI_EXT_LEGACY_REMOTE_SFENCE_VMA 0x06
#define SBI_EXT_LEGACY_REMOTE_SFENCE_VMA_ASID 0x07
#define SBI_EXT_LEGACY_SHUTDOWN 0x08

/* Base (ext-base.adoc). */
#define SBI_EXT_BASE 0x10
#define SBI_BASE_GET_SPEC_VERSION 0
#define SBI_BASE_GET_IMPL_ID 1
#define SBI_BASE_GET_IMPL_VERSION 2
#define SBI_BASE_PROBE_EXTENSION 3
#define SBI_BASE_GET_MVENDORID 4
#define SBI_BASE_GET_MARCHID 5
#define SBI_BASE_GET_MIMPID 6

/* Timer (ext-time.adoc). */
#define SBI_EXT_TIME 0x54494d45
#define SBI_TIME_SET_TIMER 0

/* IPI, RFENCE and HSM (ext-ipi.adoc, ext-rfence.adoc, ext-hsm.adoc). */
#define SBI_EXT_IPI 0x735049
#define SBI_EXT_RFENCE 0x52464e43
#define SBI_EXT_HSM 0x48534d
#define SBI_HSM_HART_START 0
#define SBI_HSM_HART_STOP 1
#define SBI_HSM_HART_GET_STATUS 2
#define SBI_HSM_STATE_STARTED 0
#define SBI_HSM_STATE_STOPPED 1

/* System reset (ext-sys-reset.adoc). */
#define SBI_EXT_SRST 0x53525354
#define SBI_SRST_SYSTEM_RESET 0
#define SBI_SRST_TYPE_SHUTDOWN 0
#define SBI_SRST_TYPE_COLD_REBOOT 1
#define SBI_SRST_TYPE_WARM_REBOOT 2
#define SBI_SRST_REASON_NONE 0
#define SBI_SRST_REASON_SYSFAIL 1

/* Debug console (ext-debug-console.adoc). */
#define SBI_EXT_DBCN 0x4442434e
#define SBI_DBCN_WRITE 0
#define SBI_DBCN_READ 1
#define SBI_DBCN_WRITE_BYTE 2

/* Steal-time accounting (ext-steal-time.adoc): the record of struct sbi_sta_record, 64-byte aligned. */
#define SBI_EXT_STA 0x535441
#define SBI_STA_SET_SHMEM 0
#define SBI_STA_SHMEM_SIZE 64

/* Our SBI implementation ID. It is outside the registered range of ext-base.adoc ("SBI Implementation
 * IDs" ends at 11) so no guest mistakes us for a registered implementation. */
#define HV_SBI_IMPL_ID 0x4d485650u /* "MHVP" */
#define HV_SBI_IMPL_VERSION 0x00000100u /* 0.1.0: major << 16 | minor << 8 | patch */

/* ---- The hypervisor's own extension: paravirtual interface (docs/hypercalls.md) ---- */

/* One EID in the SBI experimental range 0x08000000-0x08FFFFFF: "\x08PVH". */
#define HV_EXT 0x08505648
/* 2: calls that can be cut (MMU_UPDATE, PIN, UNPIN, MULTICALL, BLK_SUBMIT) answer how much they
 * did and are continued by calling again; PIN and UNPIN answer 1 when done; 64 KiB requests. */
#define HV_ABI_VERSION 2

#define HV_FID_PROBE 0          /* -> value: HV_ABI_VERSION << 32 | HV_FEAT_* */
#define HV_FID_NULL 1           /* does nothing: what one hypercall costs */
#define HV_FID_MACHINE_OFFSET 2 /* -> value: machine address minus guest physical address of its RAM */
#define HV_FID_MMU_UPDATE 3     /* a0 = gpa of struct hv_mmu_update[a1], a2 = 0; or, a2 =
                                 * HV_MMU_SHADOWED, of struct hv_mmu_update_va[a1] in the address
                                 * space whose root is at machine address a3; -> value: entries done */
#define HV_FID_PIN_TABLE 4      /* a0 = machine address of a root table: validate and pin its tree;
                                 * -> value: 1 done, 0 not yet (call again with the same root) */
#define HV_FID_UNPIN_TABLE 5    /* a0 = machine address of a pinned root; -> value: as PIN's */
#define HV_FID_SET_ROOT 6       /* a0 = pinned root, a1 = ASID, a2 = pinned user root or 0 (used with
                                 * HV_FEAT_USER_ROOT): the calling vCPU's satp; a2 = HV_ROOT_SHADOWED:
                                 * a0 is a root of tables the engine shadows (HV_FEAT_TABLES_BATCHED) */
#define HV_FID_TLB_FLUSH 7      /* a0 = HV_FLUSH_*, a1 = start, a2 = size, a3 = ASID, a4/a5 = hart mask */
#define HV_FID_MULTICALL 8      /* a0 = gpa of struct hv_multicall[a1]; -> value: calls done (fewer:
                                 * the next one did part of its work, its value says how much) */
#define HV_FID_BLK_SUBMIT 9     /* a0 = gpa of struct hv_blk_req[a1]; -> value: requests done */
#define HV_FID_BLK_CTL 10       /* a0 = HV_BLK_CTL_*: the disk's size, or acknowledge its interrupt */
#define HV_FID_VCPU_PAGE 11     /* a0 = gpa of the calling vCPU's struct hv_vcpu_page (4 KiB aligned),
                                 * 0 to stop using one (with HV_FEAT_VCPU_PAGE) */
#define HV_FID_TRAP_RETURN 12   /* the sret of a guest kernel with a vCPU page: returns to the mode,
                                 * pc and interrupt state of the page's ret_* fields; no reply */
#define HV_FID_IRQ_CHECK 13     /* nothing: interrupts that became pending while masked are taken
                                 * on the way back (call when irq_pending was set on unmasking) */
#define HV_FID_TABLES_FENCED 14 /* the guest keeps the architecture's fence rules for the last-level
                                 * tables of its lower half (with HV_FEAT_TABLES_FENCED): the engine
                                 * stops write-protecting them; for the VM, until it restarts */

/* Feature bits returned by HV_FID_PROBE. */
#define HV_FEAT_STAGE2 (1u << 0)    /* the hardware translates guest physical addresses (G-stage):
                                     * page tables may be written natively, the MMU calls are optional */
#define HV_FEAT_MMU (1u << 1)       /* the page-table calls (MMU_UPDATE, PIN, UNPIN, SET_ROOT) exist */
#define HV_FEAT_MULTICALL (1u << 2)
#define HV_FEAT_DBCN_BATCH (1u << 3) /* SBI DBCN write takes whole buffers (HV_DBCN_MAX per call) */
#define HV_FEAT_BLK (1u << 4)        /* the guest has a disk: BLK_SUBMIT and BLK_CTL exist */
#define HV_FEAT_USER_ROOT (1u << 5)  /* the guest kernel runs deprivileged (trap engine): the hardware
                                      * walks validated tables in user mode, so every leaf is made
                                      * user-accessible, user mode runs on the user root SET_ROOT
                                      * names (none: nothing mapped), and root slot 511 is the
                                      * hypervisor's */
#define HV_FEAT_VCPU_PAGE (1u << 6)  /* HV_FID_VCPU_PAGE, TRAP_RETURN and IRQ_CHECK exist: a guest
                                      * kernel's trap state and interrupt flag can live in memory
                                      * (trap engine only: under the H extension the same CSRs cost
                                      * no exit, so there is nothing to save) */
#define HV_FEAT_TABLES_FENCED (1u << 7) /* HV_FID_TABLES_FENCED exists: shadowed tables (trap engine)
                                         * whose stores need not trap (docs/hypercalls.md) */
#define HV_FEAT_TABLES_BATCHED (1u << 8) /* shadowed tables (trap engine) follow batches of updates:
                                          * MMU_UPDATE's HV_MMU_SHADOWED form and SET_ROOT's
                                          * HV_ROOT_SHADOWED exist (docs/hypercalls.md) */

/* Limits: a call asking for more does part of the work and says how much (value). Each exit also
 * has a budget of work (docs/hypercalls.md, "Work per call"): a call may do less than these, even
 * nothing, and the guest calls again for the rest. */
#define HV_MMU_BATCH_MAX 512u   /* entries of one MMU_UPDATE call */
#define HV_MULTICALL_MAX 64u    /* entries of one MULTICALL */
#define HV_DBCN_MAX 16384u      /* bytes of one DBCN write */
#define HV_BLK_BATCH_MAX 64u    /* requests of one BLK_SUBMIT call */
#define HV_BLK_LEN_MAX (64u << 10) /* bytes of one block request: one exit's worth of copying */

/* Tables the guest fences (HV_FID_TABLES_FENCED): the fill of a faulting user page on the return from
 * the fault maps, with it, the valid and accessed entries of its last-level table in the page's
 * aligned group of this many, so a kernel that maps that many pages on one fault (docs/hypercalls.md,
 * "Page faults") has them all filled in that exit. */
#define HV_FILL_AROUND 16u

#define HV_FLUSH_ALL 0   /* every translation of the calling guest */
#define HV_FLUSH_ASID 1  /* every translation of ASID a3 */
#define HV_FLUSH_RANGE 2 /* [a1, a1 + a2) of ASID a3, or of every ASID when a3 = ~0 */

/* One page-table update. The low 3 bits of ptr say what to do at the 8-byte-aligned machine address
 * ptr & ~7: HV_MMU_PTE writes val there (validated if the frame is a page table, a plain write into the
 * guest's own memory otherwise); HV_MMU_ZERO clears the whole 4 KiB frame (which must not be a table):
 * a guest whose tables are mapped read-only prepares new table frames this way. */
#define HV_MMU_CMD_MASK 7ull
#define HV_MMU_PTE 0ull
#define HV_MMU_ZERO 1ull
/* MMU_UPDATE's a2: its entries are struct hv_mmu_update_va, in tables the engine shadows. */
#define HV_MMU_SHADOWED 1ull
/* The low bits of hv_mmu_update_va.va: the entry was valid before this update, so what the
 * engine's trees made of it is dropped (an entry that was not valid left nothing there). */
#define HV_MMU_VA_DROP 1ull
#define HV_MMU_VA_FLAGS 0xfffull
/* SET_ROOT's a2: a0 names a root the engine shadows, not a validated one. */
#define HV_ROOT_SHADOWED 1ull

/* Block I/O (docs/hypercalls.md): a batch of requests in one call, carried out in order. */
#define HV_BLK_SECTOR 512u /* the unit of hv_blk_req.sector and of its length */
#define HV_BLK_READ 0u     /* disk -> buf */
#define HV_BLK_WRITE 1u    /* buf -> disk */
#define HV_BLK_FLUSH 2u    /* everything written so far is on stable storage; sector, buf, len ignored */
#define HV_BLK_OK 0u       /* hv_blk_req.status */
#define HV_BLK_IOERR 1u
#define HV_BLK_UNSUPP 2u
#define HV_BLK_CTL_CAPACITY 0 /* -> value: the disk's size in sectors */
#define HV_BLK_CTL_ACK 1      /* lowers the completion interrupt */
/* PLIC source raised when a batch completes, for a guest that has a virtual PLIC. */
#define HV_BLK_IRQ 2

/* The vCPU page (docs/hypercalls.md, "The vCPU page"): byte offsets, for assembly. */
#define HV_VP_IRQ_ON 0        /* guest: 1 interrupts enabled (its sstatus.SIE), 0 masked */
#define HV_VP_IRQ_PENDING 8   /* hypervisor: sip bits pending and enabled while masked, else 0 */
#define HV_VP_SEPC 16         /* hypervisor, on each trap forwarded into the guest kernel: */
#define HV_VP_SCAUSE 24       /*   what its sepc, scause, stval and sstatus (SPP, SPIE, FS, SUM, */
#define HV_VP_STVAL 32        /*   MXR: as a csrr would read it) hold after the trap */
#define HV_VP_SSTATUS 40
#define HV_VP_USER_SP 48      /* hypervisor, on a trap from guest user mode: its sp and tp */
#define HV_VP_USER_TP 56
#define HV_VP_KERNEL_SP 64    /* guest: loaded into sp and tp on a trap from its user mode */
#define HV_VP_KERNEL_TP 72
#define HV_VP_RET_PC 80       /* guest, before HV_FID_TRAP_RETURN: pc to return to, */
#define HV_VP_RET_STATUS 88   /*   sstatus to write first (SPP: mode, SPIE: interrupt flag), */
#define HV_VP_RET_A0 96       /*   and the registers the call itself uses */
#define HV_VP_RET_A1 104
#define HV_VP_RET_A6 112
#define HV_VP_RET_A7 120
#define HV_VP_SIZE 128
/* sstatus bits as the page's sstatus and ret_status hold them (privileged spec, "sstatus"). */
#define HV_VP_SPIE (1ull << 5)
#define HV_VP_SPP (1ull << 8)

#ifndef __ASSEMBLER__
/* The vCPU page: guest memory shared with the hypervisor, one per vCPU. The hypervisor reads each
 * field once per exit and never trusts what it read beyond the guest's own state. */
struct hv_vcpu_page {
    uint64_t irq_on;
    uint64_t irq_pending;
    uint64_t sepc;
    uint64_t scause;
    uint64_t stval;
    uint64_t sstatus;
    uint64_t user_sp;
    uint64_t user_tp;
    uint64_t kernel_sp;
    uint64_t kernel_tp;
    uint64_t ret_pc;
    uint64_t ret_status;
    uint64_t ret_a0;
    uint64_t ret_a1;
    uint64_t ret_a6;
    uint64_t ret_a7;
};

/* The steal-time record (ext-steal-time.adoc): written by the SBI implementation only; sequence is odd
 * while steal changes, so a reader reads it before and after steal and retries on a change or an
 * odd value. steal is in nanoseconds; preempted is non-zero while the vCPU waits for its hart. */
struct sbi_sta_record {
    uint32_t sequence;
    uint32_t flags;
    uint64_t steal;
    uint8_t preempted;
    uint8_t pad[47];
};

/* One block request. buf is a guest physical address; len a multiple of HV_BLK_SECTOR, at most
 * HV_BLK_LEN_MAX. The hypervisor writes status back. */
struct hv_blk_req {
    uint32_t op;     /* HV_BLK_READ, HV_BLK_WRITE, HV_BLK_FLUSH */
    uint32_t status; /* HV_BLK_OK, HV_BLK_IOERR, HV_BLK_UNSUPP */
    uint64_t sector;
    uint64_t buf;
    uint64_t len;
};

struct hv_mmu_update {
    uint64_t ptr;
    uint64_t val;
};

/* One update of a table the engine shadows (HV_MMU_SHADOWED): ptr as hv_mmu_update's (HV_MMU_PTE
 * only), val written there, and va the page the entry maps in the call's address space, with
 * HV_MMU_VA_DROP in its low bits when the entry was valid before. */
struct hv_mmu_update_va {
    uint64_t ptr;
    uint64_t val;
    uint64_t va;
};

/* One call of a multicall; the hypervisor writes error and value back. */
struct hv_multicall {
    uint64_t fid;
    uint64_t args[6];
    int64_t error;
    uint64_t value;
};

#endif /* __ASSEMBLER__ */

#endif
