// SPDX-License-Identifier: MIT
// Builds each VM's device tree: what the VM really has, at QEMU virt's addresses.
#include "vm_dt.h"

#include "dev/vblk.h"
#include "dev/vplic.h"
#include "dev/vuart.h"
#include "fdt_write.h"
#include "hyp.h"
#include "lib/format.h"
#include "vm.h"
#include "vplatform.h"

/* Phandles: each vCPU's interrupt controller is vcpu id + 1, the PLIC comes after them. */
#define PHANDLE_PLIC (VCPU_MAX + 1)

static void reg(struct fdt_writer *w, uint64_t base, uint64_t size)
{
    uint32_t cells[4] = { (uint32_t)(base >> 32), (uint32_t)base, (uint32_t)(size >> 32),
                          (uint32_t)size };
    fdtw_prop_cells(w, "reg", cells, 4);
}

static void cpus(struct fdt_writer *w, const struct vm *vm)
{
    char name[24];

    fdtw_begin_node(w, "cpus");
    fdtw_prop_u32(w, "#address-cells", 1);
    fdtw_prop_u32(w, "#size-cells", 0);
    fdtw_prop_u32(w, "timebase-frequency", (uint32_t)platform.timebase_freq);
    for (unsigned i = 0; i < vm->nvcpus; i++) {
        fmt_snprintf(name, sizeof(name), "cpu@%u", i);
        fdtw_begin_node(w, name);
        fdtw_prop_str(w, "device_type", "cpu");
        fdtw_prop_u32(w, "reg", i);
        fdtw_prop_str(w, "status", "okay");
        fdtw_prop_str(w, "compatible", "riscv");
        fdtw_prop_str(w, "riscv,isa", guest_isa);
        fdtw_prop_str(w, "mmu-type", "riscv,sv39");
        fdtw_begin_node(w, "interrupt-controller");
        fdtw_prop_u32(w, "#interrupt-cells", 1);
        fdtw_prop_empty(w, "interrupt-controller");
        fdtw_prop_str(w, "compatible", "riscv,cpu-intc");
        fdtw_prop_u32(w, "phandle", i + 1);
        fdtw_end_node(w);
        fdtw_end_node(w);
    }
    fdtw_end_node(w);
}

static void soc(struct fdt_writer *w, const struct vm *vm)
{
    static const char *const plic_compat[] = { "sifive,plic-1.0.0", "riscv,plic0" };
    char name[32];

    fdtw_begin_node(w, "soc");
    fdtw_prop_u32(w, "#address-cells", 2);
    fdtw_prop_u32(w, "#size-cells", 2);
    fdtw_prop_str(w, "compatible", "simple-bus");
    fdtw_prop_empty(w, "ranges");
    if (vm->cfg->devices & VM_DEV_PLIC) {
        /* One context per vCPU, its S-mode external interrupt (9): context n is vCPU n. */
        uint32_t ext[VCPU_MAX * 2];
        for (unsigned i = 0; i < vm->nvcpus; i++) {
            ext[2 * i] = i + 1;
            ext[2 * i + 1] = 9;
        }
        fmt_snprintf(name, sizeof(name), "plic@%lx", VM_PLIC_BASE);
        fdtw_begin_node(w, name);
        fdtw_prop_strs(w, "compatible", plic_compat, 2);
        reg(w, VM_PLIC_BASE, VPLIC_SIZE);
        fdtw_prop_u32(w, "#address-cells", 0);
        fdtw_prop_u32(w, "#interrupt-cells", 1);
        fdtw_prop_empty(w, "interrupt-controller");
        fdtw_prop_cells(w, "interrupts-extended", ext, 2 * vm->nvcpus);
        fdtw_prop_u32(w, "riscv,ndev", VM_PLIC_NDEV);
        fdtw_prop_u32(w, "phandle", PHANDLE_PLIC);
        fdtw_end_node(w);
    }
    if (vm->cfg->devices & VM_DEV_UART) {
        fmt_snprintf(name, sizeof(name), "serial@%lx", VM_UART_BASE);
        fdtw_begin_node(w, name);
        fdtw_prop_str(w, "compatible", "ns16550a");
        reg(w, VM_UART_BASE, VUART_SIZE);
        fdtw_prop_u32(w, "clock-frequency", VM_UART_CLOCK);
        if (vm->cfg->devices & VM_DEV_PLIC) {
            fdtw_prop_u32(w, "interrupt-parent", PHANDLE_PLIC);
            fdtw_prop_u32(w, "interrupts", VM_UART_IRQ);
        }
        fdtw_end_node(w);
    }
    if (vm->cfg->devices & VM_DEV_VIRTIO_BLK) {
        fmt_snprintf(name, sizeof(name), "virtio_mmio@%lx", VM_VBLK_BASE);
        fdtw_begin_node(w, name);
        fdtw_prop_str(w, "compatible", "virtio,mmio");
        reg(w, VM_VBLK_BASE, VBLK_SIZE);
        if (vm->cfg->devices & VM_DEV_PLIC) {
            fdtw_prop_u32(w, "interrupt-parent", PHANDLE_PLIC);
            fdtw_prop_u32(w, "interrupts", VM_VBLK_IRQ);
        }
        fdtw_end_node(w);
    }
    fdtw_end_node(w);
}

size_t vm_dt_build(const struct vm *vm, const struct vm_dt_info *info, void *buf, size_t cap)
{
    struct fdt_writer w;
    char name[32];

    fdtw_init(&w, buf, cap);
    fdtw_begin_node(&w, "");
    fdtw_prop_u32(&w, "#address-cells", 2);
    fdtw_prop_u32(&w, "#size-cells", 2);
    fdtw_prop_str(&w, "compatible", "riscv-virtio");
    fdtw_prop_str(&w, "model", "rvhyp virtual machine");

    fdtw_begin_node(&w, "chosen");
    if (vm->cfg->bootargs || boot_options.guestargs[0]) {
        char args[FDT_BOOTARGS_LEN];
        fmt_snprintf(args, sizeof(args), "%s%s%s", vm->cfg->bootargs ? vm->cfg->bootargs : "",
                     vm->cfg->bootargs && boot_options.guestargs[0] ? " " : "",
                     boot_options.guestargs);
        fdtw_prop_str(&w, "bootargs", args);
    }
    if (vm->cfg->devices & VM_DEV_UART) {
        fmt_snprintf(name, sizeof(name), "/soc/serial@%lx", VM_UART_BASE);
        fdtw_prop_str(&w, "stdout-path", name);
    }
    if (info->initrd_start) {
        fdtw_prop_u64(&w, "linux,initrd-start", info->initrd_start);
        fdtw_prop_u64(&w, "linux,initrd-end", info->initrd_end);
    }
    fdtw_end_node(&w);

    fmt_snprintf(name, sizeof(name), "memory@%lx", VM_RAM_BASE);
    fdtw_begin_node(&w, name);
    fdtw_prop_str(&w, "device_type", "memory");
    reg(&w, VM_RAM_BASE, vm->ram_size);
    fdtw_end_node(&w);

    cpus(&w, vm);
    soc(&w, vm);
    fdtw_end_node(&w);
    return fdtw_finish(&w);
}
