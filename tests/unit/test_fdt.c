// SPDX-License-Identifier: MIT
// Unit tests for the device-tree reader on good trees: QEMU's, a hand-written edge case, built.
#define _POSIX_C_SOURCE 200809L /* strnlen */
#include "check.h"
#include "fdt.h"
#include "fdt_blobs.h"

#include <stdint.h>

/* ---- Real trees ---- */

TEST(fdt_qemu_virt)
{
    size_t size;
    uint8_t *blob = load_dtb("qemu-virt", &size);
    struct platform_info info;
    CHECK(blob != NULL);
    if (!blob) {
        return;
    }
    CHECK_EQ(fdt_total_size(blob), size);
    int r = fdt_parse(blob, size, &info);
    CHECK_EQ(r, FDT_OK);
    CHECK_STR(info.model, "riscv-virtio,qemu");
    CHECK_EQ(info.nmem, 1);
    CHECK_EQ(info.mem[0].base, 0x80000000);
    CHECK_EQ(info.mem[0].size, 0x10000000);
    CHECK_EQ(info.nreserved, 0);
    CHECK_EQ(info.nharts, 2);
    for (unsigned i = 0; i < 2; i++) {
        CHECK_EQ(info.harts[i].hartid, i);
        CHECK(info.harts[i].enabled);
        CHECK(info.harts[i].has_mmu);
        CHECK(info.harts[i].has_h);
        CHECK(info.harts[i].has_sstc);
        CHECK_STR(info.harts[i].mmu, "riscv,sv48");
        CHECK_STR(info.harts[i].isa,
                  "rv64imafdch_zicsr_zifencei_zihintpause_zba_zbb_zbc_zbs_sstc");
    }
    CHECK_EQ(info.timebase_freq, 10000000);
    CHECK(info.uart.dev.present);
    CHECK_EQ(info.uart.dev.base, 0x10000000);
    CHECK_EQ(info.uart.dev.size, 0x100);
    CHECK_STR(info.uart.dev.compatible, "ns16550a");
    CHECK_EQ(info.uart.reg_shift, 0);
    CHECK_EQ(info.uart.reg_io_width, 1);
    CHECK_EQ(info.uart.clock, 3686400); /* clock-frequency = "\08@" is <0x384000> */
    CHECK(info.plic.dev.present);
    CHECK_EQ(info.plic.dev.base, 0xc000000);
    CHECK_EQ(info.plic.dev.size, 0x600000);
    CHECK_EQ(info.plic.ndev, 0x60);
    CHECK_STR(info.plic.dev.compatible, "sifive,plic-1.0.0");
    CHECK(info.clint.present);
    CHECK_EQ(info.clint.base, 0x2000000);
    CHECK_EQ(info.clint.size, 0x10000);
    CHECK_STR(info.clint.compatible, "sifive,clint0");
    /* QEMU's test finisher: a failing run ends QEMU through it. */
    CHECK(info.finisher.present);
    CHECK_EQ(info.finisher.base, 0x100000);
    CHECK_STR(info.finisher.compatible, "sifive,test1");
    CHECK_STR(info.stdout_path, "/soc/serial@10000000");
    CHECK_STR(info.bootargs, "");
    /* Eight virtio-mmio slots, listed from the top down as QEMU writes them. */
    CHECK_EQ(info.nvirtio, 8);
    for (unsigned i = 0; i < info.nvirtio && i < 8; i++) {
        CHECK_EQ(info.virtio[i].base, 0x10008000 - 0x1000 * i);
        CHECK_EQ(info.virtio[i].size, 0x1000);
        CHECK_EQ(info.virtio[i].irq, 8 - i);
    }
    free(blob);
}

/* virtio-mmio slots: disabled ones, ones without reg or interrupts, and more than fit. */
TEST(fdt_virtio_slots)
{
    static const uint32_t irq = 7, zero_reg[] = { 0, 0x10002000, 0, 0 };
    struct builder b;
    struct platform_info info;
    b_minimal_open(&b);
    b_begin(&b, "soc");
    b_prop_cells(&b, "#address-cells", 1, &(uint32_t){ 2 });
    b_prop_cells(&b, "#size-cells", 1, &(uint32_t){ 2 });
    b_begin(&b, "virtio_mmio@10001000"); /* no interrupts: irq 0 */
    b_prop_str(&b, "compatible", "virtio,mmio");
    b_prop_cells(&b, "reg", 4, (const uint32_t[]){ 0, 0x10001000, 0, 0x1000 });
    b_end_node(&b);
    b_begin(&b, "virtio_mmio@10002000"); /* an empty region is no slot */
    b_prop_str(&b, "compatible", "virtio,mmio");
    b_prop_cells(&b, "reg", 4, zero_reg);
    b_end_node(&b);
    b_begin(&b, "virtio_mmio@10003000"); /* disabled */
    b_prop_str(&b, "compatible", "virtio,mmio");
    b_prop_str(&b, "status", "disabled");
    b_prop_cells(&b, "reg", 4, (const uint32_t[]){ 0, 0x10003000, 0, 0x1000 });
    b_end_node(&b);
    b_begin(&b, "virtio_mmio@10004000"); /* no reg */
    b_prop_str(&b, "compatible", "virtio,mmio");
    b_end_node(&b);
    for (uint32_t i = 0; i < FDT_MAX_VIRTIO + 2; i++) {
        b_begin(&b, "virtio_mmio");
        b_prop_str(&b, "compatible", "virtio,mmio");
        b_prop_cells(&b, "reg", 4, (const uint32_t[]){ 0, 0x20000000 + 0x1000 * i, 0, 0x200 });
        b_prop_cells(&b, "interrupts", 1, &irq);
        b_end_node(&b);
    }
    b_begin(&b, "virtio_mmio@3"); /* interrupts too short to hold a cell */
    b_prop(&b, "interrupts", "ab", 2);
    b_end_node(&b);
    b_end_node(&b);
    b_end_node(&b);
    b_u32(&b, 9);
    int r = parse_built(&b, &info);
    CHECK_EQ(r, FDT_OK);
    check_sane(r, &info);
    CHECK_EQ(info.nvirtio, FDT_MAX_VIRTIO);
    CHECK_EQ(info.virtio[0].base, 0x10001000);
    CHECK_EQ(info.virtio[0].irq, 0);
    CHECK_EQ(info.virtio[1].base, 0x20000000);
    CHECK_EQ(info.virtio[1].size, 0x200);
    CHECK_EQ(info.virtio[1].irq, 7);
    CHECK_EQ(info.virtio[FDT_MAX_VIRTIO - 1].base, 0x20000000 + 0x1000 * (FDT_MAX_VIRTIO - 2));
}

TEST(fdt_sifive_u)
{
    size_t size;
    uint8_t *blob = load_dtb("sifive-u", &size);
    struct platform_info info;
    CHECK(blob != NULL);
    if (!blob) {
        return;
    }
    CHECK_EQ(fdt_parse(blob, size, &info), FDT_OK);
    CHECK_STR(info.model, "SiFive HiFive Unleashed A00");
    CHECK_EQ(info.nmem, 1);
    CHECK_EQ(info.mem[0].base, 0x80000000);
    CHECK_EQ(info.mem[0].size, 0x10000000);
    CHECK_EQ(info.nharts, 2);
    CHECK_EQ(info.harts[0].hartid, 0);
    CHECK(info.harts[0].enabled);
    CHECK(!info.harts[0].has_mmu);
    CHECK_STR(info.harts[0].mmu, "");
    CHECK(!info.harts[0].has_h);
    CHECK(!info.harts[0].has_sstc);
    CHECK_STR(info.harts[0].isa, "rv64imac_zicsr_zifencei");
    CHECK_EQ(info.harts[1].hartid, 1);
    CHECK(info.harts[1].has_mmu);
    CHECK(!info.harts[1].has_h);
    CHECK_STR(info.harts[1].isa, "rv64imafdc_zicsr_zifencei");
    CHECK_EQ(info.timebase_freq, 1000000);
    CHECK(info.uart.dev.present);
    CHECK_EQ(info.uart.dev.base, 0x10010000);
    CHECK_EQ(info.uart.dev.size, 0x1000);
    CHECK_STR(info.uart.dev.compatible, "sifive,uart0");
    CHECK_EQ(info.uart.clock, 0);
    CHECK_EQ(info.uart.reg_io_width, 1);
    CHECK_EQ(info.plic.dev.base, 0xc000000);
    CHECK_EQ(info.plic.dev.size, 0x4000000);
    CHECK_EQ(info.plic.ndev, 0x35);
    CHECK_EQ(info.clint.base, 0x2000000);
    CHECK_STR(info.stdout_path, "/soc/serial@10010000");
    free(blob);
}

TEST(fdt_edge_cases)
{
    size_t size;
    uint8_t *blob = load_dtb("edge-cases", &size);
    struct platform_info info;
    CHECK(blob != NULL);
    if (!blob) {
        return;
    }
    CHECK_EQ(fdt_parse(blob, size, &info), FDT_OK);
    CHECK_STR(info.model, "Edge-case test board");
    /* Two memory nodes, the second with two reg entries; "memory-controller" is not RAM. */
    CHECK_EQ(info.nmem, 3);
    CHECK_EQ(info.mem[0].base, 0x80000000);
    CHECK_EQ(info.mem[0].size, 0x40000000);
    CHECK_EQ(info.mem[1].base, 0x100000000ull);
    CHECK_EQ(info.mem[1].size, 0x20000000);
    CHECK_EQ(info.mem[2].base, 0x200000000ull);
    CHECK_EQ(info.mem[2].size, 0x1000);
    /* The /memreserve/ entry first, then the enabled reserved-memory children in order. */
    CHECK_EQ(info.nreserved, 3);
    CHECK_EQ(info.reserved[0].base, 0x80000000);
    CHECK_EQ(info.reserved[0].size, 0x20000);
    CHECK_EQ(info.reserved[1].base, 0x80000000);
    CHECK_EQ(info.reserved[1].size, 0x40000);
    CHECK_EQ(info.reserved[2].base, 0x90000000);
    CHECK_EQ(info.reserved[2].size, 0x100000);
    /* cpu-map's children are not harts. */
    CHECK_EQ(info.nharts, 3);
    CHECK_EQ(info.harts[0].hartid, 0);
    CHECK(info.harts[0].enabled); /* no status property */
    CHECK(info.harts[0].has_h);
    CHECK(info.harts[0].has_sstc); /* "SSTC": extension names are case-insensitive */
    CHECK(info.harts[0].has_mmu);
    CHECK_EQ(info.harts[1].hartid, 1);
    CHECK(!info.harts[1].enabled);
    CHECK(info.harts[1].has_h);
    CHECK(!info.harts[1].has_sstc);
    CHECK_EQ(info.harts[2].hartid, 5);
    CHECK(info.harts[2].enabled);
    CHECK(!info.harts[2].has_h); /* the 'h' of zihintpause is not the H extension */
    CHECK(info.harts[2].has_sstc);
    CHECK(!info.harts[2].has_mmu);
    CHECK_STR(info.harts[2].mmu, "riscv,none");
    /* No timebase in /cpus: the first hart's. */
    CHECK_EQ(info.timebase_freq, 1000000);
    /* stdout-path names the second UART once its options are stripped; /chosen comes last. */
    CHECK_STR(info.stdout_path, "/soc@0/serial@3000:115200");
    CHECK_STR(info.bootargs, "console=ttyS0 earlycon");
    CHECK(info.uart.dev.present);
    CHECK_EQ(info.uart.dev.base, 0x3000);
    CHECK_EQ(info.uart.dev.size, 0x100);
    CHECK_STR(info.uart.dev.compatible, "ns16550");
    CHECK_EQ(info.uart.reg_shift, 2);
    CHECK_EQ(info.uart.reg_io_width, 4);
    CHECK_EQ(info.uart.clock, 24000000);
    /* The disabled PLIC is skipped; reg uses the soc's 1/1 cells. */
    CHECK(info.plic.dev.present);
    CHECK_EQ(info.plic.dev.base, 0xc000000);
    CHECK_EQ(info.plic.dev.size, 0x4000000);
    CHECK_EQ(info.plic.ndev, 32);
    CHECK_STR(info.plic.dev.compatible, "riscv,plic0");
    CHECK(info.clint.present);
    CHECK_EQ(info.clint.base, 0x2004000);
    CHECK_EQ(info.clint.size, 0x8000);
    CHECK_STR(info.clint.compatible, "riscv,aclint-mtimer");
    free(blob);
}

TEST(fdt_misaligned_blob)
{
    LOAD_DTB_OR_FAIL(blob, size, "qemu-virt");
    struct platform_info info;
    uint8_t *shifted = malloc(size + 1);
    memcpy(shifted + 1, blob, size);
    CHECK_EQ(fdt_parse(shifted + 1, size, &info), FDT_OK);
    CHECK_EQ(info.uart.dev.base, 0x10000000);
    CHECK_EQ(info.nharts, 2);
    free(shifted);
    free(blob);
}

TEST(fdt_unresolved_stdout_path_falls_back)
{
    static const uint32_t one = 1, reg[] = { 0x1000, 0x100 }, reg2[] = { 0x2000, 0x100 };
    struct builder b;
    struct platform_info info;
    b_minimal_open(&b);
    b_begin(&b, "chosen");
    b_prop_str(&b, "linux,stdout-path", "/nowhere:9600");
    b_end_node(&b);
    b_begin(&b, "bus");
    b_prop_cells(&b, "#address-cells", 1, &one);
    b_prop_cells(&b, "#size-cells", 1, &one);
    b_begin(&b, "uart@1000");
    b_prop_str(&b, "compatible", "ns16550a");
    b_prop_str(&b, "status", "disabled");
    b_prop_cells(&b, "reg", 2, reg);
    b_end_node(&b);
    b_begin(&b, "uart@2000");
    b_prop(&b, "compatible", "vendor,x\0sifive,uart0", 22);
    b_prop_str(&b, "status", "ok");
    b_prop_cells(&b, "reg", 2, reg2);
    b_end_node(&b);
    b_end_node(&b);
    b_end_node(&b);
    b_u32(&b, 9);
    CHECK_EQ(parse_built(&b, &info), FDT_OK);
    CHECK_STR(info.stdout_path, "/nowhere:9600");
    CHECK(info.uart.dev.present);
    CHECK_EQ(info.uart.dev.base, 0x2000);
    CHECK_STR(info.uart.dev.compatible, "sifive,uart0");
    CHECK(!info.plic.dev.present);
    CHECK(!info.clint.present);
    CHECK_EQ(info.nharts, 0);
}

TEST(fdt_cells_and_timebase)
{
    static const uint32_t one = 1, three = 3, zero = 0, tb64[] = { 0x1, 0x2 };
    static const uint32_t reg1[] = { 0x40000000, 0x1000 }, reg3[] = { 0, 0, 0x1000, 0x100 };
    struct builder b;
    struct platform_info info;
    b_minimal_open(&b);
    b_begin(&b, "cpus");
    b_prop_cells(&b, "#address-cells", 1, &one);
    b_prop_cells(&b, "#size-cells", 1, &zero);
    b_prop_cells(&b, "timebase-frequency", 2, tb64);
    b_begin(&b, "cpu@0");
    b_prop_cells(&b, "reg", 1, &zero);
    b_prop_str(&b, "riscv,isa", "RV64GCH");
    b_end_node(&b);
    b_begin(&b, "cpu@1");
    b_prop_cells(&b, "reg", 1, &one);
    /* A multi-letter extension glued to the single letters ends them: this 'h' is not H. */
    b_prop_str(&b, "riscv,isa", "rv64imaczihintpause_sstc");
    b_end_node(&b);
    b_end_node(&b);
    /* 1-cell addresses: honoured. */
    b_begin(&b, "bus1");
    b_prop_cells(&b, "#address-cells", 1, &one);
    b_prop_cells(&b, "#size-cells", 1, &one);
    b_begin(&b, "clint@40000000");
    b_prop_str(&b, "compatible", "riscv,clint0");
    b_prop_cells(&b, "reg", 2, reg1);
    b_end_node(&b);
    b_end_node(&b);
    /* 3-cell addresses: the reg is unusable, so the device is not taken. */
    b_begin(&b, "bus3");
    b_prop_cells(&b, "#address-cells", 1, &three);
    b_prop_cells(&b, "#size-cells", 1, &one);
    b_begin(&b, "plic@1000");
    b_prop_str(&b, "compatible", "riscv,plic0");
    b_prop_cells(&b, "reg", 4, reg3);
    b_end_node(&b);
    b_end_node(&b);
    b_end_node(&b);
    b_u32(&b, 9);
    CHECK_EQ(parse_built(&b, &info), FDT_OK);
    CHECK_EQ(info.timebase_freq, 0x100000002ull);
    CHECK_EQ(info.nharts, 2);
    CHECK(info.harts[0].has_h);
    CHECK(!info.harts[0].has_sstc);
    CHECK(!info.harts[0].has_mmu);
    CHECK(!info.harts[1].has_h);
    CHECK(info.harts[1].has_sstc);
    CHECK(info.clint.present);
    CHECK_EQ(info.clint.base, 0x40000000);
    CHECK_EQ(info.clint.size, 0x1000);
    CHECK(!info.plic.dev.present);
}

TEST(fdt_strings_truncated_safely)
{
    char longstr[600];
    memset(longstr, 'a', sizeof longstr - 1);
    longstr[sizeof longstr - 1] = '\0';
    static const uint32_t zero = 0, one = 1;
    struct builder b;
    struct platform_info info;
    b_minimal_open(&b);
    b_begin(&b, "chosen");
    b_prop_str(&b, "bootargs", longstr);
    b_prop_str(&b, "stdout-path", longstr);
    b_end_node(&b);
    b_begin(&b, "cpus");
    b_prop_cells(&b, "#address-cells", 1, &one);
    b_prop_cells(&b, "#size-cells", 1, &zero);
    b_begin(&b, "cpu@0");
    b_prop_cells(&b, "reg", 1, &zero);
    /* An ISA string longer than the copy, whose "sstc" lies past the truncation point. */
    char isa[300] = "rv64imafdch";
    for (int i = 0; i < 30; i++) {
        strcat(isa, "_zfoo");
    }
    strcat(isa, "_sstc");
    b_prop_str(&b, "riscv,isa", isa);
    b_end_node(&b);
    b_end_node(&b);
    /* A root property after a child node breaks the spec's order: it is ignored, not misread. */
    b_prop_str(&b, "model", "late");
    b_end_node(&b);
    b_u32(&b, 9);
    CHECK_EQ(parse_built(&b, &info), FDT_OK);
    CHECK_EQ(strlen(info.bootargs), FDT_BOOTARGS_LEN - 1);
    CHECK_EQ(strlen(info.stdout_path), FDT_STR_LEN - 1);
    CHECK_EQ(strlen(info.harts[0].isa), FDT_ISA_LEN - 1);
    CHECK(info.harts[0].has_sstc); /* found in the property, not in the truncated copy */
    CHECK(info.harts[0].has_h);
    CHECK_STR(info.model, "");
}

TEST(fdt_unterminated_model_default_cells)
{
    struct builder b;
    struct platform_info info;
    static const uint32_t two = 2, reg[] = { 0, 0x80000000, 0x1000 };
    memset(&b, 0, sizeof b);
    b_begin(&b, "");
    b_prop(&b, "model", "abcde", 5); /* no NUL: the copy must stop at the property's end */
    b_prop_cells(&b, "#address-cells", 1, &two);
    b_begin(&b, "memory");
    b_prop_cells(&b, "reg", 3, reg);
    b_end_node(&b);
    b_end_node(&b);
    b_u32(&b, 9);
    CHECK_EQ(parse_built(&b, &info), FDT_OK);
    CHECK_STR(info.model, "abcde");
    /* A node named "memory" without device_type, and the default #size-cells of 1. */
    CHECK_EQ(info.nmem, 1);
    CHECK_EQ(info.mem[0].base, 0x80000000);
    CHECK_EQ(info.mem[0].size, 0x1000);
}

TEST(fdt_array_overflow_dropped)
{
    static const uint32_t zero = 0, one = 1;
    struct builder b;
    struct platform_info info;
    b_minimal_open(&b);
    b_begin(&b, "cpus");
    b_prop_cells(&b, "#address-cells", 1, &one);
    b_prop_cells(&b, "#size-cells", 1, &zero);
    for (uint32_t i = 0; i < FDT_MAX_HARTS + 4; i++) {
        b_begin(&b, "cpu");
        b_prop_cells(&b, "reg", 1, &i);
        b_end_node(&b);
    }
    b_end_node(&b);
    b_begin(&b, "memory@1");
    b_prop_str(&b, "device_type", "memory");
    uint32_t regs[4 * (FDT_MAX_MEM + 2)];
    for (int i = 0; i < FDT_MAX_MEM + 2; i++) {
        regs[4 * i] = (uint32_t)i + 1;
        regs[4 * i + 1] = 0;
        regs[4 * i + 2] = 0;
        regs[4 * i + 3] = 0x1000;
    }
    b_prop_cells(&b, "reg", 4 * (FDT_MAX_MEM + 2), regs);
    b_end_node(&b);
    b_end_node(&b);
    b_u32(&b, 9);
    CHECK_EQ(parse_built(&b, &info), FDT_OK);
    CHECK_EQ(info.nharts, FDT_MAX_HARTS);
    CHECK_EQ(info.harts[FDT_MAX_HARTS - 1].hartid, FDT_MAX_HARTS - 1);
    CHECK_EQ(info.nmem, FDT_MAX_MEM);
    CHECK_EQ(info.mem[0].base, 0x80000000);
    CHECK_EQ(info.mem[1].base, 0x100000000ull);
}

TEST(fdt_no_memory)
{
    struct builder b;
    struct platform_info info;
    memset(&b, 0, sizeof b);
    b_begin(&b, "");
    b_prop_str(&b, "model", "empty");
    b_begin(&b, "memory@0");
    b_prop_str(&b, "device_type", "memory");
    b_end_node(&b); /* no reg */
    b_end_node(&b);
    b_u32(&b, 9);
    CHECK_EQ(parse_built(&b, &info), FDT_ERR_NOMEM);
}
