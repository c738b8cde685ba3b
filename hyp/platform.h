/* SPDX-License-Identifier: MIT */
/* What the hypervisor may use of a board, decided from its parsed device tree alone. */
#ifndef HYP_PLATFORM_H
#define HYP_PLATFORM_H

#include <stdbool.h>
#include <stdint.h>

#include "fdt.h"

enum platform_engine {
    PLATFORM_ENGINE_NONE, /* nothing to run on: the boot hart is missing or cannot be used */
    PLATFORM_ENGINE_HEXT, /* the H extension, on every usable hart */
    PLATFORM_ENGINE_TRAP, /* guest kernels in U-mode, their privileged instructions emulated */
};

enum platform_uart_kind {
    PLATFORM_UART_NONE, /* unknown or unusable: the console stays on the firmware's SBI calls */
    PLATFORM_UART_NS16550,
    PLATFORM_UART_SIFIVE,
};

/* The console UART as its driver (hyp/drv/uart.c) reaches it. */
struct platform_uart {
    enum platform_uart_kind kind;
    uint64_t base;
    uint32_t stride; /* bytes from one register to the next: 1 << reg-shift (SiFive: 4) */
    uint32_t width;  /* bytes per access: reg-io-width, 1, 2 or 4 (SiFive: 4) */
};

struct platform_hart {
    uint32_t hartid;
    bool usable;
    const char *why; /* when not usable, why not, as a phrase for the boot log; NULL otherwise */
};

struct platform_choice {
    struct platform_hart harts[FDT_MAX_HARTS]; /* one per hart of the tree, in its order */
    unsigned nharts;
    unsigned nusable;
    /* NONE when the boot hart is not usable; then `problem` says why. */
    enum platform_engine engine;
    const char *engine_why; /* why this engine, for the boot log */
    const char *problem;    /* why the boot hart cannot be used; NULL unless engine is NONE */
    /* The usable harts differ in H or Sstc: the engine and the timer use only what all of them
     * have. */
    bool common_subset;
    bool sstc; /* every usable hart lists Sstc */
    struct platform_uart uart;
    struct fdt_region ram[FDT_MAX_MEM];
    unsigned nram;
};

/* Decides, for the tree in *p, which harts the hypervisor takes, the engine it runs them with and
 * how it reaches the console. force_trap is hyp.engine=trap. */
void platform_choose(const struct platform_info *p, unsigned long boot_hartid, bool force_trap,
                     struct platform_choice *out);

/* The driver for a UART compatible string; NONE for names no driver knows. */
enum platform_uart_kind platform_uart_kind(const char *compatible);

/* The console UART the tree names, with its register layout checked: a layout the driver cannot
 * reach (an odd width, registers past the node's reg) gives kind NONE. */
void platform_uart_choose(const struct fdt_uart *u, struct platform_uart *out);

/* The riscv,isa guests are given: the hart's, without what the engine does not give them (H; V and
 * its parts, as vector state is not kept; counters and interrupt files not passed on; page-table and
 * cache-block extensions the engine does not enable; on the trap engine also Sstc, Svnapot and Svinval,
 * which its emulation and shadow walker do not know). out has room for cap bytes. */
void platform_guest_isa(const char *isa, bool trap, char *out, size_t cap);

const char *platform_engine_name(enum platform_engine e);
const char *platform_uart_kind_name(enum platform_uart_kind k);

/* Parses hyp.harts=<list>: hart ids and ranges, comma separated ("1,3-4"). Sets a bit per hart id
 * (ids up to 63); false (mask untouched) when the list does not parse or names a larger id. */
bool platform_parse_harts(const char *list, uint64_t *mask);

#endif
