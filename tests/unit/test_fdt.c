// SPDX-License-Identifier: MIT
// Unit tests for the device-tree reader: QEMU trees, a hand-written edge-case tree, hostile blobs.
#define _POSIX_C_SOURCE 200809L /* strnlen */
#include "check.h"
#include "fdt.h"

#include <stdint.h>

static uint8_t *load_dtb(const char *name, size_t *size)
{
    return test_load_dtb(name, size);
}

static uint8_t *dup_bytes(const uint8_t *src, size_t n)
{
    uint8_t *p = malloc(n ? n : 1);
    if (n) {
        memcpy(p, src, n);
    }
    return p;
}

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Header field offsets, DT spec 5.2. */
enum { H_TOTAL = 4, H_OFF_STRUCT = 8, H_OFF_STRINGS = 12, H_OFF_RSV = 16, H_VERSION = 20,
       H_LAST_COMP = 24, H_SIZE_STRINGS = 32, H_SIZE_STRUCT = 36 };

/* Parses a private copy of `blob` with the header field at `field` replaced by `value`. */
static int parse_patched(const uint8_t *blob, size_t size, size_t field, uint32_t value)
{
    static struct platform_info info;
    uint8_t *copy = dup_bytes(blob, size);
    put_be32(copy + field, value);
    int r = fdt_parse(copy, size, &info);
    free(copy);
    return r;
}

/* Whatever the input, a successful parse leaves counts within the arrays and strings terminated. */
static void check_sane(int r, const struct platform_info *info)
{
    CHECK(r <= 0);
    if (r != FDT_OK) {
        return;
    }
    CHECK(info->nmem >= 1 && info->nmem <= FDT_MAX_MEM);
    CHECK(info->nreserved <= FDT_MAX_RESERVED);
    CHECK(info->nharts <= FDT_MAX_HARTS);
    CHECK(info->nvirtio <= FDT_MAX_VIRTIO);
    CHECK(strnlen(info->bootargs, FDT_BOOTARGS_LEN) < FDT_BOOTARGS_LEN);
    CHECK(strnlen(info->stdout_path, FDT_STR_LEN) < FDT_STR_LEN);
    CHECK(strnlen(info->model, FDT_STR_LEN) < FDT_STR_LEN);
    CHECK(strnlen(info->uart.dev.compatible, FDT_STR_LEN) < FDT_STR_LEN);
    for (unsigned i = 0; i < info->nharts && i < FDT_MAX_HARTS; i++) {
        CHECK(strnlen(info->harts[i].isa, FDT_ISA_LEN) < FDT_ISA_LEN);
        CHECK(strnlen(info->harts[i].mmu, FDT_STR_LEN) < FDT_STR_LEN);
    }
}

/* ---- A tiny blob builder, for shapes dtc refuses to produce. ---- */

struct builder {
    uint8_t st[4096];
    uint32_t st_len;
    char strs[512];
    uint32_t str_len;
};

static void b_u32(struct builder *b, uint32_t v)
{
    put_be32(b->st + b->st_len, v);
    b->st_len += 4;
}

static void b_bytes(struct builder *b, const void *p, uint32_t n)
{
    memcpy(b->st + b->st_len, p, n);
    b->st_len += n;
    while (b->st_len % 4) {
        b->st[b->st_len++] = 0;
    }
}

static void b_begin(struct builder *b, const char *name)
{
    b_u32(b, 1);
    b_bytes(b, name, (uint32_t)strlen(name) + 1);
}

static void b_end_node(struct builder *b)
{
    b_u32(b, 2);
}

static void b_prop(struct builder *b, const char *name, const void *val, uint32_t len)
{
    uint32_t off = 0;
    while (off < b->str_len && strcmp(b->strs + off, name) != 0) {
        off += (uint32_t)strlen(b->strs + off) + 1;
    }
    if (off == b->str_len) {
        memcpy(b->strs + off, name, strlen(name) + 1);
        b->str_len += (uint32_t)strlen(name) + 1;
    }
    b_u32(b, 3);
    b_u32(b, len);
    b_u32(b, off);
    b_bytes(b, val, len);
}

static void b_prop_str(struct builder *b, const char *name, const char *s)
{
    b_prop(b, name, s, (uint32_t)strlen(s) + 1);
}

static void b_prop_cells(struct builder *b, const char *name, int n, const uint32_t *cells)
{
    uint8_t buf[256];
    for (int i = 0; i < n; i++) {
        put_be32(buf + 4 * i, cells[i]);
    }
    b_prop(b, name, buf, (uint32_t)(4 * n));
}

/* A root with 2/2 cells and one memory node at 0x80000000, left open for more. */
static void b_minimal_open(struct builder *b)
{
    static const uint32_t two = 2, reg[] = { 0, 0x80000000, 0, 0x1000000 };
    memset(b, 0, sizeof *b);
    b_begin(b, "");
    b_prop_cells(b, "#address-cells", 1, &two);
    b_prop_cells(b, "#size-cells", 1, &two);
    b_begin(b, "memory@80000000");
    b_prop_str(b, "device_type", "memory");
    b_prop_cells(b, "reg", 4, reg);
    b_end_node(b);
}

/* Header (40 bytes), an empty reservation map, the structure block, then the strings. */
static uint8_t *b_finish(const struct builder *b, size_t *size)
{
    uint32_t off_st = 40 + 16, off_str = off_st + b->st_len, total = off_str + b->str_len;
    uint8_t *p = calloc(1, total);
    put_be32(p, 0xd00dfeed);
    put_be32(p + H_TOTAL, total);
    put_be32(p + H_OFF_STRUCT, off_st);
    put_be32(p + H_OFF_STRINGS, off_str);
    put_be32(p + H_OFF_RSV, 40);
    put_be32(p + H_VERSION, 17);
    put_be32(p + H_LAST_COMP, 16);
    put_be32(p + H_SIZE_STRINGS, b->str_len);
    put_be32(p + H_SIZE_STRUCT, b->st_len);
    memcpy(p + off_st, b->st, b->st_len);
    memcpy(p + off_str, b->strs, b->str_len);
    *size = total;
    return p;
}

static int parse_built(const struct builder *b, struct platform_info *info)
{
    size_t size;
    uint8_t *p = b_finish(b, &size);
    int r = fdt_parse(p, size, info);
    free(p);
    return r;
}

/* Offset in the blob of the first FDT_PROP token, found by walking a known-good blob. */
static size_t first_prop(const uint8_t *blob)
{
    size_t pos = get_be32(blob + H_OFF_STRUCT);
    while (get_be32(blob + pos) != 3) {
        uint32_t tok = get_be32(blob + pos);
        pos += 4;
        if (tok == 1) {
            pos += (strlen((const char *)blob + pos) + 4) & ~(size_t)3;
        }
    }
    return pos;
}

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
    size_t size;
    uint8_t *blob = load_dtb("qemu-virt", &size);
    struct platform_info info;
    if (!blob) {
        CHECK(blob != NULL);
        return;
    }
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

/* ---- Hostile blobs ---- */

TEST(fdt_bad_header)
{
    size_t size;
    uint8_t *blob = load_dtb("qemu-virt", &size);
    struct platform_info info;
    if (!blob) {
        CHECK(blob != NULL);
        return;
    }
    CHECK_EQ(parse_patched(blob, size, 0, 0xd00dfeee), FDT_ERR_BADMAGIC);
    CHECK_EQ(parse_patched(blob, size, H_VERSION, 15), FDT_ERR_BADVERSION);
    CHECK_EQ(parse_patched(blob, size, H_LAST_COMP, 18), FDT_ERR_BADVERSION);
    CHECK_EQ(parse_patched(blob, size, H_TOTAL, (uint32_t)size + 1), FDT_ERR_TRUNCATED);
    CHECK_EQ(parse_patched(blob, size, H_TOTAL, 39), FDT_ERR_TRUNCATED);
    CHECK_EQ(fdt_parse(blob, size - 1, &info), FDT_ERR_TRUNCATED);
    CHECK_EQ(fdt_parse(blob, 3, &info), FDT_ERR_TRUNCATED);
    CHECK_EQ(fdt_parse(NULL, 100, &info), FDT_ERR_TRUNCATED);
    CHECK_EQ(fdt_total_size(blob), size);
    uint8_t bad[8] = { 0xd0, 0x0d, 0xfe, 0xef, 0, 0, 1, 0 };
    CHECK_EQ(fdt_total_size(bad), 0);
    free(blob);
}

TEST(fdt_too_big)
{
    size_t big = FDT_MAX_SIZE + 64;
    uint8_t *blob = calloc(1, big);
    struct platform_info info;
    put_be32(blob, 0xd00dfeed);
    put_be32(blob + H_TOTAL, (uint32_t)big);
    put_be32(blob + H_VERSION, 17);
    put_be32(blob + H_LAST_COMP, 16);
    CHECK_EQ(fdt_parse(blob, big, &info), FDT_ERR_TRUNCATED);
    free(blob);
}

TEST(fdt_offsets_past_end)
{
    size_t size;
    uint8_t *blob = load_dtb("qemu-virt", &size);
    uint32_t n = (uint32_t)size;
    if (!blob) {
        CHECK(blob != NULL);
        return;
    }
    uint32_t off_str = get_be32(blob + H_OFF_STRINGS);
    CHECK_EQ(parse_patched(blob, size, H_OFF_STRUCT, n), FDT_ERR_TRUNCATED);
    CHECK_EQ(parse_patched(blob, size, H_OFF_STRUCT, 0xfffffff0u), FDT_ERR_TRUNCATED);
    CHECK_EQ(parse_patched(blob, size, H_SIZE_STRUCT, n), FDT_ERR_TRUNCATED);
    CHECK_EQ(parse_patched(blob, size, H_SIZE_STRUCT, 0xffffffffu), FDT_ERR_TRUNCATED);
    CHECK_EQ(parse_patched(blob, size, H_OFF_STRINGS, n + 1), FDT_ERR_TRUNCATED);
    CHECK_EQ(parse_patched(blob, size, H_SIZE_STRINGS, n - off_str + 1), FDT_ERR_TRUNCATED);
    /* off + size wraps to a small number: must not pass as in range. */
    CHECK_EQ(parse_patched(blob, size, H_OFF_STRINGS, 0xffffff00u), FDT_ERR_TRUNCATED);
    CHECK_EQ(parse_patched(blob, size, H_OFF_RSV, n - 8), FDT_ERR_TRUNCATED);
    CHECK_EQ(parse_patched(blob, size, H_OFF_RSV, 0xfffffff8u), FDT_ERR_TRUNCATED);
    /* A structure block cut short: no FDT_END inside it. */
    CHECK_EQ(parse_patched(blob, size, H_SIZE_STRUCT, get_be32(blob + H_SIZE_STRUCT) - 4),
             FDT_ERR_BADSTRUCT);
    CHECK_EQ(parse_patched(blob, size, H_SIZE_STRUCT, 0), FDT_ERR_BADSTRUCT);
    /* A strings block too small for the names used. */
    CHECK_EQ(parse_patched(blob, size, H_SIZE_STRINGS, 4), FDT_ERR_BADPROP);
    free(blob);
}

TEST(fdt_reservation_map_unterminated)
{
    struct builder b;
    size_t size;
    struct platform_info info;
    b_minimal_open(&b);
    b_end_node(&b);
    b_u32(&b, 9);
    uint8_t *p = b_finish(&b, &size);
    /* Point the map at the structure block, whose words never form a 0,0 pair before the end. */
    uint8_t *copy = dup_bytes(p, size);
    memset(copy + get_be32(copy + H_OFF_STRUCT), 0xff, size - get_be32(copy + H_OFF_STRUCT));
    put_be32(copy + H_OFF_RSV, get_be32(copy + H_OFF_STRUCT));
    CHECK_EQ(fdt_parse(copy, size, &info), FDT_ERR_TRUNCATED);
    free(copy);
    free(p);
}

TEST(fdt_nameoff_past_strings)
{
    size_t size;
    uint8_t *blob = load_dtb("qemu-virt", &size);
    if (!blob) {
        CHECK(blob != NULL);
        return;
    }
    size_t prop = first_prop(blob);
    uint32_t str_size = get_be32(blob + H_SIZE_STRINGS);
    CHECK_EQ(parse_patched(blob, size, prop + 8, str_size), FDT_ERR_BADPROP);
    CHECK_EQ(parse_patched(blob, size, prop + 8, 0xffffffffu), FDT_ERR_BADPROP);
    /* Length running past the block, by one byte and by wrapping. */
    uint32_t room = (uint32_t)(get_be32(blob + H_OFF_STRUCT) + get_be32(blob + H_SIZE_STRUCT) -
                               (prop + 12));
    CHECK_EQ(parse_patched(blob, size, prop + 4, room + 1), FDT_ERR_BADPROP);
    CHECK_EQ(parse_patched(blob, size, prop + 4, 0xfffffffcu), FDT_ERR_BADPROP);
    /* An unknown token. */
    CHECK_EQ(parse_patched(blob, size, prop, 7), FDT_ERR_BADSTRUCT);
    free(blob);
}

TEST(fdt_name_unterminated_in_strings)
{
    struct builder b;
    struct platform_info info;
    b_minimal_open(&b);
    b_end_node(&b);
    b_u32(&b, 9);
    /* The last name in the strings block loses its NUL. */
    b.strs[b.str_len - 1] = 'x';
    CHECK_EQ(parse_built(&b, &info), FDT_ERR_BADPROP);
}

TEST(fdt_unterminated_node_name)
{
    struct builder b;
    struct platform_info info;
    memset(&b, 0, sizeof b);
    b_begin(&b, "");
    b_u32(&b, 1);
    memcpy(b.st + b.st_len, "abcdefgh", 8); /* no NUL before the end of the block */
    b.st_len += 8;
    CHECK_EQ(parse_built(&b, &info), FDT_ERR_BADSTRUCT);
}

TEST(fdt_bad_nesting)
{
    struct builder b;
    struct platform_info info;
    /* No FDT_END at all. */
    b_minimal_open(&b);
    b_end_node(&b);
    CHECK_EQ(parse_built(&b, &info), FDT_ERR_BADSTRUCT);
    /* FDT_END with the root still open. */
    b_minimal_open(&b);
    b_u32(&b, 9);
    CHECK_EQ(parse_built(&b, &info), FDT_ERR_BADSTRUCT);
    /* One END_NODE too many. */
    b_minimal_open(&b);
    b_end_node(&b);
    b_end_node(&b);
    b_u32(&b, 9);
    CHECK_EQ(parse_built(&b, &info), FDT_ERR_BADSTRUCT);
    /* A second root. */
    b_minimal_open(&b);
    b_end_node(&b);
    b_begin(&b, "");
    b_end_node(&b);
    b_u32(&b, 9);
    CHECK_EQ(parse_built(&b, &info), FDT_ERR_BADSTRUCT);
    /* A property before the root. */
    memset(&b, 0, sizeof b);
    b_prop_str(&b, "model", "x");
    CHECK_EQ(parse_built(&b, &info), FDT_ERR_BADSTRUCT);
    /* An empty block, and only NOPs. */
    memset(&b, 0, sizeof b);
    CHECK_EQ(parse_built(&b, &info), FDT_ERR_BADSTRUCT);
    b_u32(&b, 4);
    b_u32(&b, 4);
    CHECK_EQ(parse_built(&b, &info), FDT_ERR_BADSTRUCT);
    /* NOPs anywhere are fine. */
    b_minimal_open(&b);
    b_u32(&b, 4);
    b_end_node(&b);
    b_u32(&b, 4);
    b_u32(&b, 9);
    CHECK_EQ(parse_built(&b, &info), FDT_OK);
}

TEST(fdt_depth_limit)
{
    struct builder b;
    struct platform_info info;
    /* 16 levels (the root and 15 below it) are accepted. */
    b_minimal_open(&b);
    for (int i = 0; i < 15; i++) {
        b_begin(&b, "n");
    }
    for (int i = 0; i < 16; i++) {
        b_end_node(&b);
    }
    b_u32(&b, 9);
    CHECK_EQ(parse_built(&b, &info), FDT_OK);
    /* One more is refused. */
    b_minimal_open(&b);
    for (int i = 0; i < 16; i++) {
        b_begin(&b, "n");
    }
    for (int i = 0; i < 17; i++) {
        b_end_node(&b);
    }
    b_u32(&b, 9);
    CHECK_EQ(parse_built(&b, &info), FDT_ERR_TOODEEP);
    /* And a deep open chain without any END_NODE. */
    memset(&b, 0, sizeof b);
    for (int i = 0; i < 200; i++) {
        b_begin(&b, "");
    }
    CHECK_EQ(parse_built(&b, &info), FDT_ERR_TOODEEP);
}

/* Every prefix of a valid blob, both as a short buffer and with totalsize claiming the prefix. */
static void truncate_every_length(const char *name)
{
    size_t size;
    uint8_t *blob = load_dtb(name, &size);
    static struct platform_info info;
    if (!blob) {
        CHECK(blob != NULL);
        return;
    }
    for (size_t len = 0; len <= size; len++) {
        uint8_t *copy = dup_bytes(blob, len);
        int r = fdt_parse(copy, len, &info);
        CHECK(len == size ? r == FDT_OK : r < 0);
        if (len >= 8) {
            put_be32(copy + H_TOTAL, (uint32_t)len);
            r = fdt_parse(copy, len, &info);
            check_sane(r, &info);
            CHECK(len == size ? r == FDT_OK : r < 0);
        }
        free(copy);
    }
    free(blob);
}

TEST(fdt_truncation_virt)
{
    truncate_every_length("qemu-virt");
}

TEST(fdt_truncation_edge_cases)
{
    truncate_every_length("edge-cases");
}

static uint32_t xorshift32(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

/* Random byte flips with a fixed seed: reproducible, and never a crash, hang or overflow. */
static void mutate(const char *name, uint32_t seed, int iterations)
{
    size_t size;
    uint8_t *blob = load_dtb(name, &size);
    static struct platform_info info;
    int ok = 0;
    if (!blob) {
        CHECK(blob != NULL);
        return;
    }
    for (int it = 0; it < iterations; it++) {
        uint8_t *copy = dup_bytes(blob, size);
        int flips = 1 + (int)(xorshift32(&seed) % 4);
        for (int f = 0; f < flips; f++) {
            uint32_t r = xorshift32(&seed);
            /* One flip in four lands in the header, where the offsets are. */
            size_t pos = (r & 3) == 0 ? (r >> 2) % 40 : (r >> 2) % size;
            copy[pos] ^= (uint8_t)(1 + xorshift32(&seed) % 255);
        }
        int r = fdt_parse(copy, size, &info);
        check_sane(r, &info);
        ok += r == FDT_OK;
        free(copy);
    }
    /* Most flips hit property values, so many mutants must still parse: the loop tests the walk. */
    CHECK(ok > iterations / 10);
    free(blob);
}

TEST(fdt_mutation_virt)
{
    mutate("qemu-virt", 0x12345678u, 20000);
}

TEST(fdt_mutation_edge_cases)
{
    mutate("edge-cases", 0x9e3779b9u, 10000);
}

TEST(fdt_strerror_texts)
{
    for (int e = FDT_OK; e >= FDT_ERR_NOMEM; e--) {
        const char *s = fdt_strerror(e);
        CHECK(s != NULL && s[0] != '\0');
        for (int f = e + 1; f <= FDT_OK; f++) {
            CHECK(strcmp(s, fdt_strerror(f)) != 0);
        }
    }
    CHECK(fdt_strerror(-100) != NULL);
    CHECK(fdt_strerror(5) != NULL);
}
