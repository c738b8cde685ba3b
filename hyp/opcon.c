// SPDX-License-Identifier: MIT
// The operator console: after the prefix key Ctrl-], one command key lists the guests, shows the
// focused guest's exits, stops or restarts it, or gives another guest the console input.
#include "opcon.h"

#include <arch/arch.h>

#include "console.h"
#include "lib/format.h"
#include "smp.h"
#include "stats.h"
#include "vm.h"

enum opcon_state {
    OP_IDLE,   /* bytes go to the focused guest; Ctrl-] starts a command */
    OP_PREFIX, /* Ctrl-] seen: the next key is the command */
    OP_FOCUS,  /* "f" seen: the next digit names the guest */
};

static enum opcon_state state;

/* Stops and restarts asked for, carried out in order at the next safe point (console_poll). The
 * operator types far slower than the scheduler comes by, so a few suffice; more are refused. */
#define PENDING_MAX OPCON_PENDING_MAX
static struct opcon_cmd pending[PENDING_MAX];
static unsigned npending;

static void help(void)
{
    hyp_log("operator console: Ctrl-] then");
    hyp_log("  l       list the guests: state, vCPUs and hart, RAM, exits, hyp instructions");
    hyp_log("  t       exits of the focused guest so far, by cause");
    hyp_log("  s       stop the focused guest");
    hyp_log("  r       restart the focused guest from its description (fresh RAM, its disk kept)");
    hyp_log("  n       console input to the next running guest");
    hyp_log("  f N     console input to guest N (its number in the list), running or stopped");
    hyp_log("  Ctrl-]  the same as n; for a raw guest (hyp.raw), a Ctrl-] typed to it");
    hyp_log("  ?       this help");
}

static char vcpu_letter(const struct vcpu *v)
{
    switch (v->state) {
    case VCPU_RUNNABLE:
        return 'R';
    case VCPU_WFI:
        return 'W';
    case VCPU_SUSPENDED:
        return 'S';
    default:
        return '-';
    }
}

/* A VM's vCPU column: how many, their states, and the hart each runs on (one hart, or one per vCPU
 * when several). Returns its length. */
static unsigned where_of(struct vm *vm, char *where, size_t size)
{
    bool running = vm->state == VM_RUNNING;
    char vcpus[VCPU_MAX + 1];
    char harts[VM_WHERE_MAX];

    for (unsigned j = 0; j < vm->nvcpus; j++) {
        vcpus[j] = running ? vcpu_letter(&vm->vcpus[j]) : '-';
    }
    vcpus[vm->nvcpus] = '\0';
    if (running) {
        vm_where(vm, harts, sizeof harts);
    }
    int n = fmt_snprintf(where, size, running ? "%u %s on %s" : "%u %s", vm->nvcpus, vcpus, running ? harts : "");
    return n < 0 ? 0 : (unsigned)n < size ? (unsigned)n : (unsigned)size - 1;
}

static void list(void)
{
    struct vm *focused = console_focused();
    char where[VM_WHERE_MAX + VCPU_MAX + 8];
    /* As wide as the widest row's (a VM spread over many harts), so that the columns after it stay
     * aligned. */
    int width = 18;

    for (unsigned i = 0; i < nvms; i++) {
        unsigned n = where_of(&vms[i], where, sizeof where);
        width = (int)n > width ? (int)n : width;
    }
    hyp_log("guests (* has the console input; vCPUs R runnable, W in WFI, S suspended, - off):");
    hyp_log("  # name             state    %-*s RAM MiB        exits hyp-instructions", width, "vCPUs");
    for (unsigned i = 0; i < nvms; i++) {
        struct vm *vm = &vms[i];
        bool running = vm->state == VM_RUNNING;
        /* Its vCPUs' counts are folded by the hart they run on only (they are that hart's). */
        if (vm->pcpu == arch_this_cpu()) {
            stats_fold_vm(vm);
        }
        (void)where_of(vm, where, sizeof where);
        hyp_log("%c %u %-16s %-8s %-*s %7lu %12lu %16lu%s%s", vm == focused ? '*' : ' ', i, vm->cfg->name,
                running ? "running" : vm->failed ? "failed" : "stopped", width, where,
                (unsigned long)(vm->cfg->ram_size / MiB), (unsigned long)stats_total(&vm->stats),
                (unsigned long)vm->stats.hyp_instret, running ? "" : "  ", running ? "" : vm->stop_why);
    }
}

static void ask(char cmd)
{
    struct vm *vm = console_focused();

    if (!vm) {
        return;
    }
    if (cmd == 's' && vm->state != VM_RUNNING) {
        hyp_log("guest '%s' is not running (Ctrl-] r restarts it)", vm->cfg->name);
        return;
    }
    if (npending == PENDING_MAX) {
        hyp_log("operator: too many commands at once; '%c' for '%s' dropped", cmd, vm->cfg->name);
        return;
    }
    pending[npending].cmd = cmd;
    pending[npending].vm = vm;
    npending++;
}

static void command(uint8_t c)
{
    struct vm *vm = console_focused();

    switch (c) {
    case OPCON_PREFIX:
        if (vm && console_is_raw(vm) && vm->state == VM_RUNNING) {
            console_input(OPCON_PREFIX);
        } else {
            console_focus_step();
        }
        break;
    case 'n':
        console_focus_step();
        break;
    case 'f':
        state = OP_FOCUS;
        return;
    case 'l':
        list();
        break;
    case 't':
        if (vm) {
            stats_print_vm(vm);
        }
        break;
    case 's':
    case 'r':
        ask((char)c);
        break;
    case '?':
    case 'h':
        help();
        break;
    default:
        hyp_log("operator: no command for key 0x%02x (Ctrl-] ? for help)", c);
        break;
    }
    state = OP_IDLE;
}

bool opcon_key(uint8_t c)
{
    switch (state) {
    case OP_IDLE:
        if (c != OPCON_PREFIX) {
            return false;
        }
        state = OP_PREFIX;
        return true;
    case OP_PREFIX:
        command(c);
        return true;
    case OP_FOCUS:
        if (c == ' ') {
            return true; /* "f 1" as well as "f1" */
        }
        state = OP_IDLE;
        if (c >= '0' && c <= '9' && (unsigned)(c - '0') < nvms) {
            console_focus(&vms[c - '0']);
        } else {
            hyp_log("operator: f takes a guest's number, 0 to %u (Ctrl-] l lists them)", nvms - 1);
        }
        return true;
    }
    return false;
}

unsigned opcon_take_pending(struct opcon_cmd *out)
{
    unsigned kept = 0, n = 0;

    for (unsigned i = 0; i < npending; i++) {
        /* A guest's life changes only on the hart of its vCPU 0: the others leave it for that one. */
        if (pending[i].vm->pcpu != arch_this_cpu()) {
            pending[kept++] = pending[i];
        } else {
            out[n++] = pending[i];
        }
    }
    npending = kept;
    return n;
}

void opcon_run(const struct opcon_cmd *cmds, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        struct vm *vm = cmds[i].vm;
        /* A guest on several harts: its lock, as its exits hold it (the others wait or leave). */
        bool taken = vm_lock(vm);
        if (cmds[i].cmd == 's') {
            vm_stop(vm, "stopped by the operator");
        } else {
            vm_restart(vm);
            /* It had the input when the operator asked: a stop just before may have moved it. */
            if (vm->state == VM_RUNNING && console_focused() != vm) {
                console_focus(vm);
            }
        }
        vm_unlock(vm, taken);
    }
}
