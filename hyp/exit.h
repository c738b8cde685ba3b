/* SPDX-License-Identifier: MIT */
/* Exit causes (scause codes, priv spec "Supervisor cause register") and the exit handler entry. */
#ifndef HYP_EXIT_H
#define HYP_EXIT_H

#include <stdbool.h>
#include <stdint.h>

#define EXC_INSN_MISALIGNED 0
#define EXC_INSN_ACCESS 1
#define EXC_ILLEGAL_INSN 2
#define EXC_BREAKPOINT 3
#define EXC_LOAD_MISALIGNED 4
#define EXC_LOAD_ACCESS 5
#define EXC_STORE_MISALIGNED 6
#define EXC_STORE_ACCESS 7
#define EXC_U_ECALL 8
#define EXC_HS_ECALL 9
#define EXC_VS_ECALL 10
#define EXC_M_ECALL 11
#define EXC_INSN_PAGE_FAULT 12
#define EXC_LOAD_PAGE_FAULT 13
#define EXC_STORE_PAGE_FAULT 15
#define EXC_INSN_GUEST_PAGE_FAULT 20
#define EXC_LOAD_GUEST_PAGE_FAULT 21
#define EXC_VIRTUAL_INSN 22
#define EXC_STORE_GUEST_PAGE_FAULT 23
#define EXC_COUNT 24
/* Exits only the trap engine has, counted beside the hardware causes: a privileged instruction of
 * the guest kernel emulated, a shadow page-table entry filled, a write to a shadowed table. */
#define EXIT_PRIV_INSN 24
#define EXIT_SHADOW_FILL 25
#define EXIT_TABLE_WRITE 26 /* a guest store to a shadowed page table, carried out by the engine */

struct vcpu;

/* Called by the arch layer with the exit's CSRs in v->arch; ends by running a vCPU again. */
_Noreturn void vcpu_handle_exit(struct vcpu *v);

/* A short name for an scause value (interrupt bit included). */
const char *exit_cause_name(uint64_t scause);

#endif
