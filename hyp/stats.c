// SPDX-License-Identifier: MIT
// Exit counters and the end-of-run table: one row per cause, one column per guest.
#include "stats.h"

#include <arch/csr.h>

#include "console.h"
#include "exit.h"
#include "vm.h"

static const char *const exc_names[STATS_EXC] = {
    [EXC_INSN_MISALIGNED] = "insn-misaligned",
    [EXC_INSN_ACCESS] = "insn-access-fault",
    [EXC_ILLEGAL_INSN] = "illegal-insn",
    [EXC_BREAKPOINT] = "breakpoint",
    [EXC_LOAD_MISALIGNED] = "load-misaligned",
    [EXC_LOAD_ACCESS] = "load-access-fault",
    [EXC_STORE_MISALIGNED] = "store-misaligned",
    [EXC_STORE_ACCESS] = "store-access-fault",
    [EXC_U_ECALL] = "u-ecall",
    [EXC_HS_ECALL] = "hs-ecall",
    [EXC_VS_ECALL] = "vs-ecall",
    [EXC_M_ECALL] = "m-ecall",
    [EXC_INSN_PAGE_FAULT] = "insn-page-fault",
    [EXC_LOAD_PAGE_FAULT] = "load-page-fault",
    [EXC_STORE_PAGE_FAULT] = "store-page-fault",
    [EXC_INSN_GUEST_PAGE_FAULT] = "insn-guest-page-fault",
    [EXC_LOAD_GUEST_PAGE_FAULT] = "load-guest-page-fault",
    [EXC_VIRTUAL_INSN] = "virtual-insn",
    [EXC_STORE_GUEST_PAGE_FAULT] = "store-guest-page-fault",
    [EXIT_PRIV_INSN] = "priv-insn-emulated",
    [EXIT_SHADOW_FILL] = "shadow-fill",
    [EXIT_TABLE_WRITE] = "table-write-emulated",
};

static const char *const irq_names[STATS_IRQ] = {
    [IRQ_S_SOFT] = "irq-s-soft",
    [IRQ_VS_SOFT] = "irq-vs-soft",
    [IRQ_S_TIMER] = "irq-s-timer",
    [IRQ_VS_TIMER] = "irq-vs-timer",
    [IRQ_S_EXT] = "irq-s-external",
    [IRQ_VS_EXT] = "irq-vs-external",
    [IRQ_S_GEXT] = "irq-s-guest-external",
};

const char *exit_cause_name(uint64_t scause)
{
    uint64_t code = scause & ~SCAUSE_IRQ;
    const char *n = (const char *)0;

    if (scause & SCAUSE_IRQ) {
        n = code < STATS_IRQ ? irq_names[code] : n;
    } else {
        n = code < STATS_EXC ? exc_names[code] : n;
    }
    return n ? n : "unknown-cause";
}

void stats_count(struct vm_stats *s, uint64_t code, bool irq)
{
    if (irq && code < STATS_IRQ) {
        s->irq[code]++;
    } else if (!irq && code < STATS_EXC) {
        s->exc[code]++;
    } else {
        s->other++;
    }
}

uint64_t stats_total(const struct vm_stats *s)
{
    uint64_t t = s->other;

    for (unsigned i = 0; i < STATS_EXC; i++) {
        t += s->exc[i];
    }
    for (unsigned i = 0; i < STATS_IRQ; i++) {
        t += s->irq[i];
    }
    return t;
}

static void print_row(const char *name, const uint64_t *const *cols, unsigned idx)
{
    hyp_printf("hyp:   %-24s", name);
    for (unsigned g = 0; g < nvms; g++) {
        hyp_printf(" %14lu", (unsigned long)cols[g][idx]);
    }
    hyp_printf("\n");
}

void stats_fold(struct vcpu *v)
{
    v->vm->stats.exc[EXC_VS_ECALL] += v->arch.fast_exits;
    v->vm->stats.exc[EXIT_PRIV_INSN] += v->arch.tv.fast_priv;
    v->vm->stats.exc[EXC_U_ECALL] += v->arch.tv.fast_fwd;
    v->vm->stats.fast_priv += v->arch.tv.fast_priv;
    v->vm->stats.fast_fwd += v->arch.tv.fast_fwd;
    v->arch.tv.fast_priv = v->arch.tv.fast_fwd = 0;
    v->vm->stats.hyp_instret += v->arch.hyp_instret;
    v->arch.fast_exits = 0;
    v->arch.hyp_instret = 0;
}

void stats_print(void)
{
    const uint64_t *exc[VM_MAX], *irq[VM_MAX];
    uint64_t totals[VM_MAX];

    for (unsigned g = 0; g < nvms; g++) {
        for (unsigned i = 0; i < vms[g].nvcpus; i++) {
            stats_fold(&vms[g].vcpus[i]);
        }
    }

    hyp_printf("hyp: exits per guest and cause\n");
    hyp_printf("hyp:   %-24s", "cause");
    for (unsigned g = 0; g < nvms; g++) {
        hyp_printf(" %14s", vms[g].cfg->name);
        exc[g] = vms[g].stats.exc;
        irq[g] = vms[g].stats.irq;
        totals[g] = stats_total(&vms[g].stats);
    }
    hyp_printf("\n");
    /* Every named cause gets a row, zeros included: a zero is what shows that delegation works. */
    for (unsigned i = 0; i < STATS_EXC; i++) {
        if (exc_names[i]) {
            print_row(exc_names[i], exc, i);
        }
    }
    for (unsigned i = 0; i < STATS_IRQ; i++) {
        if (irq_names[i]) {
            print_row(irq_names[i], irq, i);
        }
    }
    const uint64_t *tot[VM_MAX], *hyp[VM_MAX];
    for (unsigned g = 0; g < nvms; g++) {
        tot[g] = &totals[g];
        hyp[g] = &vms[g].stats.hyp_instret;
    }
    print_row("total", tot, 0);
    /* Not an exit count: the instructions the hypervisor spent on the exits above (fast path not
     * included), for hypervisor instructions per exit. */
    print_row("hyp-instructions", hyp, 0);
    /* Not exits either (trap engine): how often every shadow tree of the VM was dropped at once,
     * and, of those, because a frame became a table while mapped writable. */
    uint64_t drops[VM_MAX], vm_drops[VM_MAX];
    const uint64_t *d[VM_MAX], *vd[VM_MAX], *fp[VM_MAX], *ff[VM_MAX];
    for (unsigned g = 0; g < nvms; g++) {
        drops[g] = 0;
        for (unsigned i = 0; i < vms[g].nvcpus; i++) {
            drops[g] += vms[g].vcpus[i].arch.tv.sh.drops;
        }
        vm_drops[g] = vms[g].shadow.vm_drops;
        d[g] = &drops[g];
        vd[g] = &vm_drops[g];
        fp[g] = &vms[g].stats.fast_priv;
        ff[g] = &vms[g].stats.fast_fwd;
    }
    if (arch_engine_trap) {
        /* Of the exits above, those the short path (tfast.c) took. */
        print_row("short-path-priv", fp, 0);
        print_row("short-path-syscall", ff, 0);
        print_row("shadow-drops-all", d, 0);
        print_row("shadow-drops-new-table", vd, 0);
    }
}
