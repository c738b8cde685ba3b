/* SPDX-License-Identifier: MIT */
/* SBI for guests: one extension per file, each ending in a descriptor that the dispatcher's table lists. */
#ifndef HYP_SBI_SBI_H
#define HYP_SBI_SBI_H

#include <stdbool.h>
#include <stdint.h>

#include "hvabi.h"

struct vcpu;
struct vcpu_arch;
struct vm;

/* Base functions 0 .. SBI_BASE_FIXED - 1 whose answers, once given, trap.S gives again without a
 * full exit (sbi_base.c: all but probe_extension, whose answer depends on its argument). */
#define SBI_BASE_FIXED 7
extern uint64_t sbi_base_fixed[SBI_BASE_FIXED];
extern uint64_t sbi_base_fixed_mask;

struct sbi_ret {
    long error;
    unsigned long value;
    /* The call has moved the vCPU elsewhere (stopped, reset): the dispatcher must not touch it. */
    bool no_reply;
};

struct sbi_call {
    unsigned long eid;
    unsigned long fid;
    unsigned long args[6];
};

struct sbi_ext {
    const char *name;
    unsigned long eid_start;
    unsigned long eid_end;
    /* Legacy extensions return only a0 (= value) and leave a1 alone (ext-legacy.adoc). */
    bool legacy;
    struct sbi_ret (*handle)(struct vcpu *v, const struct sbi_call *c);
};

/* Handles a VS-mode ecall: the only place that writes a0/a1 and steps sepc past the ecall. */
void sbi_dispatch(struct vcpu *v);

/* The calls the hypervisor answers from the calling VM's own state alone, without an exit's whole
 * way: a guest kernel's console byte (legacy putchar, DBCN write_byte) that console_guest_putc_quick
 * takes. True: done as sbi_dispatch would (reply and pc); false: nothing changed. a and vm may be seen
 * through the trap engine's alias: only their own fields are used. */
bool sbi_dispatch_quick(struct vcpu_arch *a, struct vm *vm);
const struct sbi_ext *sbi_find_ext(unsigned long eid);

static inline struct sbi_ret sbi_ok(unsigned long value)
{
    return (struct sbi_ret){ .error = SBI_SUCCESS, .value = value };
}

static inline struct sbi_ret sbi_err(long error)
{
    return (struct sbi_ret){ .error = error, .value = 0 };
}

/* Shared by the IPI/RFENCE extensions and their legacy forms. */
struct vm;
void sbi_send_ipis(struct vm *vm, uint64_t targets);
/* Fences the guest TLB (asid < 0: every ASID) / instruction fetch of the vCPUs in targets, here and
 * on every other hart one of them runs on; an SBI error. */
long sbi_fence_range(struct vm *vm, uint64_t targets, unsigned long start, unsigned long size, long asid);
long sbi_fence_i(struct vm *vm, uint64_t targets);

extern const struct sbi_ext sbi_ext_base;
extern const struct sbi_ext sbi_ext_ipi;
extern const struct sbi_ext sbi_ext_rfence;
extern const struct sbi_ext sbi_ext_hsm;
extern const struct sbi_ext sbi_ext_legacy_clear_ipi;
extern const struct sbi_ext sbi_ext_legacy_ipi_fence;
extern const struct sbi_ext sbi_ext_time;
extern const struct sbi_ext sbi_ext_dbcn;
extern const struct sbi_ext sbi_ext_sta;
extern const struct sbi_ext sbi_ext_hv;
extern const struct sbi_ext sbi_ext_srst;
extern const struct sbi_ext sbi_ext_legacy_console;
extern const struct sbi_ext sbi_ext_legacy_timer;
extern const struct sbi_ext sbi_ext_legacy_shutdown;

#endif
