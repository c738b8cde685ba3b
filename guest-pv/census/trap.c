// SPDX-License-Identifier: MIT
// Trap handling for the probes: every trap is recorded for the probe that expects it, then the
// interrupted code continues past the faulting instruction, or U-mode code ends its run.
#include "census.h"

void census_trap(struct frame *f);
void user_return(void);
void user_run(uint64_t pc, uint64_t a0, uint64_t a1);

volatile struct trap_rec last_trap;
volatile unsigned unexpected_traps;
static volatile bool armed;

void trap_arm(void)
{
    last_trap.taken = false;
    last_trap.cause = last_trap.epc = last_trap.tval = last_trap.status = last_trap.a0 = 0;
    last_trap.vec = -1;
    armed = true;
}

void trap_disarm(void)
{
    armed = false;
}

static unsigned insn_len(uint64_t pc)
{
    /* The low two bits of the first halfword give the length (unprivileged spec, "Base Instruction-
     * Length Encoding"): only 16- and 32-bit instructions occur here. */
    return (*(const volatile uint16_t *)pc & 3) == 3 ? 4 : 2;
}

void census_trap(struct frame *f)
{
    bool from_user = !(f->status & SSTATUS_SPP);
    bool irq = (f->cause & SCAUSE_IRQ) != 0;

    if (armed && !last_trap.taken) {
        last_trap.taken = true;
        last_trap.cause = f->cause;
        last_trap.epc = f->epc;
        last_trap.tval = f->tval;
        last_trap.status = f->status;
        last_trap.vec = f->vec;
        last_trap.a0 = f->x[10];
    } else {
        unexpected_traps++;
        out_line("census: unexpected trap: cause 0x%lx epc 0x%lx tval 0x%lx", f->cause, f->epc,
                 f->tval);
    }
    if (from_user) {
        /* The U-mode run ends at its first trap: back in S-mode, interrupts off, at user_return. */
        f->epc = (uint64_t)(uintptr_t)user_return;
        f->status = (f->status | SSTATUS_SPP) & ~SSTATUS_SPIE;
        return;
    }
    if (irq) {
        /* The source stays pending; returning with SIE off lets the probe look at it and clear it.
         */
        f->status &= ~SSTATUS_SPIE;
        return;
    }
    uint64_t code = f->cause;
    if (code == 1 || code == EXC_INSN_PAGE_FAULT) {
        f->epc = f->x[1]; /* a fetch probe jumped there through s_call: back to its ra */
    } else {
        f->epc += insn_len(f->epc);
    }
}

const char *trap_str(char *buf, size_t size, const struct trap_rec *t)
{
    if (!t->taken) {
        fmt_sn(buf, size, "no trap");
    } else {
        fmt_sn(buf, size, "cause=0x%lx tval=0x%lx", t->cause, t->tval);
    }
    return buf;
}

/* The last trap as a probe reports it: "ok" when none was taken. */
const char *trap_brief(char *buf, size_t size)
{
    struct trap_rec t = last_trap;

    if (!t.taken) {
        fmt_sn(buf, size, "ok");
        return buf;
    }
    return trap_str(buf, size, &t);
}

uint64_t user_va(const void *snippet)
{
    return U_CODE_VA + ((uint64_t)(uintptr_t)snippet - (uint64_t)(uintptr_t)__user_start);
}

/* Runs a U-mode snippet (mapped at U_CODE_VA: translation must be on) until its first trap. */
struct trap_rec run_user(const void *snippet, uint64_t a0, uint64_t a1)
{
    trap_arm();
    user_run(user_va(snippet), a0, a1);
    trap_disarm();
    struct trap_rec t = last_trap;
    return t;
}
