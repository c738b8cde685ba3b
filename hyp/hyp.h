/* SPDX-License-Identifier: MIT */
/* Hypervisor-wide state found at boot: the platform, the firmware's identity, the boot options. */
#ifndef HYP_HYP_H
#define HYP_HYP_H

#include <stdbool.h>

#include <arch/arch.h>

#include "fdt.h"
#include "mm.h"

#define GUESTARGS_LEN 128
#define RAW_NAME_LEN 16 /* a guest's name, as NAME_MAX_LEN (hyp/vm.h) */

struct boot_options {
    bool panic_selftest; /* hyp.selftest=panic: take a trap in HS-mode to show the panic path */
    /* hyp.selftest=wrong-door: start the other harts at the image's entry, as OpenSBI 1.1's HSM
     * race may (head.S), to show that they still come up. */
    bool wrong_door_selftest;
    bool engine_trap;    /* hyp.engine=trap: the trap engine even on harts with H */
    /* hyp.guestargs=...: appended to every guest's bootargs (commas become spaces), so one build can
     * be run with different guest options, as make bench does. */
    char guestargs[GUESTARGS_LEN];
    /* hyp.raw[=NAME]: one guest's console (the first, or NAME) reaches the host UART unchanged,
     * and its input goes straight to it (hyp/console.c). */
    bool raw_console;
    char raw_name[RAW_NAME_LEN];
    bool exits_all;    /* hyp.exits=all: every cause in the exit table, zeros included */
    bool reboot_fails; /* hyp.reboot=fail: a guest's reboot request stops it as failed (for CI) */
    /* hyp.verify=0: the bundle's sha256 hashes are not checked (they cost about 88 instructions a
     * byte at boot; make bench measures boots without them and reports the check on its own). */
    bool no_verify;
    /* hyp.harts=<list>: the hart ids guests may run on (a bit per id); 0: every usable hart. */
    uint64_t harts_mask;
    /* hyp.disk_timeout_ms=N: how long the host disk may take for one request before that request
     * fails and the device is reset (hyp/blk/blk.c); 0: BLK_TIMEOUT_MS_DEFAULT. */
    uint64_t disk_timeout_ms;
};

extern struct platform_info platform;
extern struct arch_fw_info fw_info;
extern struct frame_alloc frames;
extern struct boot_options boot_options;
extern bool hart_has_sstc;
/* The boot hart's riscv,isa without the H extension: what guests are told they run on. */
extern char guest_isa[FDT_ISA_LEN];

/* Zeroed frames for the hypervisor's own use (tables); 0 when memory is exhausted. */
uint64_t hyp_alloc_frames(uint64_t n, uint64_t align);
/* The same, not zeroed: for a caller that clears them itself, a part at a time (bounded work per
 * exit), before it relies on them. */
uint64_t hyp_alloc_frames_unzeroed(uint64_t n, uint64_t align);
/* Frames for guest RAM: free of any earlier guest's data (not necessarily zero); 0 when exhausted. */
uint64_t hyp_alloc_guest_frames(uint64_t n, uint64_t align);
void hyp_free_frames(uint64_t pa, uint64_t n);

#endif
