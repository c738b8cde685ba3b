// SPDX-License-Identifier: MIT
// Unit tests for the device-tree writer: round trips through the reader, dtc parity, overflow.
#include "check.h"
#include "fdt.h"
#include "fdt_write.h"

#include <stdint.h>

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Header field offsets, DT spec 5.2. */
enum { H_MAGIC = 0, H_TOTAL = 4, H_OFF_STRUCT = 8, H_OFF_STRINGS = 12, H_OFF_RSV = 16,
       H_VERSION = 20, H_LAST_COMP = 24, H_BOOT_CPU = 28, H_SIZE_STRINGS = 32, H_SIZE_STRUCT = 36 };

/* A value by node path ("/" for the root) and property name, walking a blob the writer made; the
 * reader only extracts what the hypervisor needs, so the remaining values are checked this way. */
static const uint8_t *find_prop(const uint8_t *blob, const char *path, const char *name,
                                uint32_t *len)
{
    const uint8_t *st = blob + get_be32(blob + H_OFF_STRUCT);
    const char *strs = (const char *)blob + get_be32(blob + H_OFF_STRINGS);
    const char *want = strcmp(path, "/") == 0 ? "" : path;
    char cur[256] = "";
    size_t stack[16], pos = 0;
    int depth = 0;

    for (;;) {
        uint32_t tok = get_be32(st + pos);
        pos += 4;
        if (tok == 1) {
            const char *n = (const char *)st + pos;
            stack[depth++] = strlen(cur);
            if (depth > 1) {
                snprintf(cur + strlen(cur), sizeof cur - strlen(cur), "/%s", n);
            }
            pos += (strlen(n) + 4) & ~(size_t)3;
        } else if (tok == 2) {
            cur[stack[--depth]] = '\0';
        } else if (tok == 3) {
            uint32_t l = get_be32(st + pos), off = get_be32(st + pos + 4);
            pos += 8;
            if (strcmp(cur, want) == 0 && strcmp(strs + off, name) == 0) {
                *len = l;
                return st + pos;
            }
            pos += (l + 3) & ~(size_t)3;
        } else {
            return NULL; /* FDT_END */
        }
    }
}

static int has_bytes(const uint8_t *blob, const char *path, const char *name, const void *val,
                     size_t len)
{
    uint32_t l = 0;
    const uint8_t *p = find_prop(blob, path, name, &l);
    return p && l == len && (len == 0 || memcmp(p, val, len) == 0);
}

static int has_cells(const uint8_t *blob, const char *path, const char *name,
                     const uint32_t *cells, size_t n)
{
    uint32_t l = 0;
    const uint8_t *p = find_prop(blob, path, name, &l);
    for (size_t i = 0; p && l == 4 * n && i < n; i++) {
        if (get_be32(p + 4 * i) != cells[i]) {
            return 0;
        }
    }
    return p && l == 4 * n;
}

static const char virt_isa[] = "rv64imafdch_zicsr_zifencei_zihintpause_zba_zbb_zbc_zbs_sstc";
static const uint32_t mem_reg[] = { 0, 0x80000000, 0, 0x10000000 };
static const uint32_t uart_reg[] = { 0, 0x10000000, 0, 0x100 };
static const uint32_t plic_reg[] = { 0, 0xc000000, 0, 0x600000 };
static const uint32_t plic_irqs[] = { 1, 11, 1, 9, 2, 11, 2, 9 };
static const uint32_t clint_reg[] = { 0, 0x2000000, 0, 0x10000 };
static const uint32_t clint_irqs[] = { 1, 3, 1, 7, 2, 3, 2, 7 };
static const char *const plic_compat[] = { "sifive,plic-1.0.0", "riscv,plic0" };
static const char *const clint_compat[] = { "sifive,clint0", "riscv,clint0" };

/* The tree QEMU's virt machine describes (tests/unit/data/qemu-virt.dts), as a VM would get it. */
static size_t build_virt(struct fdt_writer *w, void *buf, size_t cap, const char *bootargs)
{
    fdtw_init(w, buf, cap);
    fdtw_begin_node(w, "");
    fdtw_prop_u32(w, "#address-cells", 2);
    fdtw_prop_u32(w, "#size-cells", 2);
    fdtw_prop_str(w, "compatible", "riscv-virtio");
    fdtw_prop_str(w, "model", "riscv-virtio,qemu");
    fdtw_begin_node(w, "chosen");
    if (bootargs) {
        fdtw_prop_str(w, "bootargs", bootargs);
    }
    fdtw_prop_str(w, "stdout-path", "/soc/serial@10000000");
    fdtw_prop_u64(w, "linux,initrd-start", 0x88000000u);
    fdtw_prop_u64(w, "linux,initrd-end", 0x1234567889abcdefu);
    fdtw_end_node(w);
    fdtw_begin_node(w, "memory@80000000");
    fdtw_prop_str(w, "device_type", "memory");
    fdtw_prop_cells(w, "reg", mem_reg, 4);
    fdtw_end_node(w);
    fdtw_begin_node(w, "cpus");
    fdtw_prop_u32(w, "#address-cells", 1);
    fdtw_prop_u32(w, "#size-cells", 0);
    fdtw_prop_u32(w, "timebase-frequency", 10000000);
    for (uint32_t i = 0; i < 2; i++) {
        fdtw_begin_node(w, i ? "cpu@1" : "cpu@0");
        fdtw_prop_str(w, "device_type", "cpu");
        fdtw_prop_u32(w, "reg", i);
        fdtw_prop_str(w, "status", "okay");
        fdtw_prop_str(w, "compatible", "riscv");
        fdtw_prop_str(w, "riscv,isa", virt_isa);
        fdtw_prop_str(w, "mmu-type", "riscv,sv48");
        fdtw_begin_node(w, "interrupt-controller");
        fdtw_prop_u32(w, "#interrupt-cells", 1);
        fdtw_prop_empty(w, "interrupt-controller");
        fdtw_prop_str(w, "compatible", "riscv,cpu-intc");
        fdtw_prop_u32(w, "phandle", 1 + i);
        fdtw_end_node(w);
        fdtw_end_node(w);
    }
    fdtw_end_node(w);
    fdtw_begin_node(w, "soc");
    fdtw_prop_u32(w, "#address-cells", 2);
    fdtw_prop_u32(w, "#size-cells", 2);
    fdtw_prop_str(w, "compatible", "simple-bus");
    fdtw_prop_empty(w, "ranges");
    fdtw_begin_node(w, "serial@10000000");
    fdtw_prop_u32(w, "interrupts", 10);
    fdtw_prop_u32(w, "interrupt-parent", 3);
    fdtw_prop_u32(w, "clock-frequency", 3686400);
    fdtw_prop_cells(w, "reg", uart_reg, 4);
    fdtw_prop_str(w, "compatible", "ns16550a");
    fdtw_end_node(w);
    fdtw_begin_node(w, "plic@c000000");
    fdtw_prop_u32(w, "phandle", 3);
    fdtw_prop_u32(w, "riscv,ndev", 0x60);
    fdtw_prop_cells(w, "reg", plic_reg, 4);
    fdtw_prop_cells(w, "interrupts-extended", plic_irqs, 8);
    fdtw_prop_empty(w, "interrupt-controller");
    fdtw_prop_strs(w, "compatible", plic_compat, 2);
    fdtw_prop_u32(w, "#address-cells", 0);
    fdtw_prop_u32(w, "#interrupt-cells", 1);
    fdtw_end_node(w);
    fdtw_begin_node(w, "clint@2000000");
    fdtw_prop_cells(w, "interrupts-extended", clint_irqs, 8);
    fdtw_prop_cells(w, "reg", clint_reg, 4);
    fdtw_prop_strs(w, "compatible", clint_compat, 2);
    fdtw_end_node(w);
    fdtw_end_node(w);
    fdtw_end_node(w);
    return fdtw_finish(w);
}

/* The virt tree in a buffer of exactly its size, so ASan flags any read past it. */
static uint8_t *virt_blob(size_t *size, const char *bootargs)
{
    static uint8_t scratch[8192];
    struct fdt_writer w;
    *size = build_virt(&w, scratch, sizeof scratch, bootargs);
    uint8_t *p = malloc(*size ? *size : 1);
    memcpy(p, scratch, *size);
    return p;
}

TEST(fdtw_virt_round_trip)
{
    size_t size;
    uint8_t *blob = virt_blob(&size, "console=ttyS0 earlycon=sbi");
    struct platform_info info;
    CHECK(size > 0);
    CHECK_EQ(fdt_total_size(blob), size);
    CHECK_EQ(fdt_parse(blob, size, &info), FDT_OK);
    CHECK_STR(info.model, "riscv-virtio,qemu");
    CHECK_STR(info.bootargs, "console=ttyS0 earlycon=sbi");
    CHECK_STR(info.stdout_path, "/soc/serial@10000000");
    CHECK_EQ(info.nmem, 1);
    CHECK_EQ(info.mem[0].base, 0x80000000);
    CHECK_EQ(info.mem[0].size, 0x10000000);
    CHECK_EQ(info.nreserved, 0);
    CHECK_EQ(info.timebase_freq, 10000000);
    CHECK_EQ(info.nharts, 2);
    for (unsigned i = 0; i < 2; i++) {
        CHECK_EQ(info.harts[i].hartid, i);
        CHECK(info.harts[i].enabled);
        CHECK(info.harts[i].has_mmu);
        CHECK(info.harts[i].has_h);
        CHECK(info.harts[i].has_sstc);
        CHECK_STR(info.harts[i].isa, virt_isa);
        CHECK_STR(info.harts[i].mmu, "riscv,sv48");
    }
    CHECK(info.uart.dev.present);
    CHECK_EQ(info.uart.dev.base, 0x10000000);
    CHECK_EQ(info.uart.dev.size, 0x100);
    CHECK_STR(info.uart.dev.compatible, "ns16550a");
    CHECK_EQ(info.uart.clock, 3686400);
    CHECK(info.plic.dev.present);
    CHECK_EQ(info.plic.dev.base, 0xc000000);
    CHECK_EQ(info.plic.dev.size, 0x600000);
    CHECK_EQ(info.plic.ndev, 0x60);
    CHECK_STR(info.plic.dev.compatible, "sifive,plic-1.0.0");
    CHECK(info.clint.present);
    CHECK_EQ(info.clint.base, 0x2000000);
    CHECK_STR(info.clint.compatible, "sifive,clint0");

    /* What the reader does not extract, read back raw. */
    static const uint32_t two = 2, ten = 10, zero = 0;
    CHECK(has_cells(blob, "/", "#address-cells", &two, 1));
    CHECK(has_cells(blob, "/soc/serial@10000000", "interrupts", &ten, 1));
    CHECK(has_cells(blob, "/soc/plic@c000000", "interrupts-extended", plic_irqs, 8));
    CHECK(has_cells(blob, "/soc/clint@2000000", "interrupts-extended", clint_irqs, 8));
    CHECK(has_cells(blob, "/cpus", "#size-cells", &zero, 1));
    CHECK(has_bytes(blob, "/soc/plic@c000000", "compatible", "sifive,plic-1.0.0\0riscv,plic0", 30));
    CHECK(has_bytes(blob, "/soc/plic@c000000", "interrupt-controller", "", 0));
    CHECK(has_bytes(blob, "/soc", "ranges", "", 0));
    CHECK(has_bytes(blob, "/cpus/cpu@1/interrupt-controller", "compatible", "riscv,cpu-intc", 15));
    CHECK(has_bytes(blob, "/cpus/cpu@0", "status", "okay", 5));
    CHECK(has_bytes(blob, "/chosen", "linux,initrd-start", "\0\0\0\0\x88\0\0\0", 8));
    CHECK(has_bytes(blob, "/chosen", "linux,initrd-end", "\x12\x34\x56\x78\x89\xab\xcd\xef", 8));
    CHECK(!has_bytes(blob, "/chosen", "no-such-prop", "", 0));
    free(blob);
}

TEST(fdtw_header_layout)
{
    size_t size;
    uint8_t *blob = virt_blob(&size, NULL);
    uint32_t off_st = get_be32(blob + H_OFF_STRUCT), st = get_be32(blob + H_SIZE_STRUCT);
    CHECK_EQ(get_be32(blob + H_MAGIC), 0xd00dfeed);
    CHECK_EQ(get_be32(blob + H_TOTAL), size);
    CHECK_EQ(get_be32(blob + H_OFF_RSV), 40);
    CHECK_EQ(off_st, 56);
    CHECK_EQ(get_be32(blob + H_OFF_STRINGS), off_st + st);
    CHECK_EQ(get_be32(blob + H_OFF_STRINGS) + get_be32(blob + H_SIZE_STRINGS), size);
    CHECK_EQ(get_be32(blob + H_VERSION), 17);
    CHECK_EQ(get_be32(blob + H_LAST_COMP), 16);
    CHECK_EQ(get_be32(blob + H_BOOT_CPU), 0);
    for (int i = 40; i < 56; i++) {
        CHECK_EQ(blob[i], 0); /* the reservation block's terminator and nothing else */
    }
    CHECK_EQ(get_be32(blob + off_st), 1);          /* FDT_BEGIN_NODE, the root */
    CHECK_EQ(get_be32(blob + off_st + st - 4), 9); /* FDT_END closes the structure block */
    CHECK_EQ(st % 4, 0);
    free(blob);
}

/* dtc 1.6.1 output (dtc -I dts -O dtb) for this source:
 *   /dts-v1/;
 *   / { #address-cells = <2>; #size-cells = <2>; compatible = "riscv-virtio", "simple-bus";
 *       model = "tiny"; chosen { bootargs = "console=ttyS0"; };
 *       memory@80000000 { device_type = "memory"; reg = <0x0 0x80000000 0x0 0x8000000>; };
 *       intc { interrupt-controller; linux,phandle = <1>; phandle = <1>; }; };
 * Embedded so the test does not need dtc at run time. */
static const uint8_t tiny_dtc[] = {
    0xd0, 0x0d, 0xfe, 0xed, 0x00, 0x00, 0x01, 0xb8, 0x00, 0x00, 0x00, 0x38, 0x00, 0x00, 0x01, 0x50,
    0x00, 0x00, 0x00, 0x28, 0x00, 0x00, 0x00, 0x11, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x68, 0x00, 0x00, 0x01, 0x18, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
    0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x0f, 0x00, 0x00, 0x00, 0x02,
    0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x18, 0x00, 0x00, 0x00, 0x1b, 0x72, 0x69, 0x73, 0x63,
    0x76, 0x2d, 0x76, 0x69, 0x72, 0x74, 0x69, 0x6f, 0x00, 0x73, 0x69, 0x6d, 0x70, 0x6c, 0x65, 0x2d,
    0x62, 0x75, 0x73, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x26,
    0x74, 0x69, 0x6e, 0x79, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x63, 0x68, 0x6f, 0x73,
    0x65, 0x6e, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x0e, 0x00, 0x00, 0x00, 0x2c,
    0x63, 0x6f, 0x6e, 0x73, 0x6f, 0x6c, 0x65, 0x3d, 0x74, 0x74, 0x79, 0x53, 0x30, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x40, 0x38,
    0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x07,
    0x00, 0x00, 0x00, 0x35, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03,
    0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x41, 0x00, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01,
    0x69, 0x6e, 0x74, 0x63, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x45, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x5a,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x60,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x09,
    0x23, 0x61, 0x64, 0x64, 0x72, 0x65, 0x73, 0x73, 0x2d, 0x63, 0x65, 0x6c, 0x6c, 0x73, 0x00, 0x23,
    0x73, 0x69, 0x7a, 0x65, 0x2d, 0x63, 0x65, 0x6c, 0x6c, 0x73, 0x00, 0x63, 0x6f, 0x6d, 0x70, 0x61,
    0x74, 0x69, 0x62, 0x6c, 0x65, 0x00, 0x6d, 0x6f, 0x64, 0x65, 0x6c, 0x00, 0x62, 0x6f, 0x6f, 0x74,
    0x61, 0x72, 0x67, 0x73, 0x00, 0x64, 0x65, 0x76, 0x69, 0x63, 0x65, 0x5f, 0x74, 0x79, 0x70, 0x65,
    0x00, 0x72, 0x65, 0x67, 0x00, 0x69, 0x6e, 0x74, 0x65, 0x72, 0x72, 0x75, 0x70, 0x74, 0x2d, 0x63,
    0x6f, 0x6e, 0x74, 0x72, 0x6f, 0x6c, 0x6c, 0x65, 0x72, 0x00, 0x6c, 0x69, 0x6e, 0x75, 0x78, 0x2c,
    0x70, 0x68, 0x61, 0x6e, 0x64, 0x6c, 0x65, 0x00,
};

static size_t build_tiny(struct fdt_writer *w, void *buf, size_t cap)
{
    static const uint32_t reg[] = { 0, 0x80000000, 0, 0x8000000 };
    static const char *const compat[] = { "riscv-virtio", "simple-bus" };
    fdtw_init(w, buf, cap);
    fdtw_begin_node(w, "");
    fdtw_prop_u32(w, "#address-cells", 2);
    fdtw_prop_u32(w, "#size-cells", 2);
    fdtw_prop_strs(w, "compatible", compat, 2);
    fdtw_prop_str(w, "model", "tiny");
    fdtw_begin_node(w, "chosen");
    fdtw_prop_str(w, "bootargs", "console=ttyS0");
    fdtw_end_node(w);
    fdtw_begin_node(w, "memory@80000000");
    fdtw_prop_str(w, "device_type", "memory");
    fdtw_prop_cells(w, "reg", reg, 4);
    fdtw_end_node(w);
    fdtw_begin_node(w, "intc");
    fdtw_prop_empty(w, "interrupt-controller");
    fdtw_prop_u32(w, "linux,phandle", 1);
    fdtw_prop_u32(w, "phandle", 1); /* shares the tail of "linux,phandle", as in dtc's table */
    fdtw_end_node(w);
    fdtw_end_node(w);
    return fdtw_finish(w);
}

TEST(fdtw_matches_dtc_bytes)
{
    uint8_t buf[1024];
    struct fdt_writer w;
    memset(buf, 0xee, sizeof buf); /* stale bytes must not leak into padding */
    size_t n = build_tiny(&w, buf, sizeof buf);
    CHECK_EQ(n, sizeof tiny_dtc);
    CHECK(n == sizeof tiny_dtc && memcmp(buf, tiny_dtc, n) == 0);
    for (size_t i = 0; i < n && i < sizeof tiny_dtc; i++) {
        if (buf[i] != tiny_dtc[i]) {
            fprintf(stderr, "first difference at byte %zu\n", i);
            break;
        }
    }
}

/* Structural parity with a real QEMU blob: the reader must see the same platform in both. */
TEST(fdtw_parses_like_qemu_dtb)
{
    const char *dir = getenv("FDT_TEST_DATA");
    char path[512];
    snprintf(path, sizeof path, "%s/qemu-virt.dtb", dir ? dir : ".");
    FILE *f = fopen(path, "rb");
    static uint8_t ref[65536];
    size_t ref_size = f ? fread(ref, 1, sizeof ref, f) : 0;
    if (f) {
        fclose(f);
    }
    CHECK(ref_size > 0);
    if (!ref_size) {
        fprintf(stderr, "cannot read %s (FDT_TEST_DATA: the directory of compiled .dtb)\n", path);
        return;
    }
    size_t size;
    uint8_t *blob = virt_blob(&size, NULL);
    static struct platform_info a, b;
    CHECK_EQ(fdt_parse(ref, ref_size, &a), FDT_OK);
    CHECK_EQ(fdt_parse(blob, size, &b), FDT_OK);
    CHECK_STR(a.model, b.model);
    CHECK_STR(a.bootargs, b.bootargs);
    CHECK_STR(a.stdout_path, b.stdout_path);
    CHECK_EQ(a.nmem, b.nmem);
    CHECK(memcmp(a.mem, b.mem, sizeof a.mem) == 0);
    CHECK_EQ(a.nreserved, b.nreserved);
    CHECK_EQ(a.timebase_freq, b.timebase_freq);
    CHECK_EQ(a.nharts, b.nharts);
    for (unsigned i = 0; i < a.nharts && i < FDT_MAX_HARTS; i++) {
        CHECK_EQ(a.harts[i].hartid, b.harts[i].hartid);
        CHECK_EQ(a.harts[i].enabled, b.harts[i].enabled);
        CHECK_EQ(a.harts[i].has_mmu, b.harts[i].has_mmu);
        CHECK_EQ(a.harts[i].has_h, b.harts[i].has_h);
        CHECK_EQ(a.harts[i].has_sstc, b.harts[i].has_sstc);
        CHECK_STR(a.harts[i].isa, b.harts[i].isa);
        CHECK_STR(a.harts[i].mmu, b.harts[i].mmu);
    }
    const struct fdt_device *da[] = { &a.uart.dev, &a.plic.dev, &a.clint };
    const struct fdt_device *db[] = { &b.uart.dev, &b.plic.dev, &b.clint };
    for (int i = 0; i < 3; i++) {
        CHECK_EQ(da[i]->present, db[i]->present);
        CHECK_EQ(da[i]->base, db[i]->base);
        CHECK_EQ(da[i]->size, db[i]->size);
        CHECK_STR(da[i]->compatible, db[i]->compatible);
    }
    CHECK_EQ(a.uart.clock, b.uart.clock);
    CHECK_EQ(a.uart.reg_shift, b.uart.reg_shift);
    CHECK_EQ(a.uart.reg_io_width, b.uart.reg_io_width);
    CHECK_EQ(a.plic.ndev, b.plic.ndev);
    free(blob);
}

TEST(fdtw_strings_deduplicated)
{
    uint8_t buf[512];
    struct fdt_writer w;
    fdtw_init(&w, buf, sizeof buf);
    fdtw_begin_node(&w, "");
    fdtw_prop_str(&w, "compatible", "a");
    fdtw_prop_u32(&w, "reg", 1);
    fdtw_begin_node(&w, "x");
    fdtw_prop_str(&w, "compatible", "b");
    fdtw_prop_u32(&w, "reg", 2);
    fdtw_prop_u32(&w, "reg", 3); /* a repeated name in one node: still one copy */
    fdtw_end_node(&w);
    fdtw_end_node(&w);
    size_t n = fdtw_finish(&w);
    CHECK(n > 0);
    CHECK_EQ(get_be32(buf + H_SIZE_STRINGS), sizeof "compatible" + sizeof "reg");
    CHECK_EQ(w.strings_len, sizeof "compatible" + sizeof "reg");
    CHECK_EQ(memcmp(buf + get_be32(buf + H_OFF_STRINGS), "compatible\0reg", 15), 0);
    CHECK(has_bytes(buf, "/x", "compatible", "b", 2));
    CHECK(has_bytes(buf, "/", "compatible", "a", 2));
}

/* Value encodings: big-endian cells, zero padding, empty values, node names padded to 4. */
TEST(fdtw_value_encoding)
{
    uint8_t raw[600];
    uint8_t *buf = raw + 1; /* an odd address: the writer must not assume alignment */
    struct fdt_writer w;
    memset(raw, 0xff, sizeof raw);
    fdtw_init(&w, buf, sizeof raw - 1);
    fdtw_begin_node(&w, "");
    fdtw_begin_node(&w, "abc");
    fdtw_prop_u64(&w, "u64", 0x123456789abcdef0u);
    fdtw_prop(&w, "five", "\1\2\3\4\5", 5);
    fdtw_prop(&w, "nothing", NULL, 0);
    fdtw_prop_cells(&w, "nocells", NULL, 0);
    fdtw_prop_strs(&w, "nostrs", NULL, 0);
    fdtw_prop_empty(&w, "empty");
    fdtw_end_node(&w);
    fdtw_begin_node(&w, "abcd");
    fdtw_end_node(&w);
    fdtw_end_node(&w);
    size_t n = fdtw_finish(&w);
    CHECK(n > 0);
    CHECK(has_bytes(buf, "/abc", "u64", "\x12\x34\x56\x78\x9a\xbc\xde\xf0", 8));
    CHECK(has_bytes(buf, "/abc", "five", "\1\2\3\4\5", 5));
    uint32_t len = 1;
    const uint8_t *five = find_prop(buf, "/abc", "five", &len);
    CHECK(five && five[5] == 0 && five[6] == 0 && five[7] == 0);
    CHECK(has_bytes(buf, "/abc", "nothing", "", 0));
    CHECK(has_bytes(buf, "/abc", "nocells", "", 0));
    CHECK(has_bytes(buf, "/abc", "nostrs", "", 0));
    CHECK(has_bytes(buf, "/abc", "empty", "", 0));
    /* Root: token and an empty name padded to 4; "abc\0" needs no padding, "abcd\0" takes 8. */
    static const uint8_t head[] = { 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 'a', 'b', 'c', 0 };
    CHECK_EQ(memcmp(buf + 56, head, sizeof head), 0);
    uint32_t st = get_be32(buf + H_SIZE_STRUCT);
    static const uint8_t tail[] = { 0, 0, 0, 1, 'a', 'b', 'c', 'd', 0, 0, 0, 0,
                                    0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 9 };
    CHECK_EQ(memcmp(buf + 56 + st - sizeof tail, tail, sizeof tail), 0);
    CHECK_EQ(raw[0], 0xff);
}

/* Every capacity short of the full size fails cleanly, leaving the bytes past cap untouched. */
static void overflow_every_cap(size_t (*build)(struct fdt_writer *, void *, size_t))
{
    static uint8_t full[8192];
    struct fdt_writer w;
    size_t need = build(&w, full, sizeof full);
    CHECK(need > 0);
    for (size_t cap = 0; cap <= need; cap++) {
        enum { CANARY = 32 };
        uint8_t *buf = malloc(cap + CANARY); /* heap, so ASan also sees any write past it */
        memset(buf, 0x5a, cap + CANARY);
        size_t n = build(&w, buf, cap);
        int intact = 1;
        for (size_t i = cap; i < cap + CANARY; i++) {
            intact &= buf[i] == 0x5a;
        }
        CHECK(intact);
        if (cap < need) {
            CHECK_EQ(n, 0);
            CHECK(w.error);
        } else {
            CHECK_EQ(n, need);
            CHECK(!w.error);
            CHECK_EQ(memcmp(buf, full, need), 0); /* a tight buffer gives the same blob */
        }
        if (!intact || (cap < need) != (n == 0)) {
            fprintf(stderr, "at cap %zu of %zu\n", cap, need);
            free(buf);
            return;
        }
        free(buf);
    }
}

static size_t build_virt_default(struct fdt_writer *w, void *buf, size_t cap)
{
    return build_virt(w, buf, cap, "console=ttyS0");
}

TEST(fdtw_overflow_every_capacity_virt)
{
    overflow_every_cap(build_virt_default);
}

TEST(fdtw_overflow_every_capacity_tiny)
{
    overflow_every_cap(build_tiny);
}

/* The writer after a failing sequence: finish must refuse, and nothing lands past cap. */
static void check_refused(struct fdt_writer *w)
{
    size_t st = w->struct_len;
    CHECK(w->error);
    fdtw_begin_node(w, "late");
    fdtw_prop_u32(w, "late", 1);
    CHECK_EQ(w->struct_len, st); /* poisoned: later calls write nothing */
    CHECK_EQ(fdtw_finish(w), 0);
}

TEST(fdtw_misuse)
{
    uint8_t buf[256];
    struct fdt_writer w;
    static const uint32_t one = 1;

    fdtw_init(&w, buf, sizeof buf); /* end_node without a begin */
    fdtw_end_node(&w);
    check_refused(&w);

    fdtw_init(&w, buf, sizeof buf); /* a property before the root */
    fdtw_prop_u32(&w, "reg", 1);
    check_refused(&w);

    fdtw_init(&w, buf, sizeof buf); /* a property after the root closed */
    fdtw_begin_node(&w, "");
    fdtw_end_node(&w);
    fdtw_prop_str(&w, "model", "m");
    check_refused(&w);

    fdtw_init(&w, buf, sizeof buf); /* one end_node too many */
    fdtw_begin_node(&w, "");
    fdtw_end_node(&w);
    fdtw_end_node(&w);
    check_refused(&w);

    fdtw_init(&w, buf, sizeof buf); /* finish with nodes open */
    fdtw_begin_node(&w, "");
    fdtw_begin_node(&w, "child");
    fdtw_end_node(&w);
    CHECK_EQ(fdtw_finish(&w), 0);
    CHECK(w.error);

    fdtw_init(&w, buf, sizeof buf); /* a second root */
    fdtw_begin_node(&w, "");
    fdtw_end_node(&w);
    fdtw_begin_node(&w, "");
    fdtw_end_node(&w);
    check_refused(&w);

    fdtw_init(&w, buf, sizeof buf); /* no root at all */
    CHECK_EQ(fdtw_finish(&w), 0);

    fdtw_init(&w, buf, sizeof buf); /* a cell count whose byte size would wrap */
    fdtw_begin_node(&w, "");
    fdtw_prop_cells(&w, "huge", &one, SIZE_MAX / 2);
    fdtw_end_node(&w);
    CHECK_EQ(fdtw_finish(&w), 0);

    fdtw_init(&w, NULL, 4096); /* no buffer */
    fdtw_begin_node(&w, "");
    fdtw_end_node(&w);
    CHECK_EQ(fdtw_finish(&w), 0);

    fdtw_init(&w, buf, 56); /* room for header and reservation block only */
    fdtw_begin_node(&w, "");
    fdtw_end_node(&w);
    CHECK_EQ(fdtw_finish(&w), 0);

    fdtw_init(&w, buf, sizeof buf); /* the smallest valid tree, for contrast */
    fdtw_begin_node(&w, "");
    fdtw_end_node(&w);
    CHECK_EQ(fdtw_finish(&w), 56 + 4 + 4 + 4 + 4);
    CHECK(!w.error);
}
