// SPDX-License-Identifier: MIT
// Exit counters, the end-of-run table (a row per cause some guest took, a column per guest), and
// the operator's live view of one guest.
#include "stats.h"

#include <arch/arch.h>
#include <arch/csr.h>

#include "console.h"
#include "exit.h"
#include "hyp.h"
#include "smp.h"
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

/* What the engine charged v since its last exit is the cost of that one exit: the longest so far is
 * kept with its cause. */
static void note_charge(struct vcpu *v)
{
    struct vm_stats *s = &v->vm->stats;

    /* The engine keeps the longest exit's length without the time an exit spent idle in WFI
     * (which holds no guest up); when it has just grown, the exit that grew it was the last one. */
    if (v->arch.hyp_longest > s->longest) {
        s->longest = v->arch.hyp_longest;
        s->longest_cause = v->stats.last_cause;
    }
    v->stats.charged_seen = v->arch.hyp_instret;
}

void stats_count(struct vm_stats *s, uint64_t code, bool irq)
{
    /* The engine names the exiting vCPU before the exit is counted. */
    struct vcpu *v = arch_this_cpu()->exiting;

    if (irq && code < STATS_IRQ) {
        s->irq[code]++;
    } else if (!irq && code < STATS_EXC) {
        s->exc[code]++;
    } else {
        s->other++;
    }
    if (v) {
        note_charge(v);
        v->stats.last_cause = irq ? code | SCAUSE_IRQ : code;
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

void stats_fold(struct vcpu *v)
{
    note_charge(v);
    /* The guest kernel's returns through its vCPU page that the assembly short path took are SBI
     * calls of its own, as the C short path counts them. */
    v->arch.fast_exits += v->arch.tv.asm_ret;
    v->arch.tv.fast_asm += v->arch.tv.asm_ret;
    v->arch.tv.asm_ret = 0;
    v->vm->stats.exc[EXC_VS_ECALL] += v->arch.fast_exits;
    v->vm->stats.exc[EXC_LOAD_GUEST_PAGE_FAULT] += v->stats.fast_dev[0];
    v->vm->stats.exc[EXC_STORE_GUEST_PAGE_FAULT] += v->stats.fast_dev[1];
    v->stats.fast_dev[0] = v->stats.fast_dev[1] = 0;
    /* What the assembly short path took: patched instructions and forwarded system calls. */
    v->arch.tv.fast_priv += v->arch.tv.asm_patch;
    v->arch.tv.fast_patch += v->arch.tv.asm_patch;
    v->arch.tv.fast_fwd += v->arch.tv.asm_fwd;
    v->arch.tv.fast_asm += v->arch.tv.asm_patch + v->arch.tv.asm_fwd;
    v->arch.tv.asm_patch = v->arch.tv.asm_fwd = 0;
    v->vm->stats.exc[EXIT_PRIV_INSN] += v->arch.tv.fast_priv;
    v->vm->stats.exc[EXC_U_ECALL] += v->arch.tv.fast_fwd;
    v->vm->stats.fast_priv += v->arch.tv.fast_priv;
    v->vm->stats.fast_fwd += v->arch.tv.fast_fwd;
    v->vm->stats.fast_patch += v->arch.tv.fast_patch;
    v->vm->stats.fast_asm += v->arch.tv.fast_asm;
    v->arch.tv.fast_priv = v->arch.tv.fast_fwd = v->arch.tv.fast_patch = v->arch.tv.fast_asm = 0;
    v->vm->stats.hyp_instret += v->arch.hyp_instret;
    v->vm->stats.hyp_busy += v->arch.hyp_busy;
    v->arch.hyp_busy = 0;
    v->arch.fast_exits = 0;
    v->arch.hyp_instret = 0;
    v->stats.charged_seen = 0;
}

void stats_fold_vm(struct vm *vm)
{
    /* A VM whose build failed half-way may have vCPUs that were never given to it. */
    for (unsigned i = 0; i < vm->nvcpus && vm->vcpus[i].vm; i++) {
        stats_fold(&vm->vcpus[i]);
    }
}

/* The named causes in table order: exceptions, then interrupts; scause values. */
static const char *cause_at(unsigned i, uint64_t *scause)
{
    if (i < STATS_EXC) {
        *scause = i;
        return exc_names[i];
    }
    *scause = (i - STATS_EXC) | SCAUSE_IRQ;
    return irq_names[i - STATS_EXC];
}

static uint64_t count_of(const struct vm_stats *s, uint64_t scause)
{
    return scause & SCAUSE_IRQ ? s->irq[scause & ~SCAUSE_IRQ] : s->exc[scause];
}

static void print_row(const char *name, const uint64_t *vals)
{
    hyp_printf("hyp:   %-24s", name);
    for (unsigned g = 0; g < nvms; g++) {
        hyp_printf(" %14lu", (unsigned long)vals[g]);
    }
    hyp_printf("\n");
}

/* A row that is not an exit count: left out, as causes are, when no guest has anything in it. */
static void print_info_row(const char *name, const uint64_t *vals)
{
    bool any = boot_options.exits_all;

    for (unsigned g = 0; g < nvms; g++) {
        any |= vals[g] != 0;
    }
    if (any) {
        print_row(name, vals);
    }
}

static void print_row_if_any(const char *name, const uint64_t *vals)
{
    for (unsigned g = 0; g < nvms; g++) {
        if (vals[g]) {
            print_row(name, vals);
            return;
        }
    }
}

static void print_harts(void);

void stats_print(void)
{
    uint64_t vals[VM_MAX];

    for (unsigned g = 0; g < nvms; g++) {
        stats_fold_vm(&vms[g]);
    }
    hyp_printf("hyp: exits per guest and cause%s\n",
               boot_options.exits_all ? "" : " (causes no guest took are left out; hyp.exits=all)");
    hyp_printf("hyp:   %-24s", "cause");
    for (unsigned g = 0; g < nvms; g++) {
        hyp_printf(" %14s", vms[g].cfg->name);
    }
    hyp_printf("\n");
    for (unsigned i = 0; i < STATS_EXC + STATS_IRQ; i++) {
        uint64_t scause;
        const char *name = cause_at(i, &scause);
        bool any = false;
        for (unsigned g = 0; g < nvms; g++) {
            vals[g] = count_of(&vms[g].stats, scause);
            any |= vals[g] != 0;
        }
        if (name && (any || boot_options.exits_all)) {
            print_row(name, vals);
        }
    }
    for (unsigned g = 0; g < nvms; g++) {
        vals[g] = stats_total(&vms[g].stats);
    }
    print_row("total", vals);
    /* Not exit counts: the instructions the hypervisor spent on the exits above (fast path not
     * included), and the most one of them took (waiting for the host UART or idling included). */
    for (unsigned g = 0; g < nvms; g++) {
        vals[g] = vms[g].stats.hyp_instret;
    }
    print_row("hyp-instructions", vals);
    for (unsigned g = 0; g < nvms; g++) {
        vals[g] = vms[g].stats.hyp_busy;
    }
    print_info_row("hyp-busy-instructions", vals);
    for (unsigned g = 0; g < nvms; g++) {
        vals[g] = vms[g].stats.longest;
    }
    print_row("longest-exit", vals);
    /* The longest exit of all, with its cause: what the work budgets are held against. */
    unsigned worst = 0;
    for (unsigned g = 1; g < nvms; g++) {
        worst = vms[g].stats.longest > vms[worst].stats.longest ? g : worst;
    }
    if (nvms) {
        hyp_log("the longest exit: %lu instructions, guest '%s', %s", (unsigned long)vms[worst].stats.longest,
                vms[worst].cfg->name, exit_cause_name(vms[worst].stats.longest_cause));
    }
    /* Not exits: the slices it used up, whether the tick or one of its own exits found it so (a
     * slice that ends inside an exit takes no timer interrupt). */
    for (unsigned g = 0; g < nvms; g++) {
        vals[g] = vms[g].stats.slice_ends;
    }
    print_info_row("slice-ends", vals);
    for (unsigned g = 0; g < nvms; g++) {
        vals[g] = vms[g].stats.stop_instret;
    }
    print_info_row("stop-instructions", vals);
    if (!arch_engine_trap) {
        /* Of the guest-page faults above, the first touches of 2 MiB regions (guest_mem.h). */
        for (unsigned g = 0; g < nvms; g++) {
            vals[g] = vms[g].stats.ram_clearing;
        }
        print_info_row("ram-clearing-faults", vals);
    }
    if (arch_engine_trap) {
        /* Not exits either (trap engine): of the exits above, those the short path (tfast.c) took;
         * how often every shadow tree of the VM was dropped at once, and of those, because a frame
         * became a table while mapped writable. */
        for (unsigned g = 0; g < nvms; g++) {
            vals[g] = vms[g].stats.fast_priv;
        }
        print_row("short-path-priv", vals);
        for (unsigned g = 0; g < nvms; g++) {
            vals[g] = vms[g].stats.fast_fwd;
        }
        print_row("short-path-syscall", vals);
        for (unsigned g = 0; g < nvms; g++) {
            vals[g] = 0;
            for (unsigned i = 0; i < vms[g].nvcpus; i++) {
                vals[g] += vms[g].vcpus[i].arch.tv.sh.drops;
            }
        }
        print_row("shadow-drops-all", vals);
        for (unsigned g = 0; g < nvms; g++) {
            vals[g] = vms[g].shadow.vm_drops;
        }
        print_row("shadow-drops-new-table", vals);
        for (unsigned g = 0; g < nvms; g++) {
            vals[g] = vms[g].shadow.unprotects;
        }
        print_row_if_any("shadow-tables-given-up", vals);
        /* Page-table entries the guest handed over in batches (HV_MMU_SHADOWED). */
        for (unsigned g = 0; g < nvms; g++) {
            vals[g] = vms[g].stats.batched_updates;
        }
        print_row_if_any("table-updates-batched", vals);
        /* Privileged instructions patched (arch/tpatch.h), of the short path's those that ran
         * patched, and frames whose patches a data access or device write undid: rows only when
         * some guest has one, as for the causes. */
        for (unsigned g = 0; g < nvms; g++) {
            vals[g] = vms[g].shadow.patch.patched;
        }
        print_row_if_any("patched-insns", vals);
        for (unsigned g = 0; g < nvms; g++) {
            vals[g] = vms[g].stats.fast_patch;
        }
        print_row_if_any("short-path-patched", vals);
        /* Of the short path's instructions and system calls, those trap.S took (tfast.S). */
        for (unsigned g = 0; g < nvms; g++) {
            vals[g] = vms[g].stats.fast_asm;
        }
        print_row_if_any("short-path-asm", vals);
        for (unsigned g = 0; g < nvms; g++) {
            vals[g] = vms[g].shadow.patch.undone;
        }
        print_row_if_any("patch-frames-undone", vals);
    }
    print_harts();
}

static void print_harts(void)
{
    /* A row per hart the hypervisor runs on: what the guests' columns above sum over harts, split
     * the other way (busy: the same instructions as hyp-busy-instructions), and its idle loop. Not
     * in the table's own form (name, then a value per guest), which tools read. */
    for (unsigned i = 0; i < npcpus; i++) {
        const struct pcpu *c = &pcpus[i];
        if (!__atomic_load_n(&c->online, __ATOMIC_ACQUIRE)) {
            continue;
        }
        hyp_printf("hyp: hart %lu: busy %lu, idle %lu (hypervisor instructions on exits, with "
                   "nothing to run)\n",
                   c->hartid,
                   (unsigned long)__atomic_load_n(&c->busy_instret, __ATOMIC_RELAXED),
                   (unsigned long)__atomic_load_n(&c->idle_instret, __ATOMIC_RELAXED));
    }
}

void stats_print_vm(struct vm *vm)
{
    const struct vm_stats *s = &vm->stats;

    stats_fold_vm(vm);
    hyp_log("exits of guest '%s' so far (causes it took):", vm->cfg->name);
    for (unsigned i = 0; i < STATS_EXC + STATS_IRQ; i++) {
        uint64_t scause;
        const char *name = cause_at(i, &scause);
        if (name && count_of(s, scause)) {
            hyp_log(" %-24s %14lu", name, (unsigned long)count_of(s, scause));
        }
    }
    hyp_log(" %-24s %14lu", "total", (unsigned long)stats_total(s));
    hyp_log(" %-24s %14lu", "hyp-instructions", (unsigned long)s->hyp_instret);
    hyp_log(" %-24s %14lu (%s)", "longest-exit", (unsigned long)s->longest,
            s->longest ? exit_cause_name(s->longest_cause) : "none yet");
}
