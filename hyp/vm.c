// SPDX-License-Identifier: MIT
// VMs built from the configuration: guest RAM, G-stage tables, image loading, stop and reboot.
#include "vm.h"

#include <stdarg.h>
#include <string.h>

#include <arch/arch.h>

#include "console.h"
#include "devices.h"
#include "hverr.h"
#include "hyp.h"
#include "lib/format.h"
#include "loader.h"
#include "sched.h"
#include "smp.h"

#define RAM_ALIGN (2 * MiB)

/* Not in .bss: a slot is cleared when a guest is built in it (vm_build_all), and only slots below
 * nvms are ever read (linker/hyp.ld, .noinit). */
struct vm vms[VM_MAX] __attribute__((section(".noinit")));
unsigned nvms;
/* VMs in VM_RUNNING, for every hart's scheduler to see the last one stop without a scan (atomic). */
unsigned vms_running;
const struct vm_config *vm_configs;
unsigned vm_nconfigs;

/* Every frame a VM holds (its RAM, its tables, its engine's and devices' state) is taken and given
 * back through these, so the VM knows what it holds whatever the others do meanwhile. */
uint64_t vm_alloc_frames(struct vm *vm, uint64_t n, uint64_t align)
{
    uint64_t pa = hyp_alloc_frames(n, align);
    vm->frames_held += pa ? n : 0;
    return pa;
}

uint64_t vm_alloc_frames_unzeroed(struct vm *vm, uint64_t n, uint64_t align)
{
    uint64_t pa = hyp_alloc_frames_unzeroed(n, align);
    vm->frames_held += pa ? n : 0;
    return pa;
}

void vm_free_frames(struct vm *vm, uint64_t pa, uint64_t n)
{
    hyp_free_frames(pa, n);
    vm->frames_held -= n;
}

static uint64_t pt_alloc_cb(void *ctx, uint64_t n, uint64_t align)
{
    return vm_alloc_frames(ctx, n, align);
}

static void pt_free_cb(void *ctx, uint64_t pa, uint64_t n)
{
    vm_free_frames(ctx, pa, n);
}

_Static_assert(__builtin_offsetof(struct vcpu, arch) == 0, "vcpu_of_arch relies on arch being first");

/* Puts v at entry, its state afresh, without changing whether it runs. */
static void vcpu_reset(struct vcpu *v, uint64_t entry, uint64_t arg)
{
    struct pcpu *c = arch_this_cpu();

    /* The hart may still hold this vCPU's old state: make the next run load the fresh one. */
    if (c->loaded == v) {
        c->loaded = (struct vcpu *)0;
    }
    /* Its own exit resets it (a reboot, a non-retentive resume): that exit is charged to the life
     * that took it, before the reset clears the instret it began at. */
    if (c->exiting == v) {
        vcpu_arch_charge_exit(c);
    }
    stats_fold(v);
    vcpu_arch_reset(&v->arch, entry, v->id, arg); /* zeroes the rest of the arch state */
    vcpu_arch_set_gstage(&v->arch, v->vm->gstage.root, v->vm->vmid);
    v->resume_reset = false;
    /* The trap-loop count belongs to the life that took the ticks: a new one gets its three. So
     * do the results of page-table calls of that life the validator kept for it. */
    v->loop_ticks = 0;
    pv_vcpu_reset(v);
    sta_reset(v); /* a new life registers its own steal-time record (ext-steal-time.adoc) */
}

void vcpu_start(struct vcpu *v, uint64_t entry, uint64_t arg)
{
    vcpu_reset(v, entry, arg);
    sched_set_state(v, VCPU_RUNNABLE);
}

struct vcpu *vm_vcpu(struct vm *vm, unsigned long hartid)
{
    return hartid < vm->nvcpus ? &vm->vcpus[hartid] : (struct vcpu *)0;
}

/* Loads the guest's images and device tree and puts vCPU 0 at its entry; the others wait for HSM. */
static void vm_load(struct vm *vm)
{
    struct guest_boot boot;

    devices_reset(vm);
    vm->input_head = vm->input_count = 0;
    guest_load(vm, &boot);
    /* The others stay off (never runnable for a moment: their hart would be kicked to look). */
    for (unsigned i = 1; i < vm->nvcpus; i++) {
        vcpu_reset(&vm->vcpus[i], boot.entry, boot.dtb);
        sched_set_state(&vm->vcpus[i], VCPU_OFF);
    }
    vcpu_start(&vm->vcpus[0], boot.entry, boot.dtb);
}

#define STR_(x) #x
#define STR(x) STR_(x)

static const char *vm_check_config(const struct vm_config *cfg)
{
    if (!cfg->name || !cfg->name[0] || strlen(cfg->name) >= NAME_MAX_LEN) {
        return "name missing or too long";
    }
    if (!cfg->image || cfg->image->end <= cfg->image->start) {
        return "no guest image";
    }
    if (cfg->ram_size == 0 || cfg->ram_size % RAM_ALIGN) {
        return "RAM size must be a non-zero multiple of 2 MiB";
    }
    if (cfg->vcpus == 0 || cfg->vcpus > VCPU_MAX) {
        return "vCPU count out of range (1 to " STR(VCPU_MAX) ")";
    }
    if (cfg->initrd && cfg->initrd->end <= cfg->initrd->start) {
        return "empty initrd";
    }
    return guest_check_layout(cfg);
}

/* Gives back its RAM and the bitmap of what of it is cleared. */
static void free_ram(struct vm *vm)
{
    if (vm->clean_pa) {
        vm_free_frames(vm, vm->clean_pa, vm->clean_frames);
        vm->clean_pa = 0;
    }
    vm_free_frames(vm, vm->ram_hpa, vm->ram_size / PAGE_SIZE);
    vm->ram_hpa = 0;
}

static void vcpus_destroy(struct vm *vm, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        vcpu_arch_destroy(&vm->vcpus[i], &vm->alloc);
    }
}

/* Builds the VM from its configuration; keep_disk: its disk is still attached from before. */
static bool vm_build(struct vm *vm, bool keep_disk)
{
    const struct vm_config *cfg = vm->cfg;

    vm->generation++;
    vm->tv_table_stores = 0;

    vm->ram_size = cfg->ram_size;
    vm->alloc = (struct pt_alloc){ pt_alloc_cb, pt_free_cb, vm };
    vm->ram_hpa = hyp_alloc_guest_frames(cfg->ram_size / PAGE_SIZE, RAM_ALIGN);
    vm->frames_held += vm->ram_hpa ? cfg->ram_size / PAGE_SIZE : 0;
    if (!vm->ram_hpa) {
        /* Guest RAM is one run of host frames, 2 MiB aligned: say how much of that there is. */
        hyp_log("guest '%s' not started: no room for %lu MiB of RAM (the largest free run, 2 MiB "
                "aligned, is %lu MiB of %lu MiB free)", cfg->name, (unsigned long)(cfg->ram_size / MiB),
                (unsigned long)(frames_largest_run(&frames, RAM_ALIGN) / MiB),
                (unsigned long)(frames_free_count(&frames) * PAGE_SIZE / MiB));
        return false;
    }
    /* Its RAM is cleared page by page on first use (guest_mem.h), so building a guest costs the
     * same whatever its size; the G-stage maps a 2 MiB region once all of it is cleared. */
    uint64_t npages = vm->ram_size / PAGE_SIZE;
    vm->clean_frames = (ram_clean_words(npages) * 8 + PAGE_SIZE - 1) / PAGE_SIZE;
    vm->clean_pa = vm_alloc_frames(vm, vm->clean_frames, PAGE_SIZE);
    int err = vm->clean_pa ? gstage_init(&vm->gstage, &vm->alloc) : HV_ENOMEM;
    if (err != HV_OK) {
        hyp_log("guest '%s' not started: no memory for its G-stage tables (%d)", cfg->name, err);
        free_ram(vm);
        return false;
    }
    ram_clean_init(&vm->clean, (uint64_t *)(uintptr_t)vm->clean_pa, npages);
    vm->nvcpus = cfg->vcpus;
    if (vm_arch_create(vm, &vm->alloc) != 0) {
        hyp_log("guest '%s' not started: no memory for its engine state", cfg->name);
        gstage_destroy(&vm->gstage, &vm->alloc);
        free_ram(vm);
        return false;
    }
    for (unsigned i = 0; i < vm->nvcpus; i++) {
        vm->vcpus[i].vm = vm;
        vm->vcpus[i].id = i;
        if (vcpu_arch_create(&vm->vcpus[i], &vm->alloc) != 0) {
            hyp_log("guest '%s' not started: no memory for vCPU %u", cfg->name, i);
            vcpus_destroy(vm, i);
            vm_arch_destroy(vm, &vm->alloc);
            gstage_destroy(&vm->gstage, &vm->alloc);
            free_ram(vm);
            return false;
        }
    }
    if (!keep_disk) {
        blk_attach(vm);
    }
    vm_load(vm);
    vm->state = VM_RUNNING;
    __atomic_add_fetch(&vms_running, 1u, __ATOMIC_RELEASE);
    vm->failed = false;
    vm->stop_why[0] = '\0';
    return true;
}

void vm_where(const struct vm *vm, char *buf, size_t size)
{
    unsigned n = (unsigned)fmt_snprintf(buf, size, "hart%s %lu", vm->spans_harts ? "s" : "", vm->pcpu->hartid);

    for (unsigned j = 1; vm->spans_harts && j < vm->nvcpus && n < size; j++) {
        n += (unsigned)fmt_snprintf(buf + n, size - n, ",%lu", vm->vcpus[j].pcpu->hartid);
    }
}

unsigned vm_create_all(void)
{
    unsigned built = 0;

    for (unsigned i = 0; i < vm_nconfigs; i++) {
        const struct vm_config *cfg = &vm_configs[i];
        if (nvms == VM_MAX) {
            hyp_log("guest '%s' not started: at most %u guests run at once", cfg->name, VM_MAX);
            continue;
        }
        const char *why = vm_check_config(cfg);
        why = why ? why : smp_place_check(cfg);
        if (why) {
            hyp_log("guest %u ('%s') not started: %s", i, cfg->name ? cfg->name : "?", why);
            continue;
        }
        struct vm *vm = &vms[nvms];
        memset(vm, 0, sizeof(*vm));
        vm->cfg = cfg;
        vm->id = nvms;
        /* VMID 0 is left unused so that a VM's translations never alias the hypervisor's bare ones. */
        vm->vmid = nvms + 1;
        nvms++;
        /* Placed first: starting its vCPUs puts them in their hart's run queue. */
        smp_place(vm);
        if (!vm_build(vm, false)) {
            /* Logged by vm_build; the slot goes to the next guest (a guest that never ran is no
             * failure of the run, and must not push a later one out). */
            smp_unplace(vm);
            nvms--;
            memset(vm, 0, sizeof(*vm));
            continue;
        }
        char where[VM_WHERE_MAX];
        vm_where(vm, where, sizeof where);
        hyp_log("guest '%s': %lu MiB RAM at host 0x%lx, %u vCPU on %s, image %s (%lu bytes), VMID %u",
                cfg->name, (unsigned long)(vm->ram_size / MiB), (unsigned long)vm->ram_hpa, vm->nvcpus,
                where, cfg->image->name, (unsigned long)(cfg->image->end - cfg->image->start), vm->vmid);
        built++;
    }
    return built;
}

/* Stops a running VM and gives back what it holds, its disk unless keep_disk. */
static void vm_halt(struct vm *vm, const char *why, bool keep_disk)
{
    struct pcpu *c = arch_this_cpu();

    console_guest_end(vm);
    if (!vm->quiet) {
        hyp_log("guest '%s' stopped: %s", vm->cfg->name, why);
    }
    fmt_snprintf(vm->stop_why, sizeof vm->stop_why, "%s", why);
    for (unsigned i = 0; i < vm->nvcpus; i++) {
        sched_set_state(&vm->vcpus[i], VCPU_OFF);
        if (c->loaded == &vm->vcpus[i]) {
            c->loaded = (struct vcpu *)0;
        }
        /* Its exit is not charged to whatever vCPU is built in its place. */
        if (c->exiting == &vm->vcpus[i]) {
            c->exiting = (struct vcpu *)0;
        }
    }
    /* Not yet one fewer in vms_running: the caller says so once the stop is complete (its
     * verdict recorded, its restart made), or an idle hart would end the run without them. */
    __atomic_store_n(&vm->state, VM_STOPPED, __ATOMIC_SEQ_CST);
    /* A VM on several harts: the others are kicked out of it and seen to leave, and their G-stage
     * TLBs flushed for its VMID, before anything of it is freed or reused. */
    smp_vm_quiesce(vm);
    uint64_t t0 = arch_instret();
    /* The frames go back to the allocator only after no hart can still hold a translation to them. */
    arch_gstage_flush(vm->vmid);
    gstage_destroy(&vm->gstage, &vm->alloc);
    vcpus_destroy(vm, vm->nvcpus);
    vm_arch_destroy(vm, &vm->alloc);
    /* RAM first: pv_release then has no slot of pinned roots to empty, as the next owner of the
     * frames sees them cleared anyway (a walk over every frame would make a stop cost its RAM). */
    free_ram(vm);
    pv_release(vm);
    /* Its requests on the host disk are nobody's now (their data passes through the disk's own
     * buffer, never its RAM, so the RAM could go back first); a kept disk starts the next life free. */
    hc_blk_cancel(vm);
    blk_cancel(&vm->disk, BLK_USER_VBLK);
    if (!keep_disk) {
        blk_detach(vm);
    }
    vm->stats.stop_instret = arch_instret() - t0;
}

/* The end of a stop that vm_halt began: from here an idle hart may see the last guest gone and end
 * the run, reading vm->failed and vm->stop_why for its status. */
static void vm_stop_done(void)
{
    __atomic_sub_fetch(&vms_running, 1u, __ATOMIC_RELEASE);
}

void vm_stop(struct vm *vm, const char *why)
{
    if (vm->state != VM_RUNNING) {
        return;
    }
    vm_halt(vm, why, false);
    console_focus_next();
    vm_stop_done();
}

void vm_restart(struct vm *vm)
{
    bool keep_disk = vm->state == VM_RUNNING;

    if (keep_disk) {
        vm_halt(vm, "restarted by the operator", true);
    }
    /* A fresh start: its automatic restarts are counted, and logged, from zero again. */
    vm->restarts = 0;
    vm->quiet = false;
    hyp_log("guest '%s' restarting from its configuration (operator)", vm->cfg->name);
    if (!vm_build(vm, keep_disk)) {
        if (keep_disk) {
            blk_detach(vm);
        }
        vm->state = VM_STOPPED;
        fmt_snprintf(vm->stop_why, sizeof vm->stop_why, "%s", "its restart failed (see above)");
        console_focus_next();
    }
    if (keep_disk) {
        vm_stop_done(); /* the halt's; a rebuilt VM counted itself again */
    }
}

static void report_dropped(struct vm *vm)
{
    if (vm->log_dropped) {
        hyp_log("guest '%s': %lu log lines about it dropped (at most %u at once, then one per %u ms)",
                vm->cfg->name, (unsigned long)vm->log_dropped, VM_LOG_BURST, VM_LOG_EVERY_MS);
        vm->log_dropped = 0;
    }
}

unsigned vm_run_status(void)
{
    unsigned failed = 0;

    for (unsigned i = 0; i < nvms; i++) {
        report_dropped(&vms[i]); /* lines dropped since the last one it logged */
        if (vms[i].failed) {
            hyp_log("guest '%s' failed: %s", vms[i].cfg->name, vms[i].stop_why);
            failed++;
        }
    }
    if (failed) {
        hyp_log("%u of %u guests failed: powering off with reason \"system failure\"", failed,
                nvms);
        return HYP_EXIT_GUEST_FAILED;
    }
    return HYP_EXIT_OK;
}

void vm_log(struct vm *vm, const char *fmt, ...)
{
    uint64_t now = arch_time(), every = platform.timebase_freq / 1000 * VM_LOG_EVERY_MS;
    char line[192];
    va_list ap;

    if (vm->log_refilled == 0) {
        vm->log_tokens = VM_LOG_BURST;
        vm->log_refilled = now;
    }
    if (every && now - vm->log_refilled >= every) {
        uint64_t add = (now - vm->log_refilled) / every;
        vm->log_tokens = add >= VM_LOG_BURST - vm->log_tokens ? VM_LOG_BURST
                                                              : vm->log_tokens + (unsigned)add;
        vm->log_refilled += add * every;
    }
    if (vm->log_tokens == 0) {
        vm->log_dropped++;
        return;
    }
    vm->log_tokens--;
    report_dropped(vm);
    va_start(ap, fmt);
    fmt_vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    hyp_log("guest '%s' %s", vm->cfg->name, line);
}

void vm_reboot(struct vm *vm, bool cold)
{
    console_guest_end(vm);
    vm_log(vm, "%s reboot", cold ? "cold" : "warm");
    /* A VM on several harts: its other vCPUs may be in the guest on other harts right now, and the
     * reload resets their state (registers a trap there would save over the new ones, the stack and
     * hart block its vector loads). So they are kicked out and seen to leave first, as for a stop;
     * no hart enters the VM until it runs again. The caller's exit holds the VM lock throughout. */
    bool spans = vm->spans_harts;
    if (spans) {
        __atomic_store_n(&vm->state, VM_REBOOTING, __ATOMIC_SEQ_CST);
        smp_vm_quiesce(vm);
    }
    /* As on a real board (and QEMU's reset), RAM keeps its contents: only the image is loaded again.
     * The tables the guest had validated are no longer in force: it starts with none. */
    pv_release(vm);
    /* What it had on the host disk belongs to its last life: the answers are dropped. */
    hc_blk_cancel(vm);
    blk_cancel(&vm->disk, BLK_USER_VBLK);
    vm_arch_reboot(vm);
    vm_load(vm);
    if (spans) {
        __atomic_store_n(&vm->state, VM_RUNNING, __ATOMIC_RELEASE);
    }
}

void vm_fault(struct vm *vm, const char *fmt, ...)
{
    char why[160];
    va_list ap;

    va_start(ap, fmt);
    fmt_vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    vm_crash(vm, why);
}

void vm_crash(struct vm *vm, const char *why)
{
    if (vm->state != VM_RUNNING) {
        return;
    }
    vm_halt(vm, why, false);
    console_focus_next();
    vm->failed = true; /* until it is built again */
    if (vm->restarts >= vm->cfg->restarts) {
        if (vm->cfg->restarts) {
            /* Everything a VM takes comes back when it stops: after its last restart it holds
             * nothing, however many frames the guests beside it took or gave back meanwhile. */
            hyp_log("guest '%s' restarted %u times; it holds %lu frames now (%s)", vm->cfg->name,
                    vm->restarts, (unsigned long)vm->frames_held,
                    vm->frames_held == 0 ? "all given back" : "LEAKED");
        }
        vm_stop_done();
        return;
    }
    vm->restarts++;
    if (vm->restarts <= 3 || vm->restarts % 100 == 0) {
        hyp_log("guest '%s' restarting from its configuration (%u of %u)", vm->cfg->name, vm->restarts,
                vm->cfg->restarts);
    }
    vm->quiet = vm->restarts > 3;
    if (!vm_build(vm, false)) {
        vm->state = VM_STOPPED;
    }
    vm_stop_done();
}

bool vm_can_progress(const struct vm *vm)
{
    for (unsigned i = 0; i < vm->nvcpus; i++) {
        const struct vcpu *v = &vm->vcpus[i];
        if (v->state == VCPU_RUNNABLE ||
            ((v->state == VCPU_WFI || v->state == VCPU_SUSPENDED) && vcpu_arch_can_wake(&v->arch))) {
            return true;
        }
    }
    return false;
}
