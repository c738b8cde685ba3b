// SPDX-License-Identifier: MIT
// The panic path: a trap taken in HS-mode is a hypervisor bug; print everything, then stop the machine.
#include <arch/arch.h>
#include <arch/csr.h>
#include <arch/vcpu_arch.h>

#include "conout.h"
#include "console.h"
#include "exit.h"
#include "fdt.h"
#include "vm.h"

_Noreturn void hyp_trap_handler(struct vcpu_regs *f);

static const char *const reg_names[32] = {
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
    "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
};

/* Traps taken on the panic path itself, per hart (indexed by its pcpu's id). */
static uint32_t panic_depth[FDT_MAX_HARTS];

_Noreturn void hyp_trap_handler(struct vcpu_regs *f)
{
    uint64_t scause = csr_read(CSR_SCAUSE), stval = csr_read(CSR_STVAL);
    const struct pcpu *c = arch_this_cpu(); /* 0 before the boot hart has its block */
    unsigned id = c ? c->id % FDT_MAX_HARTS : 0;

    /* A trap while printing the report: the report cannot be trusted to finish, and each nested
     * frame would take the stack lower. Say so through the firmware alone, and stop. */
    if (__atomic_fetch_add(&panic_depth[id], 1u, __ATOMIC_RELAXED) != 0) {
        for (const char *m = "hyp: PANIC: a trap in the panic path: powering off\r\n"; *m; m++) {
            arch_fw_putchar(*m);
        }
        arch_fw_shutdown(HYP_EXIT_PANIC);
    }
    hyp_printf("hyp: PANIC: %s trap in the hypervisor (scause 0x%lx)\n", exit_cause_name(scause),
               (unsigned long)scause);
    hyp_printf(
      "hyp:   sepc    %016lx  stval   %016lx\n", (unsigned long)f->sepc, (unsigned long)stval);
    /* The hypervisor CSRs exist only with the H extension: the trap engine's harts may lack it,
     * and reading one there is an illegal instruction. */
    if (arch_engine_trap) {
        hyp_printf("hyp:   sstatus %016lx  (trap engine: no H-extension CSRs)\n",
                   (unsigned long)f->sstatus);
    } else {
        hyp_printf("hyp:   sstatus %016lx  hstatus %016lx\n",
                   (unsigned long)f->sstatus,
                   (unsigned long)csr_read(CSR_HSTATUS));
        hyp_printf("hyp:   htval   %016lx  htinst  %016lx\n",
                   (unsigned long)csr_read(CSR_HTVAL),
                   (unsigned long)csr_read(CSR_HTINST));
    }
    hyp_printf("hyp:   sie     %016lx  sip     %016lx\n", (unsigned long)csr_read(CSR_SIE),
               (unsigned long)csr_read(CSR_SIP));
    for (unsigned i = 1; i < 32; i += 2) {
        unsigned j = i + 1;
        hyp_printf("hyp:   %-4s %016lx", reg_names[i], (unsigned long)f->x[i]);
        if (j < 32) {
            hyp_printf("  %-4s %016lx", reg_names[j], (unsigned long)f->x[j]);
        }
        hyp_printf("\n");
    }
    conout_flush(); /* what the ring holds, this report last */
    arch_fw_shutdown(HYP_EXIT_PANIC);
}
