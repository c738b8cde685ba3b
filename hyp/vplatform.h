/* SPDX-License-Identifier: MIT */
/* The machine a guest sees: QEMU virt's addresses, so unmodified software finds its devices. */
#ifndef HYP_VPLATFORM_H
#define HYP_VPLATFORM_H

#define VM_PLIC_BASE 0x0c000000ul
#define VM_UART_BASE 0x10000000ul
#define VM_UART_IRQ 10
/* The first virtio-mmio slot QEMU virt has, and its PLIC source. */
#define VM_VBLK_BASE 0x10001000ul
#define VM_VBLK_IRQ 1
#define VM_UART_CLOCK 3686400u
#define VM_PLIC_NDEV 31

#endif
