// SPDX-License-Identifier: MIT
// Every hart: which harts run guests (the device tree, hyp.harts, what the firmware reports), their
// start through SBI HSM hart_start, where each guest goes, and one banner line per hart.
#include "smp.h"

#include <string.h>

#include <arch/arch.h>

#include "console.h"
#include "fdt.h"
#include "hvabi.h"
#include "hyp.h"
#include "lib/format.h"
#include "platform.h"
#include "sched.h"

struct pcpu pcpus[FDT_MAX_HARTS];
unsigned npcpus;

/* 16 KiB, as the boot hart's: the deepest exit path (validation, the panic path) fits in it. */
#define SECONDARY_STACK_FRAMES 4

/* Why each hart of the tree (in its order) is left alone; NULL for a hart in use. */
static const char *left_alone[FDT_MAX_HARTS];
static char why_text[FDT_MAX_HARTS][72];
static uint32_t shutdown_claimed;

void smp_boot_cpu(unsigned long hartid, uint64_t stack_top)
{
    struct pcpu *c = &pcpus[0];

    c->id = 0;
    c->hartid = hartid;
    c->stack_top = stack_top;
    c->online = 1;
    c->released = 1;
    npcpus = 1;
    arch_set_this_cpu(c);
}

static const char *hsm_state_name(long st)
{
    static const char *const names[] = { "started", "stopped", "start pending", "stop pending",
                                         "suspended", "suspend pending", "resume pending" };

    return st >= 0 && st < 7 ? names[st] : "in an unknown state";
}

/* Starts one hart; the reason it is left alone, or NULL. */
static const char *start_one(unsigned i, unsigned long hartid)
{
    long st = arch_fw_hart_status(hartid);

    if (st != SBI_HSM_STATE_STOPPED) {
        if (st < 0) {
            fmt_snprintf(why_text[i], sizeof why_text[i], "the firmware has no HSM state for it (%ld)", st);
        } else {
            fmt_snprintf(why_text[i], sizeof why_text[i], "the firmware reports it %s", hsm_state_name(st));
        }
        return why_text[i];
    }
    uint64_t stack = hyp_alloc_frames(SECONDARY_STACK_FRAMES, PAGE_SIZE);
    if (!stack) {
        return "no memory for its stack";
    }
    struct pcpu *c = &pcpus[npcpus];
    memset(c, 0, sizeof *c);
    c->id = npcpus;
    c->hartid = hartid;
    c->stack_top = stack + SECONDARY_STACK_FRAMES * PAGE_SIZE;
    long err = arch_fw_hart_start(hartid, c);
    if (err != 0) {
        hyp_free_frames(stack, SECONDARY_STACK_FRAMES);
        fmt_snprintf(why_text[i], sizeof why_text[i], "SBI hart_start failed (error %ld)", err);
        return why_text[i];
    }
    /* The slot is the hart's from now on, even if it comes up late: it will find its block there. */
    npcpus++;
    uint64_t until = arch_time() + platform.timebase_freq;
    while (!__atomic_load_n(&c->online, __ATOMIC_ACQUIRE) && arch_time() < until) {
    }
    return c->online ? (const char *)0 : "it did not come up within a second of hart_start";
}

void smp_start(const struct platform_choice *choice, unsigned long boot_hartid)
{
    for (unsigned i = 0; i < choice->nharts; i++) {
        const struct platform_hart *h = &choice->harts[i];
        left_alone[i] = (const char *)0;
        if (h->hartid == boot_hartid) {
            continue;
        }
        if (!h->usable) {
            left_alone[i] = h->why;
        } else if (boot_options.harts_mask && (h->hartid >= 64 || !(boot_options.harts_mask >> h->hartid & 1))) {
            left_alone[i] = "not in hyp.harts";
        } else {
            left_alone[i] = start_one(i, h->hartid);
        }
    }
}

/* The online harts a guest may run on. */
static bool may_run_on(const struct vm_config *cfg, const struct pcpu *c)
{
    if (!__atomic_load_n(&c->online, __ATOMIC_ACQUIRE)) {
        return false;
    }
    return !cfg->cpus || (c->hartid < 64 && (cfg->cpus >> c->hartid & 1));
}

const char *smp_place_check(const struct vm_config *cfg)
{
    for (unsigned i = 0; i < npcpus; i++) {
        if (may_run_on(cfg, &pcpus[i])) {
            return (const char *)0;
        }
    }
    return "its cpus name no hart the hypervisor runs guests on";
}

void smp_place(struct vm *vm)
{
    struct pcpu *best = (struct pcpu *)0;

    /* Whole guests, spread by vCPU count: the first guest goes to the boot hart, as before. */
    for (unsigned i = 0; i < npcpus; i++) {
        struct pcpu *c = &pcpus[i];
        if (may_run_on(vm->cfg, c) && (!best || c->nvcpus < best->nvcpus)) {
            best = c;
        }
    }
    if (!best) {
        best = &pcpus[0]; /* smp_place_check refused such a guest before it was built */
    }
    vm->pcpu = best;
    vm->pcpu_slot = best->nvms;
    best->vms[best->nvms++] = vm;
    best->nvcpus += vm->cfg->vcpus;
}

void smp_unplace(struct vm *vm)
{
    struct pcpu *c = vm->pcpu;

    /* Only the guest placed last is taken back (its build failed at once), so it is the last. */
    c->nvms--;
    c->nvcpus -= vm->cfg->vcpus;
    vm->pcpu = (struct pcpu *)0;
}

void smp_banner(const struct platform_choice *choice)
{
    const char *engine = arch_engine_trap ? "trap" : "hext";

    for (unsigned i = 0; i < choice->nharts; i++) {
        unsigned long hartid = choice->harts[i].hartid;
        const struct pcpu *c = (const struct pcpu *)0;
        for (unsigned j = 0; j < npcpus; j++) {
            c = pcpus[j].hartid == hartid ? &pcpus[j] : c;
        }
        if (left_alone[i] || !c) {
            hyp_log("hart %lu: left alone: %s", hartid, left_alone[i] ? left_alone[i] : "not started");
        } else if (c->nvms) {
            hyp_log("hart %lu: %s, running guests (%u vCPUs)", hartid, engine, c->nvcpus);
        } else {
            hyp_log("hart %lu: %s, idle (no guest placed on it)", hartid, engine);
        }
    }
}

void smp_release(void)
{
    for (unsigned i = 1; i < npcpus; i++) {
        __atomic_store_n(&pcpus[i].released, 1u, __ATOMIC_RELEASE);
    }
}

bool smp_claim_shutdown(void)
{
    return __atomic_exchange_n(&shutdown_claimed, 1u, __ATOMIC_ACQ_REL) == 0;
}

_Noreturn void hyp_secondary_main(struct pcpu *c);

/* A secondary hart's C entry (head.S's secondary_entry: tp = c, sp = its stack). */
_Noreturn void hyp_secondary_main(struct pcpu *c)
{
    /* The same set-up as the boot hart's: the engine and timer were chosen for every usable hart
     * (platform_choose takes what they all have). */
    arch_hart_init(hart_has_sstc);
    arch_engine_init();
    __atomic_store_n(&c->online, 1u, __ATOMIC_RELEASE);
    /* Until every guest is built: wake each millisecond to look (no IPI is needed for this). */
    while (!__atomic_load_n(&c->released, __ATOMIC_ACQUIRE)) {
        arch_timer_set(arch_time() + platform.timebase_freq / 1000);
        arch_idle();
    }
    arch_timer_set(~0ull);
    c->timer_armed = ~0ull;
    sched_next();
}
