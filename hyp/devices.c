// SPDX-License-Identifier: MIT
// Wiring of emulated devices: the UART's line goes to PLIC source 10, each PLIC context drives one
// vCPU's VS external interrupt, and the UART's bytes go to the console with the guest's name.
#include "devices.h"

#include <arch/arch.h>
#include <arch/csr.h>

#include "budget.h"
#include "console.h"
#include "guest_mem.h"
#include "sched.h"
#include "smp.h"
#include "vm.h"
#include "vplatform.h"

static void uart_tx(void *ctx, uint8_t c)
{
    struct vm *vm = ctx;
    char ch = (char)c;

    /* Its driver saw the transmitter empty: the byte is taken unless the host UART is so far behind
     * that the output ring is full, where it is lost as in an overrun, and counted. */
    if (console_guest_fits(vm, &ch, 1) == 0) {
        if (vm->console_lost++ == 0) {
            vm_log(vm, "writes its UART faster than the host console goes: bytes lost, counted");
        }
        sched_yield_soon();
        return;
    }
    console_guest_putc(vm, ch);
}

static void uart_irq(void *ctx, bool level)
{
    struct vm *vm = ctx;

    if (vm->cfg->devices & VM_DEV_PLIC) {
        vplic_set_level(&vm->plic, VM_UART_IRQ, level);
    }
}

static void *vblk_dma(void *ctx, uint64_t gpa, uint64_t len, bool device_writes)
{
    struct vm *vm = ctx;

    uint64_t hpa;

    /* Checked, not cleared: a descriptor may be as long as RAM; vblk_touch clears what is used.
     * This runs for every descriptor of a request, counted in the budget of an exit: a store into
     * what the engine watches (its patched instructions) is told to it first. */
    if (!guest_ram_range(vm, gpa, len, &hpa) || (device_writes && !guest_ram_dma_ok(vm, gpa, len))) {
        return (void *)0;
    }
    if (device_writes && len && gpa < vm->watch_hi && gpa + len > vm->watch_lo) {
        vm_arch_guest_write(vm, gpa, len);
    }
    return (void *)(uintptr_t)hpa;
}

static uint64_t vblk_touch(void *ctx, void *p, uint64_t len)
{
    struct vm *vm = ctx;

    return guest_ram_touch(vm, VM_RAM_BASE + ((uint64_t)(uintptr_t)p - vm->ram_hpa), len);
}

static enum blk_status vblk_start(void *ctx, enum blk_op op, uint64_t sector,
                                  const struct blk_seg *segs, unsigned nsegs)
{
    struct vm *vm = ctx;

    return blk_start(&vm->disk, BLK_USER_VBLK, op, sector, segs, nsegs);
}

static bool vblk_answered(void *ctx)
{
    struct vm *vm = ctx;

    return blk_answered(&vm->disk, BLK_USER_VBLK);
}

static enum blk_status vblk_finish(void *ctx, const struct blk_seg *segs, unsigned nsegs)
{
    struct vm *vm = ctx;

    return blk_finish(&vm->disk, BLK_USER_VBLK, segs, nsegs);
}

static void vblk_cancel(void *ctx)
{
    struct vm *vm = ctx;

    blk_cancel(&vm->disk, BLK_USER_VBLK);
}

static void vblk_irq(void *ctx, bool level)
{
    struct vm *vm = ctx;

    if (vm->cfg->devices & VM_DEV_PLIC) {
        vplic_set_level(&vm->plic, VM_VBLK_IRQ, level);
    }
}

static void plic_notify(void *ctx, unsigned context, bool pending)
{
    struct vm *vm = ctx;

    if (context < vm->nvcpus) {
        struct vcpu *t = &vm->vcpus[context];
        if (vm->spans_harts) {
            /* The level its hart would apply from the inbox: kept in step with the direct path. */
            __atomic_store_n(&t->ext_level, pending ? 1u : 0u, __ATOMIC_RELEASE);
            if (t->pcpu != arch_this_cpu()) {
                smp_raise_remote(t, IRQ_VS_EXT, pending);
                return;
            }
        }
        vcpu_arch_set_virq(t, IRQ_VS_EXT, pending);
        if (pending) {
            sched_virq_raised(t);
        }
    }
}

void devices_reset(struct vm *vm)
{
    const struct vuart_ops uops = { uart_tx, uart_irq, vm };
    const struct vplic_ops pops = { plic_notify, vm };

    const struct vblk_ops bops = { vblk_dma,    vblk_touch,  vblk_start, vblk_answered,
                                   vblk_finish, vblk_cancel, vblk_irq,   vm };

    vuart_init(&vm->uart, &uops);
    /* One context per vCPU, as the guest's device tree names them (vm_dt.c): vplic_init would
     * otherwise cut the count to what it holds, and vCPUs past it would have no interrupts. */
    _Static_assert(VCPU_MAX <= VPLIC_MAX_CTX, "a PLIC context for every vCPU");
    vplic_init(&vm->plic, vm->nvcpus, &pops);
    vblk_init(&vm->vblk, vm->disk.sectors, &bops);
}

bool devices_present(const struct vm *vm, uint64_t gpa)
{
    unsigned devs = vm->cfg->devices;

    return ((devs & VM_DEV_UART) && gpa >= VM_UART_BASE && gpa - VM_UART_BASE < VUART_SIZE) ||
           ((devs & VM_DEV_PLIC) && gpa >= VM_PLIC_BASE && gpa - VM_PLIC_BASE < VPLIC_SIZE) ||
           ((devs & VM_DEV_VIRTIO_BLK) && gpa >= VM_VBLK_BASE && gpa - VM_VBLK_BASE < VBLK_SIZE);
}

bool devices_mmio(struct vm *vm, uint64_t gpa, unsigned width, bool write, uint64_t *val,
                  bool *handled)
{
    unsigned devs = vm->cfg->devices;

    if ((devs & VM_DEV_UART) && gpa >= VM_UART_BASE && gpa - VM_UART_BASE < VUART_SIZE) {
        *handled = vuart_decodes(gpa - VM_UART_BASE, width);
        if (*handled) {
            devices_uart(vm, (unsigned)(gpa - VM_UART_BASE), write, val);
        }
        return true;
    }
    if ((devs & VM_DEV_PLIC) && gpa >= VM_PLIC_BASE && gpa - VM_PLIC_BASE < VPLIC_SIZE) {
        *handled = vplic_mmio(&vm->plic, gpa - VM_PLIC_BASE, width, write, val);
        return true;
    }
    if ((devs & VM_DEV_VIRTIO_BLK) && gpa >= VM_VBLK_BASE && gpa - VM_VBLK_BASE < VBLK_SIZE) {
        *handled = vblk_mmio(&vm->vblk, gpa - VM_VBLK_BASE, width, write, val);
        /* A notify may leave work for later exits: a guest that polls its used ring without an
         * exit still gets one soon. */
        if (vblk_pending(&vm->vblk)) {
            sched_device_work_left();
        }
        return true;
    }
    return false;
}

bool devices_busy(const struct vm *vm)
{
    return (vm->cfg->devices & VM_DEV_VIRTIO_BLK) && vblk_pending(&vm->vblk);
}

bool devices_work(struct vm *vm)
{
    if (!devices_busy(vm)) {
        return false;
    }
    vblk_work(&vm->vblk, VIRTIO_EXIT_BUDGET);
    return vblk_pending(&vm->vblk);
}

void devices_console_input(struct vm *vm)
{
    if (!(vm->cfg->devices & VM_DEV_UART)) {
        return;
    }
    while (vm->input_count > 0 && !vuart_rx_full(&vm->uart)) {
        vuart_rx(&vm->uart, vm->input[vm->input_head]);
        vm->input_head = (vm->input_head + 1) % CONSOLE_INPUT_MAX;
        vm->input_count--;
    }
}
