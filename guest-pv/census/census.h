/* SPDX-License-Identifier: MIT */
/* The census kernel: probes what a RISC-V S-mode kernel can observe, one printed line per probe, so
 * that runs on bare firmware and under each hypervisor engine can be compared line by line. */
#ifndef CENSUS_H
#define CENSUS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <arch/csr.h> /* the hypervisor's CSR numbers, fields and accessors: one definition */

#include "frame.h"

/* sstatus fields the hypervisor has no use for (supervisor chapter, "sstatus" for SXLEN=64). */
#define SSTATUS_UBE (1ull << 6)
#define SSTATUS_VS (3ull << 9)
#define SSTATUS_XS (3ull << 15)
#define SSTATUS_UXL (3ull << 32)

/* Interrupts: bit n of sie/sip, scause n with the top bit set. */
#define IRQ_SSI 1
#define IRQ_STI 5
#define IRQ_SEI 9

/* Exception codes (priv spec, "scause"). */
#define EXC_ILLEGAL 2
#define EXC_BREAKPOINT 3
#define EXC_U_ECALL 8
#define EXC_INSN_PAGE_FAULT 12

/* lib.c: output, formatting, SBI, the device tree. */
void out_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int fmt_vsn(char *buf, size_t size, const char *fmt, va_list ap);
int fmt_sn(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void probe(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
extern unsigned probe_count;

struct sbiret {
    long error;
    long value;
};
struct sbiret sbi_call(unsigned long eid, unsigned long fid, unsigned long a0, unsigned long a1,
                       unsigned long a2);
void sbi_set_timer(uint64_t deadline);
_Noreturn void sbi_shutdown(void);

void fdt_init(const void *fdt);
bool fdt_valid(void);
const char *fdt_string(const char *path, const char *prop);
bool fdt_u32(const char *path, const char *prop, uint32_t *val);
bool str_has(const char *s, const char *word);

/* Options from /chosen/bootargs: "census.fatal=N" runs only fatal probe N (after the safe ones when
 * census.safe=1): under a hypervisor such a probe may end the whole guest, so each gets a guest. */
extern int opt_fatal;
extern bool opt_safe;

/* trap.c: recording traps, U-mode runs, the hart's idea of time. */
struct trap_rec {
    bool taken;
    uint64_t cause;
    uint64_t epc;
    uint64_t tval;
    uint64_t status; /* sstatus as the trap left it */
    int64_t vec;
    uint64_t a0; /* a0 when the trap was taken (what a U-mode snippet computed) */
};
extern volatile struct trap_rec last_trap;
extern volatile unsigned unexpected_traps;
void trap_arm(void);
void trap_disarm(void);
const char *trap_str(char *buf, size_t size, const struct trap_rec *t);
const char *trap_brief(char *buf, size_t size);
struct trap_rec run_user(const void *snippet, uint64_t a0, uint64_t a1);
uint64_t user_va(const void *snippet);

/* start.S */
extern char trap_entry[], trap_vectors[], probe_code[], probe_code_end[];
extern char __user_start[], __user_end[], _end[];
uint64_t s_call(uint64_t target);
void sret_to_s(uint64_t pc);

/* mem.c: the census's page tables. The test window at 0x40000000 has one 4 KiB slot per case. */
#define PTE_V (1ull << 0)
#define PTE_R (1ull << 1)
#define PTE_W (1ull << 2)
#define PTE_X (1ull << 3)
#define PTE_U (1ull << 4)
#define PTE_A (1ull << 6)
#define PTE_D (1ull << 7)
enum {
    SLOT_K_RW = 0,    /* kernel page, RW */
    SLOT_U_RW = 1,    /* user page, RW */
    SLOT_K_X = 2,     /* kernel page, execute-only */
    SLOT_U_X = 3,     /* user page, execute-only */
    SLOT_K_R = 4,     /* kernel page, read-only */
    SLOT_U_R = 5,     /* user page, read-only */
    SLOT_AD = 6,      /* kernel RW, A and D clear (set up by the probe) */
    SLOT_D = 7,       /* kernel RW, A set, D clear (set up by the probe) */
    SLOT_W_ONLY = 8,  /* W without R: a reserved encoding */
    SLOT_INVALID = 9, /* V clear */
    SLOT_RSV = 10,    /* leaf with reserved or unimplemented-extension bits (set up by the probe) */
    SLOT_A_FETCH = 13, /* kernel RX with A clear (set up by the probe) */
    SLOT_K_RX = 14,    /* kernel page with code */
    SLOT_U_RX = 15,    /* user page with code */
    SLOT_U_AD = 18,    /* user RW, A and D clear (set up by the probe) */
    SLOT_REMAP = 19,   /* remapped between two pages by the sfence.vma probe */
    SLOT_CROSS = 20,   /* kernel RW, followed by slot 21 (set up by the probe) */
    SLOT_PAGE_A = 22,  /* backing pages for SLOT_REMAP */
    SLOT_PAGE_B = 23,
};
#define U_CODE_VA 0x40010000ull /* where the U-mode snippets are mapped with U */
uint64_t test_va(unsigned slot);
uint64_t *test_pte(unsigned slot);
void *test_page(unsigned slot);
void mm_build(void);
void mm_on(void);
void mm_off(void);
uint64_t mm_satp(void);
uint64_t mm_root48(void);
uint64_t mm_root57(void);
uint64_t *mm_root(void);
uint64_t *mm_l1_test(void);
uint64_t test_leaf(unsigned slot, uint64_t flags);
uint64_t test_leaf(unsigned slot, uint64_t flags);

/* The probe groups. */
void probes_entry(uint64_t hartid);
void probes_csr(void);
void probes_counters(void);
void probes_modes(void);
void probes_user(void);
void probes_mem(void);
void probes_irq(void);
void probes_reveal(void);
void probes_fatal(int which);
#define FATAL_PROBES 2

#endif
