// SPDX-License-Identifier: MIT
// Boot: read the device tree, report the platform, take the memory, build the guests, start scheduling.
#include <string.h>

#include <arch/arch.h>
#include <arch/spinlock.h>

#include "bootmem.h"
#include "bundle.h"
#include "conout.h"
#include "console.h"
#include "drv/uart.h"
#include "fdt.h"
#include "hyp.h"
#include "platform.h"
#include "sched.h"
#include "smp.h"
#include "vm.h"

struct platform_info platform;
struct arch_fw_info fw_info;
struct frame_alloc frames;
/* Lock: frames (the allocator's bitmaps and counts) and the scrubbing of frames it hands out. Taken
 * last: nothing else is locked, and nothing is logged, while it is held. */
static struct spinlock frames_lock;
struct boot_options boot_options;
bool hart_has_sstc;
char guest_isa[FDT_ISA_LEN];

static struct bundle bundle;
_Static_assert(VM_MAX >= BUNDLE_MAX_GUESTS, "every guest a bundle may hold must find a VM slot");
static struct platform_choice choice;

/* Linker symbols: the hypervisor image, .bss and boot stack included. */
extern char _start_image[], _end[];
extern char boot_stack_top[];

static void no_scrub(void *ctx, uint64_t pa, uint64_t n)
{
    (void)ctx;
    (void)pa;
    (void)n;
}

uint64_t hyp_alloc_frames(uint64_t n, uint64_t align)
{
    spin_lock(&frames_lock);
    uint64_t pa = frames_alloc(&frames, n, align);
    if (pa) {
        frames_scrub(&frames, pa, n, no_scrub, (void *)0);
    }
    spin_unlock(&frames_lock);
    /* The hypervisor's own structures (tables above all) start zeroed, whatever RAM held at boot.
     * The frames are the caller's alone now: no lock is needed to clear them. */
    if (pa) {
        memset((void *)(uintptr_t)pa, 0, n * PAGE_SIZE);
    }
    return pa;
}

uint64_t hyp_alloc_frames_unzeroed(uint64_t n, uint64_t align)
{
    spin_lock(&frames_lock);
    uint64_t pa = frames_alloc(&frames, n, align);
    if (pa) {
        frames_scrub(&frames, pa, n, no_scrub, (void *)0); /* the caller overwrites them all */
    }
    spin_unlock(&frames_lock);
    return pa;
}

uint64_t hyp_alloc_guest_frames(uint64_t n, uint64_t align)
{
    spin_lock(&frames_lock);
    uint64_t pa = frames_alloc(&frames, n, align);

    /* Not cleared here: a guest's RAM is cleared page by page on first use (guest_mem.h), whoever
     * had the frames before, so that building a guest costs the same whatever its RAM. */
    if (pa) {
        frames_scrub(&frames, pa, n, no_scrub, (void *)0);
    }
    spin_unlock(&frames_lock);
    return pa;
}

void hyp_free_frames(uint64_t pa, uint64_t n)
{
    spin_lock(&frames_lock);
    int err = frames_free(&frames, pa, n);
    spin_unlock(&frames_lock);
    if (err != 0) {
        hyp_panic("freeing frames 0x%lx (+%lu) that are not allocated", (unsigned long)pa,
                  (unsigned long)n);
    }
}

/* A token of the bootargs is exactly lit. */
static bool opt_is(const char *tok, size_t n, const char *lit)
{
    return n == strlen(lit) && strncmp(tok, lit, n) == 0;
}

/* Copies the value after a "key=" prefix of tok (at most cap - 1 bytes) into out; false when tok
 * has no such prefix or no value. */
static bool opt_value(const char *tok, size_t n, const char *key, char *out, size_t cap)
{
    size_t k = strlen(key);

    if (n <= k || strncmp(tok, key, k) != 0) {
        return false;
    }
    size_t m = n - k < cap - 1 ? n - k : cap - 1;
    memcpy(out, tok + k, m);
    out[m] = '\0';
    return true;
}

/* A decimal number of up to 9 digits (larger would be no sensible setting); false for anything else. */
static bool parse_dec(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    unsigned n = 0;

    for (; *s >= '0' && *s <= '9' && n < 10; s++, n++) {
        v = v * 10 + (uint64_t)(*s - '0');
    }
    if (n == 0 || n > 9 || *s) {
        return false;
    }
    *out = v;
    return true;
}

static void parse_bootargs(const char *args)
{
    const char *p = args;

    while (*p) {
        while (*p == ' ') {
            p++;
        }
        const char *tok = p;
        while (*p && *p != ' ') {
            p++;
        }
        size_t n = (size_t)(p - tok);
        boot_options.panic_selftest |= opt_is(tok, n, "hyp.selftest=panic");
        boot_options.wrong_door_selftest |= opt_is(tok, n, "hyp.selftest=wrong-door");
        boot_options.engine_trap |= opt_is(tok, n, "hyp.engine=trap");
        boot_options.exits_all |= opt_is(tok, n, "hyp.exits=all");
        boot_options.reboot_fails |= opt_is(tok, n, "hyp.reboot=fail");
        boot_options.no_verify |= opt_is(tok, n, "hyp.verify=0");
        if (opt_is(tok, n, "hyp.raw") ||
            opt_value(tok, n, "hyp.raw=", boot_options.raw_name, sizeof boot_options.raw_name)) {
            boot_options.raw_console = true;
        }
        char harts[64];
        if (opt_value(tok, n, "hyp.harts=", harts, sizeof harts) &&
            !platform_parse_harts(harts, &boot_options.harts_mask)) {
            hyp_log("hyp.harts=%s: not a list of hart ids (0-63) and ranges: every usable hart is used",
                    harts);
            boot_options.harts_mask = 0;
        }
        char num[16];
        if (opt_value(tok, n, "hyp.disk_timeout_ms=", num, sizeof num) &&
            (!parse_dec(num, &boot_options.disk_timeout_ms) || boot_options.disk_timeout_ms == 0)) {
            hyp_log("hyp.disk_timeout_ms=%s: not a number of milliseconds from 1 to 999999999: "
                    "the default is used", num);
            boot_options.disk_timeout_ms = 0;
        }
        if (opt_value(tok, n, "hyp.guestargs=", boot_options.guestargs, GUESTARGS_LEN)) {
            for (char *c = boot_options.guestargs; *c; c++) {
                *c = *c == ',' ? ' ' : *c;
            }
        }
    }
}

static void print_platform(unsigned long boot_hartid)
{
    const struct platform_info *p = &platform;

    hyp_log("platform: %s", p->model[0] ? p->model : "(no model)");
    hyp_log("firmware: SBI %ld.%ld, implementation %ld version 0x%lx", fw_info.spec_version >> 24,
            fw_info.spec_version & 0xffffff, fw_info.impl_id, (unsigned long)fw_info.impl_version);
    for (unsigned i = 0; i < p->nmem; i++) {
        hyp_log("memory: 0x%lx-0x%lx (%lu MiB)", (unsigned long)p->mem[i].base,
                (unsigned long)(p->mem[i].base + p->mem[i].size - 1),
                (unsigned long)(p->mem[i].size >> 20));
    }
    for (unsigned i = 0; i < p->nreserved; i++) {
        hyp_log("reserved: 0x%lx-0x%lx", (unsigned long)p->reserved[i].base,
                (unsigned long)(p->reserved[i].base + p->reserved[i].size - 1));
    }
    hyp_log("timebase: %lu Hz", (unsigned long)p->timebase_freq);
    for (unsigned i = 0; i < p->nharts; i++) {
        const struct fdt_hart *h = &p->harts[i];
        const struct platform_hart *c = &choice.harts[i];
        const char *role = "parked";
        if (!c->usable) {
            role = c->why; /* a monitor hart (the E51 of a HiFive Unleashed), or disabled */
        } else if (h->hartid == boot_hartid) {
            role = "boot hart";
        } else {
            long st = arch_fw_hart_status(h->hartid);
            role = st == 1 ? "parked (stopped in firmware)" : "parked";
        }
        hyp_log("hart %u: %s, mmu %s, %s%s: %s%s", h->hartid, h->isa, h->mmu[0] ? h->mmu : "none",
                h->has_h ? "H" : "no H", h->has_sstc ? ", Sstc" : "", c->usable ? "" : "left alone, ",
                role);
    }
    if (p->uart.dev.present) {
        hyp_log("uart: %s at 0x%lx", p->uart.dev.compatible, (unsigned long)p->uart.dev.base);
    }
    if (p->plic.dev.present) {
        hyp_log("plic: %s at 0x%lx, %u sources", p->plic.dev.compatible,
                (unsigned long)p->plic.dev.base, p->plic.ndev);
    }
    if (p->clint.present) {
        hyp_log("clint: %s at 0x%lx", p->clint.compatible, (unsigned long)p->clint.base);
    }
    if (p->finisher.present) {
        hyp_log("test finisher: %s at 0x%lx (a failed run ends QEMU with its status)",
                p->finisher.compatible, (unsigned long)p->finisher.base);
    }
    if (p->bootargs[0]) {
        hyp_log("bootargs: %s", p->bootargs);
    }
}

/* The loader's initrd is the bundle only if it lies wholly in RAM and clear of this image and the
 * device tree; anything else (a stale /chosen, a hostile or mistaken loader) is refused here. */
static const char *bundle_range_check(uint64_t start, uint64_t end, const void *dtb)
{
    /* The image, and the allocator bitmaps that will follow it. */
    uint64_t img = (uint64_t)(uintptr_t)_start_image, img_end = bootmem_hyp_end();
    uint64_t d = (uint64_t)(uintptr_t)dtb, d_end = d + fdt_total_size(dtb);
    bool in_ram = false;

    if (!end) {
        return "no bundle was loaded (QEMU: -initrd guests.img; U-Boot: boot.scr, docs/boards.md)";
    }
    for (unsigned i = 0; i < platform.nmem; i++) {
        uint64_t b = platform.mem[i].base, e = b + platform.mem[i].size;
        in_ram |= start >= b && end <= e && e > b;
    }
    if (!in_ram) {
        return "it does not lie inside one RAM region";
    }
    if ((start < img_end && img < end) || (start < d_end && d < end)) {
        return "it overlaps the hypervisor image or the device tree";
    }
    return (const char *)0;
}

static void bundle_load(const void *dtb)
{
    uint64_t start = platform.initrd_start, end = platform.initrd_end;
    const char *why = bundle_range_check(start, end, dtb);

    if (why) {
        hyp_log("no guests: %s", why);
        platform.initrd_start = platform.initrd_end = 0; /* nothing of it is reserved */
        return;
    }
    bootmem_place_bundle();
    start = platform.initrd_start;
    end = platform.initrd_end;
    int err = bundle_parse((const void *)(uintptr_t)start, (size_t)(end - start), !boot_options.no_verify,
                           &bundle);
    for (unsigned i = 0; i < bundle.nmsgs; i++) {
        hyp_log("%s", bundle.msgs[i]);
    }
    if (err != 0) {
        return;
    }
    unsigned hashed = 0;
    for (unsigned i = 0; i < bundle.nimages; i++) {
        hashed += bundle.images[i].hashed && bundle.images[i].usable;
    }
    hyp_log("bundle: \"%s\" at 0x%lx-0x%lx: %u guests, %u images (%u sha256-checked%s)",
            bundle.description, (unsigned long)start, (unsigned long)(end - 1), bundle.nguests,
            bundle.nimages, hashed, boot_options.no_verify ? "; hyp.verify=0: hashes not checked" : "");
    vm_configs = bundle.guests;
    vm_nconfigs = bundle.nguests;
}

_Noreturn void hyp_main(unsigned long hartid, const void *dtb, uint64_t entry_time);

/* entry_time: the time at the image's first instruction (under QEMU -icount: instructions since
 * reset, the firmware's), read before the loops whose length follows the image's size; make bench
 * counts a native boot from there. */
_Noreturn void hyp_main(unsigned long hartid, const void *dtb, uint64_t entry_time)
{
    smp_boot_cpu(hartid, (uint64_t)(uintptr_t)boot_stack_top);

    arch_fw_info(&fw_info);
    uint32_t dtb_size = fdt_total_size(dtb);
    int err = fdt_parse(dtb, dtb_size, &platform);
    if (err != 0) {
        hyp_panic("cannot read the device tree at %p: %s", dtb, fdt_strerror(err));
    }
    if (platform.finisher.present) {
        arch_fw_set_finisher(platform.finisher.base);
    }
    uart_init(&platform.uart);
    hyp_printf("\nhyp: RISC-V paravirtualizing microhypervisor, booting on hart %lu at 0x%lx\n", hartid,
               (unsigned long)(uintptr_t)_start_image);
    parse_bootargs(platform.bootargs);
    platform_choose(&platform, hartid, boot_options.engine_trap, &choice);
    print_platform(hartid);

    const struct fdt_hart *me = (const struct fdt_hart *)0;
    for (unsigned i = 0; i < platform.nharts; i++) {
        if (platform.harts[i].hartid == hartid) {
            me = &platform.harts[i];
        }
    }
    if (!me) {
        hyp_panic("boot hart %lu is not in the device tree", hartid);
    }
    if (platform.timebase_freq == 0) {
        hyp_panic("the device tree gives no timebase-frequency");
    }
    if (choice.engine == PLATFORM_ENGINE_NONE) {
        hyp_log("cannot run guests: %s", choice.problem);
        conout_flush();
        arch_fw_shutdown(HYP_EXIT_NO_GUEST);
    }
    if (choice.common_subset) {
        hyp_log("harts differ in H or Sstc: guests get what every usable hart has");
    }
    /* The trap engine runs where there is no H extension, or where the bootargs ask for it (to
     * compare the two engines on one machine). */
    arch_engine_trap = choice.engine == PLATFORM_ENGINE_TRAP;
    hart_has_sstc = choice.sstc && arch_sstc_usable();
    if (me->has_sstc && !hart_has_sstc) {
        hyp_log("hart %lu lists Sstc but stimecmp traps (the firmware left it off): not used", hartid);
    }
    platform_guest_isa(me->isa, arch_engine_trap, guest_isa, sizeof guest_isa);
    unsigned vmid_bits = arch_hart_init(hart_has_sstc);
    arch_engine_init();
    if (arch_engine_trap) {
        hyp_log("engine: trap on hart %lu (%s; guest kernels run in U-mode, privileged instructions "
                "emulated, shadow or validated page tables, guest timer through the hypervisor)",
                hartid, choice.engine_why);
    } else {
        hyp_log("engine: hext on hart %lu (VMID bits %u, guest timer %s)", hartid, vmid_bits,
                hart_has_sstc ? "Sstc vstimecmp" : "emulated through hvip.VSTIP");
        if (vmid_bits == 0) {
            hyp_log("no VMIDs: G-stage TLB entries are flushed on every guest switch");
        }
    }
    if (boot_options.panic_selftest) {
        hyp_log("selftest: taking a breakpoint in HS-mode to exercise the panic path");
        __builtin_trap();
    }

    bundle_load(dtb);
    bootmem_init();
    sched_slice = platform.timebase_freq / 100;
    smp_start(&choice, hartid, dtb);
    unsigned built = vm_create_all();
    smp_banner(&choice);
    if (built == 0) {
        hyp_log("no guest could be started");
        conout_flush();
        arch_fw_shutdown(HYP_EXIT_NO_GUEST);
    }
    hyp_log("boot: entered at time %lu, guests start at time %lu", (unsigned long)entry_time,
            (unsigned long)arch_time());
    console_start();
    conout_background(); /* what the guests print may no longer wait for the UART */
    smp_release();
    smp_boot_hart_done();
}
